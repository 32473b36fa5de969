package parse

import (
	"github.com/ecoscan/ecoscan/internal/forge/ast"
)

// importStmt lowers an import declaration into File.Imports. TypeScript's
// `import x = require('m')` is CommonJS, and becomes `const x = require('m')`
// in the body.
func (l *lowerer) importStmt(i int32, out []ast.Stmt) []ast.Stmt {
	p := l.pos(i)
	imp := &ast.Import{Pos: p, TypeOnly: l.hasToken(i, tType)}
	if s := l.child(i, fSource); s >= 0 {
		imp.From = l.stringValue(s)
	}
	for c := l.first(i); c >= 0; c = l.next(i, c) {
		switch l.kind(c) {
		case kImportRequireClause:
			if imp.TypeOnly {
				return out
			}
			name := &ast.Ident{Pos: l.pos(c)}
			if id := l.childOfKind(c, kIdentifier); id >= 0 {
				name.Name = l.name(id)
			}
			spec := l.exprField(c, fSource)
			call := &ast.Call{Pos: l.pos(c), Callee: &ast.Ident{Pos: l.pos(c), Name: "require"}, Args: []ast.Expr{spec}}
			return append(out, &ast.VarDecl{Pos: p, Kind: "const", Decls: []*ast.Declarator{{Pos: l.pos(c), Target: name, Init: call}}})
		case kImportClause:
			l.importClause(c, imp)
		}
	}
	l.file.Imports = append(l.file.Imports, imp)
	return out
}

func (l *lowerer) importClause(i int32, imp *ast.Import) {
	for c := l.first(i); c >= 0; c = l.next(i, c) {
		switch l.kind(c) {
		case kIdentifier:
			imp.Default = l.name(c)
		case kNamespaceImport:
			if id := l.childOfKind(c, kIdentifier); id >= 0 {
				imp.Namespace = l.name(id)
			}
		case kNamedImports:
			for s := l.first(c); s >= 0; s = l.next(c, s) {
				if l.kind(s) != kImportSpecifier || l.hasToken(s, tType) {
					continue // `import {type T}` imports no value
				}
				var n ast.ImportName
				if nm := l.child(s, fName); nm >= 0 {
					n.Imported = l.moduleName(nm)
				}
				n.Local = n.Imported
				if a := l.child(s, fAlias); a >= 0 {
					n.Local = l.moduleName(a)
				}
				imp.Named = append(imp.Named, n)
			}
		}
	}
}

// moduleName is an imported or exported name: an identifier, `default`,
// or a string.
func (l *lowerer) moduleName(i int32) string {
	if l.kind(i) == kString {
		return l.stringValue(i)
	}
	return l.name(i)
}

// importAlias lowers TypeScript's `import A = N.B` to `const A = N.B`.
func (l *lowerer) importAlias(i int32) ast.Stmt {
	p := l.pos(i)
	name := &ast.Ident{Pos: p}
	var init ast.Expr
	for c := l.first(i); c >= 0; c = l.next(i, c) {
		if !l.named(c) {
			continue
		}
		if name.Name == "" && l.kind(c) == kIdentifier {
			name = &ast.Ident{Pos: l.pos(c), Name: l.name(c)}
			continue
		}
		init = l.qualifiedName(c)
	}
	if init == nil {
		init = l.missing(i)
	}
	return &ast.VarDecl{Pos: p, Kind: "const", Decls: []*ast.Declarator{{Pos: p, Target: name, Init: init}}}
}

// qualifiedName lowers a TypeScript nested_identifier `A.B.C` to members.
func (l *lowerer) qualifiedName(i int32) ast.Expr {
	if l.kind(i) != kNestedIdentifier {
		return l.expr(i)
	}
	if !l.enter(i) {
		return l.tooDeepExpr(i)
	}
	defer l.leave()
	m := &ast.Member{Pos: l.pos(i)}
	if o := l.child(i, fObject); o >= 0 {
		m.Obj = l.qualifiedName(o)
	} else {
		m.Obj = l.missing(i)
	}
	if p := l.child(i, fProperty); p >= 0 {
		m.Prop = l.name(p)
	}
	return m
}

// exportStmt lowers an export declaration: the declaration it holds goes
// to the body, the export to File.Exports. Type-only exports are dropped;
// TypeScript's `export = x` is CommonJS and becomes `module.exports = x`.
func (l *lowerer) exportStmt(i int32, out []ast.Stmt) []ast.Stmt {
	p := l.pos(i)
	if l.hasToken(i, tType) {
		return out // `export type {T}`
	}
	isDefault := l.hasToken(i, tDefault)
	ex := &ast.Export{Pos: p, Default: isDefault}
	if s := l.child(i, fSource); s >= 0 {
		ex.From = l.stringValue(s)
	}
	if d := l.child(i, fDeclaration); d >= 0 {
		before := len(out)
		switch l.kind(d) {
		case kClassDeclaration, kAbstractClassDeclaration:
			out = append(out, &ast.ClassDecl{Class: l.class(d, "", i)})
		default:
			out = l.stmt(d, out)
		}
		if l.namespaces > 0 {
			return out // a namespace member, not a module export
		}
		for _, s := range out[before:] {
			switch s := s.(type) {
			case *ast.FuncDecl:
				ex.Decl = append(ex.Decl, s.Func.Name)
				ex.Value = s.Func
			case *ast.ClassDecl:
				ex.Decl = append(ex.Decl, s.Class.Name)
				ex.Value = s.Class
			case *ast.VarDecl:
				for _, dc := range s.Decls {
					ex.Decl = boundNames(dc.Target, ex.Decl)
				}
			}
		}
		if isDefault {
			// `export default function f() {}`: f is also a local
			ex.Decl = nil
			if ex.Value == nil {
				return out // `export default interface I {}`
			}
		} else {
			ex.Value = nil
			if len(ex.Decl) == 0 {
				return out // types, namespaces, ambient declarations
			}
		}
		l.file.Exports = append(l.file.Exports, ex)
		return out
	}
	if l.namespaces > 0 {
		return out
	}
	if isDefault {
		v := l.child(i, fValue)
		if v < 0 {
			v = l.firstExpr(i)
		}
		switch {
		case v < 0:
			ex.Value = l.missing(i)
		case l.kind(v) == kClass:
			ex.Value = l.class(v, "default", i)
		default:
			ex.Value = l.exprNamed(v, "default")
		}
		l.file.Exports = append(l.file.Exports, ex)
		return out
	}
	if l.hasToken(i, tEquals) {
		// `export = x`
		v := l.firstExpr(i)
		mod := &ast.Member{Pos: p, Obj: &ast.Ident{Pos: p, Name: "module"}, Prop: "exports"}
		return append(out, &ast.ExprStmt{Pos: p, X: &ast.Assign{Pos: p, Op: "=", Target: mod, Value: l.exprOrMissing(i, v)}})
	}
	for c := l.first(i); c >= 0; c = l.next(i, c) {
		switch l.kind(c) {
		case kExportClause:
			ex.Names = []ast.ExportName{}
			for s := l.first(c); s >= 0; s = l.next(c, s) {
				if l.kind(s) != kExportSpecifier || l.hasToken(s, tType) {
					continue
				}
				var n ast.ExportName
				if nm := l.child(s, fName); nm >= 0 {
					n.Local = l.moduleName(nm)
				}
				n.Exported = n.Local
				if a := l.child(s, fAlias); a >= 0 {
					n.Exported = l.moduleName(a)
				}
				ex.Names = append(ex.Names, n)
			}
		case kNamespaceExport:
			ex.Star = true
			for s := l.first(c); s >= 0; s = l.next(c, s) {
				if l.named(s) {
					ex.As = l.moduleName(s)
				}
			}
		case tStar:
			ex.Star = true
		}
	}
	if ex.Names == nil && !ex.Star {
		return out // `export as namespace N` (a UMD global's type) or a broken export
	}
	l.file.Exports = append(l.file.Exports, ex)
	return out
}

// firstExpr is the first named child of i that is an expression, or -1.
func (l *lowerer) firstExpr(i int32) int32 {
	for c := l.first(i); c >= 0; c = l.next(i, c) {
		if l.named(c) && isExprKind(l.kind(c)) {
			return c
		}
	}
	return -1
}
