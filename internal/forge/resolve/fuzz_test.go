package resolve

import (
	"path"
	"strings"
	"testing"
)

// FuzzTSConfig feeds arbitrary bytes to the JSONC reader (which must agree
// with encoding/json on plain JSON) and to the tsconfig and package.json
// readers built on it.
func FuzzTSConfig(f *testing.F) {
	for _, s := range []string{
		fixture["tsconfig.json"],
		fixture["package.json"],
		`{"compilerOptions": {"paths": {"*": ["${configDir}/*", "../*"]}, "baseUrl": "${configDir}/.."}}`,
		`{"exports": {"./*": {"node": ["./a/*.js", null]}, "./x": "./y"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkJSONC(t, data)

		l := &loader{rawConfigs: map[string]*rawConfig{}, mergedConfigs: map[string]*mergeState{}}
		rc := l.parseConfig("app/tsconfig.json", data)
		c := l.compile(rc.path, rc.opts)
		for _, spec := range []string{"", "x", "@/a/b", "~/x.js", "a*b"} {
			rule, star, ok := c.match(spec)
			if !ok {
				continue
			}
			if rule.prefix+star+rule.suffix != spec {
				t.Fatalf("match(%q): %q + %q + %q does not rebuild it", spec, rule.prefix, star, rule.suffix)
			}
		}
		for _, dir := range []string{c.baseURL, c.outDir, c.rootDir} {
			if escapes(dir) {
				t.Fatalf("a config directory %q leaves the app directory", dir)
			}
		}

		pj := l.parsePackageJSON("app/package.json", data)
		if pj != nil {
			for _, sub := range []string{".", "./x", "./a/b.js"} {
				if n := len(exportsTargets(pj.exports, sub)); n > maxTargets {
					t.Fatalf("exports of %q gives %d targets, more than %d", sub, n, maxTargets)
				}
			}
			if pj.imports != nil && pj.imports.kind == jsonObject {
				mapTargets(pj.imports, "#x/y")
			}
			if pj.name != "" {
				if n, sub, reason := splitPackage(pj.name); reason != "" || sub != "" || n != pj.name {
					t.Fatalf("accepted package name %q does not split as one", pj.name)
				}
			}
		}

		lines := strings.Count(string(data), "\n") + 1
		for _, p := range l.problems {
			if p.Path != "app/tsconfig.json" && p.Path != "app/package.json" {
				t.Fatalf("problem for %q, which was not read", p.Path)
			}
			if p.Line < 0 || p.Line > lines || p.Column < 0 || p.Msg == "" {
				t.Fatalf("problem %+v out of the input's %d lines", p, lines)
			}
		}
	})
}

// FuzzResolve resolves arbitrary specifiers from arbitrary files of the
// fixture app: a File is always one of the app's files, inside it, and
// every answer is well formed and the same when asked again.
func FuzzResolve(f *testing.F) {
	for _, s := range [][2]string{
		{"src/index.ts", "./a"}, {"src/index.ts", "@/a"}, {"src/index.ts", "@app/shared/feature"},
		{"src/index.ts", "#lib/thing"}, {"src/index.ts", "../../x"}, {"web/src/app.js", "components/button"},
		{"src/index.ts", "node:fs/promises"}, {"src/index.ts", "@@/x"}, {"../x", "."},
	} {
		f.Add(s[0], s[1])
	}
	r, _ := newFixture(f)
	f.Fuzz(func(t *testing.T, from, spec string) {
		got := r.Resolve(from, spec)
		checkWellFormed(t, r, got)
		if again := r.Resolve(from, spec); again != got {
			t.Fatalf("Resolve(%q, %q) = %+v, then %+v", from, spec, got, again)
		}
		if p, ok := cleanRel(from); ok && p != "." {
			if direct := r.resolve(path.Dir(p), spec); direct != got {
				t.Fatalf("Resolve(%q, %q) = %+v from the cache, %+v computed", from, spec, got, direct)
			}
		}
		h := r.Handler(spec)
		checkWellFormed(t, r, h)
		if h.Kind != File && h.Kind != Unresolved || h.Kind == File && !strings.HasPrefix(h.Path, "src/") {
			t.Fatalf("Handler(%q) = %+v, want a file under src/ or Unresolved", spec, h)
		}
	})
}

// checkWellFormed checks that a target has the fields of its kind, and
// that a file is one of the app's, inside it.
func checkWellFormed(t *testing.T, r *Resolver, tg Target) {
	t.Helper()
	switch tg.Kind {
	case File:
		if !r.has(tg.Path) || escapes(tg.Path) || path.Clean(tg.Path) != tg.Path || tg.Package != "" || tg.Subpath != "" || tg.Reason != "" {
			t.Fatalf("bad file target %+v", tg)
		}
	case Package:
		spec := tg.Package
		if tg.Subpath != "" {
			spec += "/" + tg.Subpath
		}
		if n, sub, reason := splitPackage(spec); reason != "" || n != tg.Package || sub != tg.Subpath || tg.Path != "" || tg.Reason != "" {
			t.Fatalf("bad package target %+v", tg)
		}
	case Builtin:
		if _, ok := builtins[tg.Package]; !ok || tg.Path != "" || tg.Subpath != "" || tg.Reason != "" {
			t.Fatalf("bad builtin target %+v", tg)
		}
	case Unresolved:
		if tg.Reason == "" || tg.Path != "" || tg.Package != "" || tg.Subpath != "" {
			t.Fatalf("bad unresolved target %+v", tg)
		}
	default:
		t.Fatalf("target of unknown kind %+v", tg)
	}
}
