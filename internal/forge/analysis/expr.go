package analysis

import (
	"strings"

	"github.com/ecoscan/ecoscan/internal/forge/ast"
)

// expr evaluates an expression.
func (it *interp) expr(x ast.Expr, e *env, st *flow) *Value {
	if x == nil || !it.step() {
		return unknown
	}
	it.depth++
	defer func() { it.depth-- }()
	if it.depth > maxExprDepth {
		return unknown
	}
	switch x := x.(type) {
	case *ast.Ident:
		return it.ident(x, e)
	case *ast.Lit:
		switch x.Kind {
		case "string":
			return &Value{Kind: KString, Str: x.Value, Pos: x.Pos, File: it.currentFile()}
		case "number", "bigint":
			return &Value{Kind: KNumber, Str: x.Value}
		case "bool":
			return &Value{Kind: KBool, Str: x.Value}
		case "null":
			return &Value{Kind: KNull}
		}
		return unknown
	case *ast.Template:
		return it.template(x, e, st)
	case *ast.Member:
		obj := it.expr(x.Obj, e, st)
		if x.Index != nil {
			k := it.expr(x.Index, e, st)
			if s, ok := k.constString(); ok {
				return prop(obj, s)
			}
			if n, ok := numberOf(k); ok {
				return indexOf(obj, n)
			}
			out := derived(obj, k)
			if k.labels()&Tainted != 0 {
				out = withLabels(out, KeyedByInput)
			}
			return out
		}
		return it.member(obj, x.Prop)
	case *ast.Call:
		return it.call(x, e, st)
	case *ast.Func:
		return it.closure(x, e)
	case *ast.Class:
		return it.class(x, e, st)
	case *ast.Object:
		return it.object(x, e, st)
	case *ast.Array:
		var elems []*Value
		for _, el := range x.Elems {
			if el == nil {
				elems = append(elems, &Value{Kind: KNull})
				continue
			}
			if sp, ok := el.(*ast.Spread); ok {
				v := it.expr(sp.X, e, st)
				elems = append(elems, elementsOf(v))
				continue
			}
			elems = append(elems, it.expr(el, e, st))
		}
		return newArray(elems)
	case *ast.Binary:
		return it.binary(x, e, st)
	case *ast.Unary:
		v := it.expr(x.X, e, st)
		if (x.Op == "++" || x.Op == "--") && x.X != nil {
			if p, ok := x.X.(ast.Pattern); ok {
				it.bind(p, &Value{Kind: KNumber}, e, st, false)
			}
		}
		// The result is not the input (a boolean, a number, a type name),
		// but it still tells what a check decided.
		return &Value{Kind: KUnknown, Labels: v.labels() &^ (Tainted | Request | Secret | KeyedByInput), Perm: v.perm()}
	case *ast.Cond:
		test := it.expr(x.Test, e, st)
		var a, b *Value
		it.branch(test, st, func(f *flow) { a = it.expr(x.Then, e, f) }, func(f *flow) { b = it.expr(x.Else, e, f) })
		return union(a, b)
	case *ast.Assign:
		return it.assign(x, e, st)
	case *ast.Await:
		return it.expr(x.X, e, st)
	case *ast.Yield:
		if x.X != nil {
			return derived(it.expr(x.X, e, st))
		}
		return unknown
	case *ast.Spread:
		return it.expr(x.X, e, st)
	case *ast.Seq:
		var last *Value = unknown
		for _, y := range x.List {
			last = it.expr(y, e, st)
		}
		return last
	case *ast.ImportCall:
		spec := it.expr(x.Spec, e, st)
		if s, ok := spec.constString(); ok && e.mod != nil {
			return it.prog.importValue(e.mod, s, x.Pos)
		}
		return unknown
	case *ast.Other:
		var kids []*Value
		for _, k := range x.Kids {
			kids = append(kids, it.expr(k, e, st))
		}
		return derived(kids...)
	}
	return unknown
}

// numberOf returns a small non-negative integer constant.
func numberOf(v *Value) (int, bool) {
	if v == nil || len(v.Alts) > 0 || v.Kind != KNumber {
		return 0, false
	}
	n := 0
	for _, c := range v.Str {
		if c < '0' || c > '9' || n > 1_000_000 {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, v.Str != ""
}

// ident is the value of a name.
func (it *interp) ident(x *ast.Ident, e *env) *Value {
	if b := e.lookup(x.Name); b != nil {
		return b.get()
	}
	switch x.Name {
	case "undefined":
		return &Value{Kind: KNull}
	case "this":
		return unknown
	case "require":
		return ext("global", "require")
	}
	return ext("global", x.Name)
}

// member reads a named property, with what the analysis knows of it.
func (it *interp) member(obj *Value, name string) *Value {
	v := prop(obj, name)
	return v
}

// template evaluates a template literal: a string pattern with holes for the
// unknown parts, with the labels and origins of its expressions. A tagged
// template is a call of its tag.
func (it *interp) template(x *ast.Template, e *env, st *flow) *Value {
	var b strings.Builder
	var parts []*Value
	for i, q := range x.Quasis {
		b.WriteString(q)
		if i < len(x.Exprs) {
			v := it.expr(x.Exprs[i], e, st)
			parts = append(parts, v)
			if s, ok := v.pattern(); ok && len(v.Alts) == 0 {
				b.WriteString(s)
			} else if n, ok := numberOf(v); ok {
				b.WriteString(itoa(n))
			} else {
				b.WriteString(Hole)
			}
		}
	}
	out := &Value{Kind: KString, Str: b.String(), Pos: x.Pos, File: it.currentFile()}
	d := derived(parts...)
	out.Labels, out.Origin, out.Perm = d.Labels, d.Origin, d.Perm
	if x.Tag == nil {
		return out
	}
	tag := it.expr(x.Tag, e, st)
	for _, t := range tag.externals() {
		if api := normalise(t); api == "@forge/api:route" || api == "@forge/api:default.route" {
			return out
		}
	}
	return it.callValue(tag, nil, append([]*Value{newArray(nil)}, parts...), nil, e, st)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var d []byte
	for ; n > 0; n /= 10 {
		d = append([]byte{byte('0' + n%10)}, d...)
	}
	return string(d)
}

// object evaluates an object literal.
func (it *interp) object(x *ast.Object, e *env, st *flow) *Value {
	o := newObject()
	o.Pos = x.Pos
	o.File = it.currentFile()
	if it.mod != nil && len(it.stack) == 0 {
		o.Obj.Module = true
	}
	for _, p := range x.Props {
		if p.Kind == "spread" {
			v := it.expr(p.Value, e, st)
			v.each(func(a *Value) {
				if a.Kind == KObject {
					for k, pv := range a.Obj.Props {
						o.Obj.Props[k] = pv
					}
				} else {
					o.Labels |= a.Labels
					o.Origin = appendOrigins(o.Origin, a.Origin)
				}
			})
			continue
		}
		key := p.Key
		if p.Computed != nil {
			k := it.expr(p.Computed, e, st)
			s, ok := k.constString()
			if !ok {
				it.expr(p.Value, e, st)
				continue
			}
			key = s
		}
		var v *Value
		if f, ok := p.Value.(*ast.Func); ok {
			c := it.closure(f, e)
			c.Fn.This = o
			v = c
		} else {
			v = it.expr(p.Value, e, st)
		}
		o.Obj.Props[key] = v
		if strings.EqualFold(key, "authorization") {
			it.record(&Event{Kind: AuthHeader, Pos: p.Pos, File: it.currentFile(), Arg: v})
		}
	}
	return o
}

// binary evaluates a binary or logical operation. Comparisons of a request's
// value with a secret are verifications; && and || guard their right side
// with their left when it is a check.
func (it *interp) binary(x *ast.Binary, e *env, st *flow) *Value {
	l := it.expr(x.L, e, st)
	var r *Value
	switch x.Op {
	case "&&", "||", "??":
		it.branch(l, st, func(f *flow) { r = it.expr(x.R, e, f) }, func(*flow) {})
		return union(l, r)
	}
	r = it.expr(x.R, e, st)
	switch x.Op {
	case "+":
		ls, lok := l.pattern()
		rs, rok := r.pattern()
		if ln, ok := numberOf(l); ok && !lok {
			ls, lok = itoa(ln), true
		}
		if rn, ok := numberOf(r); ok && !rok {
			rs, rok = itoa(rn), true
		}
		if lok || rok {
			if !lok {
				ls = Hole
			}
			if !rok {
				rs = Hole
			}
			d := derived(l, r)
			return &Value{Kind: KString, Str: ls + rs, Labels: d.Labels, Origin: d.Origin, Perm: d.Perm, Pos: x.Pos, File: it.currentFile()}
		}
	case "===", "==", "!==", "!=":
		if isVerification(l, r) {
			it.record(&Event{Kind: Comparison, Pos: x.Pos, File: it.currentFile(), Detail: x.Op})
			return &Value{Kind: KBool, Labels: Verify}
		}
	}
	// Comparisons and arithmetic make a new value (a boolean, a number):
	// it is not the input, but it still tells what a check decided.
	d := derived(l, r)
	return &Value{Kind: KUnknown, Labels: d.Labels & (Perm | Verify), Perm: d.Perm}
}

// isVerification reports whether comparing l and r checks a request's value
// against a secret.
func isVerification(l, r *Value) bool {
	ll, rl := l.labels(), r.labels()
	return ll&Secret != 0 && rl&Request != 0 || rl&Secret != 0 && ll&Request != 0
}

// assign evaluates an assignment.
func (it *interp) assign(x *ast.Assign, e *env, st *flow) *Value {
	v := it.expr(x.Value, e, st)
	if x.Op != "=" {
		if p, ok := x.Target.(ast.Expr); ok {
			old := it.expr(p, e, st)
			v = derived(old, v)
			if x.Op == "+=" {
				if os, ok := old.pattern(); ok {
					if vs, ok := v.pattern(); ok {
						v = &Value{Kind: KString, Str: os + vs, Labels: v.labels()}
					}
				}
			}
		}
	}
	if m, ok := x.Target.(*ast.Member); ok {
		if id, ok := m.Obj.(*ast.Ident); ok && id.Name == "module" && m.Prop == "exports" && e.mod != nil {
			if b := e.lookup("module"); b != nil && b.get() == e.mod.obj {
				e.mod.obj.Obj.Props["exports"] = v
				return v
			}
		}
	}
	it.bind(x.Target, v, e, st, false)
	return v
}

// call evaluates a call.
func (it *interp) call(x *ast.Call, e *env, st *flow) *Value {
	var this *Value
	var callee *Value
	if m, ok := x.Callee.(*ast.Member); ok && m.Index == nil {
		this = it.expr(m.Obj, e, st)
		callee = it.member(this, m.Prop)
	} else {
		callee = it.expr(x.Callee, e, st)
	}
	args := make([]*Value, 0, len(x.Args))
	for _, a := range x.Args {
		if sp, ok := a.(*ast.Spread); ok {
			v := it.expr(sp.X, e, st)
			v.each(func(av *Value) {
				if av.Kind == KArray {
					args = append(args, av.Obj.Elems...)
				} else {
					args = append(args, derived(av))
				}
			})
			continue
		}
		args = append(args, it.expr(a, e, st))
	}
	if m, ok := x.Callee.(*ast.Member); ok && this != nil {
		var r *Value
		this.each(func(a *Value) {
			if a.Kind == KResolver {
				r = a
			}
		})
		if r != nil {
			return it.resolverMethod(r, m.Prop, args, x)
		}
	}
	if m, ok := x.Callee.(*ast.Member); ok && mutators[m.Prop] && it.inHandler() {
		if id, ok := m.Obj.(*ast.Ident); ok {
			if b := e.lookup(id.Name); b != nil && b.moduleLevel && id.Name != "module" && id.Name != "exports" && isAppState(this) {
				it.record(&Event{Kind: ModuleStateWrite, Pos: x.Pos, File: it.currentFile(), Detail: id.Name})
			}
		}
	}
	if x.New {
		var outs []*Value
		callee.each(func(c *Value) {
			switch c.Kind {
			case KClass:
				outs = append(outs, it.construct(c, args, x, e, st))
			case KExternal:
				outs = append(outs, it.external(c, nil, args, x, e, st, true))
			case KFunc:
				inst := newObject()
				it.callFunc(c.Fn, inst, args, x, st)
				outs = append(outs, inst)
			default:
				outs = append(outs, derived(args...))
			}
		})
		return union(outs...)
	}
	if id, ok := x.Callee.(*ast.Ident); ok && id.Name == "require" && e.lookup("require") == nil && len(args) > 0 {
		if s, ok := args[0].constString(); ok && e.mod != nil {
			v := it.prog.importValue(e.mod, s, x.Pos)
			if v.Kind == KModule {
				return v.Mod.cjsOrNamespace()
			}
			return v
		}
		return unknown
	}
	return it.callValue(callee, this, args, x, e, st)
}

// mutators are the methods that change a Map, Set or array in place.
var mutators = map[string]bool{"set": true, "add": true, "push": true, "unshift": true, "splice": true, "delete": true, "clear": true}

// isAppState reports whether a value is state the app keeps (an object,
// array, Map or Set), not a package's API object (storage.set is no state
// of the app's module).
func isAppState(v *Value) bool {
	state := false
	v.each(func(a *Value) {
		switch a.Kind {
		case KObject, KArray:
			state = true
		case KExternal:
			state = state || strings.HasPrefix(a.Ext, "global:") && strings.HasSuffix(a.Ext, "()")
		}
	})
	return state
}

// cjsOrNamespace is what require() of an app module returns: module.exports,
// or for an ES module, its namespace.
func (m *module) cjsOrNamespace() *Value {
	c := m.cjs()
	if len(m.file.Exports) > 0 && c.Kind == KObject && len(c.Obj.Props) == 0 {
		return &Value{Kind: KModule, Mod: m}
	}
	return c
}

// callValue calls a callee value with arguments.
func (it *interp) callValue(callee, this *Value, args []*Value, x *ast.Call, e *env, st *flow) *Value {
	var outs []*Value
	start := st.clone()
	var post *flow
	n := 0
	callee.each(func(c *Value) {
		n++
		b := st
		if n > 1 || len(callee.Alts) > 1 {
			b = start.clone()
		}
		switch c.Kind {
		case KFunc:
			recv := this
			if c.Fn.This != nil && (recv == nil || recv.Kind != KObject) {
				recv = c.Fn.This
			}
			outs = append(outs, it.callFunc(c.Fn, recv, args, x, b))
		case KClass:
			outs = append(outs, it.construct(c, args, x, e, b))
		case KExternal:
			outs = append(outs, it.external(c, this, args, x, e, b, false))
		default:
			outs = append(outs, it.unknownCall(c, this, args, x, e, b))
		}
		if len(callee.Alts) > 1 {
			post = joinPtr(post, b)
		}
	})
	if post != nil {
		*st = *post
	}
	return union(outs...)
}

// unknownCall is a call of something the analysis does not know (a method of
// an unknown value, an unknown function). Callbacks passed to it are called,
// since code such as `.forEach(fn)`, `.then(fn)` or `Promise.all(xs.map(fn))`
// runs them; the result carries the labels of the receiver and arguments.
func (it *interp) unknownCall(callee, this *Value, args []*Value, x *ast.Call, e *env, st *flow) *Value {
	it.runCallbacks(this, args, x, st)
	return result(append([]*Value{this, callee}, args...)...)
}

// runCallbacks calls the functions among args with the elements of the
// receiver (for array methods) or with unknowns carrying the receiver's
// labels.
func (it *interp) runCallbacks(this *Value, args []*Value, x *ast.Call, st *flow) *Value {
	var outs []*Value
	for _, a := range args {
		a.each(func(f *Value) {
			if f.Kind != KFunc {
				return
			}
			elem := unknown
			if this != nil {
				elem = elementsOf(this)
			}
			b := st.clone()
			outs = append(outs, it.callFunc(f.Fn, nil, []*Value{elem, derived(this), this}, x, b))
		})
	}
	return union(outs...)
}
