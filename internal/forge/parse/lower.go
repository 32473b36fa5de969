package parse

import (
	"bytes"

	"github.com/ecoscan/ecoscan/internal/forge/ast"
)

// MaxDepth bounds the nesting of the lowered tree: a sub-tree deeper than
// this becomes an Other with no kids (Kind "too-deep"), and the file gets
// one error. It keeps the lowering's recursion, and the analysis's, finite
// on hostile input such as 100,000 nested brackets.
const MaxDepth = 1000

// maxFileErrors bounds File.Errors.
const maxFileErrors = 10

// lowerer lowers one flattened tree into an ast.File.
type lowerer struct {
	g     *grammar
	src   []byte
	n     []node
	lines lineIndex
	names map[string]string // interned identifier and string texts
	file  *ast.File

	depth   int
	tooDeep bool
	deepAt  ast.Pos

	// decorators collects the decorator expressions of the class being
	// lowered (nil outside classes).
	decorators *[]*ast.ClassMember
	// namespaces counts the TypeScript namespaces around the statement
	// being lowered: their `export`s are not the module's.
	namespaces int
}

// lowerStats tells Dir what the lowering met besides the tree.
type lowerStats struct {
	syntaxErrors int
	firstError   ast.Pos
	tooDeep      bool
	deepAt       ast.Pos
}

// lower lowers a parsed file.
func lower(path string, c *cst) (*ast.File, lowerStats) {
	l := &lowerer{
		g:     c.g,
		src:   c.src,
		n:     c.nodes,
		lines: newLineIndex(c.src),
		names: map[string]string{},
		file:  &ast.File{Path: path},
	}
	var st lowerStats
	offs := c.syntaxErrors()
	st.syntaxErrors = len(offs)
	for _, off := range offs {
		if len(l.file.Errors) == maxFileErrors {
			break
		}
		l.file.Errors = append(l.file.Errors, l.lines.pos(off))
	}
	if len(offs) > 0 {
		st.firstError = l.file.Errors[0]
	}
	l.lines.last = 0
	l.file.Body = l.stmtList(0, nil)
	if l.tooDeep {
		st.tooDeep, st.deepAt = true, l.deepAt
		if len(l.file.Errors) < maxFileErrors {
			l.file.Errors = append(l.file.Errors, l.deepAt)
		}
	}
	return l.file, st
}

// enter counts one level of nesting; it reports false (and records the
// place once) when the bound is reached, and then the caller must not
// descend and must not call leave.
func (l *lowerer) enter(i int32) bool {
	if l.depth >= MaxDepth {
		if !l.tooDeep {
			l.tooDeep = true
			l.deepAt = l.pos(i)
		}
		return false
	}
	l.depth++
	return true
}

func (l *lowerer) leave() { l.depth-- }

// tooDeepExpr stands for a sub-tree beyond the depth bound.
func (l *lowerer) tooDeepExpr(i int32) ast.Expr {
	return &ast.Other{Pos: l.pos(i), Kind: "too-deep"}
}

// --- navigation over the flattened tree ---

func (l *lowerer) kind(i int32) kind { return l.g.kindOf(l.n[i].sym) }

// named reports whether a node is a named node (not a kept token).
func (l *lowerer) named(i int32) bool {
	k := l.kind(i)
	return k < tAsync && k != kIgnored
}

// first is the first child of i, or -1.
func (l *lowerer) first(i int32) int32 {
	if i+1 < l.n[i].skip {
		return i + 1
	}
	return -1
}

// next is the sibling after child c of parent i, or -1.
func (l *lowerer) next(i, c int32) int32 {
	if s := l.n[c].skip; s < l.n[i].skip {
		return s
	}
	return -1
}

// child is the first child of i in field f, or -1.
func (l *lowerer) child(i int32, f field) int32 {
	for c := l.first(i); c >= 0; c = l.next(i, c) {
		if l.n[c].field == f {
			return c
		}
	}
	return -1
}

// firstNamed is the first named child of i without a field, or -1.
func (l *lowerer) firstNamed(i int32) int32 {
	for c := l.first(i); c >= 0; c = l.next(i, c) {
		if l.named(c) && l.n[c].field == fNone {
			return c
		}
	}
	return -1
}

// childOfKind is the first child of i of kind k, or -1.
func (l *lowerer) childOfKind(i int32, k kind) int32 {
	for c := l.first(i); c >= 0; c = l.next(i, c) {
		if l.kind(c) == k {
			return c
		}
	}
	return -1
}

// hasToken reports whether i has a direct child token of kind t.
func (l *lowerer) hasToken(i int32, t kind) bool {
	return l.childOfKind(i, t) >= 0
}

func (l *lowerer) pos(i int32) ast.Pos { return l.lines.pos(l.n[i].start) }

// endPos is the position of the last byte of i.
func (l *lowerer) endPos(i int32) ast.Pos {
	n := &l.n[i]
	if n.end > n.start {
		return l.lines.pos(n.end - 1)
	}
	return l.lines.pos(n.start)
}

func (l *lowerer) raw(i int32) []byte {
	n := &l.n[i]
	return l.src[n.start:n.end]
}

// text is the source text of i, interned.
func (l *lowerer) text(i int32) string { return l.intern(l.raw(i)) }

// name is the name an identifier (or a property name, a label) stands
// for: escapes such as `requ\u0069re` are decoded, as the language does.
func (l *lowerer) name(i int32) string {
	b := l.raw(i)
	if bytes.IndexByte(b, '\\') >= 0 {
		return l.intern([]byte(decodeString(b, false)))
	}
	return l.intern(b)
}

func (l *lowerer) intern(b []byte) string {
	if s, ok := l.names[string(b)]; ok {
		return s
	}
	s := string(b)
	l.names[s] = s
	return s
}

// typeName is the tree-sitter node type of i, for Other.Kind.
func (l *lowerer) typeName(i int32) string { return l.g.nameOf(l.n[i].sym) }

// --- statements ---

// stmtList lowers the named children of i as statements.
func (l *lowerer) stmtList(i int32, out []ast.Stmt) []ast.Stmt {
	for c := l.first(i); c >= 0; c = l.next(i, c) {
		if l.named(c) {
			out = l.stmt(c, out)
		}
	}
	return out
}

// body lowers a statement used as a body: a block's statements, or the
// one statement. The result is not nil, so that an empty body differs from
// an absent one.
func (l *lowerer) body(i int32) []ast.Stmt {
	out := []ast.Stmt{}
	if i < 0 {
		return out
	}
	if l.kind(i) == kStatementBlock {
		if !l.enter(i) {
			return append(out, &ast.ExprStmt{Pos: l.pos(i), X: l.tooDeepExpr(i)})
		}
		defer l.leave()
		return l.stmtList(i, out)
	}
	return l.stmt(i, out)
}

// stmt lowers statement i, appending what it becomes (nothing for
// declarations of types, one statement, or several) to out.
func (l *lowerer) stmt(i int32, out []ast.Stmt) []ast.Stmt {
	if !l.enter(i) {
		return append(out, &ast.ExprStmt{Pos: l.pos(i), X: l.tooDeepExpr(i)})
	}
	defer l.leave()
	p := l.pos(i)
	switch k := l.kind(i); k {
	case kExpressionStatement:
		c := l.firstNamed(i)
		if c < 0 {
			return out
		}
		if ck := l.kind(c); ck == kInternalModule || ck == kModule {
			return l.stmt(c, out)
		}
		return append(out, &ast.ExprStmt{Pos: p, X: l.expr(c)})
	case kLexicalDeclaration, kVariableDeclaration, kUsingDeclaration:
		return append(out, l.varDecl(i))
	case kFunctionDeclaration, kGeneratorFunctionDeclaration:
		return append(out, &ast.FuncDecl{Func: l.function(i, "")})
	case kClassDeclaration, kAbstractClassDeclaration:
		return append(out, &ast.ClassDecl{Class: l.class(i, "", -1)})
	case kIfStatement:
		s := &ast.If{Pos: p, Test: l.exprField(i, fCondition), Then: l.body(l.child(i, fConsequence))}
		if e := l.child(i, fAlternative); e >= 0 {
			s.Else = l.body(l.firstNamed(e))
		}
		return append(out, s)
	case kForStatement:
		return append(out, l.forStmt(i))
	case kForInStatement:
		return append(out, l.forInStmt(i))
	case kWhileStatement:
		return append(out, &ast.Loop{Pos: p, Kind: "while", Test: l.exprField(i, fCondition), Body: l.body(l.child(i, fBody))})
	case kDoStatement:
		body := l.body(l.child(i, fBody))
		return append(out, &ast.Loop{Pos: p, Kind: "do", Test: l.exprField(i, fCondition), Body: body})
	case kReturnStatement:
		s := &ast.Return{Pos: p}
		if c := l.firstNamed(i); c >= 0 {
			s.X = l.expr(c)
		}
		return append(out, s)
	case kThrowStatement:
		s := &ast.Throw{Pos: p}
		if c := l.firstNamed(i); c >= 0 {
			s.X = l.expr(c)
		} else {
			s.X = l.missing(i)
		}
		return append(out, s)
	case kBreakStatement, kContinueStatement:
		s := &ast.Jump{Pos: p, Kind: "break"}
		if k == kContinueStatement {
			s.Kind = "continue"
		}
		if c := l.child(i, fLabel); c >= 0 {
			s.Label = l.name(c)
		}
		return append(out, s)
	case kLabeledStatement:
		s := &ast.Labeled{Pos: p}
		if c := l.child(i, fLabel); c >= 0 {
			s.Label = l.name(c)
		}
		s.Body = l.single(l.child(i, fBody), p)
		return append(out, s)
	case kStatementBlock:
		return append(out, &ast.Block{Pos: p, Body: l.stmtList(i, []ast.Stmt{})})
	case kSwitchStatement:
		return append(out, l.switchStmt(i))
	case kTryStatement:
		return append(out, l.tryStmt(i))
	case kWithStatement:
		// `with (o) body`: the object is evaluated, then the body runs;
		// the names that o's properties would resolve are not modelled.
		b := &ast.Block{Pos: p, Body: []ast.Stmt{&ast.ExprStmt{Pos: p, X: l.exprField(i, fObject)}}}
		b.Body = append(b.Body, l.body(l.child(i, fBody))...)
		return append(out, b)
	case kImportStatement:
		return l.importStmt(i, out)
	case kImportAlias:
		return append(out, l.importAlias(i))
	case kExportStatement:
		return l.exportStmt(i, out)
	case kEnumDeclaration:
		return append(out, l.enum(i))
	case kInternalModule, kModule:
		b := &ast.Block{Pos: p, Body: []ast.Stmt{}}
		if c := l.child(i, fBody); c >= 0 {
			l.namespaces++
			b.Body = l.stmtList(c, b.Body)
			l.namespaces--
		}
		return append(out, b)
	case kAmbientDeclaration, kInterfaceDeclaration, kTypeAliasDeclaration, kFunctionSignature,
		kDebuggerStatement, kEmptyStatement, kHashBang, kComment:
		// no code runs
		return out
	case kError:
		// what an ERROR holds: the statements and expressions that parsed
		return l.stmtList(i, out)
	default:
		if isExprKind(k) {
			return append(out, &ast.ExprStmt{Pos: p, X: l.expr(i)})
		}
		if kids := l.salvage(i); len(kids) > 0 {
			return append(out, &ast.ExprStmt{Pos: p, X: &ast.Other{Pos: p, Kind: l.typeName(i), Kids: kids}})
		}
		return out
	}
}

// single lowers a statement that must be one statement (a label's body).
func (l *lowerer) single(i int32, p ast.Pos) ast.Stmt {
	if i < 0 {
		return &ast.Block{Pos: p, Body: []ast.Stmt{}}
	}
	list := l.stmt(i, nil)
	if len(list) == 1 {
		return list[0]
	}
	return &ast.Block{Pos: l.pos(i), Body: append([]ast.Stmt{}, list...)}
}

func (l *lowerer) varDecl(i int32) *ast.VarDecl {
	d := &ast.VarDecl{Pos: l.pos(i), Kind: "var"}
	switch l.kind(i) {
	case kLexicalDeclaration:
		if c := l.child(i, fKind); c >= 0 {
			d.Kind = l.text(c)
		}
	case kUsingDeclaration:
		d.Kind = "using"
	}
	for c := l.first(i); c >= 0; c = l.next(i, c) {
		if l.kind(c) != kVariableDeclarator {
			continue
		}
		dc := &ast.Declarator{Pos: l.pos(c)}
		name := l.child(c, fName)
		if name >= 0 {
			dc.Target = l.pattern(name)
		} else {
			dc.Target = &ast.Ident{Pos: dc.Pos}
		}
		if v := l.child(c, fValue); v >= 0 {
			dc.Init = l.exprNamed(v, identName(dc.Target))
		}
		d.Decls = append(d.Decls, dc)
	}
	return d
}

func (l *lowerer) forStmt(i int32) *ast.Loop {
	s := &ast.Loop{Pos: l.pos(i), Kind: "for"}
	for c := l.first(i); c >= 0; c = l.next(i, c) {
		if !l.named(c) {
			continue
		}
		switch l.n[c].field {
		case fInitializer:
			switch k := l.kind(c); {
			case k == kLexicalDeclaration || k == kVariableDeclaration || k == kUsingDeclaration:
				s.Init = l.varDecl(c)
			case k == kEmptyStatement:
			default:
				s.Init = &ast.ExprStmt{Pos: l.pos(c), X: l.expr(c)}
			}
		case fCondition:
			if l.kind(c) != kEmptyStatement {
				s.Test = l.expr(c)
			}
		case fIncrement:
			s.Update = l.expr(c)
		}
	}
	s.Body = l.body(l.child(i, fBody))
	return s
}

func (l *lowerer) forInStmt(i int32) *ast.Loop {
	s := &ast.Loop{Pos: l.pos(i), Kind: "for-in"}
	if op := l.child(i, fOperator); op >= 0 && string(l.raw(op)) == "of" {
		s.Kind = "for-of"
	}
	if c := l.child(i, fLeft); c >= 0 {
		s.Left = l.pattern(c)
	} else {
		s.Left = &ast.Ident{Pos: s.Pos}
	}
	if c := l.child(i, fValue); c >= 0 {
		// `for (var x = init in o)`, legacy syntax: the initialiser runs first
		s.Init = &ast.ExprStmt{Pos: l.pos(c), X: l.expr(c)}
	}
	s.Right = l.exprField(i, fRight)
	s.Body = l.body(l.child(i, fBody))
	return s
}

func (l *lowerer) switchStmt(i int32) *ast.Switch {
	s := &ast.Switch{Pos: l.pos(i), Disc: l.exprField(i, fValue)}
	b := l.child(i, fBody)
	if b < 0 {
		return s
	}
	for c := l.first(b); c >= 0; c = l.next(b, c) {
		k := l.kind(c)
		if k != kSwitchCase && k != kSwitchDefault {
			continue
		}
		cs := &ast.Case{Pos: l.pos(c), Body: []ast.Stmt{}}
		if k == kSwitchCase {
			cs.Test = l.exprField(c, fValue)
		}
		for d := l.first(c); d >= 0; d = l.next(c, d) {
			if l.n[d].field == fBody {
				cs.Body = l.stmt(d, cs.Body)
			}
		}
		s.Cases = append(s.Cases, cs)
	}
	return s
}

func (l *lowerer) tryStmt(i int32) *ast.Try {
	s := &ast.Try{Pos: l.pos(i), Body: l.body(l.child(i, fBody))}
	if h := l.child(i, fHandler); h >= 0 {
		if p := l.child(h, fParameter); p >= 0 {
			s.Param = l.pattern(p)
		}
		s.Catch = l.body(l.child(h, fBody))
	}
	if f := l.child(i, fFinalizer); f >= 0 {
		s.Finally = l.body(l.child(f, fBody))
	}
	return s
}

// enum lowers a TypeScript enum to `const E = {A: 0, B: 1, ...}`. Members
// without an initialiser count on from the previous numeric literal; after
// a member of another value they are unknown (an Other).
func (l *lowerer) enum(i int32) ast.Stmt {
	p := l.pos(i)
	obj := &ast.Object{Pos: p}
	next, known := int64(0), true
	if b := l.child(i, fBody); b >= 0 {
		for c := l.first(b); c >= 0; c = l.next(b, c) {
			switch {
			case l.kind(c) == kEnumAssignment:
				prop := &ast.Prop{Pos: l.pos(c), Kind: "init"}
				if nm := l.child(c, fName); nm >= 0 {
					prop.Key, prop.Computed = l.propKey(nm)
				}
				v := l.child(c, fValue)
				prop.Value = l.exprField(c, fValue)
				known = false
				if v >= 0 && l.kind(v) == kNumber {
					if n, ok := parseInt(string(l.raw(v))); ok {
						next, known = n+1, true
					}
				}
				obj.Props = append(obj.Props, prop)
			case l.n[c].field == fName:
				prop := &ast.Prop{Pos: l.pos(c), Kind: "init"}
				prop.Key, prop.Computed = l.propKey(c)
				if known {
					prop.Value = &ast.Lit{Pos: prop.Pos, Kind: "number", Value: formatInt(next)}
					next++
				} else {
					prop.Value = &ast.Other{Pos: prop.Pos, Kind: "enum_member"}
				}
				obj.Props = append(obj.Props, prop)
			}
		}
	}
	name := &ast.Ident{Pos: p}
	if c := l.child(i, fName); c >= 0 {
		name = &ast.Ident{Pos: l.pos(c), Name: l.name(c)}
	}
	return &ast.VarDecl{Pos: p, Kind: "const", Decls: []*ast.Declarator{{Pos: p, Target: name, Init: obj}}}
}
