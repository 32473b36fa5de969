package analysis_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ecoscan/ecoscan/internal/forge/analysis"
	"github.com/ecoscan/ecoscan/internal/forge/parse"
	"github.com/ecoscan/ecoscan/internal/forge/resolve"
)

// analyse writes files into a temporary app, parses and resolves them as the
// scan does, and analyses them from the entries.
func analyse(t *testing.T, files map[string]string, entries ...*analysis.Entry) *analysis.Result {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	parsed, err := parse.Dir(context.Background(), dir, parse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range parsed.Errors {
		t.Fatalf("parse: %s:%d: %s", e.Path, e.Line, e.Msg)
	}
	var paths []string
	for _, f := range parsed.Files {
		paths = append(paths, f.Path)
	}
	r, _ := resolve.New(dir, paths)
	res := analysis.Analyse(analysis.Input{
		Files: parsed.Files,
		Resolve: func(from, spec string) analysis.Target {
			tg := r.Resolve(from, spec)
			out := analysis.Target{Path: tg.Path, Package: tg.Package, Subpath: tg.Subpath, Reason: tg.Reason}
			switch tg.Kind {
			case resolve.File:
				out.Kind = analysis.FileTarget
			case resolve.Package:
				out.Kind = analysis.PackageTarget
			case resolve.Builtin:
				out.Kind = analysis.BuiltinTarget
			}
			return out
		},
		Entries: entries,
	})
	for _, e := range res.Errors {
		t.Errorf("analysis: %s:%d: %s", e.File, e.Pos.Line, e.Msg)
	}
	return res
}

// product lists the product calls as "line key guarded", for the calls of
// resolver keys.
func product(res *analysis.Result) []string {
	var out []string
	for _, e := range res.Events {
		if e.Kind != analysis.ProductCall || e.Entry == nil {
			continue
		}
		g, _ := e.GuardedFor()
		out = append(out, fmt.Sprintf("%d %s %s %v", e.Pos.Line, e.Entry.Key, e.As, g))
	}
	sort.Strings(out)
	return out
}

func resolverEntry(file string) *analysis.Entry {
	return &analysis.Entry{Name: "resolver", Kind: analysis.Invokable, File: file, Export: "handler"}
}

func TestGuards(t *testing.T) {
	src := `import Resolver from '@forge/resolver';
import api, { route, authorize } from '@forge/api';
const r = new Resolver();
const check = (id) => authorize().onJiraIssue(id).canEdit();
r.define('early', async ({ payload }) => {
  if (!(await check(payload.id))) return null;
  return api.asApp().requestJira(route` + "`/rest/api/3/issue/${payload.id}`" + `);
});
r.define('inside', async ({ payload }) => {
  if (await check(payload.id)) {
    return api.asApp().requestJira(route` + "`/rest/api/3/issue/${payload.id}`" + `);
  }
});
r.define('after', async ({ payload }) => {
  if (await check(payload.id)) { console.log('ok'); } else { console.log('no'); }
  return api.asApp().requestJira(route` + "`/rest/api/3/issue/${payload.id}`" + `);
});
r.define('other', async ({ payload }) => {
  if (!(await check(payload.a))) throw new Error('no');
  return api.asApp().requestJira(route` + "`/rest/api/3/issue/${payload.b}`" + `);
});
r.define('and', async ({ payload }) => (await check(payload.id)) && api.asApp().requestJira(route` + "`/rest/api/3/issue/${payload.id}`" + `));
r.define('catch', async ({ payload }) => {
  try {
    if (!(await check(payload.id))) throw new Error('no');
  } catch (e) {
    return null;
  }
  return api.asApp().requestJira(route` + "`/rest/api/3/issue/${payload.id}`" + `);
});
r.define('swallowed', async ({ payload }) => {
  try {
    if (!(await check(payload.id))) throw new Error('no');
  } catch (e) {
    console.log(e);
  }
  return api.asApp().requestJira(route` + "`/rest/api/3/issue/${payload.id}`" + `);
});
export const handler = r.getDefinitions();
`
	res := analyse(t, map[string]string{"src/index.ts": src}, resolverEntry("src/index.ts"))
	want := []string{
		"11 inside app true",
		"16 after app false",
		"20 other app false",
		"22 and app true",
		"7 early app true",
		"29 catch app true",
		"37 swallowed app false",
	}
	sort.Strings(want)
	if got := product(res); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(res.EntryPoints) != 7 {
		t.Errorf("%d entry points, want one per resolver key (7)", len(res.EntryPoints))
	}
}
