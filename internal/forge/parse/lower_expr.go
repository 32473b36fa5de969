package parse

import (
	"strconv"
	"strings"

	"github.com/ecoscan/ecoscan/internal/forge/ast"
)

// exprKinds are the kinds that lower as expressions.
var exprKinds = func() (t [numKinds]bool) {
	for _, k := range []kind{
		kIdentifier, kThis, kSuper, kUndefined, kNumber, kString, kTemplateString, kRegex,
		kTrue, kFalse, kNull, kMemberExpression, kSubscriptExpression, kCallExpression,
		kNewExpression, kArrowFunction, kFunctionExpression, kGeneratorFunction, kClass,
		kObject, kArray, kBinaryExpression, kUnaryExpression, kUpdateExpression,
		kAwaitExpression, kYieldExpression, kTernaryExpression, kAssignmentExpression,
		kAugmentedAssignmentExpression, kSequenceExpression, kParenthesizedExpression,
		kAsExpression, kSatisfiesExpression, kNonNullExpression, kTypeAssertion,
		kInstantiationExpression, kMetaProperty, kJSXElement, kJSXSelfClosingElement,
		kSpreadElement, kPrivatePropertyIdentifier,
	} {
		t[k] = true
	}
	return t
}()

func isExprKind(k kind) bool { return k < numKinds && exprKinds[k] }

// missing stands for an expression the source lacks (after a syntax error).
func (l *lowerer) missing(i int32) ast.Expr {
	return &ast.Other{Pos: l.pos(i), Kind: "missing"}
}

// exprField lowers the child of i in field f, or a "missing" Other.
func (l *lowerer) exprField(i int32, f field) ast.Expr {
	if c := l.child(i, f); c >= 0 {
		return l.expr(c)
	}
	return l.missing(i)
}

func (l *lowerer) expr(i int32) ast.Expr { return l.exprNamed(i, "") }

// exprNamed lowers expression i; name is the name an anonymous function or
// class gets from where it is stored (a variable, a property, ...).
func (l *lowerer) exprNamed(i int32, name string) ast.Expr {
	if !l.enter(i) {
		return l.tooDeepExpr(i)
	}
	defer l.leave()
	p := l.pos(i)
	switch k := l.kind(i); k {
	case kIdentifier, kThis, kSuper, kUndefined, kShorthandPropertyIdentifier, kTypeIdentifier:
		return &ast.Ident{Pos: p, Name: l.name(i)}
	case kPrivatePropertyIdentifier:
		// `#x in obj`
		return &ast.Lit{Pos: p, Kind: "string", Value: l.name(i)}
	case kNumber:
		t := l.text(i)
		if strings.HasSuffix(t, "n") {
			return &ast.Lit{Pos: p, Kind: "bigint", Value: t}
		}
		return &ast.Lit{Pos: p, Kind: "number", Value: t}
	case kString:
		return &ast.Lit{Pos: p, Kind: "string", Value: l.stringValue(i)}
	case kRegex:
		return &ast.Lit{Pos: p, Kind: "regex", Value: l.text(i)}
	case kTrue, kFalse:
		return &ast.Lit{Pos: p, Kind: "bool", Value: l.text(i)}
	case kNull:
		return &ast.Lit{Pos: p, Kind: "null", Value: "null"}
	case kTemplateString:
		return l.template(i, nil)
	case kMemberExpression:
		m := &ast.Member{Pos: p, Obj: l.exprField(i, fObject), Optional: l.child(i, fOptionalChain) >= 0}
		if c := l.child(i, fProperty); c >= 0 {
			m.Prop = l.name(c)
		}
		return m
	case kSubscriptExpression:
		m := &ast.Member{Pos: p, Obj: l.exprField(i, fObject), Optional: l.child(i, fOptionalChain) >= 0}
		c := l.child(i, fIndex)
		if c < 0 {
			m.Index = l.missing(i)
			return m
		}
		if s, ok := l.constString(c); ok && s != "" {
			m.Prop = s
		} else {
			m.Index = l.expr(c)
		}
		return m
	case kCallExpression:
		return l.call(i)
	case kNewExpression:
		c := &ast.Call{Pos: p, New: true, Callee: l.exprField(i, fConstructor)}
		if a := l.child(i, fArguments); a >= 0 {
			c.Args = l.args(a)
		}
		return c
	case kArrowFunction, kFunctionExpression, kGeneratorFunction:
		return l.function(i, name)
	case kClass:
		return l.class(i, name, -1)
	case kObject:
		return l.object(i)
	case kArray:
		a := &ast.Array{Pos: p}
		l.elements(i, func(c int32) {
			if c < 0 {
				a.Elems = append(a.Elems, nil)
			} else {
				a.Elems = append(a.Elems, l.expr(c))
			}
		})
		return a
	case kSpreadElement:
		return &ast.Spread{Pos: p, X: l.exprOrMissing(i, l.firstNamed(i))}
	case kBinaryExpression:
		b := &ast.Binary{Pos: p, L: l.exprField(i, fLeft), R: l.exprField(i, fRight)}
		if c := l.child(i, fOperator); c >= 0 {
			b.Op = l.text(c)
		}
		return b
	case kUnaryExpression, kUpdateExpression:
		u := &ast.Unary{Pos: p, X: l.exprField(i, fArgument)}
		if c := l.child(i, fOperator); c >= 0 {
			u.Op = l.text(c)
		}
		return u
	case kAwaitExpression:
		return &ast.Await{Pos: p, X: l.exprOrMissing(i, l.firstNamed(i))}
	case kYieldExpression:
		y := &ast.Yield{Pos: p}
		if c := l.firstNamed(i); c >= 0 {
			y.X = l.expr(c)
		}
		return y
	case kTernaryExpression:
		return &ast.Cond{Pos: p, Test: l.exprField(i, fCondition), Then: l.exprField(i, fConsequence), Else: l.exprField(i, fAlternative)}
	case kAssignmentExpression, kAugmentedAssignmentExpression:
		a := &ast.Assign{Pos: p, Op: "="}
		if c := l.child(i, fOperator); c >= 0 {
			a.Op = l.text(c)
		}
		if c := l.child(i, fLeft); c >= 0 {
			a.Target = l.pattern(c)
		} else {
			a.Target = &ast.Ident{Pos: p}
		}
		hint := ""
		switch a.Op {
		case "=", "||=", "&&=", "??=":
			hint = targetName(a.Target)
		}
		if c := l.child(i, fRight); c >= 0 {
			a.Value = l.exprNamed(c, hint)
		} else {
			a.Value = l.missing(i)
		}
		return a
	case kSequenceExpression:
		s := &ast.Seq{Pos: p}
		l.sequence(i, s)
		return s
	case kParenthesizedExpression, kAsExpression, kSatisfiesExpression, kNonNullExpression,
		kTypeAssertion, kInstantiationExpression:
		if c := l.wrapped(i); c >= 0 {
			return l.exprNamed(c, name)
		}
		return l.missing(i)
	case kMetaProperty:
		return &ast.Other{Pos: p, Kind: l.typeName(i)}
	case kJSXElement, kJSXSelfClosingElement:
		return l.jsx(i)
	case kImport:
		return &ast.Other{Pos: p, Kind: l.typeName(i)}
	case kInternalModule, kModule:
		// a namespace where an expression was expected (after an error)
		return &ast.Other{Pos: p, Kind: l.typeName(i), Kids: l.salvage(i)}
	case kFunctionDeclaration, kGeneratorFunctionDeclaration:
		return l.function(i, name)
	case kClassDeclaration, kAbstractClassDeclaration:
		return l.class(i, name, -1)
	default:
		return &ast.Other{Pos: p, Kind: l.typeName(i), Kids: l.salvage(i)}
	}
}

// exprOrMissing lowers c, or a "missing" Other at i when c < 0.
func (l *lowerer) exprOrMissing(i, c int32) ast.Expr {
	if c < 0 {
		return l.missing(i)
	}
	return l.expr(c)
}

// wrapped is the expression inside parentheses or a TypeScript wrapper
// (`x as T`, `x satisfies T`, `x!`, `<T>x`, `f<T>`).
func (l *lowerer) wrapped(i int32) int32 {
	if l.kind(i) == kTypeAssertion {
		last := int32(-1)
		for c := l.first(i); c >= 0; c = l.next(i, c) {
			if l.named(c) && isExprKind(l.kind(c)) {
				last = c
			}
		}
		return last
	}
	for c := l.first(i); c >= 0; c = l.next(i, c) {
		if l.named(c) && (l.n[c].field == fNone || l.n[c].field == fFunction) && l.kind(c) != kUnknown {
			return c
		}
	}
	// an unknown node kind may still be an expression the tables lack
	return l.firstNamed(i)
}

// sequence flattens a sequence expression into s.
func (l *lowerer) sequence(i int32, s *ast.Seq) {
	for c := l.first(i); c >= 0; c = l.next(i, c) {
		if !l.named(c) {
			continue
		}
		if l.kind(c) == kSequenceExpression && l.enter(c) {
			l.sequence(c, s)
			l.leave()
			continue
		}
		s.List = append(s.List, l.expr(c))
	}
}

// elements walks the elements of an array or array pattern, calling f with
// -1 for each hole.
func (l *lowerer) elements(i int32, f func(int32)) {
	expect := true
	for c := l.first(i); c >= 0; c = l.next(i, c) {
		if l.kind(c) == tComma {
			if expect {
				f(-1)
			}
			expect = true
			continue
		}
		if l.named(c) {
			f(c)
			expect = false
		}
	}
}

func (l *lowerer) call(i int32) ast.Expr {
	p := l.pos(i)
	fn := l.child(i, fFunction)
	args := l.child(i, fArguments)
	if fn >= 0 && l.kind(fn) == kImport {
		ic := &ast.ImportCall{Pos: p}
		if args >= 0 {
			for c := l.first(args); c >= 0; c = l.next(args, c) {
				if l.named(c) {
					ic.Spec = l.expr(c)
					break
				}
			}
		}
		if ic.Spec == nil {
			ic.Spec = l.missing(i)
		}
		return ic
	}
	callee := l.exprOrMissing(i, fn)
	if args >= 0 && l.kind(args) == kTemplateString {
		return l.template(args, callee)
	}
	c := &ast.Call{Pos: p, Callee: callee, Optional: l.child(i, fOptionalChain) >= 0 || l.hasToken(i, tOptional)}
	if args >= 0 {
		c.Args = l.args(args)
	} else {
		c.Args = []ast.Expr{}
	}
	return c
}

// args lowers an argument list; it is not nil, so that `f()` differs from
// `new F`.
func (l *lowerer) args(i int32) []ast.Expr {
	out := []ast.Expr{}
	for c := l.first(i); c >= 0; c = l.next(i, c) {
		if l.named(c) {
			out = append(out, l.expr(c))
		}
	}
	return out
}

// template lowers a template literal, tagged when tag is not nil.
func (l *lowerer) template(i int32, tag ast.Expr) *ast.Template {
	t := &ast.Template{Pos: l.pos(i), Tag: tag}
	n := &l.n[i]
	from := n.start + 1 // after the opening backtick
	end := n.end
	if end > from && l.src[end-1] == '`' {
		end--
	}
	for c := l.first(i); c >= 0; c = l.next(i, c) {
		if l.kind(c) != kTemplateSubstitution {
			continue
		}
		cn := &l.n[c]
		t.Quasis = append(t.Quasis, l.cooked(from, cn.start))
		e := l.firstNamed(c)
		t.Exprs = append(t.Exprs, l.exprOrMissing(c, e))
		from = cn.end
	}
	t.Quasis = append(t.Quasis, l.cooked(from, max(from, end)))
	return t
}

func (l *lowerer) cooked(from, to uint32) string {
	if from >= to {
		return ""
	}
	return decodeString(l.src[from:to], true)
}

// stringValue decodes a string literal.
func (l *lowerer) stringValue(i int32) string {
	b := l.stringBody(i)
	return l.intern([]byte(decodeString(b, false)))
}

// stringBody is a string literal's text without its quotes.
func (l *lowerer) stringBody(i int32) []byte {
	b := l.raw(i)
	if len(b) >= 2 && (b[0] == '"' || b[0] == '\'') && b[len(b)-1] == b[0] {
		return b[1 : len(b)-1]
	}
	if len(b) >= 1 && (b[0] == '"' || b[0] == '\'') {
		return b[1:] // unterminated, after a syntax error
	}
	return b
}

// constString is the value of a string literal or a template literal
// without substitutions.
func (l *lowerer) constString(i int32) (string, bool) {
	switch l.kind(i) {
	case kString:
		return l.stringValue(i), true
	case kTemplateString:
		if l.childOfKind(i, kTemplateSubstitution) >= 0 {
			return "", false
		}
		t := l.template(i, nil)
		return t.Quasis[0], true
	}
	return "", false
}

// propKey is a property key: its name, or the expression of a computed key
// (a computed string literal gives its value as the name).
func (l *lowerer) propKey(i int32) (string, ast.Expr) {
	switch l.kind(i) {
	case kString:
		return l.stringValue(i), nil
	case kComputedPropertyName:
		c := l.firstNamed(i)
		if c < 0 {
			return "", l.missing(i)
		}
		if s, ok := l.constString(c); ok {
			return s, nil
		}
		return "", l.expr(c)
	default:
		return l.name(i), nil
	}
}

func (l *lowerer) object(i int32) *ast.Object {
	o := &ast.Object{Pos: l.pos(i)}
	for c := l.first(i); c >= 0; c = l.next(i, c) {
		if !l.named(c) {
			continue
		}
		p := l.pos(c)
		switch l.kind(c) {
		case kPair:
			prop := &ast.Prop{Pos: p, Kind: "init"}
			if k := l.child(c, fKey); k >= 0 {
				prop.Key, prop.Computed = l.propKey(k)
			}
			if v := l.child(c, fValue); v >= 0 {
				prop.Value = l.exprNamed(v, prop.Key)
			} else {
				prop.Value = l.missing(c)
			}
			o.Props = append(o.Props, prop)
		case kShorthandPropertyIdentifier, kIdentifier:
			name := l.name(c)
			o.Props = append(o.Props, &ast.Prop{Pos: p, Kind: "init", Key: name, Value: &ast.Ident{Pos: p, Name: name}})
		case kMethodDefinition:
			prop := &ast.Prop{Pos: p, Kind: "init"}
			if l.hasToken(c, tGet) {
				prop.Kind = "get"
			} else if l.hasToken(c, tSet) {
				prop.Kind = "set"
			}
			if k := l.child(c, fName); k >= 0 {
				prop.Key, prop.Computed = l.propKey(k)
			}
			prop.Value = l.function(c, prop.Key)
			o.Props = append(o.Props, prop)
		case kSpreadElement:
			o.Props = append(o.Props, &ast.Prop{Pos: p, Kind: "spread", Value: l.exprOrMissing(c, l.firstNamed(c))})
		default:
			// an ERROR or other stray node: keep its expressions
			o.Props = append(o.Props, &ast.Prop{Pos: p, Kind: "spread", Value: l.expr(c)})
		}
	}
	return o
}

// function lowers a function of any form; name is used when the function
// has none of its own.
func (l *lowerer) function(i int32, name string) *ast.Func {
	f := &ast.Func{Pos: l.pos(i), End: l.endPos(i), Name: name}
	k := l.kind(i)
	if k != kMethodDefinition {
		if c := l.child(i, fName); c >= 0 {
			f.Name = l.name(c)
		}
	}
	f.Async = l.hasToken(i, tAsync)
	f.Generator = l.hasToken(i, tStar)
	f.Arrow = k == kArrowFunction
	var props []string
	if c := l.child(i, fParameter); c >= 0 {
		f.Params = []ast.Pattern{l.pattern(c)}
	} else if c := l.child(i, fParameters); c >= 0 {
		f.Params, props = l.params(c)
	}
	b := l.child(i, fBody)
	switch {
	case b < 0:
		f.Body = []ast.Stmt{}
	case l.kind(b) == kStatementBlock:
		f.Body = l.body(b)
	default:
		f.Body = []ast.Stmt{&ast.Return{Pos: l.pos(b), X: l.expr(b)}}
	}
	if len(props) > 0 {
		f.Body = parameterProperties(f, props)
	}
	return f
}

// parameterProperties adds to a constructor's body what TypeScript's
// parameter properties (`constructor(private x)`) do: `this.x = x`, right
// after the first top-level `super(...)` call if there is one, else first.
func parameterProperties(f *ast.Func, props []string) []ast.Stmt {
	at := 0
	for i, s := range f.Body {
		if es, ok := s.(*ast.ExprStmt); ok {
			if c, ok := es.X.(*ast.Call); ok {
				if id, ok := c.Callee.(*ast.Ident); ok && id.Name == "super" {
					at = i + 1
					break
				}
			}
		}
	}
	out := make([]ast.Stmt, 0, len(f.Body)+len(props))
	out = append(out, f.Body[:at]...)
	for _, name := range props {
		out = append(out, &ast.ExprStmt{Pos: f.Pos, X: &ast.Assign{
			Pos: f.Pos, Op: "=",
			Target: &ast.Member{Pos: f.Pos, Obj: &ast.Ident{Pos: f.Pos, Name: "this"}, Prop: name},
			Value:  &ast.Ident{Pos: f.Pos, Name: name},
		}})
	}
	return append(out, f.Body[at:]...)
}

// params lowers formal parameters; props are the names of TypeScript
// parameter properties.
func (l *lowerer) params(i int32) (out []ast.Pattern, props []string) {
	out = []ast.Pattern{}
	for c := l.first(i); c >= 0; c = l.next(i, c) {
		if !l.named(c) {
			continue
		}
		switch l.kind(c) {
		case kRequiredParameter, kOptionalParameter:
			pat := l.child(c, fPattern)
			if pat < 0 {
				pat = l.child(c, fName)
			}
			if pat < 0 || l.kind(pat) == kThis {
				continue // `this: T` types this; it is no parameter
			}
			for d := l.first(c); d >= 0; d = l.next(c, d) {
				if l.n[d].field == fDecorator {
					l.decorator(d)
				}
			}
			p := l.pattern(pat)
			if v := l.child(c, fValue); v >= 0 {
				p = &ast.DefaultPattern{Pos: l.pos(c), Target: p, Default: l.exprNamed(v, identName(p))}
			}
			if l.childOfKind(c, kAccessibilityModifier) >= 0 || l.hasToken(c, tReadonly) {
				if id, ok := patternIdent(p); ok {
					props = append(props, id)
				}
			}
			out = append(out, p)
		case kError:
			// a broken parameter: nothing can be bound by it
		default:
			out = append(out, l.pattern(c))
		}
	}
	return out, props
}

// decorator lowers a decorator into the class being lowered.
func (l *lowerer) decorator(i int32) {
	if l.decorators == nil {
		return // decorators outside classes are not valid syntax
	}
	p := l.pos(i)
	o := &ast.Other{Pos: p, Kind: "decorator"}
	if c := l.firstNamed(i); c >= 0 {
		o.Kids = []ast.Expr{l.expr(c)}
	}
	*l.decorators = append(*l.decorators, &ast.ClassMember{Pos: p, Kind: "decorator", Value: o})
}

// class lowers a class declaration or expression; name is used when the
// class has none of its own, and exp is the export statement whose
// decorators belong to the class (or -1).
func (l *lowerer) class(i int32, name string, exp int32) *ast.Class {
	c := &ast.Class{Pos: l.pos(i), Name: name}
	if n := l.child(i, fName); n >= 0 {
		c.Name = l.name(n)
	}
	saved := l.decorators
	var decos []*ast.ClassMember
	l.decorators = &decos
	defer func() { l.decorators = saved }()
	if exp >= 0 {
		for d := l.first(exp); d >= 0; d = l.next(exp, d) {
			if l.n[d].field == fDecorator {
				l.decorator(d)
			}
		}
	}
	for d := l.first(i); d >= 0; d = l.next(i, d) {
		switch {
		case l.n[d].field == fDecorator:
			l.decorator(d)
		case l.kind(d) == kClassHeritage:
			c.Super = l.superClass(d)
		}
	}
	if b := l.child(i, fBody); b >= 0 {
		for m := l.first(b); m >= 0; m = l.next(b, m) {
			if l.named(m) {
				c.Members = l.member(m, c.Members)
			}
		}
	}
	c.Members = append(c.Members, decos...)
	return c
}

// superClass is the class a class_heritage extends, or nil.
func (l *lowerer) superClass(h int32) ast.Expr {
	for c := l.first(h); c >= 0; c = l.next(h, c) {
		switch k := l.kind(c); {
		case k == kExtendsClause:
			return l.exprField(c, fValue)
		case isExprKind(k):
			return l.expr(c)
		}
	}
	return nil
}

// member lowers one member of a class body.
func (l *lowerer) member(m int32, out []*ast.ClassMember) []*ast.ClassMember {
	p := l.pos(m)
	switch l.kind(m) {
	case kMethodDefinition:
		cm := &ast.ClassMember{Pos: p, Kind: "method", Static: l.hasToken(m, tStatic) || l.hasToken(m, tStaticGet)}
		switch {
		case l.hasToken(m, tGet) || l.hasToken(m, tStaticGet):
			cm.Kind = "get"
		case l.hasToken(m, tSet):
			cm.Kind = "set"
		}
		for d := l.first(m); d >= 0; d = l.next(m, d) {
			if l.n[d].field == fDecorator {
				l.decorator(d)
			}
		}
		if k := l.child(m, fName); k >= 0 {
			cm.Key, cm.Computed = l.propKey(k)
			if cm.Key == "constructor" && cm.Kind == "method" && !cm.Static && l.kind(k) != kComputedPropertyName {
				cm.Kind = "constructor"
			}
		}
		cm.Value = l.function(m, cm.Key)
		return append(out, cm)
	case kFieldDefinition, kPublicFieldDefinition:
		if l.hasToken(m, tDeclare) || l.hasToken(m, tAbstract) {
			return out // a type declaration only
		}
		cm := &ast.ClassMember{Pos: p, Kind: "field", Static: l.hasToken(m, tStatic)}
		for d := l.first(m); d >= 0; d = l.next(m, d) {
			if l.n[d].field == fDecorator {
				l.decorator(d)
			}
		}
		k := l.child(m, fProperty)
		if k < 0 {
			k = l.child(m, fName)
		}
		if k >= 0 {
			cm.Key, cm.Computed = l.propKey(k)
		}
		if v := l.child(m, fValue); v >= 0 {
			cm.Value = l.exprNamed(v, cm.Key)
		}
		return append(out, cm)
	case kClassStaticBlock:
		f := &ast.Func{Pos: p, End: l.endPos(m), Name: "static", Body: l.body(l.child(m, fBody))}
		return append(out, &ast.ClassMember{Pos: p, Kind: "static", Static: true, Value: f})
	case kDecorator:
		// TypeScript puts a method's decorators before it in the body
		l.decorator(m)
		return out
	case kError:
		for _, e := range l.salvage(m) {
			out = append(out, &ast.ClassMember{Pos: ast.ExprPos(e), Kind: "field", Static: true, Value: e})
		}
		return out
	default:
		// signatures and index signatures: types only
		return out
	}
}

// jsx lowers a JSX element to an Other whose kids are the attribute values
// and the child expressions.
func (l *lowerer) jsx(i int32) ast.Expr {
	o := &ast.Other{Pos: l.pos(i), Kind: l.typeName(i)}
	open := i
	if l.kind(i) == kJSXElement {
		open = l.child(i, fOpenTag)
	}
	if open >= 0 {
		for a := l.first(open); a >= 0; a = l.next(open, a) {
			if l.n[a].field != fAttribute {
				continue
			}
			switch l.kind(a) {
			case kJSXExpression:
				o.Kids = l.jsxExpr(a, o.Kids)
			case kJSXAttribute:
				for v := l.first(a); v >= 0; v = l.next(a, v) {
					switch l.kind(v) {
					case kString:
						// JSX strings have no backslash escapes, only
						// HTML character references
						o.Kids = append(o.Kids, &ast.Lit{Pos: l.pos(v), Kind: "string", Value: decodeJSXString(l.stringBody(v))})
					case kJSXExpression:
						o.Kids = l.jsxExpr(v, o.Kids)
					case kJSXElement, kJSXSelfClosingElement:
						o.Kids = append(o.Kids, l.expr(v))
					}
				}
			}
		}
	}
	if l.kind(i) == kJSXElement {
		for c := l.first(i); c >= 0; c = l.next(i, c) {
			switch l.kind(c) {
			case kJSXElement, kJSXSelfClosingElement:
				o.Kids = append(o.Kids, l.expr(c))
			case kJSXExpression:
				o.Kids = l.jsxExpr(c, o.Kids)
			}
		}
	}
	return o
}

// jsxExpr appends the expression of a `{...}` in JSX, if it has one.
func (l *lowerer) jsxExpr(i int32, out []ast.Expr) []ast.Expr {
	if c := l.firstNamed(i); c >= 0 {
		out = append(out, l.expr(c))
	}
	return out
}

// salvage lowers the expressions found inside a node the lowering has no
// use for (an ERROR, a node type it does not know), so that no call in it
// is lost.
func (l *lowerer) salvage(i int32) []ast.Expr {
	var kids []ast.Expr
	for c := l.first(i); c >= 0; c = l.next(i, c) {
		if !l.named(c) {
			continue
		}
		switch k := l.kind(c); {
		case isExprKind(k), k == kFunctionDeclaration, k == kGeneratorFunctionDeclaration,
			k == kClassDeclaration, k == kAbstractClassDeclaration:
			kids = append(kids, l.expr(c))
		case l.first(c) >= 0:
			if !l.enter(c) {
				kids = append(kids, l.tooDeepExpr(c))
				continue
			}
			kids = append(kids, l.salvage(c)...)
			l.leave()
		}
	}
	return kids
}

// --- patterns ---

// pattern lowers a binding or assignment target.
func (l *lowerer) pattern(i int32) ast.Pattern {
	p := l.pos(i)
	if !l.enter(i) {
		return &ast.Ident{Pos: p}
	}
	defer l.leave()
	switch l.kind(i) {
	case kIdentifier, kUndefined, kShorthandPropertyIdentifierPattern, kThis:
		return &ast.Ident{Pos: p, Name: l.name(i)}
	case kMemberExpression, kSubscriptExpression:
		if m, ok := l.expr(i).(*ast.Member); ok {
			return m
		}
		return &ast.Ident{Pos: p}
	case kObjectPattern:
		op := &ast.ObjectPattern{Pos: p}
		for c := l.first(i); c >= 0; c = l.next(i, c) {
			switch l.kind(c) {
			case kPairPattern:
				pp := &ast.PatternProp{}
				if k := l.child(c, fKey); k >= 0 {
					pp.Key, pp.Computed = l.propKey(k)
				}
				if v := l.child(c, fValue); v >= 0 {
					pp.Value = l.pattern(v)
				} else {
					pp.Value = &ast.Ident{Pos: l.pos(c)}
				}
				op.Props = append(op.Props, pp)
			case kShorthandPropertyIdentifierPattern, kIdentifier:
				name := l.name(c)
				op.Props = append(op.Props, &ast.PatternProp{Key: name, Value: &ast.Ident{Pos: l.pos(c), Name: name}})
			case kObjectAssignmentPattern:
				pp := &ast.PatternProp{}
				left := l.child(c, fLeft)
				var target ast.Pattern = &ast.Ident{Pos: l.pos(c)}
				if left >= 0 {
					target = l.pattern(left)
					if k := l.kind(left); k == kShorthandPropertyIdentifierPattern || k == kIdentifier {
						pp.Key = l.name(left)
					}
				}
				var def ast.Expr
				if r := l.child(c, fRight); r >= 0 {
					def = l.exprNamed(r, pp.Key)
				} else {
					def = l.missing(c)
				}
				pp.Value = &ast.DefaultPattern{Pos: l.pos(c), Target: target, Default: def}
				op.Props = append(op.Props, pp)
			case kRestPattern:
				op.Rest = l.restTarget(c)
			}
		}
		return op
	case kArrayPattern:
		ap := &ast.ArrayPattern{Pos: p}
		l.elements(i, func(c int32) {
			switch {
			case c < 0:
				ap.Elems = append(ap.Elems, nil)
			case l.kind(c) == kRestPattern:
				ap.Rest = l.restTarget(c)
			default:
				ap.Elems = append(ap.Elems, l.pattern(c))
			}
		})
		return ap
	case kAssignmentPattern:
		d := &ast.DefaultPattern{Pos: p}
		if c := l.child(i, fLeft); c >= 0 {
			d.Target = l.pattern(c)
		} else {
			d.Target = &ast.Ident{Pos: p}
		}
		if c := l.child(i, fRight); c >= 0 {
			d.Default = l.exprNamed(c, identName(d.Target))
		} else {
			d.Default = l.missing(i)
		}
		return d
	case kRestPattern:
		return &ast.RestPattern{Pos: p, Target: l.restTarget(i)}
	case kParenthesizedExpression, kAsExpression, kSatisfiesExpression, kNonNullExpression, kTypeAssertion:
		if c := l.wrapped(i); c >= 0 {
			return l.pattern(c)
		}
		return &ast.Ident{Pos: p}
	default:
		// not a valid target (after a syntax error)
		return &ast.Ident{Pos: p}
	}
}

// restTarget is the target of `...target` in a pattern.
func (l *lowerer) restTarget(i int32) ast.Pattern {
	if c := l.firstNamed(i); c >= 0 {
		return l.pattern(c)
	}
	return &ast.Ident{Pos: l.pos(i)}
}

// identName is the name of an identifier pattern, else "".
func identName(p ast.Pattern) string {
	if id, ok := p.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}

// targetName is the name a function assigned to p gets: the variable's or
// the property's.
func targetName(p ast.Pattern) string {
	switch t := p.(type) {
	case *ast.Ident:
		return t.Name
	case *ast.Member:
		return t.Prop
	}
	return ""
}

// patternIdent is the identifier a parameter binds, through a default.
func patternIdent(p ast.Pattern) (string, bool) {
	switch t := p.(type) {
	case *ast.Ident:
		return t.Name, true
	case *ast.DefaultPattern:
		return patternIdent(t.Target)
	}
	return "", false
}

// boundNames appends the names a pattern binds.
func boundNames(p ast.Pattern, out []string) []string {
	switch t := p.(type) {
	case *ast.Ident:
		if t.Name != "" {
			out = append(out, t.Name)
		}
	case *ast.ObjectPattern:
		for _, pp := range t.Props {
			out = boundNames(pp.Value, out)
		}
		if t.Rest != nil {
			out = boundNames(t.Rest, out)
		}
	case *ast.ArrayPattern:
		for _, e := range t.Elems {
			if e != nil {
				out = boundNames(e, out)
			}
		}
		if t.Rest != nil {
			out = boundNames(t.Rest, out)
		}
	case *ast.DefaultPattern:
		out = boundNames(t.Target, out)
	case *ast.RestPattern:
		out = boundNames(t.Target, out)
	}
	return out
}

// parseInt reads a JavaScript integer literal (decimal, hex, octal, binary,
// with separators).
func parseInt(s string) (int64, bool) {
	s = strings.ReplaceAll(s, "_", "")
	base := 10
	if len(s) > 2 && s[0] == '0' {
		switch s[1] {
		case 'x', 'X':
			base, s = 16, s[2:]
		case 'o', 'O':
			base, s = 8, s[2:]
		case 'b', 'B':
			base, s = 2, s[2:]
		}
	}
	n, err := strconv.ParseInt(s, base, 64)
	return n, err == nil
}

func formatInt(n int64) string { return strconv.FormatInt(n, 10) }
