package parse

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ecoscan/ecoscan/internal/forge/ast"
)

func TestFileInput(t *testing.T) {
	mostlyInvalid := bytes.Repeat([]byte{0xff, 0xfe, 'a'}, 100)
	tests := []struct {
		name    string
		path    string
		src     []byte
		wantErr error
		want    string // sprintFile output, when wantErr is nil
		errors  int    // len(File.Errors)
	}{
		{name: "binary with NUL", path: "x.js", src: []byte("var a = 1;\x00\x01\x02"), wantErr: ErrBinary},
		{name: "mostly invalid UTF-8", path: "x.js", src: mostlyInvalid, wantErr: ErrBinary},
		{name: "some invalid UTF-8 in a string", path: "x.js", src: []byte("f('caf\xe9');"), want: "f(\"caf\\xe9\");\n"},
		{name: "not a source name", path: "x.txt", src: []byte("x"), wantErr: ErrNotCode},
		{name: "over the size limit", path: "x.js", src: bytes.Repeat([]byte(" "), DefaultMaxFileSize+1), wantErr: ErrTooLarge},
		{name: "at the size limit", path: "x.js", src: append(bytes.Repeat([]byte(" "), DefaultMaxFileSize-2), 'x', ';'), want: "x;\n"},
		{name: "empty", path: "x.js", src: nil, want: ""},
		{name: "only comments", path: "x.ts", src: []byte("// a\n/* b */\n/** c */"), want: ""},
		{name: "use strict first", path: "x.js", src: []byte("\"use strict\"\nrun()"), want: "\"use strict\";\nrun();\n"},
		{name: "byte order mark", path: "x.js", src: []byte("\xef\xbb\xbfrun();"), want: "run();\n"},
		{name: "CRLF lines", path: "x.ts", src: []byte("a();\r\nb();\r\n"), want: "a();\nb();\n"},
		{name: "upper-case extension", path: "X.JS", src: []byte("a()"), want: "a();\n"},
		{name: "mjs", path: "x.mjs", src: []byte("export default 1"), want: "export default = 1\n"},
		{name: "cts", path: "x.cts", src: []byte("const a = <T>b"), want: "const a = b;\n"},
		{name: "syntax error", path: "x.js", src: []byte("a(;\nb();"), want: "a();\nb();\n", errors: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := File(tt.path, tt.src)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("File error = %v, want %v", err, tt.wantErr)
				}
				if f != nil {
					t.Fatalf("File returned a file with error %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("File: %v", err)
			}
			if got := sprintFile(f); got != tt.want {
				t.Errorf("lowered:\n%s\nwant:\n%s", got, tt.want)
			}
			if len(f.Errors) != tt.errors {
				t.Errorf("Errors = %v, want %d", f.Errors, tt.errors)
			}
			if f.Path != tt.path {
				t.Errorf("Path = %q, want %q", f.Path, tt.path)
			}
		})
	}
}

// TestDeepNesting checks that hostile nesting neither crashes tree-sitter
// nor the lowering: the deep part becomes a "too-deep" Other and the file
// gets an error.
func TestDeepNesting(t *testing.T) {
	const n = 100_000
	tests := []struct{ name, src string }{
		{"parentheses", strings.Repeat("(", n) + "x" + strings.Repeat(")", n)},
		{"brackets", strings.Repeat("[", n) + strings.Repeat("]", n)},
		{"blocks", strings.Repeat("{", n) + strings.Repeat("}", n)},
		{"objects", "x = " + strings.Repeat("{a:", n) + "1" + strings.Repeat("}", n)},
		{"calls", "f" + strings.Repeat("(g", n) + strings.Repeat(")", n)},
		{"arrows", strings.Repeat("()=>", n) + "x"},
		{"else if chain", "if(a)b();" + strings.Repeat("else if(a)b();", n)},
		{"binary chain", strings.Repeat("a+", n) + "a"},
		{"member chain", "a" + strings.Repeat(".b", n)},
		{"templates", strings.Repeat("`${", n) + strings.Repeat("}`", n)},
		{"unary", strings.Repeat("!", n) + "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newParser()
			defer p.Close()
			f, st, err := p.file(context.Background(), "x.js", []byte(tt.src), Options{}.withDefaults())
			if err != nil {
				t.Fatalf("file: %v", err)
			}
			if !st.tooDeep || len(f.Errors) == 0 {
				t.Fatalf("no depth error recorded (errors %v)", f.Errors)
			}
			found := false
			ast.Inspect(f, func(x any) bool {
				if o, ok := x.(*ast.Other); ok && o.Kind == "too-deep" {
					found = true
				}
				return true
			})
			if !found {
				t.Error("no too-deep Other in the tree")
			}
			if got := depthOf(f); got > 3*MaxDepth {
				t.Errorf("lowered tree is %d deep", got)
			}
		})
	}
}

// depthOf is the depth of a lowered tree.
func depthOf(f *ast.File) int {
	deepest := 0
	var rec func(n any, d int)
	rec = func(n any, d int) {
		deepest = max(deepest, d)
		first := true
		ast.Inspect(n, func(x any) bool {
			if first {
				first = false
				return true
			}
			rec(x, d+1)
			return false
		})
	}
	rec(f, 0)
	return deepest
}

// TestDeepAmbiguousNestingStopped checks the case that overflowed an 8 MiB
// thread stack: a parse of deeply nested ambiguous syntax stopped by its
// budget, whose stack tree-sitter releases recursively.
func TestDeepAmbiguousNestingStopped(t *testing.T) {
	src := []byte(strings.Repeat("{a:", 1_000_000) + "1" + strings.Repeat("}", 1_000_000))
	p := newParser()
	defer p.Close()
	opts := Options{ParseTimeout: 500 * time.Millisecond}.withDefaults()
	_, _, err := p.file(context.Background(), "x.js", src, opts)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	// the parser is reset and reusable
	f, _, err := p.file(context.Background(), "y.js", []byte("ok()"), opts)
	if err != nil || sprintFile(f) != "ok();\n" {
		t.Fatalf("after a stopped parse: %v, %v", err, f)
	}
}

func TestBundle(t *testing.T) {
	src := genBundle(5 << 20)
	f, err := File("dist/bundle.js", src)
	if err != nil {
		t.Fatalf("File: %v", err)
	}
	if len(f.Errors) > 0 {
		t.Fatalf("syntax errors at %v", f.Errors[:min(3, len(f.Errors))])
	}
	modules := strings.Count(string(src), "requestJira(")
	calls := 0
	ast.Inspect(f, func(n any) bool {
		if c, ok := n.(*ast.Call); ok {
			if m, ok := c.Callee.(*ast.Member); ok && m.Prop == "requestJira" {
				calls++
			}
		}
		return true
	})
	if calls != modules || modules < 1000 {
		t.Errorf("found %d requestJira calls, want %d", calls, modules)
	}
}

func TestTimeoutAndCancel(t *testing.T) {
	big := genBundle(2 << 20)
	p := newParser()
	defer p.Close()

	_, _, err := p.file(context.Background(), "x.js", big, Options{ParseTimeout: time.Millisecond}.withDefaults())
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("tiny budget: err = %v, want ErrTimeout", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	_, _, err = p.file(ctx, "x.js", big, Options{}.withDefaults())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled: err = %v, want context.Canceled", err)
	}

	// the same parser still parses
	f, _, err := p.file(context.Background(), "x.js", []byte("a()"), Options{}.withDefaults())
	if err != nil || sprintFile(f) != "a();\n" {
		t.Fatalf("after stops: %v %v", err, f)
	}
}

func TestSyntaxErrorRecovery(t *testing.T) {
	tests := []struct {
		name  string
		path  string
		src   string
		names []string // names (variables, callees, properties) that must survive
		first ast.Pos
	}{
		{"missing paren", "x.js", "a(;\nafter();", []string{"a", "after"}, ast.Pos{Line: 1, Col: 3}},
		{"broken statement between", "x.ts", "before();\nconst = ;\nafter();", []string{"before", "after"}, ast.Pos{Line: 2, Col: 1}},
		{"unclosed function", "x.js", "function f() {\n  inner();\n", []string{"inner"}, ast.Pos{Line: 2, Col: 11}},
		{"garbage in a resolver", "x.ts", "resolver.define('k', async () => {\n  @@@;\n  api.asApp().requestJira(route`/x`);\n});",
			[]string{"define", "requestJira", "asApp"}, ast.Pos{Line: 2, Col: 3}},
		{"unclosed template", "x.js", "f(`abc${x}", []string{"f", "x"}, ast.Pos{Line: 1, Col: 1}},
		{"unclosed string", "x.js", "g('abc\nh();", []string{"g", "h"}, ast.Pos{Line: 1, Col: 3}},
		{"100,000 unclosed parentheses", "x.js", strings.Repeat("(", 100_000) + "y", []string{"y"}, ast.Pos{Line: 1, Col: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := File(tt.path, []byte(tt.src))
			if err != nil {
				t.Fatalf("File: %v", err)
			}
			if len(f.Errors) == 0 {
				t.Fatalf("no syntax error recorded:\n%s", sprintFile(f))
			}
			if f.Errors[0] != tt.first {
				t.Errorf("first error at %v, want %v", f.Errors[0], tt.first)
			}
			found := map[string]bool{}
			ast.Inspect(f, func(n any) bool {
				switch x := n.(type) {
				case *ast.Ident:
					found[x.Name] = true
				case *ast.Member:
					found[x.Prop] = true
				}
				return true
			})
			for _, name := range tt.names {
				if !found[name] {
					t.Errorf("%s lost:\n%s", name, sprintFile(f))
				}
			}
		})
	}
}

func TestPositions(t *testing.T) {
	src := "const é = 1;\r\n\tfunction run(a) {\n  return api.get(a);\n}\nconst f = () =>\n  x;\n"
	f, err := File("x.js", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var fn, arrow *ast.Func
	var call *ast.Call
	var member *ast.Member
	ast.Inspect(f, func(n any) bool {
		switch x := n.(type) {
		case *ast.Func:
			if x.Arrow {
				arrow = x
			} else {
				fn = x
			}
		case *ast.Call:
			call = x
		case *ast.Member:
			member = x
		}
		return true
	})
	checks := []struct {
		name      string
		got, want ast.Pos
	}{
		{"first declaration", ast.StmtPos(f.Body[0]), ast.Pos{Line: 1, Col: 1}},
		{"its target (columns count bytes)", ast.PatternPos(f.Body[0].(*ast.VarDecl).Decls[0].Target), ast.Pos{Line: 1, Col: 7}},
		{"its value", ast.ExprPos(f.Body[0].(*ast.VarDecl).Decls[0].Init), ast.Pos{Line: 1, Col: 12}},
		{"function after a tab", fn.Pos, ast.Pos{Line: 2, Col: 2}},
		{"function end (closing brace)", fn.End, ast.Pos{Line: 4, Col: 1}},
		{"call", call.Pos, ast.Pos{Line: 3, Col: 10}},
		{"member", member.Pos, ast.Pos{Line: 3, Col: 10}},
		{"arrow", arrow.Pos, ast.Pos{Line: 5, Col: 11}},
		{"arrow end (its expression's end)", arrow.End, ast.Pos{Line: 6, Col: 3}},
		{"arrow's return", ast.StmtPos(arrow.Body[0]), ast.Pos{Line: 6, Col: 3}},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s at %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestDecodeString(t *testing.T) {
	tests := []struct {
		raw      string
		template bool
		want     string
	}{
		{`plain`, false, "plain"},
		{`a\nb\tc\rd\be\ff\vg`, false, "a\nb\tc\rd\be\ff\vg"},
		{`\0`, false, "\x00"},
		{`\08`, false, "\x008"},
		{`\101\7\377\400`, false, "A\a\u00ff\x200"},
		{`\x41\x7A`, false, "Az"},
		{`\x4`, false, `\x4`},
		{`\xZZ`, false, `\xZZ`},
		{`\u00e9`, false, "é"},
		{`\u{1F600}`, false, "😀"},
		{`\u{110000}`, false, `\u{110000}`},
		{`\u{}`, false, `\u{}`},
		{`\u12`, false, `\u12`},
		{`\uD83D\uDE00`, false, "😀"},
		{`\uD83D`, false, "\uFFFD"},
		{`\uDE00\uD83D`, false, "\uFFFD\uFFFD"},
		{"line\\\ncontinued", false, "linecontinued"},
		{"line\\\r\ncontinued", false, "linecontinued"},
		{"line\\\u2028continued", false, "linecontinued"},
		{`\q\'\"\\`, false, `q'"\`},
		{`\é`, false, "é"},
		{`trailing\`, false, `trailing\`},
		{"a\r\nb\rc", true, "a\nb\nc"},
		{"a\r\nb", false, "a\r\nb"},
		{"\\`\\$", true, "`$"},
	}
	for _, tt := range tests {
		if got := decodeString([]byte(tt.raw), tt.template); got != tt.want {
			t.Errorf("decodeString(%q, %v) = %q, want %q", tt.raw, tt.template, got, tt.want)
		}
	}
}

func TestLooksBinary(t *testing.T) {
	long := bytes.Repeat([]byte("é"), 40<<10) // straddles the 64 KiB sample
	tests := []struct {
		name string
		src  []byte
		want bool
	}{
		{"empty", nil, false},
		{"ascii", []byte("var a = 1;"), false},
		{"utf-8", []byte("const s = 'héllo wörld 日本';"), false},
		{"NUL", []byte("a\x00b"), true},
		{"a little Latin-1", append(bytes.Repeat([]byte("x"), 100), 0xe9), false},
		{"mostly invalid", bytes.Repeat([]byte{0xc3, 0x28}, 50), true},
		{"rune cut by the sample", append(long[:64<<10-1], long[64<<10-1:]...), false},
	}
	for _, tt := range tests {
		if got := looksBinary(tt.src); got != tt.want {
			t.Errorf("%s: looksBinary = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestLineIndex compares positions with a direct count, in and out of
// order.
func TestLineIndex(t *testing.T) {
	src := []byte("ab\ncd\r\n\n€x\nlast")
	li := newLineIndex(src)
	want := func(off int) ast.Pos {
		line := 1 + bytes.Count(src[:off], []byte("\n"))
		start := bytes.LastIndexByte(src[:off], '\n') + 1
		return ast.Pos{Line: line, Col: off - start + 1}
	}
	order := []int{0, 1, 2, 3, 7, 8, 12, len(src), 4, 0, 13, 9, 3}
	for _, off := range order {
		if got := li.pos(uint32(off)); got != want(off) {
			t.Errorf("pos(%d) = %v, want %v", off, got, want(off))
		}
	}
	if !utf8.Valid(src) {
		t.Fatal("test source is not UTF-8")
	}
}
