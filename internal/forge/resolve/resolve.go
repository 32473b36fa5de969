// Package resolve answers, for a Forge app's JavaScript and TypeScript
// source, which file of the app, npm package or Node.js builtin module an
// import specifier names, and which file a manifest handler names.
//
// It works on paths only: New is given the source files the parser found
// and reads the app's tsconfig.json, jsconfig.json and package.json files
// once; Resolve and Handler then answer from memory, never touching the
// file system, and cache their answers. Nothing outside the app directory
// is read or answered: a specifier that leaves it is Unresolved, and config
// files are read through an os.Root, which refuses symbolic links that
// lead out of it.
//
// Relative specifiers resolve as Node.js and TypeScript do: the exact
// file, the TypeScript source of a JavaScript name ("./a.js" names a.ts
// when a.js is absent), the name with each source extension, then a
// directory's package.json entry or index file. Bare specifiers try the
// tsconfig "paths" and "baseUrl" of the config that applies, then Node.js
// builtins, then packages of the app's own workspace, and are otherwise
// npm packages. Specifiers beginning with '#' use the "imports" of the
// nearest package.json. Query and fragment suffixes, absolute paths and
// URLs are Unresolved, with a reason.
package resolve

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"
)

// Kind is what a specifier names.
type Kind int

// The kinds of targets.
const (
	Unresolved Kind = iota // nothing ecoscan can name; Target.Reason says why
	File                   // a source file of the app
	Package                // an npm package (not a file of the app)
	Builtin                // a Node.js builtin module
)

// String returns the kind's name.
func (k Kind) String() string {
	switch k {
	case File:
		return "file"
	case Package:
		return "package"
	case Builtin:
		return "builtin"
	}
	return "unresolved"
}

// Target is what a specifier or handler names.
type Target struct {
	Kind    Kind
	Path    string // File: the file's path relative to the app directory, one of the files given to New
	Package string // Package: "@forge/api", "lodash"; Builtin: "crypto", "fs/promises" (no "node:")
	Subpath string // Package: the rest of the specifier, "lib/foo" of "lodash/lib/foo"
	Reason  string // Unresolved: why
}

// Problem is something wrong with a config file New read: one it cannot
// read or parse, or a setting it ignores. Line and Column (1-based,
// characters) are 0 when the problem is with the whole file.
type Problem struct {
	Path         string
	Line, Column int
	Msg          string
}

// extensions are the source file extensions tried after a specifier, in
// order.
var extensions = []string{".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts"}

// extList describes extensions in reasons.
const extList = "{ts,tsx,js,jsx,mjs,cjs,mts,cts}"

// tsSources maps a JavaScript extension to the TypeScript sources that
// compile to it, for TypeScript's ESM convention of importing "./a.js"
// from a.ts.
var tsSources = map[string][]string{".js": {".ts", ".tsx"}, ".jsx": {".tsx"}, ".mjs": {".mts"}, ".cjs": {".cts"}}

const (
	// maxSpecLen bounds the length of a specifier Resolve looks at.
	maxSpecLen = 4096
	// maxConfigSize bounds the size of a config file New reads.
	maxConfigSize = 4 << 20
	// maxCacheEntries bounds Resolve's cache; past it answers are computed
	// afresh.
	maxCacheEntries = 1 << 17
)

// Resolver resolves specifiers for one app. It is safe for concurrent use.
type Resolver struct {
	files      map[string]struct{}
	configs    map[string]*tsconfig // by directory
	pkgs       map[string]*pkgJSON  // by directory, outside node_modules
	workspaces map[string]*pkgJSON  // by package name

	mu    sync.RWMutex
	cache map[cacheKey]Target
}

type cacheKey struct{ dir, spec string }

// New builds the resolver of the app in directory root. files are the
// app's source files, relative to root with forward slashes. New reads the
// tsconfig.json, jsconfig.json and package.json of every directory that
// holds a file (and of the directories above it up to root), except in
// node_modules, and the config files they extend. A package.json with a
// "name" makes a workspace package of its directory; when two share a
// name, the first in path order wins. The problems are sorted by path and
// position; the resolver is usable whatever they are.
func New(root string, files []string) (*Resolver, []Problem) {
	r := &Resolver{
		files:      make(map[string]struct{}, len(files)),
		configs:    map[string]*tsconfig{},
		pkgs:       map[string]*pkgJSON{},
		workspaces: map[string]*pkgJSON{},
		cache:      map[cacheKey]Target{},
	}
	l := &loader{rawConfigs: map[string]*rawConfig{}, mergedConfigs: map[string]*mergeState{}}
	dirSet := map[string]bool{}
	for _, f := range files {
		p, ok := cleanRel(f)
		if !ok || p == "." {
			l.problems = append(l.problems, Problem{Path: f, Msg: "source file list: not a relative path inside the app directory; ignored"})
			continue
		}
		r.files[p] = struct{}{}
		for d := path.Dir(p); !dirSet[d]; d = path.Dir(d) {
			dirSet[d] = true
			if d == "." {
				break
			}
		}
	}
	dirs := make([]string, 0, len(dirSet))
	for d := range dirSet {
		if !inNodeModules(d) {
			dirs = append(dirs, d)
		}
	}
	sort.Strings(dirs)

	fsys, err := os.OpenRoot(root)
	if err != nil {
		l.problems = append(l.problems, Problem{Path: root, Msg: fmt.Sprintf("open app directory to read its tsconfig and package.json files: %v", err)})
		return r, l.sorted()
	}
	defer fsys.Close()
	l.root = fsys
	for _, d := range dirs {
		if c := l.leafConfig(d); c != nil {
			r.configs[d] = c
		}
		if pj := l.packageJSON(d); pj != nil {
			r.pkgs[d] = pj
			if pj.name == "" {
				continue
			}
			if other := r.workspaces[pj.name]; other != nil {
				l.problems = append(l.problems, Problem{Path: pj.path, Msg: fmt.Sprintf("package name %q is also the name of %s; imports of it resolve to %s", pj.name, other.path, other.dir)})
				continue
			}
			r.workspaces[pj.name] = pj
		}
	}
	return r, l.sorted()
}

// Resolve returns what spec, imported by the file from (relative to the
// app directory), names.
func (r *Resolver) Resolve(from, spec string) Target {
	p, ok := cleanRel(from)
	if !ok || p == "." {
		return unresolved("the importing file %q is not a path inside the app directory", from)
	}
	key := cacheKey{dir: path.Dir(p), spec: spec}
	r.mu.RLock()
	t, ok := r.cache[key]
	r.mu.RUnlock()
	if ok {
		return t
	}
	t = r.resolve(key.dir, spec)
	r.mu.Lock()
	if len(r.cache) < maxCacheEntries {
		r.cache[key] = t
	}
	r.mu.Unlock()
	return t
}

// Handler returns the file a manifest handler module names: "index" or
// "resolvers/index" (the part of the handler before the export) is
// src/index.<ext>, else src/index/index.<ext>, extensions in the order .ts .tsx .js .jsx .mjs
// .cjs .mts .cts.
func (r *Resolver) Handler(module string) Target {
	if reason := specReason(module); reason != "" {
		return unresolved("handler module %q: %s", module, reason)
	}
	if path.IsAbs(module) {
		return unresolved("handler module %q is an absolute path; handlers are relative to src/", module)
	}
	p := path.Join("src", module)
	if !strings.HasPrefix(p, "src/") {
		return unresolved("handler module %q is outside src/", module)
	}
	for _, ext := range extensions {
		if r.has(p + ext) {
			return Target{Kind: File, Path: p + ext}
		}
	}
	if f, ok := r.loadIndex(p); ok {
		return Target{Kind: File, Path: f}
	}
	return unresolved("no file %s.%s or %s/index.%s among the app's sources", p, extList, p, extList)
}

// resolve resolves spec imported from a file in dir.
func (r *Resolver) resolve(dir, spec string) Target {
	if reason := specReason(spec); reason != "" {
		return unresolved("%s", reason)
	}
	if spec[0] == '#' {
		return r.packageImport(dir, spec)
	}
	if i := strings.IndexAny(spec, "?#"); i >= 0 {
		return unresolved("the specifier has a query or fragment suffix (%q), which is not followed", spec[i:])
	}
	return r.nonImport(dir, spec)
}

// nonImport resolves a specifier that does not begin with '#'.
func (r *Resolver) nonImport(dir, spec string) Target {
	switch {
	case spec[0] == '/':
		return unresolved("an absolute path is not followed; imports inside the app are relative")
	case isRelative(spec):
		return r.relative(dir, spec)
	case strings.HasPrefix(spec, "node:"):
		if name, ok := builtin(spec); ok {
			return Target{Kind: Builtin, Package: name}
		}
		return unresolved("%s is not a Node.js builtin module", spec)
	case hasScheme(spec):
		return unresolved("a URL or drive path is not followed; only relative paths and package names are")
	}
	return r.bare(dir, spec)
}

// relative resolves a specifier beginning with "./" or "../" (or "." or
// "..").
func (r *Resolver) relative(dir, spec string) Target {
	p := path.Join(dir, spec)
	if escapes(p) {
		return unresolved("it leaves the app directory (from %s)", dir)
	}
	dirOnly := spec == "." || spec == ".." || strings.HasSuffix(spec, "/") || strings.HasSuffix(spec, "/.") || strings.HasSuffix(spec, "/..")
	if f, ok := r.load(p, dirOnly); ok {
		return Target{Kind: File, Path: f}
	}
	return unresolved("no such source file: looked for %s", describeLoad(p, dirOnly))
}

// bare resolves a specifier that is not relative: tsconfig paths, then
// baseUrl, then Node.js builtins, then workspace packages, then npm
// packages.
func (r *Resolver) bare(dir, spec string) Target {
	var tried []string
	if c := r.configFor(dir); c != nil {
		if rule, star, ok := c.match(spec); ok {
			for _, t := range rule.targets {
				p := t
				if rule.wildcard {
					p = path.Clean(strings.Replace(t, "*", star, 1))
				}
				if escapes(p) {
					tried = append(tried, p+" (outside the app directory)")
					continue
				}
				if f, ok := r.load(p, false); ok {
					return Target{Kind: File, Path: f}
				}
				tried = append(tried, describeLoad(p, false))
			}
		}
		if c.hasBaseURL {
			if p := path.Join(c.baseURL, spec); !escapes(p) {
				if f, ok := r.load(p, false); ok {
					return Target{Kind: File, Path: f}
				}
			}
		}
	}
	if builtins[spec] {
		return Target{Kind: Builtin, Package: spec}
	}
	name, sub, reason := splitPackage(spec)
	if reason != "" {
		if len(tried) > 0 {
			return unresolved("%s, and no target of its tsconfig paths exists: looked for %s", reason, strings.Join(tried, "; "))
		}
		return unresolved("%s", reason)
	}
	if pj := r.workspaces[name]; pj != nil {
		if f, ok := r.workspaceFile(pj, sub); ok {
			return Target{Kind: File, Path: f}
		}
	}
	return Target{Kind: Package, Package: name, Subpath: sub}
}

// configFor returns the config that applies to files in dir: the nearest
// one in dir or above it.
func (r *Resolver) configFor(dir string) *tsconfig {
	for d := dir; ; d = path.Dir(d) {
		if c := r.configs[d]; c != nil {
			return c
		}
		if d == "." {
			return nil
		}
	}
}

// has reports whether p is one of the app's source files.
func (r *Resolver) has(p string) bool {
	_, ok := r.files[p]
	return ok
}

// load finds the file p names: as a file (unless dirOnly), then as a
// directory.
func (r *Resolver) load(p string, dirOnly bool) (string, bool) {
	if !dirOnly {
		if f, ok := r.loadFile(p); ok {
			return f, true
		}
	}
	if pj := r.pkgs[p]; pj != nil {
		if f, ok := r.packageEntry(pj); ok {
			return f, true
		}
	}
	return r.loadIndex(p)
}

// describeLoad lists what load looks for, for reasons.
func describeLoad(p string, dirOnly bool) string {
	d := fmt.Sprintf("%s/package.json's entry, %s/index.%s", p, p, extList)
	if dirOnly {
		return d
	}
	return fmt.Sprintf("%s, %s.%s, %s", p, p, extList, d)
}

// loadFile finds p as a file: p itself, the TypeScript source of a
// JavaScript name, then p with each extension.
func (r *Resolver) loadFile(p string) (string, bool) {
	if p == "." {
		return "", false
	}
	if r.has(p) {
		return p, true
	}
	ext := path.Ext(p)
	for _, ts := range tsSources[ext] {
		if q := strings.TrimSuffix(p, ext) + ts; r.has(q) {
			return q, true
		}
	}
	for _, e := range extensions {
		if r.has(p + e) {
			return p + e, true
		}
	}
	return "", false
}

// loadIndex finds the index file of directory p.
func (r *Resolver) loadIndex(p string) (string, bool) {
	for _, e := range extensions {
		if q := path.Join(p, "index"+e); r.has(q) {
			return q, true
		}
	}
	return "", false
}

func unresolved(format string, args ...any) Target {
	return Target{Kind: Unresolved, Reason: fmt.Sprintf(format, args...)}
}

// specReason says what makes spec unusable as a specifier, or "".
func specReason(spec string) string {
	switch {
	case spec == "":
		return "empty specifier"
	case len(spec) > maxSpecLen:
		return fmt.Sprintf("specifier longer than %d bytes", maxSpecLen)
	case !utf8.ValidString(spec):
		return "specifier is not valid UTF-8"
	case strings.ContainsFunc(spec, func(c rune) bool { return c < 0x20 || c == 0x7f }):
		return "specifier contains control characters"
	case strings.ContainsRune(spec, '\\'):
		return "specifier contains a backslash; specifiers separate directories with '/'"
	}
	return ""
}

// isRelative reports whether spec is relative to the importing file.
func isRelative(spec string) bool {
	return spec == "." || spec == ".." || strings.HasPrefix(spec, "./") || strings.HasPrefix(spec, "../")
}

// hasScheme reports whether spec begins with a URL scheme ("https:",
// "data:", "file:") or a drive letter ("C:").
func hasScheme(spec string) bool {
	for i := 0; i < len(spec); i++ {
		c := spec[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return true
		default:
			return false
		}
	}
	return false
}

// splitPackage splits a bare specifier into the package name (a scoped
// name takes two segments) and the subpath, or says why it is not one.
func splitPackage(spec string) (name, sub, reason string) {
	n := strings.IndexByte(spec, '/')
	if strings.HasPrefix(spec, "@") {
		if n < 0 {
			return "", "", fmt.Sprintf("%q is not a package name: a scoped name is @scope/name", spec)
		}
		if m := strings.IndexByte(spec[n+1:], '/'); m >= 0 {
			n += 1 + m
		} else {
			n = -1
		}
	}
	name = spec
	if n >= 0 {
		name, sub = spec[:n], spec[n+1:]
	}
	if len(name) > 214 {
		return "", "", "not a package name: longer than 214 characters"
	}
	segs := []string{name}
	if scope, pkg, ok := strings.Cut(name, "/"); ok {
		segs = []string{scope[1:], pkg}
	}
	for _, s := range segs {
		if s == "" || s[0] == '.' || strings.ContainsFunc(s, func(c rune) bool { return !nameChar(c) }) {
			return "", "", fmt.Sprintf("%q is not a package name", name)
		}
	}
	sub = strings.TrimSuffix(sub, "/")
	if sub != "" {
		for s := range strings.SplitSeq(sub, "/") {
			if s == "" || s == "." || s == ".." {
				return "", "", fmt.Sprintf("subpath %q of package %s is not a plain path inside the package", sub, name)
			}
		}
	}
	return name, sub, ""
}

// nameChar reports whether c may appear in a segment of an npm package
// name (the characters encodeURIComponent leaves alone).
func nameChar(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_.!~*'()", c)
}

// cleanRel cleans a path relative to the app directory and reports whether
// it stays inside it.
func cleanRel(p string) (string, bool) {
	if p == "" || path.IsAbs(p) || !utf8.ValidString(p) || strings.ContainsRune(p, 0) {
		return "", false
	}
	p = path.Clean(p)
	return p, !escapes(p)
}

// escapes reports whether the clean relative path p leaves the app
// directory.
func escapes(p string) bool {
	return p == ".." || strings.HasPrefix(p, "../") || path.IsAbs(p)
}

// inNodeModules reports whether directory d is node_modules or inside one.
func inNodeModules(d string) bool {
	return d == "node_modules" || strings.HasPrefix(d, "node_modules/") || strings.Contains(d, "/node_modules/") || strings.HasSuffix(d, "/node_modules")
}

// loader reads config files for New.
type loader struct {
	root          *os.Root
	problems      []Problem
	rawConfigs    map[string]*rawConfig // by path; nil: no such file
	mergedConfigs map[string]*mergeState
}

// read reads the file p (relative to the app directory). found is false
// when there is no such file; data is nil when the file exists but could
// not be read (a problem then says why).
func (l *loader) read(p string) (data []byte, found bool) {
	f, err := l.root.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false
	}
	if err != nil {
		l.problems = append(l.problems, Problem{Path: p, Msg: fmt.Sprintf("open: %v", err)})
		return nil, true
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		l.problems = append(l.problems, Problem{Path: p, Msg: fmt.Sprintf("stat: %v", err)})
		return nil, true
	}
	if !info.Mode().IsRegular() {
		l.problems = append(l.problems, Problem{Path: p, Msg: "not a regular file; not read"})
		return nil, true
	}
	data, err = io.ReadAll(io.LimitReader(f, maxConfigSize+1))
	if err != nil {
		l.problems = append(l.problems, Problem{Path: p, Msg: fmt.Sprintf("read: %v", err)})
		return nil, true
	}
	if len(data) > maxConfigSize {
		l.problems = append(l.problems, Problem{Path: p, Msg: fmt.Sprintf("larger than %d bytes; not read", maxConfigSize)})
		return nil, true
	}
	return data, true
}

// problemAt records a problem at byte offset off of the file p.
func (l *loader) problemAt(p string, data []byte, off int, format string, args ...any) {
	line, col := position(data, off)
	l.problems = append(l.problems, Problem{Path: p, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)})
}

// syntaxProblem records a parse error of the file p.
func (l *loader) syntaxProblem(p string, data []byte, err error) {
	var se *jsonSyntaxError
	if errors.As(err, &se) {
		l.problemAt(p, data, se.off, "invalid JSON: %s", se.msg)
		return
	}
	l.problems = append(l.problems, Problem{Path: p, Msg: fmt.Sprintf("invalid JSON: %v", err)})
}

// sorted returns the problems sorted, duplicates removed.
func (l *loader) sorted() []Problem {
	slices.SortFunc(l.problems, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.Path, b.Path), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column), cmp.Compare(a.Msg, b.Msg))
	})
	return slices.Compact(l.problems)
}
