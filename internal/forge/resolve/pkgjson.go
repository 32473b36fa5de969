package resolve

import (
	"fmt"
	"path"
	"strings"
)

// What ecoscan takes from the package.json files of the app (outside
// node_modules): "name" (a local workspace package), "exports", "module"
// and "main" (the file a directory or package import loads, in that
// order, as bundlers prefer them), and "imports" (specifiers beginning with
// '#').

const (
	// maxTargetDepth bounds the nesting of conditions in exports and
	// imports targets.
	maxTargetDepth = 8
	// maxTargets bounds the targets one exports or imports entry yields.
	maxTargets = 32
)

// skippedConditions are export conditions of platforms other than the
// Node.js runtime Forge functions run on.
var skippedConditions = map[string]bool{"browser": true, "react-native": true, "deno": true, "bun": true}

// pkgJSON is what ecoscan reads from one package.json.
type pkgJSON struct {
	path    string
	dir     string
	name    string
	main    string
	module  string
	exports *jsonValue
	imports *jsonValue
}

// packageJSON reads the package.json in directory d, or returns nil when
// there is none or it is unusable (a problem then says why).
func (l *loader) packageJSON(d string) *pkgJSON {
	p := path.Join(d, "package.json")
	data, found := l.read(p)
	if !found || data == nil {
		return nil
	}
	return l.parsePackageJSON(p, data)
}

// parsePackageJSON reads the package.json p, whose content is data.
func (l *loader) parsePackageJSON(p string, data []byte) *pkgJSON {
	v, err := parseJSONC(data)
	if err != nil {
		l.syntaxProblem(p, data, err)
		return nil
	}
	if v.kind != jsonObject {
		l.problemAt(p, data, v.off, "package.json must hold a JSON object, not %s", v.kindName())
		return nil
	}
	d := path.Dir(p)
	pj := &pkgJSON{path: p, dir: d, exports: v.get("exports"), imports: v.get("imports")}
	str := func(field string) string {
		f := v.get(field)
		if f == nil {
			return ""
		}
		if f.kind != jsonString {
			l.problemAt(p, data, f.off, "package.json %q must be a string, not %s", field, f.kindName())
			return ""
		}
		return f.str
	}
	pj.main, pj.module = str("main"), str("module")
	if name := str("name"); name != "" {
		if n, sub, reason := splitPackage(name); reason != "" || sub != "" || n != name {
			l.problemAt(p, data, v.get("name").off, "package name %q is not a valid npm package name; imports of it are not resolved to %s", name, d)
		} else {
			pj.name = name
		}
	}
	return pj
}

// entries returns the targets a package's root (".") names: "exports",
// then "module", then "main".
func (pj *pkgJSON) entries() []string {
	out := exportsTargets(pj.exports, ".")
	if pj.module != "" {
		out = append(out, pj.module)
	}
	if pj.main != "" {
		out = append(out, pj.main)
	}
	return out
}

// exportsTargets returns the targets exports names for sub ("." or
// "./rest"), in the order they are tried.
func exportsTargets(exp *jsonValue, sub string) []string {
	if exp == nil {
		return nil
	}
	if exp.kind != jsonObject || len(exp.members) == 0 || !strings.HasPrefix(exp.members[0].key, ".") {
		// A target or conditions for "." only.
		if sub != "." {
			return nil
		}
		return conditionTargets(exp, "")
	}
	return mapTargets(exp, sub)
}

// mapTargets looks key up in an exports or imports map: an exact key, else
// the pattern key (one '*') with the longest prefix, its targets' '*'
// replaced by what the pattern's '*' matched.
func mapTargets(m *jsonValue, key string) []string {
	if v := m.get(key); v != nil {
		return conditionTargets(v, "")
	}
	var best *jsonMember
	var bestPrefix string
	for i := range m.members {
		k := m.members[i].key
		star := strings.IndexByte(k, '*')
		if star < 0 || strings.Count(k, "*") > 1 {
			continue
		}
		prefix, suffix := k[:star], k[star+1:]
		// As Node.js: the '*' matches at least one character.
		if len(key) < len(k) || !strings.HasPrefix(key, prefix) || !strings.HasSuffix(key, suffix) {
			continue
		}
		if best == nil || len(prefix) > len(bestPrefix) || (len(prefix) == len(bestPrefix) && len(k) > len(best.key)) {
			best, bestPrefix = &m.members[i], prefix
		}
	}
	if best == nil {
		return nil
	}
	star := strings.IndexByte(best.key, '*')
	matched := key[star : len(key)-(len(best.key)-star-1)]
	return conditionTargets(best.val, matched)
}

// conditionTargets flattens a target: a string, an array of fallbacks or an
// object of conditions (in document order, other platforms' skipped).
// Declaration files are skipped: they are no code. A non-empty star
// replaces each '*' of the targets.
func conditionTargets(v *jsonValue, star string) []string {
	var out []string
	var walk func(v *jsonValue, depth int)
	walk = func(v *jsonValue, depth int) {
		if depth > maxTargetDepth || len(out) >= maxTargets {
			return
		}
		switch v.kind {
		case jsonString:
			t := v.str
			if star != "" {
				t = strings.ReplaceAll(t, "*", star)
			}
			if !isDeclaration(t) {
				out = append(out, t)
			}
		case jsonArray:
			for _, e := range v.elems {
				walk(e, depth+1)
			}
		case jsonObject:
			for _, m := range v.members {
				if !skippedConditions[m.key] {
					walk(m.val, depth+1)
				}
			}
		}
	}
	walk(v, 0)
	return out
}

// isDeclaration reports whether p names a TypeScript declaration file.
func isDeclaration(p string) bool {
	return strings.HasSuffix(p, ".d.ts") || strings.HasSuffix(p, ".d.mts") || strings.HasSuffix(p, ".d.cts")
}

// packageImport resolves a '#' specifier with the "imports" of the
// package.json nearest above dir, as Node.js does.
func (r *Resolver) packageImport(dir, spec string) Target {
	pj := r.nearestPackage(dir)
	if pj == nil {
		return unresolved("a '#' specifier is defined by the \"imports\" of the nearest package.json, and there is none above %s", dir)
	}
	if pj.imports == nil || pj.imports.kind != jsonObject {
		return unresolved("%s has no \"imports\" object to define it", pj.path)
	}
	targets := mapTargets(pj.imports, spec)
	if len(targets) == 0 {
		return unresolved("the \"imports\" of %s do not define it", pj.path)
	}
	var tried []string
	for _, t := range targets {
		if strings.HasPrefix(t, "#") || specReason(t) != "" || strings.ContainsAny(t, "?#") {
			tried = append(tried, fmt.Sprintf("%q (not a valid target)", t))
			continue
		}
		tg := r.nonImport(pj.dir, t)
		if tg.Kind != Unresolved {
			return tg
		}
		tried = append(tried, fmt.Sprintf("%q (%s)", t, tg.Reason))
	}
	return unresolved("the \"imports\" of %s map it to targets none of which resolves: %s", pj.path, strings.Join(tried, "; "))
}

// nearestPackage returns the package.json in dir or the nearest directory
// above it, or nil.
func (r *Resolver) nearestPackage(dir string) *pkgJSON {
	for d := dir; ; d = path.Dir(d) {
		if pj := r.pkgs[d]; pj != nil {
			return pj
		}
		if d == "." {
			return nil
		}
	}
}

// packageEntry finds the file a package's (or a directory's) package.json
// names for its root.
func (r *Resolver) packageEntry(pj *pkgJSON) (string, bool) {
	return r.loadTargets(pj, pj.entries())
}

// workspaceFile finds the file of a local workspace package that sub (""
// for the package itself) names: the package's exports for it, else the
// file or directory at that path in the package.
func (r *Resolver) workspaceFile(pj *pkgJSON, sub string) (string, bool) {
	if sub == "" {
		if f, ok := r.packageEntry(pj); ok {
			return f, true
		}
		return r.loadIndex(pj.dir)
	}
	if f, ok := r.loadTargets(pj, exportsTargets(pj.exports, "./"+sub)); ok {
		return f, true
	}
	p := path.Join(pj.dir, sub)
	if f, ok := r.load(p, false); ok {
		return f, true
	}
	return r.fromOutDir(pj.dir, p)
}

// loadTargets tries package-relative targets in order: each as a file, as
// a directory's index, then mapped from the build output directory to the
// sources.
func (r *Resolver) loadTargets(pj *pkgJSON, targets []string) (string, bool) {
	for _, t := range targets {
		p := path.Join(pj.dir, t)
		if escapes(p) || path.IsAbs(t) {
			continue
		}
		if f, ok := r.loadFile(p); ok {
			return f, true
		}
		if f, ok := r.loadIndex(p); ok {
			return f, true
		}
		if f, ok := r.fromOutDir(pj.dir, p); ok {
			return f, true
		}
	}
	return "", false
}

// fromOutDir maps p, a path in the compilerOptions.outDir of the config
// that applies to pkgDir, back to the sources: under rootDir when it is
// set, else under the config's src/ directory or the config's directory.
// Workspace packages often name their build output (dist/index.js) while
// only their sources are in the tree.
func (r *Resolver) fromOutDir(pkgDir, p string) (string, bool) {
	c := r.configFor(pkgDir)
	if c == nil || !c.hasOutDir {
		return "", false
	}
	rel, ok := under(p, c.outDir)
	if !ok {
		return "", false
	}
	roots := []string{path.Join(c.dir, "src"), c.dir}
	if c.hasRootDir {
		roots = []string{c.rootDir}
	}
	for _, root := range roots {
		q := path.Join(root, rel)
		if f, ok := r.loadFile(q); ok {
			return f, true
		}
		if f, ok := r.loadIndex(q); ok {
			return f, true
		}
	}
	return "", false
}

// under returns p relative to dir when p is dir or below it.
func under(p, dir string) (string, bool) {
	if dir == "." {
		return p, true
	}
	if p == dir {
		return ".", true
	}
	if rest, ok := strings.CutPrefix(p, dir+"/"); ok {
		return rest, true
	}
	return "", false
}
