package parse

import (
	"context"
	"testing"
)

// BenchmarkDir parses a generated 10 MB tree of TypeScript, TSX,
// JavaScript and JSX files.
func BenchmarkDir(b *testing.B) {
	dir := b.TempDir()
	size := genTree(b, dir, 10<<20)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := Dir(context.Background(), dir, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Errors) > 0 {
			b.Fatalf("unexpected errors: %v", res.Errors[0])
		}
	}
}

// BenchmarkFile parses a generated 5 MB minified bundle.
func BenchmarkFile(b *testing.B) {
	src := genBundle(5 << 20)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		f, err := File("bundle.js", src)
		if err != nil {
			b.Fatal(err)
		}
		if len(f.Errors) > 0 {
			b.Fatalf("syntax errors at %v", f.Errors)
		}
	}
}
