package data

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// FuzzDeriveScopes: any bytes as a spec never panic, and a table derived is
// well formed (sorted, known upper-case methods, alternatives of sorted
// distinct scopes), survives its own file format, and every operation is
// found again by Match.
func FuzzDeriveScopes(f *testing.F) {
	// Small seeds (more in testdata/fuzz/FuzzDeriveScopes): the fuzzer
	// minimizes each new input it finds, which takes long for a spec of
	// several kilobytes such as testdata/jira-platform.spec.json.
	f.Add([]byte(`{"openapi":"3","paths":{"/a/{b}":{"get":{"x-atlassian-oauth2-scopes":[{"state":"Current","scopes":["z","a","a",""]}]},"parameters":[]}}}`))
	f.Add([]byte(`{"swagger":"2.0","paths":{"/":{"post":{}},"/x{y}z/{}":{"head":{"x-atlassian-oauth2-scopes":null}},"x-y":1}}`))
	f.Add([]byte(`{"openapi":"3","paths":{"/a":{"get":{"x-atlassian-oauth2-scopes":[{"scopes":["s"]},{"scopes":["s"]}]}},"/a/":{"get":{}}}}`))
	f.Add([]byte(`{"openapi":"3","paths":{"/a?q#f//{x}":{"delete":{"x-atlassian-oauth2-scopes":[{"state":1}]}}}}`))
	f.Add([]byte(`[[[[[[[[`))
	f.Fuzz(func(t *testing.T, spec []byte) {
		table, err := DeriveScopes("fuzz", spec)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		for i, op := range table.Operations {
			if !slices.Contains(operationKeys, strings.ToLower(op.Method)) || strings.ToUpper(op.Method) != op.Method {
				t.Errorf("method %q", op.Method)
			}
			if !strings.HasPrefix(op.Path, "/") {
				t.Errorf("path %q", op.Path)
			}
			if i > 0 {
				p := table.Operations[i-1]
				if p.Path > op.Path || (p.Path == op.Path && p.Method >= op.Method) {
					t.Errorf("%s %s listed before %s %s", p.Method, p.Path, op.Method, op.Path)
				}
			}
			if op.Alternatives == nil {
				t.Errorf("%s %s: nil alternatives (written as null)", op.Method, op.Path)
			}
			for _, alt := range op.Alternatives {
				if len(alt.Scopes) == 0 || !slices.IsSorted(alt.Scopes) || len(slices.Compact(slices.Clone(alt.Scopes))) != len(alt.Scopes) || slices.Contains(alt.Scopes, "") {
					t.Errorf("%s %s: alternative %v", op.Method, op.Path, alt.Scopes)
				}
			}
		}

		b, err := encodeTable(table)
		if err != nil {
			t.Fatal(err)
		}
		again, err := parseTable("fuzz", b)
		if err != nil {
			t.Fatalf("the derived table does not read back: %v", err)
		}
		if !reflect.DeepEqual(again, table) {
			t.Error("the derived table changes when written and read back")
		}

		st := NewScopeTable(table)
		for _, op := range table.Operations {
			if len(splitPath(op.Path)) > maxLookupSegments {
				continue
			}
			if _, ok := st.Match(op.Method, op.Path); !ok {
				t.Errorf("Match(%s, %q) finds nothing", op.Method, op.Path)
			}
		}
	})
}
