package parse

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ecoscan/ecoscan/internal/forge/ast"
)

// sprintFile prints a file compactly for golden tests: its imports, its
// exports, then each top-level statement on its own line. Positions are
// left out (tests check them separately).
func sprintFile(f *ast.File) string {
	var b strings.Builder
	for _, im := range f.Imports {
		b.WriteString("import")
		if im.TypeOnly {
			b.WriteString(" type")
		}
		if im.Default != "" {
			fmt.Fprintf(&b, " default=%s", im.Default)
		}
		if im.Namespace != "" {
			fmt.Fprintf(&b, " ns=%s", im.Namespace)
		}
		if im.Named != nil {
			b.WriteString(" {")
			for i, n := range im.Named {
				if i > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "%s as %s", n.Imported, n.Local)
			}
			b.WriteString("}")
		}
		fmt.Fprintf(&b, " from %q\n", im.From)
	}
	for _, ex := range f.Exports {
		b.WriteString("export")
		if ex.Default {
			b.WriteString(" default")
		}
		if ex.Star {
			b.WriteString(" *")
		}
		if ex.As != "" {
			fmt.Fprintf(&b, " as %s", ex.As)
		}
		if ex.Names != nil {
			b.WriteString(" {")
			for i, n := range ex.Names {
				if i > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "%s as %s", n.Local, n.Exported)
			}
			b.WriteString("}")
		}
		if ex.Decl != nil {
			fmt.Fprintf(&b, " decl=%s", strings.Join(ex.Decl, ","))
		}
		if ex.From != "" {
			fmt.Fprintf(&b, " from %q", ex.From)
		}
		if ex.Value != nil {
			b.WriteString(" = ")
			printExpr(&b, ex.Value)
		}
		b.WriteString("\n")
	}
	for _, s := range f.Body {
		printStmt(&b, s)
		b.WriteString("\n")
	}
	return b.String()
}

func printStmts(b *strings.Builder, list []ast.Stmt) {
	if list == nil {
		b.WriteString("<nil>")
		return
	}
	b.WriteString("{")
	for i, s := range list {
		if i > 0 {
			b.WriteString(" ")
		}
		printStmt(b, s)
	}
	b.WriteString("}")
}

func printStmt(b *strings.Builder, s ast.Stmt) {
	switch s := s.(type) {
	case *ast.VarDecl:
		b.WriteString(s.Kind + " ")
		for i, d := range s.Decls {
			if i > 0 {
				b.WriteString(", ")
			}
			printPattern(b, d.Target)
			if d.Init != nil {
				b.WriteString(" = ")
				printExpr(b, d.Init)
			}
		}
		b.WriteString(";")
	case *ast.FuncDecl:
		b.WriteString("decl ")
		printExpr(b, s.Func)
	case *ast.ClassDecl:
		b.WriteString("decl ")
		printExpr(b, s.Class)
	case *ast.ExprStmt:
		printExpr(b, s.X)
		b.WriteString(";")
	case *ast.If:
		b.WriteString("if ")
		printExpr(b, s.Test)
		b.WriteString(" ")
		printStmts(b, s.Then)
		if s.Else != nil {
			b.WriteString(" else ")
			printStmts(b, s.Else)
		}
	case *ast.Return:
		b.WriteString("return")
		if s.X != nil {
			b.WriteString(" ")
			printExpr(b, s.X)
		}
		b.WriteString(";")
	case *ast.Throw:
		b.WriteString("throw ")
		printExpr(b, s.X)
		b.WriteString(";")
	case *ast.Block:
		b.WriteString("block")
		printStmts(b, s.Body)
	case *ast.Loop:
		b.WriteString(s.Kind + "(")
		switch s.Kind {
		case "for-in", "for-of":
			if s.Init != nil {
				printStmt(b, s.Init)
				b.WriteString(" ")
			}
			printPattern(b, s.Left)
			b.WriteString("; ")
			printExpr(b, s.Right)
		default:
			if s.Init != nil {
				printStmt(b, s.Init)
			}
			b.WriteString("; ")
			if s.Test != nil {
				printExpr(b, s.Test)
			}
			b.WriteString("; ")
			if s.Update != nil {
				printExpr(b, s.Update)
			}
		}
		b.WriteString(") ")
		printStmts(b, s.Body)
	case *ast.Switch:
		b.WriteString("switch ")
		printExpr(b, s.Disc)
		b.WriteString(" {")
		for _, c := range s.Cases {
			if c.Test == nil {
				b.WriteString(" default: ")
			} else {
				b.WriteString(" case ")
				printExpr(b, c.Test)
				b.WriteString(": ")
			}
			printStmts(b, c.Body)
		}
		b.WriteString(" }")
	case *ast.Try:
		b.WriteString("try ")
		printStmts(b, s.Body)
		if s.Catch != nil {
			b.WriteString(" catch")
			if s.Param != nil {
				b.WriteString("(")
				printPattern(b, s.Param)
				b.WriteString(")")
			}
			b.WriteString(" ")
			printStmts(b, s.Catch)
		}
		if s.Finally != nil {
			b.WriteString(" finally ")
			printStmts(b, s.Finally)
		}
	case *ast.Jump:
		b.WriteString(s.Kind)
		if s.Label != "" {
			b.WriteString(" " + s.Label)
		}
		b.WriteString(";")
	case *ast.Labeled:
		b.WriteString(s.Label + ": ")
		printStmt(b, s.Body)
	default:
		fmt.Fprintf(b, "<stmt %T>", s)
	}
}

func printExprs(b *strings.Builder, list []ast.Expr) {
	for i, e := range list {
		if i > 0 {
			b.WriteString(", ")
		}
		if e == nil {
			b.WriteString("<hole>")
			continue
		}
		printExpr(b, e)
	}
}

func printExpr(b *strings.Builder, e ast.Expr) {
	switch e := e.(type) {
	case nil:
		b.WriteString("<nil>")
	case *ast.Ident:
		if e.Name == "" {
			b.WriteString("<noname>")
		}
		b.WriteString(e.Name)
	case *ast.Lit:
		switch e.Kind {
		case "string":
			b.WriteString(strconv.Quote(e.Value))
		default:
			b.WriteString(e.Value)
		}
	case *ast.Template:
		if e.Tag != nil {
			printExpr(b, e.Tag)
			b.WriteString(":")
		}
		b.WriteString("tmpl(")
		for i, q := range e.Quasis {
			if i > 0 {
				b.WriteString(", ")
				printExpr(b, e.Exprs[i-1])
				b.WriteString(", ")
			}
			b.WriteString(strconv.Quote(q))
		}
		b.WriteString(")")
	case *ast.Member:
		printExpr(b, e.Obj)
		if e.Optional {
			b.WriteString("?.")
		}
		if e.Index != nil {
			b.WriteString("[")
			printExpr(b, e.Index)
			b.WriteString("]")
		} else {
			if !e.Optional {
				b.WriteString(".")
			}
			b.WriteString(e.Prop)
		}
	case *ast.Call:
		if e.New {
			b.WriteString("new ")
		}
		printExpr(b, e.Callee)
		if e.Optional {
			b.WriteString("?.")
		}
		if e.Args == nil {
			return
		}
		b.WriteString("(")
		printExprs(b, e.Args)
		b.WriteString(")")
	case *ast.Func:
		b.WriteString("func")
		if e.Async {
			b.WriteString(" async")
		}
		if e.Generator {
			b.WriteString("*")
		}
		if e.Arrow {
			b.WriteString(" arrow")
		}
		if e.Name != "" {
			b.WriteString(" " + e.Name)
		}
		b.WriteString("(")
		for i, p := range e.Params {
			if i > 0 {
				b.WriteString(", ")
			}
			printPattern(b, p)
		}
		b.WriteString(") ")
		printStmts(b, e.Body)
	case *ast.Class:
		b.WriteString("class")
		if e.Name != "" {
			b.WriteString(" " + e.Name)
		}
		if e.Super != nil {
			b.WriteString(" extends ")
			printExpr(b, e.Super)
		}
		b.WriteString(" {")
		for i, m := range e.Members {
			if i > 0 {
				b.WriteString(";")
			}
			b.WriteString(" ")
			if m.Static {
				b.WriteString("static ")
			}
			b.WriteString(m.Kind + " ")
			if m.Computed != nil {
				b.WriteString("[")
				printExpr(b, m.Computed)
				b.WriteString("]")
			} else {
				b.WriteString(m.Key)
			}
			if m.Value != nil {
				b.WriteString(" = ")
				printExpr(b, m.Value)
			}
		}
		b.WriteString(" }")
	case *ast.Object:
		b.WriteString("{")
		for i, p := range e.Props {
			if i > 0 {
				b.WriteString(", ")
			}
			switch p.Kind {
			case "spread":
				b.WriteString("...")
				printExpr(b, p.Value)
				continue
			case "get", "set":
				b.WriteString(p.Kind + " ")
			}
			if p.Computed != nil {
				b.WriteString("[")
				printExpr(b, p.Computed)
				b.WriteString("]")
			} else {
				b.WriteString(p.Key)
			}
			b.WriteString(": ")
			printExpr(b, p.Value)
		}
		b.WriteString("}")
	case *ast.Array:
		b.WriteString("[")
		printExprs(b, e.Elems)
		b.WriteString("]")
	case *ast.Binary:
		b.WriteString("(")
		printExpr(b, e.L)
		b.WriteString(" " + e.Op + " ")
		printExpr(b, e.R)
		b.WriteString(")")
	case *ast.Unary:
		b.WriteString("(" + e.Op + " ")
		printExpr(b, e.X)
		b.WriteString(")")
	case *ast.Cond:
		b.WriteString("(")
		printExpr(b, e.Test)
		b.WriteString(" ? ")
		printExpr(b, e.Then)
		b.WriteString(" : ")
		printExpr(b, e.Else)
		b.WriteString(")")
	case *ast.Assign:
		b.WriteString("(")
		printPattern(b, e.Target)
		b.WriteString(" " + e.Op + " ")
		printExpr(b, e.Value)
		b.WriteString(")")
	case *ast.Await:
		b.WriteString("(await ")
		printExpr(b, e.X)
		b.WriteString(")")
	case *ast.Yield:
		b.WriteString("(yield")
		if e.X != nil {
			b.WriteString(" ")
			printExpr(b, e.X)
		}
		b.WriteString(")")
	case *ast.Spread:
		b.WriteString("...")
		printExpr(b, e.X)
	case *ast.Seq:
		b.WriteString("seq(")
		printExprs(b, e.List)
		b.WriteString(")")
	case *ast.ImportCall:
		b.WriteString("import(")
		printExpr(b, e.Spec)
		b.WriteString(")")
	case *ast.Other:
		b.WriteString("other<" + e.Kind + ">(")
		printExprs(b, e.Kids)
		b.WriteString(")")
	default:
		fmt.Fprintf(b, "<expr %T>", e)
	}
}

func printPattern(b *strings.Builder, p ast.Pattern) {
	switch p := p.(type) {
	case nil:
		b.WriteString("<nil>")
	case *ast.Ident:
		printExpr(b, p)
	case *ast.Member:
		printExpr(b, p)
	case *ast.ObjectPattern:
		b.WriteString("{")
		for i, pp := range p.Props {
			if i > 0 {
				b.WriteString(", ")
			}
			if pp.Computed != nil {
				b.WriteString("[")
				printExpr(b, pp.Computed)
				b.WriteString("]")
			} else {
				b.WriteString(pp.Key)
			}
			b.WriteString(": ")
			printPattern(b, pp.Value)
		}
		if p.Rest != nil {
			if len(p.Props) > 0 {
				b.WriteString(", ")
			}
			b.WriteString("...")
			printPattern(b, p.Rest)
		}
		b.WriteString("}")
	case *ast.ArrayPattern:
		b.WriteString("[")
		for i, e := range p.Elems {
			if i > 0 {
				b.WriteString(", ")
			}
			if e == nil {
				b.WriteString("<hole>")
				continue
			}
			printPattern(b, e)
		}
		if p.Rest != nil {
			if len(p.Elems) > 0 {
				b.WriteString(", ")
			}
			b.WriteString("...")
			printPattern(b, p.Rest)
		}
		b.WriteString("]")
	case *ast.DefaultPattern:
		printPattern(b, p.Target)
		b.WriteString(" = ")
		printExpr(b, p.Default)
	case *ast.RestPattern:
		b.WriteString("...")
		printPattern(b, p.Target)
	default:
		fmt.Fprintf(b, "<pattern %T>", p)
	}
}
