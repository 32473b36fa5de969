package manifest

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/")

// fixtures are the realistic manifests of testdata/, each with a golden dump.
var fixtures = []string{"customui", "webtrigger", "rovo", "remote", "scopes-map", "anchors", "providers", "egress", "problems"}

func parseFixture(t testing.TB, name string) *Manifest {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name+".yml"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := Parse("manifest.yml", data)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

// dump renders everything Parse found, one fact a line, for the golden
// files.
func dump(m *Manifest) string {
	var b strings.Builder
	at := func(p Pos) string { return fmt.Sprintf("@%d:%d", p.Line, p.Column) }
	fmt.Fprintf(&b, "path %s\n", m.Path)
	fmt.Fprintf(&b, "app.id %q %s\n", m.AppID, at(m.AppIDPos))
	fmt.Fprintf(&b, "runtime %q %s\n", m.Runtime.Value, at(m.Runtime.Pos))
	keys := make([]string, 0, len(m.Functions))
	for k := range m.Functions {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		f := m.Functions[k]
		fmt.Fprintf(&b, "function %s handler=%q module=%q export=%q %s\n", f.Key, f.Handler, f.Module, f.Export, at(f.Pos))
	}
	for _, e := range m.Entries {
		var flags []string
		if e.Admin {
			flags = append(flags, "admin")
		}
		if e.Invokable {
			flags = append(flags, "invokable")
		}
		var fields []string
		for k, v := range e.Fields {
			fields = append(fields, fmt.Sprintf("%s=%q%s", k, v.Value, at(v.Pos)))
		}
		slices.Sort(fields)
		fmt.Fprintf(&b, "entry %s %s %s -> %s %s [%s] {%s}\n", e.Kind, e.ModuleType, e.ModuleKey, e.Function, at(e.Pos), strings.Join(flags, " "), strings.Join(fields, " "))
	}
	for _, s := range m.Scopes {
		fmt.Fprintf(&b, "scope %s %s\n", s.Value, at(s.Pos))
	}
	for _, e := range m.Egress {
		fmt.Fprintf(&b, "egress %s %q remote=%q category=%q %s\n", e.Kind, e.Address, e.Remote, e.Category, at(e.Pos))
	}
	for _, c := range m.Content {
		fmt.Fprintf(&b, "content %s %q %s\n", c.Kind, c.Value, at(c.Pos))
	}
	for _, p := range m.Providers {
		fmt.Fprintf(&b, "provider %s name=%q type=%q remotes=%v %s\n", p.Key, p.Name, p.Type, p.Remotes, at(p.Pos))
	}
	for _, r := range m.Remotes {
		fmt.Fprintf(&b, "remote %s %q operations=%v %s\n", r.Key, r.BaseURL, r.Operations, at(r.Pos))
	}
	for _, r := range m.Resources {
		fmt.Fprintf(&b, "resource %s %q %s\n", r.Key, r.Path, at(r.Pos))
	}
	for _, u := range m.Unclassified {
		fmt.Fprintf(&b, "unclassified %s %s -> %s %s\n", u.ModuleType, u.ModuleKey, u.Function, at(u.Pos))
	}
	for _, p := range m.Problems {
		fmt.Fprintf(&b, "problem %s %s\n", at(p.Pos), p.Msg)
	}
	for _, s := range m.Scalars {
		fmt.Fprintf(&b, "scalar %s = %q %s\n", s.Path, s.Value, at(s.Pos))
	}
	return b.String()
}

func TestFixturesGolden(t *testing.T) {
	for _, name := range fixtures {
		t.Run(name, func(t *testing.T) {
			got := dump(parseFixture(t, name))
			golden := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("dump differs from %s (go test -update rewrites it):\n%s", golden, diff(string(want), got))
			}
		})
	}
}

// diff lists the lines only in want (-) or only in got (+).
func diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for _, l := range w {
		if !slices.Contains(g, l) {
			fmt.Fprintf(&b, "- %s\n", l)
		}
	}
	for _, l := range g {
		if !slices.Contains(w, l) {
			fmt.Fprintf(&b, "+ %s\n", l)
		}
	}
	return b.String()
}

// TestEntries states, independently of the golden files, how the entry
// points of the fixtures are classified: the facts the checks rely on.
func TestEntries(t *testing.T) {
	type want struct {
		kind      EntryKind
		admin     bool
		invokable bool
		pos       Pos
	}
	tests := []struct {
		fixture, moduleType, moduleKey, function string
		want                                     want
	}{
		{"customui", "jira:issuePanel", "risk-panel", "panel-resolver", want{Resolver, false, true, Pos{16, 19}}},
		{"customui", "jira:adminPage", "risk-settings", "admin-resolver", want{Resolver, true, true, Pos{23, 19}}},
		{"customui", "jira:projectSettingsPage", "project-risk", "admin-resolver", want{Resolver, true, true, Pos{30, 19}}},
		{"customui", "confluence:globalPage", "risk-overview", "overview-resolver", want{Resolver, false, true, Pos{37, 19}}},
		{"customui", "jira:customField", "risk-score", "compute-score", want{ModuleFunction, false, false, Pos{45, 19}}},
		{"customui", "jira:customField", "risk-score", "edit-score", want{FunctionUI, false, true, Pos{50, 19}}},
		{"customui", "macro", "risk-macro", "legacy-macro", want{FunctionUI, false, true, Pos{54, 17}}},
		{"customui", "macro", "risk-macro", "legacy-macro-config", want{FunctionUI, false, true, Pos{56, 19}}},
		{"webtrigger", "webtrigger", "github-webhook", "on-github", want{WebTrigger, false, true, Pos{9, 17}}},
		{"webtrigger", "scheduledTrigger", "hourly-sync", "sync", want{ScheduledTrigger, false, false, Pos{16, 17}}},
		{"webtrigger", "trigger", "issue-events", "on-issue", want{ProductTrigger, false, false, Pos{20, 17}}},
		{"webtrigger", "consumer", "sync-consumer", "sync-worker", want{QueueConsumer, false, false, Pos{30, 19}}},
		{"rovo", "action", "get-issues", "get-issues", want{RovoAction, false, true, Pos{21, 17}}},
		{"rovo", "action", "close-issue", "close-issue", want{RovoAction, false, true, Pos{32, 17}}},
		{"remote", "jira:issuePanel", "remote-panel", "panel-endpoint", want{RemoteResolver, false, true, Pos{13, 19}}},
		{"remote", "scheduledTrigger", "remote-sync", "sync-endpoint", want{RemoteResolver, false, false, Pos{16, 17}}},
		{"remote", "endpoint", "panel-endpoint", "panel-endpoint", want{RemoteEndpoint, false, false, Pos{24, 12}}},
		{"scopes-map", "confluence:spaceSettings", "space-config", "resolver", want{Resolver, true, true, Pos{12, 19}}},
		// Through merge keys: the position is where the name is written.
		{"anchors", "jira:issuePanel", "panel-a", "shared-resolver", want{Resolver, false, true, Pos{12, 17}}},
		{"anchors", "jira:issuePanel", "panel-b", "panel-b-resolver", want{Resolver, false, true, Pos{31, 19}}},
		{"anchors", "jira:issueGlance", "glance", "glance-resolver", want{Resolver, false, true, Pos{20, 17}}},
		{"anchors", "jira:adminPage", "admin-page", "admin-resolver", want{Resolver, true, true, Pos{16, 17}}},
		{"problems", "acme:widget", "widget", "ok", want{Resolver, false, true, Pos{20, 19}}},
		{"problems", "acme:widget", "widget", "ok", want{Unknown, false, false, Pos{21, 17}}},
		{"problems", "telemetryHook", "telemetry", "ok", want{Unknown, false, false, Pos{24, 17}}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture+"/"+tt.moduleKey+"/"+tt.function, func(t *testing.T) {
			m := parseFixture(t, tt.fixture)
			var found []*Entry
			for _, e := range m.Entries {
				if e.ModuleType == tt.moduleType && e.ModuleKey == tt.moduleKey && e.Function == tt.function && e.Kind == tt.want.kind {
					found = append(found, e)
				}
			}
			if len(found) != 1 {
				t.Fatalf("%d %s entries %s %s -> %s, want 1", len(found), tt.want.kind, tt.moduleType, tt.moduleKey, tt.function)
			}
			e := found[0]
			if got := (want{e.Kind, e.Admin, e.Invokable, e.Pos}); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestEntryFields(t *testing.T) {
	tests := []struct {
		fixture, moduleKey, field string
		want                      Value
	}{
		{"webtrigger", "github-webhook", "response.type", Value{"dynamic", Pos{11, 15}}},
		{"webtrigger", "hourly-sync", "interval", Value{"hour", Pos{17, 17}}},
		{"webtrigger", "issue-events", "events", Value{"avi:jira:created:issue,avi:jira:updated:issue", Pos{22, 9}}},
		{"webtrigger", "sync-consumer", "queue", Value{"sync-queue", Pos{28, 14}}},
		{"webtrigger", "sync-consumer", "method", Value{"process", Pos{31, 17}}},
		{"rovo", "get-issues", "actionVerb", Value{"GET", Pos{22, 19}}},
		{"rovo", "close-issue", "actionVerb", Value{"UPDATE", Pos{33, 19}}},
		{"remote", "panel-endpoint", "remote", Value{"backend", Pos{25, 15}}},
		{"remote", "panel-endpoint", "auth.appUserToken", Value{"true", Pos{28, 20}}},
		{"remote", "panel-endpoint", "auth.appSystemToken", Value{"false", Pos{30, 20}}},
		{"remote", "sync-endpoint", "route.path", Value{"/forge/sync", Pos{34, 15}}},
		{"customui", "risk-panel", "render", Value{"native", Pos{13, 15}}},
		{"anchors", "panel-a", "resource", Value{"main", Pos{10, 15}}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture+"/"+tt.moduleKey+"/"+tt.field, func(t *testing.T) {
			m := parseFixture(t, tt.fixture)
			n := 0
			for _, e := range m.Entries {
				if e.ModuleKey != tt.moduleKey {
					continue
				}
				n++
				if got := e.Fields[tt.field]; got != tt.want {
					t.Errorf("%s %s: %s = %+v, want %+v", e.Kind, e.Function, tt.field, got, tt.want)
				}
			}
			if n == 0 {
				t.Fatalf("no entry of module %s", tt.moduleKey)
			}
		})
	}
}

// TestSecretsScalars: the secrets check looks for literal, non-templated
// values of secret-named keys in Scalars.
func TestSecretsScalars(t *testing.T) {
	m := parseFixture(t, "providers")
	tests := []struct {
		path string
		want Scalar
	}{
		{"providers.auth[0].clientSecret", Scalar{"providers.auth[0].clientSecret", "{{ env.GOOGLE_CLIENT_SECRET }}", Pos{25, 21}}},
		{"providers.auth[1].clientSecret", Scalar{"providers.auth[1].clientSecret", "s3cr3t-Literal-Value-9f8e7d", Pos{40, 21}}},
		{"modules.function[0].providers.auth[0]", Scalar{"modules.function[0].providers.auth[0]", "google", Pos{18, 13}}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			i := slices.IndexFunc(m.Scalars, func(s Scalar) bool { return s.Path == tt.path })
			if i < 0 {
				t.Fatalf("no scalar %s", tt.path)
			}
			if m.Scalars[i] != tt.want {
				t.Errorf("got %+v, want %+v", m.Scalars[i], tt.want)
			}
		})
	}
}

func TestProblems(t *testing.T) {
	m := parseFixture(t, "problems")
	want := []string{
		"3:3 app.id is missing",
		"8:17 modules.jira:issuePanel[0].resource names resource \"missing-ui\", which resources does not define",
		"10:19 jira:issuePanel panel names function \"not-defined\", which modules.function does not define",
		"11:12 modules.jira:issuePanel[1]: duplicate key \"panel\" in modules.jira:issuePanel (first at 7:12)",
		"28:12 modules.function[1]: duplicate function key \"ok\" (first at 26:12, which is the one used)",
		"31:16 modules.function[2].handler: handler \"index\" has no export part (expected file.export, such as index.run)",
		"33:16 modules.function[3].handler: handler \"../../outside.run\" points outside src/; it is not followed",
		"35:1 the manifest has more than one YAML document; ecoscan reads only the first",
	}
	var got []string
	for _, p := range m.Problems {
		got = append(got, fmt.Sprintf("%d:%d %s", p.Pos.Line, p.Pos.Column, p.Msg))
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	wantUnclassified := []Unclassified{
		{"acme:widget", "widget", "ok", Pos{21, 17}},
		{"telemetryHook", "telemetry", "ok", Pos{24, 17}},
	}
	if !slices.Equal(m.Unclassified, wantUnclassified) {
		t.Errorf("unclassified %+v, want %+v", m.Unclassified, wantUnclassified)
	}
	if f := m.Functions["escape"]; f == nil || f.Module != "" || f.Export != "run" {
		t.Errorf("escape: %+v, want no module", f)
	}
	if f := m.Functions["ok"]; f == nil || f.Handler != "index.ok" {
		t.Errorf("ok: %+v, want the first definition", f)
	}
}

func TestSplitHandler(t *testing.T) {
	tests := []struct {
		handler, module, export string
		problem                 bool
	}{
		{"index.run", "index", "run", false},
		{"resolvers/index.handler", "resolvers/index", "handler", false},
		{"./lib/v1.2/sync.run", "lib/v1.2/sync", "run", false},
		{"lib//a/../b.run", "lib/b", "run", false},
		{"index", "index", "", true},
		{"index.", "index", "", true},
		{".run", "", "run", true},
		{"../x.run", "", "run", true},
		{"a/../../x.run", "", "run", true},
		{"/etc/passwd.x", "", "x", true},
		{"./.run", "", "run", true},
		{"..run", "", "run", true},
	}
	for _, tt := range tests {
		t.Run(tt.handler, func(t *testing.T) {
			module, export, problem := splitHandler(tt.handler)
			if module != tt.module || export != tt.export || (problem != "") != tt.problem {
				t.Errorf("splitHandler(%q) = %q, %q, %q; want %q, %q, problem %v", tt.handler, module, export, problem, tt.module, tt.export, tt.problem)
			}
		})
	}
}

func TestPaths(t *testing.T) {
	tests := []struct {
		parent, key, want string
	}{
		{"", "app", "app"},
		{"modules", "jira:issuePanel", "modules.jira:issuePanel"},
		{"permissions.scopes", "read:confluence-content.all", `permissions.scopes["read:confluence-content.all"]`},
		{"a", "", `a[""]`},
		{"a", `say "hi"`, `a["say \"hi\""]`},
		{"a", "x[0]", `a["x[0]"]`},
	}
	for _, tt := range tests {
		if got := keyPath(tt.parent, tt.key); got != tt.want {
			t.Errorf("keyPath(%q, %q) = %q, want %q", tt.parent, tt.key, got, tt.want)
		}
	}
}

// TestNestedReferenceShapes: below an entry's top level a key named
// function or resolver may be something else (an input's name): a wrong
// shape there is a problem, not an error, and action inputs are not read.
func TestNestedReferenceShapes(t *testing.T) {
	tests := []struct {
		name     string
		entry    string
		entries  int
		problems []string
	}{
		{"action input named function", "action:\n    - key: a\n      function: f\n      actionVerb: GET\n      inputs:\n        function:\n          title: Function\n          type: string\n        resolver:\n          type: string\n", 1, nil},
		{"value.function a list", "jira:customField:\n    - key: c\n      value:\n        function: [f]\n", 0, []string{"7:19 modules.jira:customField[0].value.function: expected a string, found a list; not followed"}},
		{"nested resolver a string", "jira:customField:\n    - key: c\n      edit:\n        resolver: r\n", 0, []string{`7:19 modules.jira:customField[0].edit.resolver: expected a mapping, found the scalar "r"; not followed`}},
		{"nested resolver empty", "jira:customField:\n    - key: c\n      edit:\n        resolver:\n          render: native\n", 0, []string{"8:11 modules.jira:customField[0].edit.resolver: a resolver names neither a function nor an endpoint; not followed"}},
		{"nested function beside a bad one", "jira:customField:\n    - key: c\n      value:\n        function: {x: [f]}\n      edit:\n        function: f\n", 1, []string{"7:19 modules.jira:customField[0].value.function: expected a string, found a mapping; not followed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			yaml := "app:\n  id: x\nmodules:\n  " + tt.entry + "  function:\n    - key: f\n      handler: index.f\n"
			m, err := Parse("manifest.yml", []byte(yaml))
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Entries) != tt.entries {
				t.Errorf("entries %+v, want %d", m.Entries, tt.entries)
			}
			var got []string
			for _, p := range m.Problems {
				got = append(got, fmt.Sprintf("%d:%d %s", p.Pos.Line, p.Pos.Column, p.Msg))
			}
			if !slices.Equal(got, tt.problems) {
				t.Errorf("problems %q, want %q", got, tt.problems)
			}
		})
	}
}
