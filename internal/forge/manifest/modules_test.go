package manifest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// adminTypes are the module types only administrators reach, each as its
// page in Atlassian's manifest reference says (modules.json names it).
var adminTypes = []string{
	"bitbucket:projectSettingsMenuPage",   // project settings menu
	"bitbucket:repoSettingsMenuPage",      // repository settings menu
	"bitbucket:workspaceSettingsMenuPage", // workspace settings menu
	"compass:adminPage",                   // "accessible to Compass administrators only"
	"confluence:globalSettings",           // Confluence global settings
	"confluence:spaceSettings",            // space settings
	"jira:adminPage",                      // Jira admin settings
	"jira:projectSettingsPage",            // project settings sidebar
}

func TestAdminTable(t *testing.T) {
	var got []string
	for typ, mt := range moduleTypes {
		if mt.Admin {
			got = append(got, typ)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, adminTypes) {
		t.Errorf("admin types of modules.json %v, want %v", got, adminTypes)
	}
}

// TestAdminTypes parses a manifest with each admin module type: its
// resolver is an admin entry, and the same resolver on a page every user
// can load is not.
func TestAdminTypes(t *testing.T) {
	for _, typ := range adminTypes {
		t.Run(typ, func(t *testing.T) {
			yaml := fmt.Sprintf("modules:\n  %s:\n    - key: settings\n      resource: main\n      resolver:\n        function: r\n  jira:globalPage:\n    - key: page\n      resource: main\n      resolver:\n        function: r\n  function:\n    - key: r\n      handler: index.run\nresources:\n  - key: main\n    path: static\n", typ)
			m, err := Parse("manifest.yml", []byte(yaml))
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Entries) != 2 {
				t.Fatalf("entries %+v", m.Entries)
			}
			admin, page := m.Entries[0], m.Entries[1]
			if admin.ModuleType != typ || admin.Kind != Resolver || !admin.Admin || !admin.Invokable {
				t.Errorf("admin page entry %+v", admin)
			}
			if page.Admin {
				t.Errorf("jira:globalPage entry is admin: %+v", page)
			}
		})
	}
}

// wantKinds is, per role, what a module entry's top-level function: and
// resolver: {function:} make of it (by Atlassian's manifest reference).
var wantKinds = map[string]struct {
	function          EntryKind
	functionInvokable bool
	resolver          EntryKind
	resolverInvokable bool
}{
	roleUI:        {FunctionUI, true, Resolver, true},
	roleProduct:   {ModuleFunction, false, Resolver, true},
	roleWebtrig:   {WebTrigger, true, Resolver, true},
	roleScheduled: {ScheduledTrigger, false, Resolver, true},
	roleTrigger:   {ProductTrigger, false, Resolver, true},
	roleConsumer:  {QueueConsumer, false, QueueConsumer, false},
	roleAction:    {RovoAction, true, Resolver, true},
	roleAPIRoute:  {APIRoute, true, Resolver, true},
	roleAgent:     {Unknown, false, Resolver, true},
	roleEndpoint:  {Unknown, false, Resolver, true},
}

// productFunctions are the product modules whose function runs with input
// the user chooses.
var productFunctions = map[string]bool{"jira:jqlFunction": true}

// TestEveryModuleType parses a manifest with one entry of each module type of
// the table naming a function both ways, and an endpoint.
func TestEveryModuleType(t *testing.T) {
	for typ, mt := range moduleTypes {
		if mt.Role == roleFunction {
			continue
		}
		t.Run(typ, func(t *testing.T) {
			yaml := fmt.Sprintf("modules:\n  %s:\n    - key: m\n      function: f\n      resolver:\n        function: r\n    - key: n\n      endpoint: e\n  function:\n    - key: f\n      handler: index.f\n    - key: r\n      handler: index.r\n", typ)
			m, err := Parse("manifest.yml", []byte(yaml))
			if err != nil {
				t.Fatal(err)
			}
			want := wantKinds[mt.Role]
			if want.function == "" {
				t.Fatalf("no expectation for role %s", mt.Role)
			}
			if mt.Role == roleEndpoint {
				// The endpoint entries themselves come first.
				if len(m.Entries) < 2 || m.Entries[0].Kind != RemoteEndpoint || m.Entries[0].Function != "m" {
					t.Fatalf("entries %+v", m.Entries)
				}
				m.Entries = slices.DeleteFunc(m.Entries, func(e *Entry) bool { return e.Kind == RemoteEndpoint })
			}
			if mt.Role == roleProduct {
				want.functionInvokable = productFunctions[typ]
			}
			if len(m.Entries) != 3 {
				t.Fatalf("entries %+v", m.Entries)
			}
			fn, res, ep := m.Entries[0], m.Entries[1], m.Entries[2]
			if fn.Function != "f" || fn.Kind != want.function || fn.Invokable != want.functionInvokable || fn.Admin != mt.Admin {
				t.Errorf("function: %+v, want %s invokable=%v admin=%v", fn, want.function, want.functionInvokable, mt.Admin)
			}
			if res.Function != "r" || res.Kind != want.resolver || res.Invokable != want.resolverInvokable || res.Admin != mt.Admin {
				t.Errorf("resolver: %+v, want %s invokable=%v admin=%v", res, want.resolver, want.resolverInvokable, mt.Admin)
			}
			if ep.Function != "e" || ep.Kind != RemoteResolver {
				t.Errorf("endpoint: %+v", ep)
			}
			if want.function == Unknown {
				if len(m.Unclassified) != 1 || m.Unclassified[0].Function != "f" {
					t.Errorf("unclassified %+v", m.Unclassified)
				}
			} else if len(m.Unclassified) != 0 {
				t.Errorf("unclassified %+v", m.Unclassified)
			}
		})
	}
}

// TestNestedFunctions: a function under a UI sub-view is the module's own
// UI (UI Kit 1); under any other key the product calls it.
func TestNestedFunctions(t *testing.T) {
	tests := []struct {
		typ, path string
		want      EntryKind
		invokable bool
	}{
		{"jira:customField", "value", ModuleFunction, false},
		{"jira:customField", "edit", FunctionUI, true},
		{"jira:customFieldType", "view", FunctionUI, true},
		{"macro", "config", FunctionUI, true},
		{"jira:dashboardGadget", "edit", FunctionUI, true},
		{"compass:dataProvider", "callback", ModuleFunction, false},
		{"jira:issuePanel", "actions", ModuleFunction, false},
		{"webtrigger", "response", Unknown, false},
		{"acme:widget", "value", Unknown, false},
	}
	for _, tt := range tests {
		t.Run(tt.typ+"/"+tt.path, func(t *testing.T) {
			yaml := fmt.Sprintf("modules:\n  %s:\n    - key: m\n      %s:\n        function: f\n  function:\n    - key: f\n      handler: index.f\n", tt.typ, tt.path)
			m, err := Parse("manifest.yml", []byte(yaml))
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Entries) != 1 || m.Entries[0].Kind != tt.want || m.Entries[0].Invokable != tt.invokable {
				t.Errorf("entries %+v, want %s invokable=%v", m.Entries, tt.want, tt.invokable)
			}
		})
	}
}

// TestUnknownModuleTypes: a <product>:<name> module with a resolver is a UI
// module whatever its name; anything else a type the table does not know
// names is Unknown and listed in Unclassified.
func TestUnknownModuleTypes(t *testing.T) {
	tests := []struct {
		typ, entry   string
		want         EntryKind
		invokable    bool
		unclassified bool
	}{
		{"acme:widget", "resolver:\n        function: f", Resolver, true, false},
		{"acme:widget", "function: f", Unknown, false, true},
		{"acme:widget", "resolver:\n        endpoint: f", RemoteResolver, true, false},
		{"widget", "resolver:\n        function: f", Unknown, false, true},
		{"widget", "function: f", Unknown, false, true},
		{"widget", "endpoint: f", RemoteResolver, false, true},
		{"jira:brandNewPanel", "resolver:\n        function: f", Resolver, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.typ+"/"+strings.Fields(tt.entry)[0], func(t *testing.T) {
			yaml := fmt.Sprintf("modules:\n  %s:\n    - key: m\n      %s\n", tt.typ, tt.entry)
			m, err := Parse("manifest.yml", []byte(yaml))
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Entries) != 1 {
				t.Fatalf("entries %+v", m.Entries)
			}
			e := m.Entries[0]
			if e.Kind != tt.want || e.Invokable != tt.invokable || e.Function != "f" {
				t.Errorf("entry %+v, want %s invokable=%v", e, tt.want, tt.invokable)
			}
			if (len(m.Unclassified) == 1) != tt.unclassified {
				t.Errorf("unclassified %+v, want %v", m.Unclassified, tt.unclassified)
			}
		})
	}
}

func TestParseModuleTypes(t *testing.T) {
	tests := []struct {
		name, json, want string
	}{
		{"valid", `{"modules":[{"type":"a:b","role":"ui","admin":true,"source":"s"}]}`, ""},
		{"not JSON", `{"modules":`, "decode module table"},
		{"unknown role", `{"modules":[{"type":"a:b","role":"page","source":"s"}]}`, `module type "a:b": unknown role "page"`},
		{"no source", `{"modules":[{"type":"a:b","role":"ui"}]}`, `module type "a:b": no source`},
		{"admin trigger", `{"modules":[{"type":"t","role":"trigger","admin":true,"source":"s"}]}`, "only UI modules are admin pages"},
		{"invokable UI", `{"modules":[{"type":"a:b","role":"ui","invokable":true,"source":"s"}]}`, "invokable is for product modules"},
		{"twice", `{"modules":[{"type":"a:b","role":"ui","source":"s"},{"type":"a:b","role":"ui","source":"s"}]}`, `module type "a:b" listed twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseModuleTypes([]byte(tt.json))
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestTableSources: every entry names its page in Atlassian's manifest
// reference.
func TestTableSources(t *testing.T) {
	for typ, mt := range moduleTypes {
		if !strings.HasPrefix(mt.Source, "https://developer.atlassian.com/platform/forge/manifest-reference/modules/") {
			t.Errorf("%s: source %q is not a manifest reference page", typ, mt.Source)
		}
	}
}
