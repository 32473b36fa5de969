package resolve

import (
	"fmt"
	"path"
	"testing"
)

// bigApp is a synthetic app of 2,000 source files in 200 directories with a
// tsconfig (paths, baseUrl) and a workspace package, and the imports its
// files make: ten per file, of every kind.
func bigApp(b *testing.B) (root string, files []string, imports [][2]string) {
	tree := map[string]string{
		"tsconfig.json":                 `{"compilerOptions": {"baseUrl": ".", "paths": {"@/*": ["src/*"], "@lib/*": ["src/lib/*", "src/vendor/*"]}}}`,
		"package.json":                  `{"name": "big-app", "imports": {"#cfg": "./src/d0/f0.ts"}}`,
		"packages/shared/package.json":  `{"name": "@big/shared", "main": "dist/index.js"}`,
		"packages/shared/tsconfig.json": `{"compilerOptions": {"outDir": "dist", "rootDir": "src"}}`,
		"packages/shared/src/index.ts":  "",
	}
	for d := range 200 {
		for f := range 10 {
			tree[fmt.Sprintf("src/d%d/f%d.ts", d, f)] = ""
		}
	}
	root, files = writeTree(b, tree)
	for d := range 200 {
		for f := range 10 {
			from := fmt.Sprintf("src/d%d/f%d.ts", d, f)
			for _, spec := range []string{
				fmt.Sprintf("./f%d", (f+1)%10),
				fmt.Sprintf("../d%d/f%d.js", (d+1)%200, f),
				fmt.Sprintf("@/d%d/f%d", (d+7)%200, f),
				fmt.Sprintf("src/d%d/f0", d),
				"@forge/api", "@forge/resolver", "node:crypto", "@big/shared", "#cfg", "./missing",
			} {
				imports = append(imports, [2]string{from, spec})
			}
		}
	}
	return root, files, imports
}

// BenchmarkResolve measures Resolve over every import of the synthetic app
// (20,000 calls an op): "cached" with the cache filled by an earlier pass,
// "uncached" computing each answer.
func BenchmarkResolve(b *testing.B) {
	root, files, imports := bigApp(b)
	r, problems := New(root, files)
	if len(problems) > 0 {
		b.Fatalf("problems: %+v", problems)
	}
	for _, im := range imports {
		if t := r.Resolve(im[0], im[1]); t.Kind == Unresolved && im[1] != "./missing" {
			b.Fatalf("%s from %s: %s", im[1], im[0], t.Reason)
		}
	}
	b.Run("cached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, im := range imports {
				r.Resolve(im[0], im[1])
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(imports)), "ns/resolve")
	})
	b.Run("uncached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, im := range imports {
				r.resolve(path.Dir(im[0]), im[1])
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(imports)), "ns/resolve")
	})
}

// BenchmarkNew measures New on the synthetic app (reading its configs).
func BenchmarkNew(b *testing.B) {
	root, files, _ := bigApp(b)
	b.ReportAllocs()
	for b.Loop() {
		New(root, files)
	}
}
