package analysis

import (
	"sort"

	"github.com/ecoscan/ecoscan/internal/forge/ast"
)

// runEntry analyses one manifest entry: the handler's export, and behind a
// resolver's definitions every key it defines, each its own entry point.
func (it *interp) runEntry(e *Entry) {
	m := it.prog.moduleFor(e.File)
	if m == nil {
		it.errorf(e.File, ast.Pos{}, "%s: handler file %s was not analysed (see its own error)", e.Name, e.File)
		return
	}
	it.entry = nil
	m.init()
	v, ok := m.exportOf(e.Export, 0)
	if !ok {
		it.errorf(e.File, ast.Pos{}, "%s: %s has no export %q (named at %s)", e.Name, e.File, e.Export, e.Where)
		return
	}
	found := false
	v.each(func(h *Value) {
		switch h.Kind {
		case KDefs:
			found = true
			keys := make([]string, 0, len(h.Obj.Resolver))
			for k := range h.Obj.Resolver {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			if len(keys) == 0 {
				it.errorf(e.File, ast.Pos{}, "%s: the resolver behind export %q defines no key", e.Name, e.Export)
			}
			for _, k := range keys {
				ep := &EntryPoint{Entry: e, Key: k}
				it.res.EntryPoints = append(it.res.EntryPoints, ep)
				h.Obj.Resolver[k].each(func(fn *Value) {
					if fn.Kind == KFunc {
						it.invoke(ep, fn.Fn, []*Value{resolverRequest(e.Kind)})
					}
				})
			}
		case KFunc:
			found = true
			ep := &EntryPoint{Entry: e}
			it.res.EntryPoints = append(it.res.EntryPoints, ep)
			it.invoke(ep, h.Fn, handlerArgs(e.Kind))
		}
	})
	if !found {
		it.errorf(e.File, ast.Pos{}, "%s: export %q of %s is not a function or resolver definitions the analysis can follow", e.Name, e.Export, e.File)
	}
}

// invoke runs a handler for an entry point.
func (it *interp) invoke(ep *EntryPoint, fn *Closure, args []*Value) {
	it.entry = ep
	it.stack = nil
	it.callFunc(fn, nil, args, nil, &flow{})
	it.entry = nil
}

// resolverRequest is the argument of a resolver function: {payload, context}.
// The payload is the caller's to choose; the context is Forge's.
func resolverRequest(kind EntryKind) *Value {
	req := newObject()
	if kind == Background {
		req.Obj.Props["payload"] = &Value{Kind: KUnknown, Origin: []string{"payload"}}
	} else {
		req.Obj.Props["payload"] = unknownWith(Tainted, []string{"payload"})
	}
	req.Obj.Props["context"] = newObject()
	return req
}

// handlerArgs are the arguments of a plain function handler.
func handlerArgs(kind EntryKind) []*Value {
	switch kind {
	case WebTrigger:
		return []*Value{unknownWith(Tainted|Request, []string{"request"}), newObject()}
	case ProductEvent:
		return []*Value{unknownWith(Tainted, []string{"event"}), newObject()}
	case Invokable:
		return []*Value{unknownWith(Tainted, []string{"payload"}), newObject()}
	}
	return []*Value{&Value{Kind: KUnknown, Origin: []string{"payload"}}, newObject()}
}

// runOrphans runs the top-level code of every module and every function
// that no entry point reached, so that what is true of any code (literal
// secrets, child_process) is found wherever it is.
func (it *interp) runOrphans() {
	it.entry = nil
	paths := make([]string, 0, len(it.prog.modules))
	for p := range it.prog.modules {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		it.prog.modules[p].init()
	}
	for _, p := range paths {
		m := it.prog.modules[p]
		var funcs []*ast.Func
		ast.Inspect(m.file, func(n any) bool {
			if f, ok := n.(*ast.Func); ok {
				funcs = append(funcs, f)
				it.allFuncs[f] = m
			}
			return true
		})
		for _, f := range funcs {
			if it.exhausted {
				return
			}
			if it.evaluated[f] {
				continue
			}
			it.stack = nil
			args := make([]*Value, len(f.Params))
			for i := range args {
				args[i] = unknown
			}
			it.callFunc(&Closure{Fn: f, Env: m.env, File: m}, nil, args, nil, &flow{})
		}
	}
}
