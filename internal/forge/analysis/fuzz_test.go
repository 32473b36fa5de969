package analysis_test

import (
	"strings"
	"testing"

	"github.com/ecoscan/ecoscan/internal/forge/analysis"
	"github.com/ecoscan/ecoscan/internal/forge/ast"
	"github.com/ecoscan/ecoscan/internal/forge/parse"
)

// FuzzAnalyse runs the analysis over whatever the parser makes of arbitrary
// source, as two files that import each other: it must never panic, and it
// must stay within its step budget.
func FuzzAnalyse(f *testing.F) {
	f.Add("export const handler = async ({ payload }) => payload.x;", "export default 1;")
	f.Add(`import Resolver from '@forge/resolver';
import api, { route, authorize } from '@forge/api';
import { helper } from './b';
const r = new Resolver();
r.define('k', async ({ payload }) => {
  if (!(await authorize().onJiraIssue(payload.id).canEdit())) throw new Error();
  for (const k in payload) { helper(k)[k] = payload[k]; }
  return api.asApp().requestJira(route`+"`/rest/api/3/issue/${payload.id}`"+`);
});
export const handler = r.getDefinitions();`, `export function helper(x) { return helper(x.y) || {}; }
export * from './a';
module.exports = { ...module.exports, z: require('./a') };`)
	f.Add("export function handler(a) { switch (a) { case 1: try { throw a } catch { return } finally { a = a + 1 } } }", "let x = 0; export const y = () => { x++; };")
	f.Add(strings.Repeat("(", 500)+"1"+strings.Repeat(")", 500), "export {};")
	f.Fuzz(func(t *testing.T, a, b string) {
		fa, err := parse.File("src/a.ts", []byte(a))
		if err != nil {
			return
		}
		fb, err := parse.File("src/b.js", []byte(b))
		if err != nil {
			return
		}
		files := map[string]bool{"src/a.ts": true, "src/b.js": true}
		res := analysis.Analyse(analysis.Input{
			Files: []*ast.File{fa, fb},
			Resolve: func(from, spec string) analysis.Target {
				switch spec {
				case "./a":
					return analysis.Target{Kind: analysis.FileTarget, Path: "src/a.ts"}
				case "./b":
					return analysis.Target{Kind: analysis.FileTarget, Path: "src/b.js"}
				}
				if files[spec] || strings.HasPrefix(spec, ".") {
					return analysis.Target{Kind: analysis.Unresolved, Reason: "not found"}
				}
				return analysis.Target{Kind: analysis.PackageTarget, Package: spec}
			},
			Entries: []*analysis.Entry{
				{Name: "resolver", Kind: analysis.Invokable, File: "src/a.ts", Export: "handler"},
				{Name: "webtrigger", Kind: analysis.WebTrigger, File: "src/b.js", Export: "default"},
			},
			MaxSteps: 200_000,
		})
		if res.Steps > 200_000+1 {
			t.Fatalf("analysis took %d steps, over its budget", res.Steps)
		}
		for _, e := range res.Events {
			if e.File != "src/a.ts" && e.File != "src/b.js" {
				t.Fatalf("event in unknown file %q", e.File)
			}
		}
	})
}
