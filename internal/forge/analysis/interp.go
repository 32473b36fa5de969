package analysis

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ecoscan/ecoscan/internal/forge/ast"
)

// env is a scope: names bound to values.
type env struct {
	vars        map[string]*binding
	parent      *env
	mod         *module
	moduleScope bool
}

// binding is a variable. Assignments add to its value (weak update), so that
// what a variable may hold after a branch is what it may hold on either.
type binding struct {
	v           *Value
	moduleLevel bool
	assigned    bool // assigned after its declaration
}

func (b *binding) get() *Value {
	if b.v == nil {
		return unknown
	}
	return b.v
}

func newEnv(parent *env, m *module) *env {
	return &env{vars: map[string]*binding{}, parent: parent, mod: m}
}

func (e *env) declare(name string, v *Value) {
	if name == "" {
		return
	}
	e.vars[name] = &binding{v: v, moduleLevel: e.moduleScope}
}

func (e *env) lookup(name string) *binding {
	for s := e; s != nil; s = s.parent {
		if b, ok := s.vars[name]; ok {
			return b
		}
	}
	return nil
}

// flow is what must hold at a point of the code: the permission checks whose
// result decided that the point is reached, and whether the webtrigger's
// request was verified. Dead means the point is not reached (after a return,
// throw, break or continue).
type flow struct {
	guards   []*permission
	verified bool
	dead     bool
}

func (f *flow) clone() *flow {
	c := *f
	c.guards = append([]*permission(nil), f.guards...)
	return &c
}

// join is what holds after two branches: what holds on both that go on.
func join(a, b *flow) *flow {
	switch {
	case a.dead:
		return b
	case b.dead:
		return a
	}
	out := &flow{verified: a.verified && b.verified}
	for _, g := range a.guards {
		for _, h := range b.guards {
			if g == h {
				out.guards = append(out.guards, g)
				break
			}
		}
	}
	return out
}

// frame is one call on the analysis's call stack.
type frame struct {
	fn      *Closure
	name    string
	file    string
	pos     ast.Pos // where it was called from (the entry's position for the first frame)
	rets    []*Value
	retFlow *flow // the join of the flows of its returns
}

// Frame is one step of a call path, for evidence.
type Frame struct {
	Name string
	File string
	Pos  ast.Pos
}

// String is "name (file:line)".
func (f Frame) String() string {
	if f.File == "" {
		return f.Name
	}
	return fmt.Sprintf("%s (%s:%d)", f.Name, f.File, f.Pos.Line)
}

type memoKey struct {
	fn  *ast.Func
	sig string
}

type memoResult struct {
	ret  *Value
	post *flow
}

// interp is the abstract interpreter.
type interp struct {
	prog      *program
	res       *Result
	entry     *EntryPoint
	stack     []*frame
	mod       *module // the module whose top-level code runs, during init
	jumps     [][]*flow
	memo      map[memoKey]*memoResult
	evaluated map[*ast.Func]bool
	allFuncs  map[*ast.Func]*module
	seen      map[string]bool // events already recorded
	steps     int
	maxSteps  int
	exhausted bool
	depth     int
}

const (
	defaultMaxSteps = 20_000_000
	maxCallDepth    = 24
	maxExprDepth    = 400
)

func newInterp(p *program) *interp {
	max := p.in.MaxSteps
	if max <= 0 {
		max = defaultMaxSteps
	}
	return &interp{
		prog:      p,
		memo:      map[memoKey]*memoResult{},
		evaluated: map[*ast.Func]bool{},
		allFuncs:  map[*ast.Func]*module{},
		seen:      map[string]bool{},
		maxSteps:  max,
	}
}

func (it *interp) errorf(file string, pos ast.Pos, format string, args ...any) {
	it.res.Errors = append(it.res.Errors, Error{File: file, Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

func (it *interp) enterModule(m *module) (saved *module) {
	saved = it.mod
	it.mod = m
	return saved
}

func (it *interp) leaveModule(saved *module) { it.mod = saved }

// step counts work and says whether the budget still allows more.
func (it *interp) step() bool {
	if it.exhausted {
		return false
	}
	it.steps++
	if it.steps > it.maxSteps {
		it.exhausted = true
		return false
	}
	return true
}

// currentFile is the file of the code being evaluated.
func (it *interp) currentFile() string {
	if n := len(it.stack); n > 0 && it.stack[n-1].fn != nil {
		return it.stack[n-1].fn.File.path
	}
	if it.mod != nil {
		return it.mod.path
	}
	return ""
}

// hoist declares the functions and classes of a block before it runs, as
// JavaScript does.
func (it *interp) hoist(body []ast.Stmt, e *env) {
	for _, s := range body {
		switch s := s.(type) {
		case *ast.FuncDecl:
			e.declare(s.Func.Name, it.closure(s.Func, e))
		case *ast.VarDecl:
			if s.Kind == "var" {
				for _, d := range s.Decls {
					if id, ok := d.Target.(*ast.Ident); ok && e.lookup(id.Name) == nil {
						e.declare(id.Name, unknown)
					}
				}
			}
		}
	}
}

func (it *interp) closure(f *ast.Func, e *env) *Value {
	if _, ok := it.allFuncs[f]; !ok {
		it.allFuncs[f] = e.mod
	}
	return &Value{Kind: KFunc, Fn: &Closure{Fn: f, Env: e, File: e.mod}}
}

// stmts runs a statement list.
func (it *interp) stmts(body []ast.Stmt, e *env, st *flow) {
	for _, s := range body {
		if st.dead || it.exhausted {
			return
		}
		it.stmt(s, e, st)
	}
}

func (it *interp) block(body []ast.Stmt, e *env, st *flow) {
	inner := newEnv(e, e.mod)
	it.hoist(body, inner)
	it.stmts(body, inner, st)
}

func (it *interp) stmt(s ast.Stmt, e *env, st *flow) {
	if !it.step() {
		return
	}
	switch s := s.(type) {
	case *ast.VarDecl:
		for _, d := range s.Decls {
			var v *Value = &Value{Kind: KNull}
			if d.Init != nil {
				v = it.expr(d.Init, e, st)
			}
			it.bind(d.Target, v, e, st, true)
		}
	case *ast.FuncDecl:
		if e.lookup(s.Func.Name) == nil {
			e.declare(s.Func.Name, it.closure(s.Func, e))
		}
	case *ast.ClassDecl:
		e.declare(s.Class.Name, it.class(s.Class, e, st))
	case *ast.ExprStmt:
		it.expr(s.X, e, st)
	case *ast.If:
		test := it.expr(s.Test, e, st)
		// A key compared with the names that reach a prototype is safe
		// where the comparison says it is none of them.
		unsafeNames := keyChecks(s.Test, "===", "||")
		safeNames := keyChecks(s.Test, "!==", "&&")
		thenDead := false
		it.branch(test, st, func(b *flow) {
			te := e
			if len(safeNames) > 0 {
				te = newEnv(e, e.mod)
				for _, n := range safeNames {
					if bd := e.lookup(n); bd != nil {
						te.declare(n, sanitised(bd.get()))
					}
				}
			}
			it.block(s.Then, te, b)
			thenDead = b.dead
		}, func(b *flow) { it.block(s.Else, e, b) })
		if thenDead {
			for _, n := range unsafeNames {
				if bd := e.lookup(n); bd != nil {
					bd.v = sanitised(bd.get())
				}
			}
		}
	case *ast.Return:
		var v *Value = &Value{Kind: KNull}
		if s.X != nil {
			v = it.expr(s.X, e, st)
		}
		if n := len(it.stack); n > 0 {
			fr := it.stack[n-1]
			fr.rets = append(fr.rets, v)
			fr.retFlow = joinPtr(fr.retFlow, st)
		}
		st.dead = true
	case *ast.Throw:
		it.expr(s.X, e, st)
		st.dead = true
	case *ast.Block:
		it.block(s.Body, e, st)
	case *ast.Loop:
		it.loop(s, e, st)
	case *ast.Switch:
		disc := it.expr(s.Disc, e, st)
		_ = disc
		pre := st.clone()
		var out *flow
		hasDefault := false
		it.jumps = append(it.jumps, nil)
		for _, c := range s.Cases {
			b := pre.clone()
			if c.Test == nil {
				hasDefault = true
			} else {
				it.expr(c.Test, e, b)
			}
			it.block(c.Body, e, b)
			out = joinPtr(out, b)
		}
		for _, j := range it.jumps[len(it.jumps)-1] {
			out = joinPtr(out, j)
		}
		it.jumps = it.jumps[:len(it.jumps)-1]
		if !hasDefault {
			out = joinPtr(out, pre)
		}
		if out == nil {
			out = pre
		}
		*st = *out
	case *ast.Try:
		pre := st.clone()
		body := st.clone()
		it.block(s.Body, e, body)
		out := body
		if s.Catch != nil {
			c := pre.clone()
			ce := newEnv(e, e.mod)
			if s.Param != nil {
				it.bind(s.Param, unknown, ce, c, true)
			}
			it.block(s.Catch, ce, c)
			out = join(body, c)
		}
		if s.Finally != nil {
			fin := out.clone()
			fin.dead = false
			it.block(s.Finally, e, fin)
			if fin.dead {
				out = fin
			}
		}
		*st = *out
	case *ast.Jump:
		if n := len(it.jumps); n > 0 {
			it.jumps[n-1] = append(it.jumps[n-1], st.clone())
		}
		st.dead = true
	case *ast.Labeled:
		it.stmt(s.Body, e, st)
	}
}

// prototypeKeys are the property names through which a write reaches a
// prototype.
var prototypeKeys = map[string]bool{"__proto__": true, "constructor": true, "prototype": true}

// keyChecks lists the variables that a condition compares (with op, in a
// chain joined by join) with the names of prototypeKeys: `k === '__proto__'
// || k === 'constructor'`, or `['__proto__', ...].includes(k)`.
func keyChecks(x ast.Expr, op, join string) []string {
	switch x := x.(type) {
	case *ast.Binary:
		if x.Op == join {
			return append(keyChecks(x.L, op, join), keyChecks(x.R, op, join)...)
		}
		if x.Op == op || x.Op == strings.TrimSuffix(op, "=") {
			if id, lit := identAndLit(x.L, x.R); id != "" && prototypeKeys[lit] {
				return []string{id}
			}
		}
	case *ast.Call:
		m, ok := x.Callee.(*ast.Member)
		if op != "===" || !ok || m.Prop != "includes" || len(x.Args) != 1 {
			return nil
		}
		arr, ok := m.Obj.(*ast.Array)
		id, isIdent := x.Args[0].(*ast.Ident)
		if !ok || !isIdent {
			return nil
		}
		for _, el := range arr.Elems {
			if l, ok := el.(*ast.Lit); ok && prototypeKeys[l.Value] {
				return []string{id.Name}
			}
		}
	}
	return nil
}

func identAndLit(a, b ast.Expr) (string, string) {
	if l, ok := b.(*ast.Lit); ok && l.Kind == "string" {
		if id, ok := a.(*ast.Ident); ok {
			return id.Name, l.Value
		}
	}
	if l, ok := a.(*ast.Lit); ok && l.Kind == "string" {
		if id, ok := b.(*ast.Ident); ok {
			return id.Name, l.Value
		}
	}
	return "", ""
}

// sanitised is v known not to be a prototype's name.
func sanitised(v *Value) *Value {
	if v.labels()&Tainted == 0 {
		return v
	}
	return &Value{Kind: KString, Str: Hole, Origin: v.origins()}
}

func joinPtr(a *flow, b *flow) *flow {
	if a == nil {
		return b.clone()
	}
	return join(a, b)
}

// branch runs the two arms of a condition. A condition that depends on a
// permission check or a verification guards both arms; after the branches,
// only what holds on every arm that goes on remains, so a guard survives the
// branch only when an arm that did not pass it ends (return, throw).
func (it *interp) branch(test *Value, st *flow, then, els func(*flow)) {
	a, b := st.clone(), st.clone()
	if p := test.perm(); p != nil {
		a.guards = append(a.guards, p)
		b.guards = append(b.guards, p)
	}
	if test.labels()&Verify != 0 {
		a.verified, b.verified = true, true
	}
	then(a)
	els(b)
	out := join(a, b)
	if !a.dead && !b.dead {
		// Both arms go on: the test decided nothing about what follows,
		// so what it added holds no longer.
		out.guards = intersect(out.guards, st.guards)
		if test.labels()&Verify != 0 {
			out.verified = st.verified
		}
	}
	*st = *out
}

func intersect(a, b []*permission) []*permission {
	var out []*permission
	for _, g := range a {
		for _, h := range b {
			if g == h {
				out = append(out, g)
				break
			}
		}
	}
	return out
}

func (it *interp) loop(s *ast.Loop, e *env, st *flow) {
	le := newEnv(e, e.mod)
	if s.Init != nil {
		it.stmt(s.Init, le, st)
	}
	if s.Right != nil {
		right := it.expr(s.Right, le, st)
		var elem *Value
		if s.Kind == "for-in" {
			elem = keysOf(right)
		} else {
			elem = elementsOf(right)
		}
		if s.Left != nil {
			it.bind(s.Left, elem, le, st, true)
		}
	}
	var test *Value = unknown
	if s.Test != nil {
		test = it.expr(s.Test, le, st)
	}
	pre := st.clone()
	body := st.clone()
	it.jumps = append(it.jumps, nil)
	it.branch(test, body, func(b *flow) { it.block(s.Body, le, b) }, func(b *flow) {})
	if s.Update != nil && !body.dead {
		it.expr(s.Update, le, body)
	}
	out := join(pre, body)
	for _, j := range it.jumps[len(it.jumps)-1] {
		out = join(out, j)
	}
	it.jumps = it.jumps[:len(it.jumps)-1]
	if s.Kind == "do" {
		// The body of a do-while runs at least once.
		out = body
		if body.dead {
			out = pre
			out.dead = false
		}
	}
	out.dead = false
	*st = *out
}

// keysOf is the value of a for-in key over v.
func keysOf(v *Value) *Value {
	var keys []*Value
	v.each(func(a *Value) {
		if a.Kind == KObject && a.Labels&Tainted == 0 {
			for k := range a.Obj.Props {
				keys = append(keys, str(k))
			}
		}
	})
	d := derived(v)
	if len(keys) == 0 || d.labels() != 0 {
		keys = append(keys, d)
	}
	return union(keys...)
}

// elementsOf is the value of an element of an iterable v.
func elementsOf(v *Value) *Value {
	var elems []*Value
	v.each(func(a *Value) {
		if a.Kind == KArray {
			for _, x := range a.Obj.Elems {
				if x != nil {
					elems = append(elems, x)
				}
			}
			if len(a.Obj.Elems) == 0 || a.Labels != 0 {
				elems = append(elems, derived(a))
			}
			return
		}
		elems = append(elems, derived(a))
	})
	return union(elems...)
}

// bind binds a pattern to a value: declarations (decl) make new variables in
// e; assignments update the variables or properties they name.
func (it *interp) bind(p ast.Pattern, v *Value, e *env, st *flow, decl bool) {
	switch p := p.(type) {
	case *ast.Ident:
		if decl {
			e.declare(p.Name, v)
			return
		}
		it.assignVar(p, v, e)
	case *ast.Member:
		it.assignMember(p, v, e, st)
	case *ast.ObjectPattern:
		var used []string
		for _, pp := range p.Props {
			var fv *Value
			if pp.Computed != nil {
				k := it.expr(pp.Computed, e, st)
				if s, ok := k.constString(); ok {
					fv = prop(v, s)
					used = append(used, s)
				} else {
					fv = derived(v)
				}
			} else {
				fv = prop(v, pp.Key)
				used = append(used, pp.Key)
			}
			it.bind(pp.Value, fv, e, st, decl)
		}
		if p.Rest != nil {
			it.bind(p.Rest, restOf(v, used), e, st, decl)
		}
	case *ast.ArrayPattern:
		for i, el := range p.Elems {
			if el == nil {
				continue
			}
			it.bind(el, indexOf(v, i), e, st, decl)
		}
		if p.Rest != nil {
			it.bind(p.Rest, derived(v), e, st, decl)
		}
	case *ast.DefaultPattern:
		d := it.expr(p.Default, e, st)
		if v == nil || v.Kind == KUnknown && v.labels() == 0 && v.perm() == nil {
			v = union(v, d)
		}
		it.bind(p.Target, v, e, st, decl)
	case *ast.RestPattern:
		it.bind(p.Target, v, e, st, decl)
	}
}

// restOf is `...rest` of an object pattern: the object without the used keys.
func restOf(v *Value, used []string) *Value {
	var outs []*Value
	v.each(func(a *Value) {
		if a.Kind != KObject {
			outs = append(outs, derived(a))
			return
		}
		o := newObject()
		for k, pv := range a.Obj.Props {
			skip := false
			for _, u := range used {
				skip = skip || u == k
			}
			if !skip {
				o.Obj.Props[k] = pv
			}
		}
		o.Labels, o.Origin = a.Labels, a.Origin
		outs = append(outs, o)
	})
	return union(outs...)
}

// indexOf is element i of v.
func indexOf(v *Value, i int) *Value {
	var outs []*Value
	v.each(func(a *Value) {
		if a.Kind == KArray && i < len(a.Obj.Elems) && a.Obj.Elems[i] != nil {
			outs = append(outs, a.Obj.Elems[i])
			return
		}
		outs = append(outs, derived(a))
	})
	return union(outs...)
}

func (it *interp) assignVar(id *ast.Ident, v *Value, e *env) {
	b := e.lookup(id.Name)
	if b == nil {
		// An undeclared name: a global of the module.
		root := e
		for root.parent != nil {
			root = root.parent
		}
		root.vars[id.Name] = &binding{v: v, moduleLevel: true}
		return
	}
	b.v = union(b.v, v)
	b.assigned = true
	if b.moduleLevel && it.inHandler() {
		it.record(&Event{Kind: ModuleStateWrite, Pos: id.Pos, File: it.currentFile(), Detail: id.Name})
	}
}

// inHandler reports whether the code runs for an entry point's invocation
// (not a module's top-level code).
func (it *interp) inHandler() bool {
	return it.entry != nil && len(it.stack) > 0
}

func (it *interp) assignMember(m *ast.Member, v *Value, e *env, st *flow) {
	obj := it.expr(m.Obj, e, st)
	key := m.Prop
	var keyVal *Value
	if m.Index != nil {
		keyVal = it.expr(m.Index, e, st)
		if s, ok := keyVal.constString(); ok {
			key = s
		}
	}
	// Prototype pollution: a key chosen by the input, written into an object
	// that was itself read with a key chosen by the input.
	if key == "" && keyVal != nil && keyVal.labels()&Tainted != 0 && obj.labels()&KeyedByInput != 0 {
		it.record(&Event{Kind: ProtoPollution, Pos: m.Pos, File: it.currentFile(), Arg: keyVal})
	}
	// Module-level objects written by a handler: state shared across
	// installations.
	if it.inHandler() {
		if id, ok := m.Obj.(*ast.Ident); ok {
			if b := e.lookup(id.Name); b != nil && b.moduleLevel && id.Name != "module" && id.Name != "exports" {
				it.record(&Event{Kind: ModuleStateWrite, Pos: m.Pos, File: it.currentFile(), Detail: id.Name})
			}
		}
	}
	obj.each(func(a *Value) {
		if (a.Kind == KObject || a.Kind == KClass) && key != "" {
			a.Obj.Props[key] = union(a.Obj.Props[key], v)
		}
		if a.Kind == KArray && key == "" {
			if len(a.Obj.Elems) < maxElems {
				a.Obj.Elems = append(a.Obj.Elems, v)
			}
		}
	})
}

// class makes a class value: its members are the prototype's, and its
// constructor runs on `new`.
func (it *interp) class(c *ast.Class, e *env, st *flow) *Value {
	v := &Value{Kind: KClass, Obj: &Object{Props: map[string]*Value{}, Class: c, ClassEnv: e}}
	if c.Super != nil {
		v.Obj.Super = it.expr(c.Super, e, st)
	}
	for _, m := range c.Members {
		if m.Key == "" || m.Value == nil {
			continue
		}
		if f, ok := m.Value.(*ast.Func); ok {
			v.Obj.Props[m.Key] = it.closure(f, e)
		}
	}
	return v
}

// construct is `new C(args)` of a class value.
func (it *interp) construct(c *Value, args []*Value, call *ast.Call, e *env, st *flow) *Value {
	inst := newObject()
	inst.Obj.Super = c
	cls := c.Obj.Class
	for _, m := range cls.Members {
		if m.Kind == "field" && !m.Static && m.Key != "" {
			if m.Value != nil {
				inst.Obj.Props[m.Key] = it.expr(m.Value, c.Obj.ClassEnv, st)
			} else {
				inst.Obj.Props[m.Key] = unknown
			}
		}
	}
	if ctor, ok := c.Obj.Props["constructor"]; ok && ctor.Kind == KFunc {
		it.callFunc(ctor.Fn, inst, args, call, st)
	} else if c.Obj.Super != nil && c.Obj.Super.Kind == KClass {
		it.construct(c.Obj.Super, args, call, e, st)
	}
	return inst
}

// callFunc calls one of the app's functions with arguments: the body runs
// with the caller's state, and the caller goes on with the join of the
// states of the function's returns.
func (it *interp) callFunc(c *Closure, this *Value, args []*Value, call *ast.Call, st *flow) *Value {
	if it.exhausted {
		return unknown
	}
	f := c.Fn
	recursion := 0
	for _, fr := range it.stack {
		if fr.fn != nil && fr.fn.Fn == f {
			recursion++
		}
	}
	if recursion >= 2 || len(it.stack) >= maxCallDepth {
		return derived(args...)
	}
	it.evaluated[f] = true
	var b strings.Builder
	fmt.Fprintf(&b, "%p|%v|%d|", it.entry, st.verified, len(st.guards))
	for _, g := range st.guards {
		fmt.Fprintf(&b, "%p,", g)
	}
	sig(&b, this, 0)
	for _, a := range args {
		b.WriteByte(';')
		sig(&b, a, 0)
	}
	key := memoKey{fn: f, sig: b.String()}
	if m, ok := it.memo[key]; ok {
		if m.post != nil {
			*st = *m.post.clone()
		}
		return m.ret
	}
	// A call in progress (mutual recursion below the bound) sees an
	// unknown result.
	it.memo[key] = &memoResult{ret: derived(args...), post: nil}

	fe := newEnv(c.Env, c.File)
	if this != nil {
		fe.declare("this", this)
	} else if c.This != nil {
		fe.declare("this", c.This)
	}
	fe.declare("arguments", newArray(args))
	for i, p := range f.Params {
		var a *Value = &Value{Kind: KNull}
		if _, rest := p.(*ast.RestPattern); rest {
			if i < len(args) {
				a = newArray(args[i:])
			} else {
				a = newArray(nil)
			}
		} else if i < len(args) {
			a = args[i]
		}
		it.bind(p, a, fe, st, true)
	}
	name := f.Name
	switch {
	case name != "":
	case call == nil && it.entry != nil && it.entry.Key != "":
		name = "the function defined for " + strconv.Quote(it.entry.Key)
	case call == nil && it.entry != nil:
		name = "the handler"
	default:
		name = "(anonymous)"
	}
	fr := &frame{fn: c, name: name, file: it.currentFile()}
	if call != nil {
		fr.pos = call.Pos
	} else {
		fr.file, fr.pos = c.File.path, f.Pos
	}
	it.stack = append(it.stack, fr)
	body := st.clone()
	savedJumps := it.jumps
	it.jumps = nil
	it.hoist(f.Body, fe)
	it.stmts(f.Body, fe, body)
	it.jumps = savedJumps
	it.stack = it.stack[:len(it.stack)-1]
	if !body.dead {
		fr.rets = append(fr.rets, &Value{Kind: KNull})
		fr.retFlow = joinPtr(fr.retFlow, body)
	}
	ret := union(fr.rets...)
	post := fr.retFlow
	if post == nil {
		// Every path throws: the caller does not go on past the call.
		post = st.clone()
		post.dead = true
		if f.Async {
			// A rejected promise: the caller may go on without awaiting it.
			post.dead = false
		}
	}
	it.memo[key] = &memoResult{ret: ret, post: post}
	*st = *post.clone()
	return ret
}

// path is the call path to the current point, from the entry point.
func (it *interp) path(pos ast.Pos) []Frame {
	var out []Frame
	for _, fr := range it.stack {
		out = append(out, Frame{Name: fr.name, File: fr.file, Pos: fr.pos})
	}
	return out
}
