package ast

import "reflect"

// Inspect walks a node (a *File, Stmt, Expr, Pattern, or one of the parts
// such as *Declarator, *Case, *Prop, *ClassMember) depth first, calling f on
// each node before its children; when f returns false the children are
// skipped. depth bounds the walk: nodes deeper than maxDepth are not visited
// (the parser bounds nesting too, so this only guards hand-made trees).
func Inspect(node any, f func(any) bool) {
	inspect(node, f, 0)
}

const maxDepth = 10_000

func inspect(node any, f func(any) bool, depth int) {
	if node == nil || depth > maxDepth || isNil(node) || !f(node) {
		return
	}
	d := depth + 1
	stmts := func(list []Stmt) {
		for _, s := range list {
			inspect(s, f, d)
		}
	}
	exprs := func(list []Expr) {
		for _, e := range list {
			inspect(e, f, d)
		}
	}
	switch n := node.(type) {
	case *File:
		for _, ex := range n.Exports {
			if ex.Value != nil {
				inspect(ex.Value, f, d)
			}
		}
		stmts(n.Body)
	case *VarDecl:
		for _, dc := range n.Decls {
			inspect(dc, f, d)
		}
	case *Declarator:
		inspect(n.Target, f, d)
		inspect(n.Init, f, d)
	case *FuncDecl:
		inspect(n.Func, f, d)
	case *ClassDecl:
		inspect(n.Class, f, d)
	case *ExprStmt:
		inspect(n.X, f, d)
	case *If:
		inspect(n.Test, f, d)
		stmts(n.Then)
		stmts(n.Else)
	case *Return:
		inspect(n.X, f, d)
	case *Throw:
		inspect(n.X, f, d)
	case *Block:
		stmts(n.Body)
	case *Loop:
		inspect(n.Init, f, d)
		inspect(n.Test, f, d)
		inspect(n.Update, f, d)
		inspect(n.Left, f, d)
		inspect(n.Right, f, d)
		stmts(n.Body)
	case *Switch:
		inspect(n.Disc, f, d)
		for _, c := range n.Cases {
			inspect(c, f, d)
		}
	case *Case:
		inspect(n.Test, f, d)
		stmts(n.Body)
	case *Try:
		stmts(n.Body)
		inspect(n.Param, f, d)
		stmts(n.Catch)
		stmts(n.Finally)
	case *Labeled:
		inspect(n.Body, f, d)
	case *Template:
		inspect(n.Tag, f, d)
		exprs(n.Exprs)
	case *Member:
		inspect(n.Obj, f, d)
		inspect(n.Index, f, d)
	case *Call:
		inspect(n.Callee, f, d)
		exprs(n.Args)
	case *Func:
		for _, p := range n.Params {
			inspect(p, f, d)
		}
		stmts(n.Body)
	case *Class:
		inspect(n.Super, f, d)
		for _, m := range n.Members {
			inspect(m, f, d)
		}
	case *ClassMember:
		inspect(n.Computed, f, d)
		inspect(n.Value, f, d)
	case *Object:
		for _, p := range n.Props {
			inspect(p, f, d)
		}
	case *Prop:
		inspect(n.Computed, f, d)
		inspect(n.Value, f, d)
	case *Array:
		exprs(n.Elems)
	case *Binary:
		inspect(n.L, f, d)
		inspect(n.R, f, d)
	case *Unary:
		inspect(n.X, f, d)
	case *Cond:
		inspect(n.Test, f, d)
		inspect(n.Then, f, d)
		inspect(n.Else, f, d)
	case *Assign:
		inspect(n.Target, f, d)
		inspect(n.Value, f, d)
	case *Await:
		inspect(n.X, f, d)
	case *Yield:
		inspect(n.X, f, d)
	case *Spread:
		inspect(n.X, f, d)
	case *Seq:
		exprs(n.List)
	case *ImportCall:
		inspect(n.Spec, f, d)
	case *Other:
		exprs(n.Kids)
	case *ObjectPattern:
		for _, p := range n.Props {
			inspect(p.Computed, f, d)
			inspect(p.Value, f, d)
		}
		inspect(n.Rest, f, d)
	case *ArrayPattern:
		for _, p := range n.Elems {
			inspect(p, f, d)
		}
		inspect(n.Rest, f, d)
	case *DefaultPattern:
		inspect(n.Target, f, d)
		inspect(n.Default, f, d)
	case *RestPattern:
		inspect(n.Target, f, d)
	}
}

// isNil reports whether an interface holds a nil pointer.
func isNil(node any) bool {
	v := reflect.ValueOf(node)
	return v.Kind() == reflect.Pointer && v.IsNil()
}
