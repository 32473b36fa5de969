package resolve

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// fixture is an app tree: path -> content. Files with a source extension
// are the source files given to New.
var fixture = map[string]string{
	"manifest.yml": "app:\n  id: x\n",
	"package.json": `{
		"name": "my-forge-app",
		"main": "src/index.ts",
		"imports": {
			"#config": "./src/config/index.ts",
			"#lib/*": "./src/lib/*.ts",
			"#fs": "node:fs",
			"#dep": "lodash/fp",
			"#cond": {"types": "./src/types.d.ts", "browser": "./src/browser.ts", "node": "./src/nodeonly.ts"},
			"#fallback": ["./src/missing.ts", "./src/a.ts"],
			"#nothing": "./src/missing.ts",
			"#recursive": "#config"
		}
	}`,
	"tsconfig.json": `{
		// The app's config: JSONC with comments and trailing commas.
		"extends": "./tsconfig.base.json",
		"compilerOptions": {
			"baseUrl": ".", /* the app directory */
			"paths": {
				"@/*": ["src/*"],
				"@utils/*": ["src/missing/*", "src/utils/*"],
				"@utils/special/*": ["src/special/*"],
				"exact": ["src/exact-target.ts"],
				"~/*": ["../outside/*"],
				"@@/*": ["../outside/*"],
				"two/*/stars/*": ["src/*"],
				"fs": ["src/not-fs.ts"],
			},
		},
	}`,
	"tsconfig.base.json":                          `{"extends": "@tsconfig/node20/tsconfig.json", "compilerOptions": {"outDir": "dist"}}`,
	"node_modules/@tsconfig/node20/tsconfig.json": `{"compilerOptions": {"target": "es2022", "baseUrl": "never-used"}}`,

	"src/index.ts":                     "",
	"src/resolvers/index.ts":           "",
	"src/resolvers/helpers.js":         "",
	"src/a.ts":                         "",
	"src/esm.ts":                       "",
	"src/comp.tsx":                     "",
	"src/mod.mts":                      "",
	"src/common.cts":                   "",
	"src/both.js":                      "",
	"src/both.ts":                      "",
	"src/order.js":                     "",
	"src/order.ts":                     "",
	"src/order2.mjs":                   "",
	"src/order2.jsx":                   "",
	"src/noext":                        "",
	"src/lib/pkgdir/package.json":      `{"main": "./main.js"}`,
	"src/lib/pkgdir/main.js":           "",
	"src/lib/pkgdir/index.ts":          "",
	"src/lib/missingmain/package.json": `{"main": "nope.js"}`,
	"src/lib/missingmain/index.js":     "",
	"src/lib/exp/package.json":         `{"exports": {".": {"types": "./index.d.ts", "import": "./esm-entry.mjs", "require": "./cjs.cjs"}}, "main": "./cjs.cjs"}`,
	"src/lib/exp/esm-entry.mjs":        "",
	"src/lib/exp/cjs.cjs":              "",
	"src/lib/exp/index.d.ts":           "",
	"src/lib/modfield/package.json":    `{"module": "./m.js", "main": "./c.js"}`,
	"src/lib/modfield/m.js":            "",
	"src/lib/modfield/c.js":            "",
	"src/lib/maindir/package.json":     `{"main": "lib"}`,
	"src/lib/maindir/lib/index.ts":     "",
	"src/lib/thing.ts":                 "",
	"src/utils/strings.ts":             "",
	"src/utils/special/x.ts":           "",
	"src/special/x.ts":                 "",
	"src/exact-target.ts":              "",
	"src/not-fs.ts":                    "",
	"src/dir/index.jsx":                "",
	"src/dir/inner.ts":                 "",
	"src/config/index.ts":              "",
	"src/nodeonly.ts":                  "",
	"src/browser.ts":                   "",
	"src/types.d.ts":                   "",
	"src/crypto.ts":                    "",

	"packages/shared/package.json": `{"name": "@app/shared", "main": "dist/index.js",
		"exports": {".": "./dist/index.js", "./feature": "./src/feature.ts", "./sub/*": "./src/sub/*.ts", "./dist/*": "./dist/*"}}`,
	"packages/shared/tsconfig.json":       `{"compilerOptions": {"outDir": "dist", "rootDir": "src"}}`,
	"packages/shared/src/index.ts":        "",
	"packages/shared/src/feature.ts":      "",
	"packages/shared/src/sub/deep.ts":     "",
	"packages/shared/src/util.ts":         "",
	"packages/plain/package.json":         `{"name": "plain-lib"}`,
	"packages/plain/index.js":             "",
	"packages/plain/other.js":             "",
	"packages/dist-only/package.json":     `{"name": "dist-only", "main": "dist/index.js"}`,
	"packages/dist-only/scripts/build.js": "",
	"packages/zdup/package.json":          `{"name": "plain-lib"}`,
	"packages/zdup/index.js":              "",
	"packages/badname/package.json":       `{"name": "Bad Name"}`,
	"packages/badname/index.js":           "",
	"packages/outdir-src/package.json":    `{"name": "outdir-src", "main": "build/main.js"}`,
	"packages/outdir-src/tsconfig.json":   `{"compilerOptions": {"outDir": "./build"}}`,
	"packages/outdir-src/src/main.ts":     "",

	"node_modules/shadow/package.json":  `{"name": "@forge/api", "main": "index.js"}`,
	"node_modules/shadow/index.js":      "",
	"node_modules/shadow/tsconfig.json": `{"compilerOptions": {"paths": {"*": ["x/*"]}}}`,

	"web/jsconfig.json":            `{"compilerOptions": {"baseUrl": "src"}}`,
	"web/src/app.js":               "",
	"web/src/components/button.js": "",
	"both/tsconfig.json":           `{"compilerOptions": {"baseUrl": "ts"}}`,
	"both/jsconfig.json":           `{"compilerOptions": {"baseUrl": "js"}}`,
	"both/ts/x.ts":                 "",
	"both/js/x.js":                 "",
	"both/main.ts":                 "",

	"chain/tsconfig.json":              `{"extends": "./one"}`,
	"chain/one.json":                   `{"extends": ["./two.json", "./three.json"], "compilerOptions": {"outDir": "out"}}`,
	"chain/two.json":                   `{"compilerOptions": {"baseUrl": "two-base", "paths": {"two/*": ["elsewhere/*"]}}}`,
	"chain/three.json":                 `{"compilerOptions": {"baseUrl": "three-base"}}`,
	"chain/main.ts":                    "",
	"chain/three-base/t.ts":            "",
	"chain/three-base/elsewhere/t2.ts": "",
	"chain/three-base/own/o.ts":        "",
	"chain2/tsconfig.json":             `{"extends": "../chain/tsconfig.json", "compilerOptions": {"paths": {"own/*": ["own/*"]}}}`,
	"chain2/main.ts":                   "",

	"inherit/tsconfig.json": `{"extends": "../bases/paths.json"}`,
	"inherit/main.ts":       "",
	"bases/paths.json":      `{"compilerOptions": {"paths": {"@b/*": ["./lib/*"]}}}`,
	"bases/lib/thing.ts":    "",
	"configs/base.json":     `{"compilerOptions": {"paths": {"$/*": ["${configDir}/src/*"]}, "baseUrl": "${configDir}/src"}}`,
	"proj/tsconfig.json":    `{"extends": "../configs/base.json"}`,
	"proj/src/x.ts":         "",
	"proj/src/y.ts":         "",

	"cycle/tsconfig.json":             `{"extends": "./a.json"}`,
	"cycle/a.json":                    `{"extends": "./tsconfig.json", "compilerOptions": {"baseUrl": "."}}`,
	"cycle/main.ts":                   "",
	"bad/tsconfig.json":               "{\n  \"compilerOptions\": {\n    \"baseUrl\": .\n  }\n}",
	"bad/main.ts":                     "",
	"bad/x.ts":                        "",
	"missing/tsconfig.json":           `{"extends": "./nope", "compilerOptions": {"baseUrl": 5, "paths": {"a/*": "b", "c/*": [], "d/**": ["e"]}}}`,
	"missing/main.ts":                 "",
	"pkgext/tsconfig.json":            `{"extends": "@tsconfig/not-installed/tsconfig.json"}`,
	"pkgext/main.ts":                  "",
	"escape/tsconfig.json":            `{"compilerOptions": {"baseUrl": "../.."}}`,
	"escape/main.ts":                  "",
	"empty/tsconfig.json":             "// nothing but a comment\n",
	"empty/main.ts":                   "",
	"escape-root-paths/tsconfig.json": `{"compilerOptions": {"paths": {"*": ["../../*"]}}}`,
	"escape-root-paths/main.ts":       "",
}

// writeTree writes files into a new directory and returns it with the
// source files among them.
func writeTree(t testing.TB, files map[string]string) (string, []string) {
	t.Helper()
	root := t.TempDir()
	var sources []string
	for p, content := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if slices.Contains(extensions, path.Ext(p)) || path.Base(p) == "noext" {
			sources = append(sources, p)
		}
	}
	slices.Sort(sources)
	return root, sources
}

func newFixture(t testing.TB) (*Resolver, []Problem) {
	t.Helper()
	root, files := writeTree(t, fixture)
	return New(root, files)
}

func file(p string) Target { return Target{Kind: File, Path: p} }
func pkg(name, sub string) Target {
	return Target{Kind: Package, Package: name, Subpath: sub}
}
func builtinT(name string) Target { return Target{Kind: Builtin, Package: name} }

// unres is an Unresolved target whose reason contains the text.
func unres(text string) Target { return Target{Kind: Unresolved, Reason: text} }

func checkTarget(t *testing.T, got, want Target) {
	t.Helper()
	if want.Kind == Unresolved {
		if got.Kind != Unresolved || !strings.Contains(got.Reason, want.Reason) {
			t.Errorf("got %+v, want Unresolved with a reason containing %q", got, want.Reason)
		}
		return
	}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestResolve(t *testing.T) {
	r, _ := newFixture(t)
	tests := []struct {
		name       string
		from, spec string
		want       Target
	}{
		// Relative specifiers.
		{"exact file", "src/index.ts", "./a.ts", file("src/a.ts")},
		{"extension added", "src/index.ts", "./a", file("src/a.ts")},
		{"parent directory", "src/resolvers/index.ts", "../a", file("src/a.ts")},
		{"file without extension", "src/index.ts", "./noext", file("src/noext")},
		{"ts before js", "src/index.ts", "./order", file("src/order.ts")},
		{"jsx before mjs", "src/index.ts", "./order2", file("src/order2.jsx")},
		{"js names ts", "src/index.ts", "./esm.js", file("src/esm.ts")},
		{"js names tsx", "src/index.ts", "./comp.js", file("src/comp.tsx")},
		{"jsx names tsx", "src/index.ts", "./comp.jsx", file("src/comp.tsx")},
		{"mjs names mts", "src/index.ts", "./mod.mjs", file("src/mod.mts")},
		{"cjs names cts", "src/index.ts", "./common.cjs", file("src/common.cts")},
		{"existing js wins over ts", "src/index.ts", "./both.js", file("src/both.js")},
		{"directory index", "src/index.ts", "./dir", file("src/dir/index.jsx")},
		{"directory with trailing slash", "src/index.ts", "./dir/", file("src/dir/index.jsx")},
		{"trailing slash is a directory only", "src/index.ts", "./a/", unres("src/a/index.")},
		{"dot", "src/dir/inner.ts", ".", file("src/dir/index.jsx")},
		{"dot slash", "src/resolvers/helpers.js", "./", file("src/resolvers/index.ts")},
		{"dot dot", "src/dir/inner.ts", "..", file("src/index.ts")},
		{"dot dot from the root is outside", "package-file.ts", "..", unres("leaves the app directory")},
		{"package.json main", "src/index.ts", "./lib/pkgdir", file("src/lib/pkgdir/main.js")},
		{"main missing: index", "src/index.ts", "./lib/missingmain", file("src/lib/missingmain/index.js")},
		{"exports conditions in order, declarations skipped", "src/index.ts", "./lib/exp", file("src/lib/exp/esm-entry.mjs")},
		{"module before main", "src/index.ts", "./lib/modfield", file("src/lib/modfield/m.js")},
		{"main names a directory", "src/index.ts", "./lib/maindir", file("src/lib/maindir/lib/index.ts")},
		{"not found", "src/index.ts", "./nope", unres("looked for src/nope, src/nope.{ts,tsx,js,jsx,mjs,cjs,mts,cts}, src/nope/package.json's entry, src/nope/index.{ts,")},
		{"outside the root", "src/index.ts", "../../x", unres("leaves the app directory")},
		{"far outside the root", "src/a/b/c.ts", "../../../../../etc/passwd", unres("leaves the app directory")},
		{"into and out of the root", "src/index.ts", "../../src/a", unres("leaves the app directory")},
		{"directory package via relative path", "src/index.ts", "../packages/shared", file("packages/shared/src/index.ts")},

		// tsconfig paths and baseUrl.
		{"paths wildcard", "src/index.ts", "@/a", file("src/a.ts")},
		{"paths wildcard into a directory", "src/index.ts", "@/dir", file("src/dir/index.jsx")},
		{"paths targets in order", "src/index.ts", "@utils/strings", file("src/utils/strings.ts")},
		{"paths longest prefix wins", "src/index.ts", "@utils/special/x", file("src/special/x.ts")},
		{"paths star may match nothing", "src/index.ts", "@/", file("src/index.ts")},
		{"paths exact", "src/index.ts", "exact", file("src/exact-target.ts")},
		{"paths before builtins", "src/index.ts", "fs", file("src/not-fs.ts")},
		{"paths target outside the root", "src/index.ts", "@@/secret", unres("../outside/secret (outside the app directory)")},
		{"paths match without a file falls through to packages", "src/index.ts", "~/secret", pkg("~", "secret")},
		{"paths pattern with two stars ignored", "src/index.ts", "two/a/stars/b", pkg("two", "a/stars/b")},
		{"paths match without a file falls through", "src/index.ts", "@/nope", unres("src/nope")},
		{"baseUrl", "src/index.ts", "src/a", file("src/a.ts")},
		{"baseUrl before builtins", "src/index.ts", "src/crypto", file("src/crypto.ts")},
		{"baseUrl of a jsconfig", "web/src/app.js", "components/button", file("web/src/components/button.js")},
		{"tsconfig wins over jsconfig", "both/main.ts", "x", file("both/ts/x.ts")},
		{"extends array: the later entry wins", "chain/main.ts", "t", file("chain/three-base/t.ts")},
		{"extends array: earlier options stay, paths relative to the final baseUrl", "chain/main.ts", "two/t2", file("chain/three-base/elsewhere/t2.ts")},
		{"extends: own paths relative to the inherited baseUrl", "chain2/main.ts", "own/o", file("chain/three-base/own/o.ts")},
		{"extends: own paths replace the base's", "chain2/main.ts", "two/t2", pkg("two", "t2")},
		{"paths of a base without baseUrl are relative to the base", "inherit/main.ts", "@b/thing", file("bases/lib/thing.ts")},
		{"configDir in paths", "proj/src/y.ts", "$/x", file("proj/src/x.ts")},
		{"configDir in baseUrl", "proj/src/y.ts", "x", file("proj/src/x.ts")},
		{"the nearest config applies", "packages/shared/src/index.ts", "@/a", unres(`"@/a" is not a package name`)},
		{"baseUrl outside the root is ignored", "escape/main.ts", "escape/main", pkg("escape", "main")},
		{"a package base that is not installed is ignored", "pkgext/main.ts", "pkgext/main", pkg("pkgext", "main")},
		{"an invalid config applies with no options", "bad/main.ts", "src/a", pkg("src", "a")},
		{"a cyclic extends chain still gives its options", "cycle/main.ts", "main", file("cycle/main.ts")},
		{"paths escaping the root", "escape-root-paths/main.ts", "foo", pkg("foo", "")},

		// Builtins.
		{"builtin", "src/index.ts", "crypto", builtinT("crypto")},
		{"builtin with prefix", "src/index.ts", "node:child_process", builtinT("child_process")},
		{"builtin subpath", "src/index.ts", "fs/promises", builtinT("fs/promises")},
		{"builtin subpath with prefix", "src/index.ts", "node:fs/promises", builtinT("fs/promises")},
		{"prefix-only builtin", "src/index.ts", "node:test", builtinT("test")},
		{"prefix-only builtin without prefix is a package", "src/index.ts", "test", pkg("test", "")},
		{"unknown node: module", "src/index.ts", "node:nope", unres("not a Node.js builtin")},
		{"not a builtin subpath", "src/index.ts", "crypto/x", pkg("crypto", "x")},

		// Workspace packages.
		{"workspace exports to outDir mapped to rootDir", "src/index.ts", "@app/shared", file("packages/shared/src/index.ts")},
		{"workspace exports subpath", "src/index.ts", "@app/shared/feature", file("packages/shared/src/feature.ts")},
		{"workspace exports pattern", "src/index.ts", "@app/shared/sub/deep", file("packages/shared/src/sub/deep.ts")},
		{"workspace build path mapped to sources", "src/index.ts", "@app/shared/dist/util.js", file("packages/shared/src/util.ts")},
		{"workspace path not exported nor found", "src/index.ts", "@app/shared/nope", pkg("@app/shared", "nope")},
		{"workspace index", "src/index.ts", "plain-lib", file("packages/plain/index.js")},
		{"workspace subpath file", "src/index.ts", "plain-lib/other", file("packages/plain/other.js")},
		{"workspace outDir without rootDir: src", "src/index.ts", "outdir-src", file("packages/outdir-src/src/main.ts")},
		{"workspace with no source is a package", "src/index.ts", "dist-only", pkg("dist-only", "")},
		{"the root package by name", "web/src/app.js", "my-forge-app", file("src/index.ts")},
		{"node_modules package.json names are not workspaces", "src/index.ts", "@forge/api", pkg("@forge/api", "")},
		{"invalid names are not workspaces", "src/index.ts", "Bad Name", unres("not a package name")},

		// Packages.
		{"package", "src/index.ts", "jsonwebtoken", pkg("jsonwebtoken", "")},
		{"package subpath", "src/index.ts", "lodash/lib/foo", pkg("lodash", "lib/foo")},
		{"scoped package", "src/index.ts", "@forge/api", pkg("@forge/api", "")},
		{"scoped package subpath", "src/index.ts", "@forge/api/x/y", pkg("@forge/api", "x/y")},
		{"package trailing slash", "src/index.ts", "lodash/", pkg("lodash", "")},
		{"scope without name", "src/index.ts", "@forge", unres("@scope/name")},
		{"scope with empty name", "src/index.ts", "@forge/", unres("not a package name")},
		{"subpath leaving the package", "src/index.ts", "lodash/../x", unres("not a plain path")},
		{"name starting with a dot", "src/index.ts", ".bin/x", unres("not a package name")},

		// Package imports.
		{"imports exact", "src/resolvers/index.ts", "#config", file("src/config/index.ts")},
		{"imports pattern", "src/resolvers/index.ts", "#lib/thing", file("src/lib/thing.ts")},
		{"imports to a builtin", "src/index.ts", "#fs", builtinT("fs")},
		{"imports to a package", "src/index.ts", "#dep", pkg("lodash", "fp")},
		{"imports conditions: other platforms and declarations skipped", "src/index.ts", "#cond", file("src/nodeonly.ts")},
		{"imports fallbacks", "src/index.ts", "#fallback", file("src/a.ts")},
		{"imports target missing", "src/index.ts", "#nothing", unres("none of which resolves")},
		{"imports target is itself an import", "src/index.ts", "#recursive", unres("not a valid target")},
		{"imports pattern star matches at least one character", "src/index.ts", "#lib/", unres("do not define it")},
		{"imports not defined", "src/index.ts", "#other", unres("do not define it")},
		{"imports of a package without them", "packages/plain/index.js", "#config", unres("packages/plain/package.json has no \"imports\"")},

		// Unusable specifiers.
		{"empty", "src/index.ts", "", unres("empty specifier")},
		{"query", "src/index.ts", "./a?raw", unres("query or fragment")},
		{"fragment", "src/index.ts", "./a.ts#x", unres("query or fragment")},
		{"absolute", "src/index.ts", "/etc/passwd", unres("absolute path")},
		{"url", "src/index.ts", "https://esm.sh/lodash", unres("URL")},
		{"data url", "src/index.ts", "data:text/javascript,export default 1", unres("URL")},
		{"drive path", "src/index.ts", "C:/x", unres("URL or drive path")},
		{"backslash", "src/index.ts", ".\\a", unres("backslash")},
		{"control character", "src/index.ts", "./a\x00", unres("control characters")},
		{"invalid UTF-8", "src/index.ts", "./\xff", unres("not valid UTF-8")},
		{"too long", "src/index.ts", "./" + strings.Repeat("a", maxSpecLen), unres("longer than")},
		{"space", "src/index.ts", " ./a", unres("not a package name")},

		// Unusable importing files.
		{"importer outside the root", "../x.ts", "./a", unres("not a path inside the app directory")},
		{"absolute importer", "/src/index.ts", "./a", unres("not a path inside the app directory")},
		{"empty importer", "", "./a", unres("not a path inside the app directory")},
		{"importer not clean", "src/./dir/../index.ts", "./a", file("src/a.ts")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkTarget(t, r.Resolve(tt.from, tt.spec), tt.want)
			// The cached answer is the same.
			checkTarget(t, r.Resolve(tt.from, tt.spec), tt.want)
		})
	}
}

func TestHandler(t *testing.T) {
	r, _ := newFixture(t)
	tests := []struct {
		module string
		want   Target
	}{
		{"index", file("src/index.ts")},
		{"resolvers/index", file("src/resolvers/index.ts")},
		{"resolvers", file("src/resolvers/index.ts")},
		{"dir", file("src/dir/index.jsx")},
		{"order2", file("src/order2.jsx")},
		{"lib/pkgdir", file("src/lib/pkgdir/index.ts")},
		{"missing", unres("no file src/missing.{ts,tsx,js,jsx,mjs,cjs,mts,cts} or src/missing/index.{ts,tsx,js,jsx,mjs,cjs,mts,cts}")},
		{"a.ts", unres("src/a.ts.{ts,")},
		{"../package", unres("outside src/")},
		{"..", unres("outside src/")},
		{"/abs", unres("absolute path")},
		{"", unres("empty specifier")},
		{"a\x00", unres("control characters")},
	}
	for _, tt := range tests {
		t.Run(tt.module, func(t *testing.T) {
			checkTarget(t, r.Handler(tt.module), tt.want)
		})
	}
}

func TestProblems(t *testing.T) {
	_, problems := newFixture(t)
	want := []struct {
		path      string
		line, col int
		msg       string
	}{
		{"bad/tsconfig.json", 3, 16, "invalid JSON: unexpected character '.', expected a value"},
		{"cycle/a.json", 1, 13, `"extends": "./tsconfig.json": cycle/tsconfig.json extends itself`},
		{"escape/tsconfig.json", 1, 33, `compilerOptions.baseUrl "../.." leaves the app directory`},
		{"missing/tsconfig.json", 1, 13, `"extends": "./nope": no such file (looked for missing/nope and missing/nope.json)`},
		{"missing/tsconfig.json", 1, 54, "compilerOptions.baseUrl must be a string, not a number"},
		{"missing/tsconfig.json", 1, 74, `substitutions for paths pattern "a/*" must be an array, not a string`},
		{"missing/tsconfig.json", 1, 86, `substitutions for paths pattern "c/*" are an empty array`},
		{"missing/tsconfig.json", 1, 98, `paths pattern "d/**" has more than one '*'`},
		{"packages/badname/package.json", 1, 10, `package name "Bad Name" is not a valid npm package name`},
		{"packages/zdup/package.json", 0, 0, `package name "plain-lib" is also the name of packages/plain/package.json`},
		{"tsconfig.json", 13, 22, `paths pattern "two/*/stars/*" has more than one '*'`},
	}
	var got []string
	for _, p := range problems {
		got = append(got, fmt.Sprintf("%s:%d:%d: %s", p.Path, p.Line, p.Column, p.Msg))
	}
	if len(problems) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%s", len(problems), len(want), strings.Join(got, "\n"))
	}
	for i, w := range want {
		p := problems[i]
		if p.Path != w.path || p.Line != w.line || p.Column != w.col || !strings.Contains(p.Msg, w.msg) {
			t.Errorf("problem %d = %s, want %s:%d:%d: ...%s...", i, got[i], w.path, w.line, w.col, w.msg)
		}
	}
}

// TestConfigReading covers what New does with config files it cannot use
// in the ordinary way: symbolic links out of the app, oversized files,
// long extends chains, extends of installed packages, a missing app
// directory and a bad source list.
func TestConfigReading(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret.json")
	if err := os.WriteFile(outside, []byte(`{"compilerOptions": {"baseUrl": "."}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	chain := map[string]string{"deep/main.ts": ""}
	for i := range maxExtendsDepth + 4 {
		chain[fmt.Sprintf("deep/c%d.json", i)] = fmt.Sprintf(`{"extends": "./c%d.json"}`, i+1)
	}
	chain["deep/tsconfig.json"] = `{"extends": "./c0.json"}`

	tests := []struct {
		name    string
		files   map[string]string
		setup   func(t *testing.T, root string)
		sources []string // nil: the tree's source files
		from    string
		spec    string
		want    Target
		problem string // a problem containing this, "" for none
	}{
		{
			name:  "symbolic link out of the app",
			files: map[string]string{"a/main.ts": "", "a/x.ts": ""},
			setup: func(t *testing.T, root string) {
				if err := os.Symlink(outside, filepath.Join(root, "a", "tsconfig.json")); err != nil {
					t.Skip("symbolic links not available:", err)
				}
			},
			from: "a/main.ts", spec: "x", want: pkg("x", ""), problem: "a/tsconfig.json:0:0: open:",
		},
		{
			name:  "symbolic link inside the app",
			files: map[string]string{"a/main.ts": "", "a/x.ts": "", "real.json": `{"compilerOptions": {"baseUrl": "."}}`},
			setup: func(t *testing.T, root string) {
				if err := os.Symlink("../real.json", filepath.Join(root, "a", "tsconfig.json")); err != nil {
					t.Skip("symbolic links not available:", err)
				}
			},
			from: "a/main.ts", spec: "x", want: file("a/x.ts"),
		},
		{
			name:  "oversized config",
			files: map[string]string{"tsconfig.json": `{"compilerOptions": {"baseUrl": "."}}` + strings.Repeat(" ", maxConfigSize), "main.ts": "", "x.ts": ""},
			from:  "main.ts", spec: "x", want: pkg("x", ""), problem: "tsconfig.json:0:0: larger than",
		},
		{
			name:  "config that is a directory",
			files: map[string]string{"tsconfig.json/x": "", "main.ts": ""},
			from:  "main.ts", spec: "main", want: pkg("main", ""), problem: "tsconfig.json:0:0: not a regular file",
		},
		{
			name:  "extends chain too deep",
			files: chain,
			from:  "deep/main.ts", spec: "main", want: pkg("main", ""), problem: "deeper than 16",
		},
		{
			name: "extends an installed package by name",
			files: map[string]string{
				"app/tsconfig.json":                       `{"extends": "@org/tsconfig"}`,
				"node_modules/@org/tsconfig/package.json": `{"tsconfig": "./base.json"}`,
				"node_modules/@org/tsconfig/base.json":    `{"compilerOptions": {"baseUrl": "${configDir}/lib"}}`,
				"app/main.ts":                             "",
				"app/lib/x.ts":                            "",
			},
			from: "app/main.ts", spec: "x", want: file("app/lib/x.ts"),
		},
		{
			name: "extends an installed package's tsconfig.json",
			files: map[string]string{
				"tsconfig.json":                          `{"extends": "base-config"}`,
				"node_modules/base-config/tsconfig.json": `{"compilerOptions": {"paths": {"~/*": ["${configDir}/src/*"]}}}`,
				"main.ts":                                "",
				"src/x.ts":                               "",
			},
			from: "main.ts", spec: "~/x", want: file("src/x.ts"),
		},
		{
			name: "extends an installed package's file without .json",
			files: map[string]string{
				"tsconfig.json": `{"extends": "@tsconfig/node20/tsconfig"}`,
				"node_modules/@tsconfig/node20/tsconfig.json": `{"compilerOptions": {"baseUrl": "${configDir}"}}`,
				"main.ts": "", "x.ts": "",
			},
			from: "main.ts", spec: "x", want: file("x.ts"),
		},
		{
			name:  "extends with an absolute path",
			files: map[string]string{"tsconfig.json": `{"extends": "/etc/tsconfig.json"}`, "main.ts": ""},
			from:  "main.ts", spec: "x", want: pkg("x", ""), problem: "not a relative path or package name",
		},
		{
			name:  "extends leaving the app",
			files: map[string]string{"tsconfig.json": `{"extends": "../x.json"}`, "main.ts": ""},
			from:  "main.ts", spec: "x", want: pkg("x", ""), problem: "leaves the app directory",
		},
		{
			name:    "bad source list entries are ignored",
			files:   map[string]string{"main.ts": ""},
			sources: []string{"main.ts", "../evil.ts", "/abs.ts", "", "."},
			from:    "main.ts", spec: "../evil", want: unres("leaves the app directory"), problem: "../evil.ts:0:0: source file list",
		},
		{
			name:    "missing app directory",
			files:   map[string]string{},
			setup:   func(t *testing.T, root string) { os.Remove(root) },
			sources: []string{"main.ts", "x.ts"},
			from:    "main.ts", spec: "./x", want: file("x.ts"), problem: "open app directory",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root, sources := writeTree(t, tt.files)
			if tt.setup != nil {
				tt.setup(t, root)
			}
			if tt.sources != nil {
				sources = tt.sources
			}
			r, problems := New(root, sources)
			checkTarget(t, r.Resolve(tt.from, tt.spec), tt.want)
			var got []string
			for _, p := range problems {
				got = append(got, fmt.Sprintf("%s:%d:%d: %s", p.Path, p.Line, p.Column, p.Msg))
			}
			if tt.problem == "" {
				if len(got) > 0 {
					t.Errorf("unexpected problems:\n%s", strings.Join(got, "\n"))
				}
				return
			}
			if !slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, tt.problem) }) {
				t.Errorf("no problem contains %q; got:\n%s", tt.problem, strings.Join(got, "\n"))
			}
		})
	}
}

func TestBuiltinsTable(t *testing.T) {
	r, _ := New(t.TempDir(), []string{"main.ts"})
	if len(builtins) < 70 {
		t.Fatalf("only %d builtins read from builtins.txt", len(builtins))
	}
	for name, bare := range builtins {
		t.Run(name, func(t *testing.T) {
			checkTarget(t, r.Resolve("main.ts", "node:"+name), builtinT(name))
			if bare {
				checkTarget(t, r.Resolve("main.ts", name), builtinT(name))
			} else if got := r.Resolve("main.ts", name); got.Kind == Builtin {
				t.Errorf("%s resolves as a builtin without node:", name)
			}
		})
	}
	for _, name := range []string{"fs", "crypto", "child_process", "http", "https", "net", "vm", "worker_threads", "stream/web", "util/types"} {
		if !builtins[name] {
			t.Errorf("builtins.txt lacks %s", name)
		}
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{Unresolved: "unresolved", File: "file", Package: "package", Builtin: "builtin", Kind(99): "unresolved"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", int(k), got, want)
		}
	}
}

// TestConcurrent resolves from many goroutines at once (run with -race).
func TestConcurrent(t *testing.T) {
	r, _ := newFixture(t)
	specs := []string{"./a", "@/a", "crypto", "@app/shared", "#config", "../nope", "lodash"}
	want := make([]Target, len(specs))
	for i, s := range specs {
		want[i] = r.Resolve("src/resolvers/index.ts", s)
	}
	fresh, _ := newFixture(t)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				k := (g + i) % len(specs)
				if got := fresh.Resolve("src/resolvers/index.ts", specs[k]); got != want[k] {
					t.Errorf("%s: got %+v, want %+v", specs[k], got, want[k])
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestCacheBound checks that past maxCacheEntries answers stay right and
// the cache stops growing.
func TestCacheBound(t *testing.T) {
	r, _ := New(t.TempDir(), []string{"main.ts", "x.ts"})
	for i := range maxCacheEntries + 10 {
		r.Resolve("main.ts", fmt.Sprintf("pkg%d", i))
	}
	if n := len(r.cache); n != maxCacheEntries {
		t.Errorf("cache holds %d entries, want %d", n, maxCacheEntries)
	}
	checkTarget(t, r.Resolve("main.ts", "./x"), file("x.ts"))
	checkTarget(t, r.Resolve("main.ts", fmt.Sprintf("pkg%d", maxCacheEntries+5)), pkg(fmt.Sprintf("pkg%d", maxCacheEntries+5), ""))
}
