// Package analysis is the Forge app's program model: it follows values and
// calls from the manifest's entry points through the app's modules, and
// records what the code does on the way (product calls, storage, logs,
// comparisons, ...) as Events, each with the call path that reaches it and
// the guards in force there. The checks (package forge) judge the events; this
// package judges nothing.
//
// The analysis is an abstract interpreter over package ast. Values are
// abstract (known strings and string patterns, objects, functions, a
// package's exports, unknowns with labels such as Tainted or Secret), calls
// to the app's own functions are followed with the arguments of the call
// (memoised per function, argument shape and state: the function summaries),
// and the state that flows through statements holds what must have happened
// before a point: the permission checks whose result decided that the point is
// reached, and whether a webtrigger's request was verified. Branches join by
// keeping what holds on every branch that goes on.
package analysis

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ecoscan/ecoscan/internal/forge/ast"
)

// TargetKind is what an import specifier names.
type TargetKind int

// The kinds of import targets.
const (
	Unresolved TargetKind = iota
	FileTarget
	PackageTarget
	BuiltinTarget
)

// Target is a resolved import specifier.
type Target struct {
	Kind    TargetKind
	Path    string // FileTarget: the file's path
	Package string // PackageTarget, BuiltinTarget: the package's name ("@forge/api", "crypto")
	Subpath string // PackageTarget: the rest of the specifier
	Reason  string // Unresolved: why
}

// EntryKind is how an entry point is reached.
type EntryKind string

// The kinds of entry points.
const (
	// Invokable: a user makes it run with input they choose (UI resolvers,
	// UI Kit 1 functions, Rovo actions).
	Invokable EntryKind = "invokable"
	// WebTrigger: anyone on the internet who knows the URL.
	WebTrigger EntryKind = "webtrigger"
	// ProductEvent: an Atlassian product event (trigger).
	ProductEvent EntryKind = "product-event"
	// Background: scheduled triggers and queue consumers.
	Background EntryKind = "background"
)

// Entry is an entry point the manifest names: a function exported by a file.
type Entry struct {
	Name    string // how the report names it: "resolver function main (jira:issuePanel my-panel)"
	Kind    EntryKind
	Admin   bool   // only administrators can reach it
	File    string // the handler's file
	Export  string // the export that is the handler
	Where   string // where the manifest names it: "manifest.yml:12:7"
	Modules []string
}

// Input is what the analysis starts from.
type Input struct {
	Files   []*ast.File
	Resolve func(from, spec string) Target
	Entries []*Entry
	// MaxSteps bounds the work of the whole analysis (expressions evaluated);
	// 0 means a default that a 10 MB app stays well within.
	MaxSteps int
}

// EntryPoint is an entry point as analysed: a manifest entry, or one
// resolver key defined behind it.
type EntryPoint struct {
	*Entry
	Key string // the resolver key, or "" for a plain function handler
}

// Label is how an entry point is named in evidence.
func (e *EntryPoint) Label() string {
	if e == nil {
		return "no entry point"
	}
	if e.Key != "" {
		return fmt.Sprintf("resolver key %q of %s", e.Key, e.Name)
	}
	return e.Name
}

// Error is a problem the analysis met: an entry that does not resolve, an
// import of the app's own code that names no file, a budget exhausted.
type Error struct {
	File string
	Pos  ast.Pos
	Msg  string
}

// Result is what the analysis found.
type Result struct {
	Events      []*Event
	EntryPoints []*EntryPoint
	Errors      []Error
	Steps       int  // expressions evaluated
	Exhausted   bool // the step budget ran out: some code was not analysed
	Functions   int  // functions in the program
	Analysed    int  // functions the analysis evaluated at least once
}

// module is one file of the program.
type module struct {
	prog  *program
	path  string
	file  *ast.File
	env   *env
	state int // 0 not run, 1 running, 2 done
	obj   *Value
	defs  map[string]*Value // `export default` values, and `export =`
}

// program is the whole app.
type program struct {
	in      Input
	modules map[string]*module
	it      *interp
}

// Analyse runs the analysis.
func Analyse(in Input) *Result {
	p := &program{in: in, modules: map[string]*module{}}
	for _, f := range in.Files {
		p.modules[f.Path] = &module{prog: p, path: f.Path, file: f}
	}
	it := newInterp(p)
	p.it = it
	res := &Result{}
	it.res = res
	for _, e := range in.Entries {
		it.runEntry(e)
	}
	it.runOrphans()
	res.Steps = it.steps
	res.Exhausted = it.exhausted
	if it.exhausted {
		res.Errors = append(res.Errors, Error{Msg: fmt.Sprintf("analysis budget of %d steps exhausted: some code was not analysed", it.maxSteps)})
	}
	res.Functions = len(it.allFuncs)
	res.Analysed = len(it.evaluated)
	sort.SliceStable(res.Errors, func(i, j int) bool {
		a, b := res.Errors[i], res.Errors[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Pos.Line < b.Pos.Line
	})
	return res
}

// moduleFor returns the module of a file path.
func (p *program) moduleFor(path string) *module { return p.modules[path] }

// importValue is the value an import specifier names in file from: a
// module's namespace, a package's root or an unknown when it cannot be
// resolved (an error when the specifier is relative).
func (p *program) importValue(from *module, spec string, pos ast.Pos) *Value {
	t := p.in.Resolve(from.path, spec)
	switch t.Kind {
	case FileTarget:
		if m := p.modules[t.Path]; m != nil {
			m.init()
			return &Value{Kind: KModule, Mod: m}
		}
		// A file the parser skipped (too large, binary): its errors are
		// reported already.
		return unknown
	case PackageTarget, BuiltinTarget:
		if t.Package == "child_process" {
			p.it.record(&Event{Kind: ChildProcess, Pos: pos, File: from.path, Detail: "import of child_process"})
		}
		name := t.Package
		if t.Subpath != "" {
			name += "/" + t.Subpath
		}
		return ext(name, "")
	}
	if strings.HasPrefix(spec, ".") || strings.HasPrefix(spec, "/") {
		p.it.errorf(from.path, pos, "import %q: %s", spec, t.Reason)
	}
	return unknown
}

// init runs the module's top-level code once.
func (m *module) init() {
	if m.state != 0 {
		return
	}
	m.state = 1
	it := m.prog.it
	m.env = newEnv(nil, m)
	m.env.moduleScope = true
	exportsObj := newObject()
	exportsObj.Obj.Module = true
	m.obj = newObject()
	m.obj.Obj.Props["exports"] = exportsObj
	m.env.declare("module", m.obj)
	m.env.declare("exports", exportsObj)
	for _, imp := range m.file.Imports {
		if imp.TypeOnly {
			continue
		}
		target := m.prog.importValue(m, imp.From, imp.Pos)
		if imp.Default != "" {
			m.env.declare(imp.Default, defaultOf(target))
		}
		if imp.Namespace != "" {
			m.env.declare(imp.Namespace, target)
		}
		for _, n := range imp.Named {
			if n.Imported == "default" {
				m.env.declare(n.Local, defaultOf(target))
				continue
			}
			m.env.declare(n.Local, prop(target, n.Imported))
		}
	}
	saved := it.enterModule(m)
	// A module's top-level code runs for no entry point, even when a
	// handler's require() is what first loads it.
	savedEntry, savedStack := it.entry, it.stack
	it.entry, it.stack = nil, nil
	st := &flow{}
	it.hoist(m.file.Body, m.env)
	it.stmts(m.file.Body, m.env, st)
	m.defs = map[string]*Value{}
	for _, ex := range m.file.Exports {
		if ex.Default && ex.Value != nil {
			m.defs["default"] = it.expr(ex.Value, m.env, &flow{})
		}
	}
	it.entry, it.stack = savedEntry, savedStack
	it.leaveModule(saved)
	m.state = 2
}

// defaultOf is the default export of an imported value: for the app's own
// modules the `export default` (or, for CommonJS, module.exports); for
// packages the package itself (CommonJS interop).
func defaultOf(v *Value) *Value {
	if v.Kind == KModule {
		if d, ok := v.Mod.exportOf("default", 0); ok {
			return d
		}
		return v.Mod.cjs()
	}
	return v
}

// cjs is the module's module.exports.
func (m *module) cjs() *Value {
	m.init()
	return prop(m.obj, "exports")
}

// export is the value of an export by name (unknown when there is none).
func (m *module) export(name string) *Value {
	if v, ok := m.exportOf(name, 0); ok {
		return v
	}
	return unknown
}

// exportOf finds an export by name, following re-exports (bounded).
func (m *module) exportOf(name string, depth int) (*Value, bool) {
	if depth > 32 {
		return nil, false
	}
	m.init()
	if name == "default" {
		if v, ok := m.defs["default"]; ok {
			return v, true
		}
	}
	for _, ex := range m.file.Exports {
		for _, n := range ex.Names {
			if n.Exported != name {
				continue
			}
			if ex.From == "" {
				if b := m.env.lookup(n.Local); b != nil {
					return b.get(), true
				}
				return unknown, true
			}
			return m.reexport(ex.From, n.Local, ex.Pos, depth)
		}
		for _, d := range ex.Decl {
			if d == name {
				if b := m.env.lookup(d); b != nil {
					return b.get(), true
				}
			}
		}
		if ex.Star && ex.As == name {
			return m.prog.importValue(m, ex.From, ex.Pos), true
		}
	}
	if name != "default" {
		for _, ex := range m.file.Exports {
			if ex.Star && ex.As == "" {
				if v, ok := m.reexport(ex.From, name, ex.Pos, depth); ok && v != unknown {
					return v, true
				}
			}
		}
	}
	// CommonJS: module.exports.name, or module.exports itself as default.
	c := m.cjs()
	if name == "default" {
		if c.Kind == KObject && len(c.Obj.Props) == 0 && len(m.file.Exports) > 0 {
			return nil, false
		}
		return c, true
	}
	var found *Value
	c.each(func(a *Value) {
		if a.Kind == KObject {
			if v, ok := a.Obj.Props[name]; ok {
				found = union(found, v)
			}
		} else if a.Kind != KUnknown && found == nil {
			found = prop(a, name)
		}
	})
	if found != nil {
		return found, true
	}
	return nil, false
}

// reexport is name exported by the module or package from names.
func (m *module) reexport(from, name string, pos ast.Pos, depth int) (*Value, bool) {
	t := m.prog.importValue(m, from, pos)
	if t.Kind == KModule {
		return t.Mod.exportOf(name, depth+1)
	}
	if name == "default" {
		return t, true
	}
	return prop(t, name), true
}

// posKey names a position in a file, for maps.
func posKey(file string, p ast.Pos) string {
	return fmt.Sprintf("%s:%d:%d", file, p.Line, p.Col)
}
