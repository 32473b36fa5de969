package resolve

import (
	"fmt"
	"path"
	"strings"
)

// What ecoscan takes from tsconfig.json and jsconfig.json: compilerOptions
// baseUrl, paths, outDir and rootDir, following "extends" (a relative file,
// a package in node_modules, or an array of them). A config applies to every
// file below its directory unless a nearer one does ("include", "files",
// "exclude" and "references" are not read); tsconfig.json wins over a
// jsconfig.json beside it. "${configDir}" at the start of a value stands for
// the directory of the config that applies (TypeScript 5.5).

// maxExtendsDepth bounds a chain of "extends".
const maxExtendsDepth = 16

// configNames are the names of the config files looked for in each
// directory, the first present one wins.
var configNames = []string{"tsconfig.json", "jsconfig.json"}

// tsconfig is the effective configuration of one config file, its extends
// merged, its paths made relative to the app directory.
type tsconfig struct {
	path       string // the config file
	dir        string // its directory
	baseURL    string
	hasBaseURL bool
	paths      []pathRule
	outDir     string
	hasOutDir  bool
	rootDir    string
	hasRootDir bool
}

// pathRule is one "paths" entry: a pattern with at most one '*' and its
// substitutions, relative to the app directory (a '*' in them takes the
// text the pattern's '*' matched).
type pathRule struct {
	prefix, suffix string
	wildcard       bool
	targets        []string
}

// match finds the paths rule for spec as tsc does: an exact pattern first,
// then the wildcard pattern with the longest prefix (the first of equals).
// It returns the rule and the text the '*' matched.
func (c *tsconfig) match(spec string) (*pathRule, string, bool) {
	var best *pathRule
	for i := range c.paths {
		pr := &c.paths[i]
		if !pr.wildcard {
			if spec == pr.prefix {
				return pr, "", true
			}
			continue
		}
		if len(spec) >= len(pr.prefix)+len(pr.suffix) && strings.HasPrefix(spec, pr.prefix) && strings.HasSuffix(spec, pr.suffix) {
			if best == nil || len(pr.prefix) > len(best.prefix) {
				best = pr
			}
		}
	}
	if best == nil {
		return nil, "", false
	}
	return best, spec[len(best.prefix) : len(spec)-len(best.suffix)], true
}

// setting is a path-valued compiler option and where it was written.
type setting struct {
	val  string
	dir  string // the directory of the config file that set it
	file string // that config file, for problems
	line int
	col  int
}

// rawPaths is a "paths" object as one config file wrote it.
type rawPaths struct {
	dir   string // the directory of that config file
	rules []rawRule
}

type rawRule struct {
	pattern string
	targets []string
}

// options are the compiler options ecoscan reads, as set by a config file
// and what it extends (nil: not set).
type options struct {
	baseURL, outDir, rootDir *setting
	paths                    *rawPaths
}

// override returns o with the options that over sets replaced.
func (o options) override(over options) options {
	if over.baseURL != nil {
		o.baseURL = over.baseURL
	}
	if over.outDir != nil {
		o.outDir = over.outDir
	}
	if over.rootDir != nil {
		o.rootDir = over.rootDir
	}
	if over.paths != nil {
		o.paths = over.paths
	}
	return o
}

// rawConfig is what one config file says.
type rawConfig struct {
	path    string
	dir     string
	extends []extendsRef
	opts    options
}

type extendsRef struct {
	spec      string
	line, col int
}

// config reads and memoizes the config file p; exists is false when there
// is no such file. A file that cannot be read or parsed yields a problem
// and an empty config.
func (l *loader) config(p string) (rc *rawConfig, exists bool) {
	if rc, ok := l.rawConfigs[p]; ok {
		return rc, rc != nil
	}
	data, found := l.read(p)
	if !found {
		l.rawConfigs[p] = nil
		return nil, false
	}
	rc = l.parseConfig(p, data)
	l.rawConfigs[p] = rc
	return rc, true
}

// parseConfig reads the config file p, whose content is data (nil when
// it could not be read). An empty file is an empty config.
func (l *loader) parseConfig(p string, data []byte) *rawConfig {
	rc := &rawConfig{path: p, dir: path.Dir(p)}
	if data == nil {
		return rc
	}
	v, err := parseJSONC(data)
	if err == errEmptyJSON {
		return rc
	}
	if err != nil {
		l.syntaxProblem(p, data, err)
		return rc
	}
	if v.kind != jsonObject {
		l.problemAt(p, data, v.off, "a config file must hold a JSON object, not %s", v.kindName())
		return rc
	}
	if ext := v.get("extends"); ext != nil {
		var specs []*jsonValue
		switch ext.kind {
		case jsonString:
			specs = []*jsonValue{ext}
		case jsonArray:
			specs = ext.elems
		default:
			l.problemAt(p, data, ext.off, "\"extends\" must be a string or an array of strings, not %s", ext.kindName())
		}
		for _, s := range specs {
			if s.kind != jsonString {
				l.problemAt(p, data, s.off, "an \"extends\" entry must be a string, not %s", s.kindName())
				continue
			}
			line, col := position(data, s.off)
			rc.extends = append(rc.extends, extendsRef{spec: s.str, line: line, col: col})
		}
	}
	co := v.get("compilerOptions")
	if co == nil {
		return rc
	}
	if co.kind != jsonObject {
		l.problemAt(p, data, co.off, "\"compilerOptions\" must be an object, not %s", co.kindName())
		return rc
	}
	str := func(name string) *setting {
		o := co.get(name)
		if o == nil || o.kind == jsonNull {
			return nil
		}
		if o.kind != jsonString {
			l.problemAt(p, data, o.off, "compilerOptions.%s must be a string, not %s", name, o.kindName())
			return nil
		}
		if path.IsAbs(o.str) {
			l.problemAt(p, data, o.off, "compilerOptions.%s is an absolute path (%s); ecoscan reads only the app directory, so it is ignored", name, o.str)
			return nil
		}
		line, col := position(data, o.off)
		return &setting{val: o.str, dir: rc.dir, file: p, line: line, col: col}
	}
	rc.opts.baseURL = str("baseUrl")
	rc.opts.outDir = str("outDir")
	rc.opts.rootDir = str("rootDir")
	if pv := co.get("paths"); pv != nil && pv.kind != jsonNull {
		rc.opts.paths = l.paths(p, data, rc.dir, pv)
	}
	return rc
}

// paths reads a compilerOptions.paths object.
func (l *loader) paths(p string, data []byte, dir string, pv *jsonValue) *rawPaths {
	if pv.kind != jsonObject {
		l.problemAt(p, data, pv.off, "compilerOptions.paths must be an object, not %s", pv.kindName())
		return nil
	}
	rp := &rawPaths{dir: dir}
	last := map[string]int{}
	for i, m := range pv.members {
		last[m.key] = i
	}
	for i, m := range pv.members {
		if last[m.key] != i {
			continue // JSON.parse keeps the last duplicate
		}
		if strings.Count(m.key, "*") > 1 {
			l.problemAt(p, data, m.val.off, "paths pattern %q has more than one '*'; it is ignored", m.key)
			continue
		}
		if m.val.kind != jsonArray {
			l.problemAt(p, data, m.val.off, "substitutions for paths pattern %q must be an array, not %s", m.key, m.val.kindName())
			continue
		}
		if len(m.val.elems) == 0 {
			l.problemAt(p, data, m.val.off, "substitutions for paths pattern %q are an empty array", m.key)
			continue
		}
		rule := rawRule{pattern: m.key}
		for _, t := range m.val.elems {
			switch {
			case t.kind != jsonString:
				l.problemAt(p, data, t.off, "a substitution for paths pattern %q must be a string, not %s", m.key, t.kindName())
			case strings.Count(t.str, "*") > 1:
				l.problemAt(p, data, t.off, "substitution %q for paths pattern %q has more than one '*'; it is ignored", t.str, m.key)
			case path.IsAbs(t.str):
				l.problemAt(p, data, t.off, "substitution %q for paths pattern %q is an absolute path; ecoscan reads only the app directory, so it is ignored", t.str, m.key)
			default:
				rule.targets = append(rule.targets, t.str)
			}
		}
		if len(rule.targets) > 0 {
			rp.rules = append(rp.rules, rule)
		}
	}
	return rp
}

// merged returns the options of config file p with what it extends merged
// in (later extends entries override earlier ones, the file overrides
// them all). depth is the length of the extends chain that led here.
func (l *loader) merged(p string, depth int) options {
	if st, ok := l.mergedConfigs[p]; ok && !st.busy {
		return st.opts
	}
	rc, _ := l.config(p)
	if rc == nil {
		return options{}
	}
	st := &mergeState{busy: true}
	l.mergedConfigs[p] = st
	var out options
	for _, ext := range rc.extends {
		base, ok := l.extendsPath(rc, ext)
		if !ok {
			continue
		}
		if bs, ok := l.mergedConfigs[base]; ok && bs.busy {
			l.problems = append(l.problems, Problem{Path: p, Line: ext.line, Column: ext.col, Msg: fmt.Sprintf("\"extends\": %q: %s extends itself through this chain; the cycle is cut here", ext.spec, base)})
			continue
		}
		if depth+1 >= maxExtendsDepth {
			l.problems = append(l.problems, Problem{Path: p, Line: ext.line, Column: ext.col, Msg: fmt.Sprintf("\"extends\": %q: the chain of extends is deeper than %d; it is cut here", ext.spec, maxExtendsDepth)})
			continue
		}
		out = out.override(l.merged(base, depth+1))
	}
	out = out.override(rc.opts)
	st.opts, st.busy = out, false
	return out
}

type mergeState struct {
	busy bool
	opts options
}

// extendsPath finds the config file an "extends" entry names. A relative
// path that does not exist is a problem; a package not installed in
// node_modules is skipped quietly (dependencies are often not installed
// where ecoscan runs).
func (l *loader) extendsPath(rc *rawConfig, ext extendsRef) (string, bool) {
	fail := func(format string, args ...any) (string, bool) {
		l.problems = append(l.problems, Problem{Path: rc.path, Line: ext.line, Column: ext.col, Msg: fmt.Sprintf("\"extends\": %q: ", ext.spec) + fmt.Sprintf(format, args...)})
		return "", false
	}
	spec := ext.spec
	switch {
	case spec == "":
		return fail("empty")
	case path.IsAbs(spec) || strings.ContainsRune(spec, '\\') || hasScheme(spec):
		return fail("not a relative path or package name inside the app directory; not followed")
	case isRelative(spec):
		p := path.Join(rc.dir, spec)
		if escapes(p) {
			return fail("leaves the app directory; not followed")
		}
		if _, ok := l.config(p); ok {
			return p, true
		}
		if !strings.HasSuffix(p, ".json") {
			if _, ok := l.config(p + ".json"); ok {
				return p + ".json", true
			}
			return fail("no such file (looked for %s and %s.json)", p, p)
		}
		return fail("no such file (looked for %s)", p)
	}
	name, sub, reason := splitPackage(spec)
	if reason != "" {
		return fail("%s", reason)
	}
	for d := rc.dir; ; d = path.Dir(d) {
		pkgDir := path.Join(d, "node_modules", name)
		var candidates []string
		if sub == "" {
			if field := l.tsconfigField(path.Join(pkgDir, "package.json")); field != "" {
				candidates = append(candidates, path.Join(pkgDir, field))
			}
			candidates = append(candidates, path.Join(pkgDir, "tsconfig.json"))
		} else {
			p := path.Join(pkgDir, sub)
			candidates = append(candidates, p)
			if !strings.HasSuffix(p, ".json") {
				candidates = append(candidates, p+".json")
			}
		}
		for _, c := range candidates {
			if escapes(c) {
				continue
			}
			if _, ok := l.config(c); ok {
				return c, true
			}
		}
		if d == "." {
			return "", false
		}
	}
}

// tsconfigField returns the "tsconfig" field of an installed package's
// package.json, or "" when there is none.
func (l *loader) tsconfigField(p string) string {
	data, found := l.read(p)
	if !found || data == nil {
		return ""
	}
	v, err := parseJSONC(data)
	if err != nil {
		return ""
	}
	s, _ := v.get("tsconfig").text()
	return s
}

// compile turns the merged options of the config file p into the
// configuration that applies below its directory.
func (l *loader) compile(p string, opts options) *tsconfig {
	dir := path.Dir(p)
	c := &tsconfig{path: p, dir: dir}
	c.baseURL, c.hasBaseURL = l.settingDir(dir, opts.baseURL, "baseUrl")
	c.outDir, c.hasOutDir = l.settingDir(dir, opts.outDir, "outDir")
	c.rootDir, c.hasRootDir = l.settingDir(dir, opts.rootDir, "rootDir")
	if opts.paths == nil {
		return c
	}
	base := opts.paths.dir
	if c.hasBaseURL {
		base = c.baseURL
	}
	for _, rr := range opts.paths.rules {
		pr := pathRule{prefix: rr.pattern}
		if i := strings.IndexByte(rr.pattern, '*'); i >= 0 {
			pr.prefix, pr.suffix, pr.wildcard = rr.pattern[:i], rr.pattern[i+1:], true
		}
		for _, t := range rr.targets {
			if rest, ok := strings.CutPrefix(t, "${configDir}"); ok {
				pr.targets = append(pr.targets, path.Join(dir, rest))
			} else {
				pr.targets = append(pr.targets, path.Join(base, t))
			}
		}
		c.paths = append(c.paths, pr)
	}
	return c
}

// settingDir resolves a directory-valued option for the config in
// leafDir: relative to the config that set it, or to leafDir after
// "${configDir}".
func (l *loader) settingDir(leafDir string, s *setting, name string) (string, bool) {
	if s == nil {
		return "", false
	}
	var d string
	if rest, ok := strings.CutPrefix(s.val, "${configDir}"); ok {
		d = path.Join(leafDir, rest)
	} else {
		d = path.Join(s.dir, s.val)
	}
	if escapes(d) {
		l.problems = append(l.problems, Problem{Path: s.file, Line: s.line, Column: s.col, Msg: fmt.Sprintf("compilerOptions.%s %q leaves the app directory (for the config in %s); it is ignored", name, s.val, leafDir)})
		return "", false
	}
	return d, true
}

// leafConfig returns the configuration of the config file in directory d,
// or nil when d has none. A config file that cannot be read or parsed
// still applies, with no options, as tsc would use none of its parents'.
func (l *loader) leafConfig(d string) *tsconfig {
	for _, name := range configNames {
		p := path.Join(d, name)
		if _, ok := l.config(p); ok {
			return l.compile(p, l.merged(p, 0))
		}
	}
	return nil
}
