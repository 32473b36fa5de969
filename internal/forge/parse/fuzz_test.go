package parse

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ecoscan/ecoscan/internal/forge/ast"
)

// FuzzFile parses arbitrary input as JavaScript, TypeScript and TSX: no
// panic, no hang (the budget stops a parse), positions inside the file, a
// tree the bounded walk covers, and for small inputs a flattened tree equal
// to the one go-tree-sitter's Go API gives.
func FuzzFile(f *testing.F) {
	f.Add([]byte("const a = require('x'); export default async function f({a = 1, ...b}) { return a?.[b]`t${c}`; }"))
	f.Add([]byte("class A { #x = 1; static { f() } constructor(private y) { super() } }"))
	f.Fuzz(func(t *testing.T, src []byte) {
		lines := bytes.Count(src, []byte("\n")) + 1
		p := newParser()
		defer p.Close()
		opts := Options{ParseTimeout: 5 * time.Second}.withDefaults()
		for _, path := range []string{"x.js", "x.ts", "x.tsx"} {
			file, _, err := p.file(context.Background(), path, src, opts)
			if err != nil {
				if errors.Is(err, ErrBinary) || errors.Is(err, ErrTimeout) {
					continue
				}
				t.Fatalf("%s: %v", path, err)
			}
			check := func(pos ast.Pos) {
				if pos.Line < 1 || pos.Line > lines || pos.Col < 1 || pos.Col > len(src)+1 {
					t.Fatalf("%s: position %v outside the input", path, pos)
				}
			}
			for _, e := range file.Errors {
				check(e)
			}
			ast.Inspect(file, func(n any) bool {
				switch x := n.(type) {
				case ast.Stmt:
					check(ast.StmtPos(x))
				case ast.Expr:
					check(ast.ExprPos(x))
				}
				return true
			})
			if len(src) <= 4<<10 {
				checkFlatten(t, path, src)
			}
		}
	})
}

// FuzzDecodeString checks the string decoder: no panic, never longer than
// its input, valid UTF-8 from valid UTF-8, and text without escapes kept.
func FuzzDecodeString(f *testing.F) {
	f.Add([]byte(`a\nb\x41\u00e9\u{1F600}\uD83D\uDE00\101`), false)
	f.Add([]byte("a\r\nb\\`"), true)
	f.Fuzz(func(t *testing.T, raw []byte, template bool) {
		got := decodeString(raw, template)
		if len(got) > len(raw) {
			t.Fatalf("decoded %q is longer than %q", got, raw)
		}
		if utf8.Valid(raw) && !utf8.ValidString(got) {
			t.Fatalf("decoded %q from valid %q is not UTF-8", got, raw)
		}
		if !bytes.ContainsAny(raw, "\\\r") && got != string(raw) {
			t.Fatalf("decoded %q changed %q", got, raw)
		}
	})
}
