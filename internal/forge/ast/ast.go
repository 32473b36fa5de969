// Package ast is ecoscan's own small syntax tree of a JavaScript or TypeScript
// file: what the Forge analysis needs to follow calls and values, and nothing
// of types. The parser (package parse) lowers tree-sitter's concrete trees into
// it, so that the analysis is plain Go over plain values: it can be tested and
// fuzzed without cgo, and every tree-sitter tree is closed as soon as a file is
// lowered.
//
// TypeScript-only syntax disappears in the lowering: type annotations,
// interfaces and type aliases are dropped; `x as T`, `x!`, `<T>x` and
// `x satisfies T` become x; enums become objects; namespaces become blocks.
// Syntax the analysis has no use for becomes an Other expression that keeps
// its sub-expressions, so that no call inside it is lost.
package ast

// Pos is a position in a file: line and column counted from 1, the column in
// bytes (as tree-sitter counts) plus one.
type Pos struct {
	Line, Col int
}

// File is one parsed source file.
type File struct {
	Path    string // relative to the scanned directory, with forward slashes
	Imports []*Import
	Exports []*Export
	Body    []Stmt // the top-level statements, declarations included
	// Errors lists the places where the parser met syntax it could not read
	// (tree-sitter ERROR and MISSING nodes), at most a few: the rest of the
	// file is still lowered.
	Errors []Pos
}

// Import is an ESM import declaration: `import d, {a as b} from 'm'`,
// `import * as ns from 'm'`, `import 'm'`. CommonJS require calls stay Call
// expressions in the body.
type Import struct {
	Pos       Pos
	From      string // the module specifier as written
	Default   string // local name of the default import, or ""
	Namespace string // local name of `* as ns`, or ""
	Named     []ImportName
	TypeOnly  bool // `import type ...`: no value is imported
}

// ImportName is one `{Imported as Local}` of an import.
type ImportName struct {
	Imported string // the exported name in the module ("default" for `{default as x}`)
	Local    string
}

// Export is one ESM export:
//   - `export {a, b as c}`: Names, each local name exported under a name;
//   - `export {a as b} from 'm'`: Names and From (a re-export);
//   - `export * from 'm'`: Star and From; `export * as ns from 'm'`: Star, From, As;
//   - `export default <expr>`: Default with the value in Value;
//   - `export const a = ...`, `export function f`, `export class C`: Decl names
//     the declared locals, and the declaration itself is also in File.Body.
type Export struct {
	Pos     Pos
	From    string
	Names   []ExportName
	Star    bool
	As      string
	Default bool
	Value   Expr     // the default export's value (a *Func or *Class for declarations)
	Decl    []string // names declared by an exported declaration
}

// ExportName is one `{Local as Exported}` of an export.
type ExportName struct {
	Local    string // in a re-export, the name in module From
	Exported string
}

// Stmt is a statement.
type Stmt interface{ stmtPos() Pos }

// Expr is an expression.
type Expr interface{ exprPos() Pos }

// Pattern is the target of a binding or assignment: *Ident, *ObjectPattern,
// *ArrayPattern, *DefaultPattern, *RestPattern, or (in assignments only) a
// *Member.
type Pattern interface{ patternPos() Pos }

// Statements.
type (
	// VarDecl is `var|let|const a = 1, {b} = c`.
	VarDecl struct {
		Pos   Pos
		Kind  string // "var", "let", "const", "using"
		Decls []*Declarator
	}
	// Declarator is one binding of a VarDecl; Init is nil when absent.
	Declarator struct {
		Pos    Pos
		Target Pattern
		Init   Expr
	}
	// FuncDecl is a function declaration (also `export function`, generators, async).
	FuncDecl struct {
		Func *Func
	}
	// ClassDecl is a class declaration.
	ClassDecl struct {
		Class *Class
	}
	// ExprStmt is an expression statement.
	ExprStmt struct {
		Pos Pos
		X   Expr
	}
	// If is `if (Test) Then else Else`; Else is nil without an else.
	If struct {
		Pos  Pos
		Test Expr
		Then []Stmt
		Else []Stmt
	}
	// Return is `return X`; X is nil for a bare return.
	Return struct {
		Pos Pos
		X   Expr
	}
	// Throw is `throw X`.
	Throw struct {
		Pos Pos
		X   Expr
	}
	// Block is `{ ... }`, and also a TypeScript namespace body or a static block.
	Block struct {
		Pos  Pos
		Body []Stmt
	}
	// Loop is any loop: for, for-in, for-of, while, do-while. For for-in and
	// for-of, Left is the loop variable's pattern (a VarDecl's target or an
	// assignment target) and Right the iterated value; for the others, Init,
	// Test and Update as written (each may be nil).
	Loop struct {
		Pos    Pos
		Kind   string // "for", "for-in", "for-of", "while", "do"
		Init   Stmt
		Test   Expr
		Update Expr
		Left   Pattern
		Right  Expr
		Body   []Stmt
	}
	// Switch is `switch (Disc) { case ...: }`.
	Switch struct {
		Pos   Pos
		Disc  Expr
		Cases []*Case
	}
	// Case is one case of a Switch; Test is nil for `default:`.
	Case struct {
		Pos  Pos
		Test Expr
		Body []Stmt
	}
	// Try is try/catch/finally; Param is nil without a catch binding, Catch nil
	// without a catch clause, Finally nil without a finally clause.
	Try struct {
		Pos     Pos
		Body    []Stmt
		Param   Pattern
		Catch   []Stmt
		Finally []Stmt
	}
	// Jump is break or continue (Kind), with its label if any.
	Jump struct {
		Pos   Pos
		Kind  string
		Label string
	}
	// Labeled is `label: Body`.
	Labeled struct {
		Pos   Pos
		Label string
		Body  Stmt
	}
)

// Expressions.
type (
	// Ident is a name: a variable, `this`, `super`, `undefined`, `arguments`.
	Ident struct {
		Pos  Pos
		Name string
	}
	// Lit is a literal: Kind "string" (Value unquoted, escapes decoded), "number"
	// (Value as written), "bool" ("true"/"false"), "null", "regex" (the source,
	// with slashes and flags), "bigint".
	Lit struct {
		Pos   Pos
		Kind  string
		Value string
	}
	// Template is a template literal `a${x}b`, tagged when Tag is not nil.
	// len(Quasis) == len(Exprs)+1; the quasis are the cooked strings.
	Template struct {
		Pos    Pos
		Tag    Expr
		Quasis []string
		Exprs  []Expr
	}
	// Member is `Obj.Prop`, `Obj[Index]`, `Obj?.Prop`. Prop is the property's
	// name when it is written as a name or a string literal; otherwise Prop is
	// "" and Index holds the computed key.
	Member struct {
		Pos      Pos
		Obj      Expr
		Prop     string
		Index    Expr
		Optional bool
	}
	// Call is `Callee(Args)`, `new Callee(Args)` (New), `Callee?.(Args)`.
	// Spread arguments are *Spread.
	Call struct {
		Pos      Pos
		Callee   Expr
		Args     []Expr
		New      bool
		Optional bool
	}
	// Func is a function of any form: declaration, expression, arrow, method,
	// getter, setter, constructor. Name is the declared name, or the name it is
	// known by (method or property name, variable it initialises) when the
	// lowering can tell, else "". An arrow with an expression body has Body
	// holding a single *Return of it.
	Func struct {
		Pos       Pos
		End       Pos // where the function ends (the closing brace or the expression's end)
		Name      string
		Params    []Pattern
		Body      []Stmt
		Async     bool
		Generator bool
		Arrow     bool
	}
	// Class is a class declaration or expression with its members.
	Class struct {
		Pos     Pos
		Name    string
		Super   Expr // nil without extends
		Members []*ClassMember
	}
	// ClassMember is a method (Value is a *Func; Kind "method", "get", "set",
	// "constructor"), a field (Kind "field", Value its initialiser or nil), a
	// static block (Kind "static", Value a *Func named "static", Key "") or a
	// decorator (Kind "decorator", Value an *Other). Key is the member's name;
	// Computed holds a computed key instead.
	ClassMember struct {
		Pos      Pos
		Kind     string
		Key      string
		Computed Expr
		Static   bool
		Value    Expr
	}
	// Object is an object literal.
	Object struct {
		Pos   Pos
		Props []*Prop
	}
	// Prop is one property of an object literal: `Key: Value`, a shorthand
	// `a` (Key "a", Value the *Ident a), a method (Value a *Func), a getter or
	// setter (Value a *Func, Kind "get"/"set"), a computed key (Key "",
	// Computed the key expression) or a spread `...x` (Spread, Value x).
	Prop struct {
		Pos      Pos
		Kind     string // "init", "get", "set", "spread"
		Key      string
		Computed Expr
		Value    Expr
	}
	// Array is an array literal; holes are nil, spreads are *Spread.
	Array struct {
		Pos   Pos
		Elems []Expr
	}
	// Binary is a binary or logical operation: + - * / % ** == != === !== < <=
	// > >= << >> >>> & | ^ && || ?? in instanceof.
	Binary struct {
		Pos  Pos
		Op   string
		L, R Expr
	}
	// Unary is a prefix or postfix operation: ! - + ~ typeof void delete ++ --.
	Unary struct {
		Pos Pos
		Op  string
		X   Expr
	}
	// Cond is `Test ? Then : Else`.
	Cond struct {
		Pos              Pos
		Test, Then, Else Expr
	}
	// Assign is `Target Op Value` with Op "=", "+=", "||=", "??=" and the like.
	Assign struct {
		Pos    Pos
		Op     string
		Target Pattern
		Value  Expr
	}
	// Await is `await X`; Yield is `yield X` and `yield* X` (X may be nil).
	Await struct {
		Pos Pos
		X   Expr
	}
	// Yield is `yield X` (X may be nil).
	Yield struct {
		Pos Pos
		X   Expr
	}
	// Spread is `...X` in a call's arguments or an array.
	Spread struct {
		Pos Pos
		X   Expr
	}
	// Seq is `a, b, c`: the value is the last one's.
	Seq struct {
		Pos  Pos
		List []Expr
	}
	// ImportCall is `import(Spec)`: a dynamic import.
	ImportCall struct {
		Pos  Pos
		Spec Expr
	}
	// Other is syntax the analysis has no use for (JSX elements, `new.target`,
	// meta properties, ...), with the sub-expressions it holds, so that calls
	// inside it are still seen.
	Other struct {
		Pos  Pos
		Kind string // the tree-sitter node type, for debugging
		Kids []Expr
	}
)

// Patterns (besides *Ident and *Member).
type (
	// ObjectPattern is `{a, b: c, [k]: d, ...rest}`.
	ObjectPattern struct {
		Pos   Pos
		Props []*PatternProp
		Rest  Pattern // nil without a rest element
	}
	// PatternProp is `Key: Value` of an ObjectPattern (shorthand `a` has Key
	// "a" and Value the *Ident a; `a = 1` has Value a *DefaultPattern).
	// Computed holds a computed key instead of Key.
	PatternProp struct {
		Key      string
		Computed Expr
		Value    Pattern
	}
	// ArrayPattern is `[a, , b, ...rest]`; holes are nil.
	ArrayPattern struct {
		Pos   Pos
		Elems []Pattern
		Rest  Pattern
	}
	// DefaultPattern is `Target = Default`.
	DefaultPattern struct {
		Pos     Pos
		Target  Pattern
		Default Expr
	}
	// RestPattern is `...Target` as a function parameter.
	RestPattern struct {
		Pos    Pos
		Target Pattern
	}
)

func (s *VarDecl) stmtPos() Pos   { return s.Pos }
func (s *FuncDecl) stmtPos() Pos  { return s.Func.Pos }
func (s *ClassDecl) stmtPos() Pos { return s.Class.Pos }
func (s *ExprStmt) stmtPos() Pos  { return s.Pos }
func (s *If) stmtPos() Pos        { return s.Pos }
func (s *Return) stmtPos() Pos    { return s.Pos }
func (s *Throw) stmtPos() Pos     { return s.Pos }
func (s *Block) stmtPos() Pos     { return s.Pos }
func (s *Loop) stmtPos() Pos      { return s.Pos }
func (s *Switch) stmtPos() Pos    { return s.Pos }
func (s *Try) stmtPos() Pos       { return s.Pos }
func (s *Jump) stmtPos() Pos      { return s.Pos }
func (s *Labeled) stmtPos() Pos   { return s.Pos }

func (e *Ident) exprPos() Pos      { return e.Pos }
func (e *Lit) exprPos() Pos        { return e.Pos }
func (e *Template) exprPos() Pos   { return e.Pos }
func (e *Member) exprPos() Pos     { return e.Pos }
func (e *Call) exprPos() Pos       { return e.Pos }
func (e *Func) exprPos() Pos       { return e.Pos }
func (e *Class) exprPos() Pos      { return e.Pos }
func (e *Object) exprPos() Pos     { return e.Pos }
func (e *Array) exprPos() Pos      { return e.Pos }
func (e *Binary) exprPos() Pos     { return e.Pos }
func (e *Unary) exprPos() Pos      { return e.Pos }
func (e *Cond) exprPos() Pos       { return e.Pos }
func (e *Assign) exprPos() Pos     { return e.Pos }
func (e *Await) exprPos() Pos      { return e.Pos }
func (e *Yield) exprPos() Pos      { return e.Pos }
func (e *Spread) exprPos() Pos     { return e.Pos }
func (e *Seq) exprPos() Pos        { return e.Pos }
func (e *ImportCall) exprPos() Pos { return e.Pos }
func (e *Other) exprPos() Pos      { return e.Pos }

func (p *Ident) patternPos() Pos          { return p.Pos }
func (p *Member) patternPos() Pos         { return p.Pos }
func (p *ObjectPattern) patternPos() Pos  { return p.Pos }
func (p *ArrayPattern) patternPos() Pos   { return p.Pos }
func (p *DefaultPattern) patternPos() Pos { return p.Pos }
func (p *RestPattern) patternPos() Pos    { return p.Pos }

// StmtPos is the position of a statement.
func StmtPos(s Stmt) Pos { return s.stmtPos() }

// ExprPos is the position of an expression.
func ExprPos(e Expr) Pos { return e.exprPos() }

// PatternPos is the position of a pattern.
func PatternPos(p Pattern) Pos { return p.patternPos() }
