package data

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// sharedScopes is the project's reference copy of the scope tables, beside
// the module (absent in a checkout without shared/: those tests skip).
const sharedScopes = "../../../shared/data/atlassian-scopes"

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDeriveFixture: the fixture spec gives the table written out by hand
// beside it: scopes sorted and each once, alternatives in the spec's order,
// empty and repeated entries dropped, non-operation keys and extensions
// skipped, mixed segments kept as written.
func TestDeriveFixture(t *testing.T) {
	got, err := DeriveScopes("jira-platform", readTestdata(t, "jira-platform.spec.json"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := parseTable("jira-platform", readTestdata(t, "jira-platform.table.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		gb, _ := encodeTable(got)
		t.Errorf("derived table differs from testdata/jira-platform.table.json:\n%s", gb)
	}
}

// TestDeriveMatchesShared: every operation derived from the fixture that the
// shared reference table has is derived exactly as it is there.
func TestDeriveMatchesShared(t *testing.T) {
	got, err := DeriveScopes("jira-platform", readTestdata(t, "jira-platform.spec.json"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(sharedScopes, "jira-platform.json"))
	if os.IsNotExist(err) {
		t.Skip("no shared/ beside the module")
	}
	if err != nil {
		t.Fatal(err)
	}
	shared, err := parseTable("jira-platform", b)
	if err != nil {
		t.Fatal(err)
	}
	compared := 0
	for _, op := range got.Operations {
		i := slices.IndexFunc(shared.Operations, func(s Operation) bool { return s.Method == op.Method && s.Path == op.Path })
		if i < 0 {
			if !strings.Contains(op.Path, "/fixture/") {
				t.Errorf("%s %s: not in the shared table", op.Method, op.Path)
			}
			continue
		}
		compared++
		if !reflect.DeepEqual(op, shared.Operations[i]) {
			t.Errorf("%s %s:\n derived %+v\n shared  %+v", op.Method, op.Path, op.Alternatives, shared.Operations[i].Alternatives)
		}
	}
	if compared < 8 {
		t.Errorf("only %d operations compared", compared)
	}
}

// specFromTable writes a table back as the OpenAPI spec Atlassian would
// publish: each alternative an x-atlassian-oauth2-scopes entry, scopes in
// reverse order.
func specFromTable(t *testing.T, table *ProductTable) []byte {
	t.Helper()
	paths := map[string]map[string]any{}
	for _, op := range table.Operations {
		entries := []map[string]any{}
		for _, alt := range op.Alternatives {
			scopes := slices.Clone(alt.Scopes)
			slices.Reverse(scopes)
			entries = append(entries, map[string]any{"scheme": "OAuth2", "state": alt.State, "scopes": scopes})
		}
		if paths[op.Path] == nil {
			paths[op.Path] = map[string]any{"parameters": []any{}}
		}
		opObj := map[string]any{"responses": map[string]any{}}
		if len(entries) > 0 {
			opObj["x-atlassian-oauth2-scopes"] = entries
		}
		paths[op.Path][strings.ToLower(op.Method)] = opObj
	}
	b, err := json.Marshal(map[string]any{
		"openapi": "3.0.1",
		"info":    map[string]any{"title": table.SpecTitle, "version": table.SpecVersion},
		"paths":   paths,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDeriveRoundTrip: each embedded table, written back as a spec, derives
// to itself: the derivation and the embedded tables agree on every operation.
func TestDeriveRoundTrip(t *testing.T) {
	embedded, err := embeddedTables()
	if err != nil {
		t.Fatal(err)
	}
	for name, table := range embedded {
		t.Run(name, func(t *testing.T) {
			got, err := DeriveScopes(name, specFromTable(t, table))
			if err != nil {
				t.Fatal(err)
			}
			got.Source = table.Source
			if !reflect.DeepEqual(got, table) {
				t.Error("the derivation of the spec written from the table differs from the table")
			}
			// The file format is the shared one, byte for byte.
			b, err := encodeTable(got)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := embeddedFile(name)
			if !bytes.Equal(bytes.TrimSpace(b), bytes.TrimSpace(want)) {
				t.Error("encodeTable does not write the table as the embedded file is written")
			}
		})
	}
}

func TestDeriveErrors(t *testing.T) {
	for name, spec := range map[string]string{
		"not JSON":         `{"openapi": "3.0.1", "paths": {`,
		"not an object":    `[1, 2]`,
		"no version":       `{"paths": {}}`,
		"no paths":         `{"openapi": "3.0.1"}`,
		"null paths":       `{"openapi": "3.0.1", "paths": null}`,
		"path item array":  `{"openapi": "3.0.1", "paths": {"/a": [1]}}`,
		"operation string": `{"openapi": "3.0.1", "paths": {"/a": {"get": "x"}}}`,
		"scopes object":    `{"openapi": "3.0.1", "paths": {"/a": {"get": {"x-atlassian-oauth2-scopes": {"scopes": ["a"]}}}}}`,
		"scope number":     `{"openapi": "3.0.1", "paths": {"/a": {"get": {"x-atlassian-oauth2-scopes": [{"scopes": [1]}]}}}}`,
	} {
		t.Run(name, func(t *testing.T) {
			if table, err := DeriveScopes("p", []byte(spec)); err == nil {
				t.Errorf("no error; table %+v", table)
			} else if !strings.Contains(err.Error(), "OpenAPI spec of p") {
				t.Errorf("error %q does not say what was parsed", err)
			}
		})
	}
	// Swagger 2 documents and empty paths are fine: the update refuses a
	// spec without scopes, not the derivation.
	table, err := DeriveScopes("p", []byte(`{"swagger": "2.0", "paths": {}}`))
	if err != nil || table.Operations == nil || len(table.Operations) != 0 {
		t.Errorf("swagger 2.0 with no paths: %+v, %v", table, err)
	}
}

// TestEmbeddedMatchesShared: the embedded default is the shared reference
// copy, byte for byte, and each names its source and date.
func TestEmbeddedMatchesShared(t *testing.T) {
	embedded, err := embeddedTables()
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range Sources() {
		if src.Kind != KindOpenAPI {
			continue
		}
		table := embedded[src.Name]
		if table == nil {
			t.Fatalf("no embedded table for %s", src.Name)
		}
		if embeddedDate(table) == "" || !strings.Contains(table.Source, "published by Atlassian") {
			t.Errorf("%s: source %q names no date or origin", src.Name, table.Source)
		}
		if _, scoped := table.counts(); scoped == 0 {
			t.Errorf("%s: no operation with scopes", src.Name)
		}
		shared, err := os.ReadFile(filepath.Join(sharedScopes, src.Name+".json"))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		mine, _ := embeddedFile(src.Name)
		if !bytes.Equal(mine, shared) {
			t.Errorf("scopes/%s.json differs from the shared copy", src.Name)
		}
	}
}

func TestLookup(t *testing.T) {
	jira, err := DeriveScopes("jira-platform", readTestdata(t, "jira-platform.spec.json"))
	if err != nil {
		t.Fatal(err)
	}
	confluence := &ProductTable{Product: "confluence-v2", Operations: []Operation{
		{Method: "GET", Path: "/pages/{id}", Alternatives: []Alternative{{State: "Current", Scopes: []string{"read:page:confluence"}}}},
	}}
	other := &ProductTable{Product: "elsewhere", Operations: []Operation{
		{Method: "GET", Path: "/x/{a}/{b}", Alternatives: []Alternative{{State: "Current", Scopes: []string{"x:a"}}}},
		{Method: "GET", Path: "/x/{a}/{b}/{c}", Alternatives: []Alternative{{State: "Current", Scopes: []string{"x:b"}}}},
		{Method: "GET", Path: "/x/lit/{b}/end", Alternatives: []Alternative{{State: "Current", Scopes: []string{"x:c"}}}},
		{Method: "GET", Path: "/y/{a}-{b}.{c}", Alternatives: []Alternative{{State: "Current", Scopes: []string{"y:a"}}}},
		// Same method and path as jira's: the first table wins.
		{Method: "GET", Path: "/rest/api/3/myself", Alternatives: []Alternative{{State: "Current", Scopes: []string{"never"}}}},
	}}
	st := NewScopeTable(jira, confluence, other)

	readIssue := [][]string{{"read:jira-work"}, {"read:avatar:jira", "read:field-configuration:jira", "read:issue-meta:jira",
		"read:issue-security-level:jira", "read:issue.changelog:jira", "read:issue.vote:jira", "read:issue:jira", "read:status:jira", "read:user:jira"}}
	for _, tc := range []struct {
		method, path string
		want         [][]string
		template     string // "" when not found
	}{
		{"GET", "/rest/api/3/issue/ABC-1", readIssue, "/rest/api/3/issue/{issueIdOrKey}"},
		{"get", "/rest/api/3/issue/ABC-1?expand=names#x", readIssue, "/rest/api/3/issue/{issueIdOrKey}"},
		{"GET", "/rest/api/3/issue/ABC-1/", readIssue, "/rest/api/3/issue/{issueIdOrKey}"},
		{"GET", "rest/api/3/issue/ABC-1", readIssue, "/rest/api/3/issue/{issueIdOrKey}"},
		{"GET", "/rest/api/3/issue/{issueKey}", readIssue, "/rest/api/3/issue/{issueIdOrKey}"},
		// A written-out segment wins over a template one.
		{"GET", "/rest/api/3/issue/createmeta", [][]string{{"read:jira-work"}, {"read:avatar:jira", "read:field-configuration:jira", "read:issue-meta:jira"}}, "/rest/api/3/issue/createmeta"},
		// ... but only for its method: PUT has no createmeta, so the template answers.
		{"PUT", "/rest/api/3/issue/createmeta", [][]string{{"write:jira-work"}, {"write:issue:jira"}}, "/rest/api/3/issue/{issueIdOrKey}"},
		{"DELETE", "/rest/api/3/filter/10/columns", [][]string{{"delete:filter.column:jira"}, {"write:jira-work"}}, "/rest/api/3/filter/{id}/columns"},
		// Versions 2 and latest of the Jira platform API are version 3's operations.
		{"GET", "/rest/api/2/issue/ABC-1", readIssue, "/rest/api/3/issue/{issueIdOrKey}"},
		{"GET", "/rest/api/latest/myself", [][]string{{"read:jira-user"}, {"read:application-role:jira", "read:avatar:jira", "read:group:jira", "read:user:jira"}}, "/rest/api/3/myself"},
		{"GET", "/rest/api/3/myself", [][]string{{"read:jira-user"}, {"read:application-role:jira", "read:avatar:jira", "read:group:jira", "read:user:jira"}}, "/rest/api/3/myself"},
		// An operation with no scopes in the spec: found, no alternatives.
		{"GET", "/rest/api/3/serverInfo", [][]string{}, "/rest/api/3/serverInfo"},
		{"HEAD", "/rest/api/3/fixture/report.json", [][]string{{"read:jira-work"}}, "/rest/api/3/fixture/{name}.json"},
		// Confluence v2 paths carry their base.
		{"GET", "/wiki/api/v2/pages/123", [][]string{{"read:page:confluence"}}, "/wiki/api/v2/pages/{id}"},
		{"GET", "/x/lit/b/end", [][]string{{"x:c"}}, "/x/lit/{b}/end"},
		{"GET", "/x/lit/b/other", [][]string{{"x:b"}}, "/x/{a}/{b}/{c}"}, // the literal branch fails, the template one is tried
		{"GET", "/x/a/b", [][]string{{"x:a"}}, "/x/{a}/{b}"},
		{"GET", "/y/1-2.3", [][]string{{"y:a"}}, "/y/{a}-{b}.{c}"},
		{"GET", "/y/a-b.c.d", [][]string{{"y:a"}}, "/y/{a}-{b}.{c}"},
		// Not found.
		{"GET", "/y/-b.c", nil, ""},
		{"GET", "/y/ab.c", nil, ""},
		{"GET", "/pages/123", nil, ""},
		{"GET", "/rest/api/3/issue", nil, ""},
		{"GET", "/rest/api/3/issue//", nil, ""},
		{"GET", "/rest/api/3/issue/ABC-1/unknown", nil, ""},
		{"POST", "/rest/api/3/myself", nil, ""},
		{"BREW", "/rest/api/3/myself", nil, ""},
		{"GET", "", nil, ""},
		{"GET", "/rest/api/3/issue" + strings.Repeat("/a", 100), nil, ""},
		{"GET", "/wiki/rest/api/content/1", nil, ""},
	} {
		got, ok := st.Lookup(tc.method, tc.path)
		if ok != (tc.template != "") || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Lookup(%s, %s) = %v, %v; want %v", tc.method, tc.path, got, ok, tc.want)
		}
		op, ok := st.Match(tc.method, tc.path)
		if ok && op.Path != tc.template {
			t.Errorf("Match(%s, %s) = %s", tc.method, tc.path, op.Path)
		}
	}

	// What Lookup and Match return is the caller's.
	alts, _ := st.Lookup("GET", "/rest/api/3/myself")
	alts[0][0] = "changed"
	op, _ := st.Match("GET", "/rest/api/3/myself")
	op.Alternatives[0].Scopes[0] = "changed"
	if again, _ := st.Lookup("GET", "/rest/api/3/myself"); again[0][0] != "read:jira-user" {
		t.Errorf("a caller changed the table: %v", again)
	}

	for scope, want := range map[string]bool{"read:jira-work": true, "read:page:confluence": true, "y:a": true, "storage:app": false, "": false} {
		if st.Known(scope) != want {
			t.Errorf("Known(%q) = %v", scope, !want)
		}
	}
}

// TestLookupEmbedded: the embedded default answers the calls Forge apps
// make most.
func TestLookupEmbedded(t *testing.T) {
	st, info, err := Scopes("")
	if err != nil {
		t.Fatal(err)
	}
	if !info.Embedded() || len(info.Tables) != 4 {
		t.Fatalf("info %+v", info)
	}
	for _, tc := range []struct {
		method, path, scope string
	}{
		{"GET", "/rest/api/3/issue/PROJ-1", "read:jira-work"},
		{"POST", "/rest/api/3/issue", "write:jira-work"},
		{"GET", "/rest/api/3/search/jql?jql=project%3DX", "read:jira-work"},
		{"GET", "/rest/agile/1.0/board/1", "read:board-scope:jira-software"},
		{"GET", "/rest/servicedeskapi/request/1", "read:servicedesk-request"},
		{"GET", "/wiki/api/v2/pages/1", "read:page:confluence"},
	} {
		alts, ok := st.Lookup(tc.method, tc.path)
		if !ok || !slices.ContainsFunc(alts, func(a []string) bool { return slices.Contains(a, tc.scope) }) {
			t.Errorf("Lookup(%s, %s) = %v, %v; want an alternative with %s", tc.method, tc.path, alts, ok, tc.scope)
		}
	}
}

// TestScopesEmbeddedDefault: with nothing downloaded, the embedded tables,
// said to be so, with their dates.
func TestScopesEmbeddedDefault(t *testing.T) {
	st, info, err := Scopes(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if !info.Embedded() {
		t.Errorf("info %+v: not the embedded default", info)
	}
	var names []string
	for _, ti := range info.Tables {
		names = append(names, ti.Product)
		if ti.Date == "" || ti.Source == "" || ti.Operations == 0 || ti.Problem != "" {
			t.Errorf("table info %+v", ti)
		}
	}
	if !slices.Equal(names, []string{"jira-platform", "jira-software", "jira-service-management", "confluence-v2"}) {
		t.Errorf("tables %v", names)
	}
	if s := info.String(); !strings.Contains(s, "jira-platform embedded copy of December 2025") || !strings.Contains(s, "jira-software embedded copy of July 2022") {
		t.Errorf("summary %q", s)
	}
	if _, ok := st.Lookup("GET", "/rest/api/3/myself"); !ok {
		t.Error("the embedded default has no /rest/api/3/myself")
	}
}

// TestScopesBadDownload: a downloaded table that is corrupt, of another
// product or unreadable is not used; the embedded default is, and the info
// says why.
func TestScopesBadDownload(t *testing.T) {
	dir := t.TempDir()
	scopeDir := filepath.Join(dir, "atlassian-scopes")
	if err := os.MkdirAll(scopeDir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(scopeDir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("jira-platform.json", `{"product": "jira-platform", "operations": [`)
	write("jira-software.json", `{"product": "confluence-v2", "operations": []}`)
	write("jira-service-management.json", `{"product": "jira-service-management", "operations": [{"method": "GET", "path": "/x", "alternatives": [{"state": "Current", "scopes": []}]}]}`)
	if err := os.Mkdir(filepath.Join(scopeDir, "confluence-v2.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, info, err := Scopes(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, ti := range info.Tables {
		if !ti.Embedded || ti.Problem == "" {
			t.Errorf("%s: embedded %v, problem %q", ti.Product, ti.Embedded, ti.Problem)
		}
	}
}
