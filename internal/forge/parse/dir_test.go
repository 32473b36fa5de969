package parse

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeTree creates files (path -> content) and symbolic links (path ->
// target, marked by a "->" prefix) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if target, ok := strings.CutPrefix(content, "->"); ok {
			if err := os.Symlink(filepath.FromSlash(target), p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDir(t *testing.T) {
	outside := t.TempDir()
	writeTree(t, outside, map[string]string{
		"lib/secret.js": "leak()",
		"file.js":       "leak()",
	})
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"manifest.yml":                  "app: {}",
		"src/index.ts":                  "export const run = () => api()",
		"src/a.js":                      "a()",
		"src/b.jsx":                     "<B x={b()} />",
		"src/c.tsx":                     "const c = <C>{c()}</C>",
		"src/d.mjs":                     "export default d()",
		"src/e.cjs":                     "module.exports = e()",
		"src/f.mts":                     "f()",
		"src/g.cts":                     "g()",
		"src/types.d.ts":                "declare const x: number",
		"src/readme.md":                 "# not code",
		"src/sub/deep/nested.ts":        "nested()",
		"src/binary.js":                 "\x00\x01\x02\x03",
		"src/big.js":                    "/*" + strings.Repeat("x", 2000) + "*/",
		"src/broken.js":                 "ok();\nif (x { y(); }",
		"lib/util.js":                   "util()",
		"node_modules/pkg/index.js":     "dependency()",
		"src/node_modules/x/y.js":       "dependency()",
		".git/hooks/pre-commit.js":      "hook()",
		".hidden/z.js":                  "hidden()",
		".vendored/v.js":                "vendored()",
		"src/.cache/c.js":               "cached()",
		"src/alias.ts":                  "->index.ts",
		"src/loop":                      "->..",
		"src/self":                      "->self",
		"src/shared":                    "->../lib",
		"src/vendor":                    "->../.vendored",
		"src/dangling.js":               "->nowhere.js",
		"src/dangling.txt":              "->nowhere.txt",
		"src/out":                       "->" + filepath.ToSlash(filepath.Join(outside, "lib")),
		"src/outfile.js":                "->" + filepath.ToSlash(filepath.Join(outside, "file.js")),
		"src/notes.txt":                 "->../manifest.yml",
		"src/node_modules_link":         "->../node_modules",
		"src/sub/deep/up":               "->../../../src",
		"src/sub/deep/link_to_big.js":   "->../../big.js",
		"src/sub/deep/link_to_sub.d.ts": "->../../index.ts",
	})
	res, err := Dir(context.Background(), root, Options{Workers: 2, MaxFileSize: 1000})
	if err != nil {
		t.Fatalf("Dir: %v", err)
	}
	var paths []string
	for _, f := range res.Files {
		paths = append(paths, f.Path)
	}
	wantPaths := []string{
		"lib/util.js",
		"src/a.js",
		"src/alias.ts",
		"src/b.jsx",
		"src/broken.js",
		"src/c.tsx",
		"src/d.mjs",
		"src/e.cjs",
		"src/f.mts",
		"src/g.cts",
		"src/index.ts",
		"src/node_modules_link/pkg/index.js",
		"src/sub/deep/nested.ts",
		"src/vendor/v.js",
	}
	if strings.Join(paths, "\n") != strings.Join(wantPaths, "\n") {
		t.Errorf("files:\n%s\nwant:\n%s", strings.Join(paths, "\n"), strings.Join(wantPaths, "\n"))
	}
	var errs []string
	for _, e := range res.Errors {
		errs = append(errs, e.Error())
	}
	wantErrs := []string{
		"src/big.js: skipped: larger than the limit of 1000 bytes",
		"src/binary.js: skipped: not text (NUL bytes or mostly invalid UTF-8)",
		"src/broken.js:2:6: syntax error: the parser could not read 1 place (the first is here); the rest of the file was analysed",
		"src/dangling.js: broken symbolic link: skipped",
		"src/loop: symbolic link loop (the link leads to a directory that contains it): not followed",
		"src/out: symbolic link to a directory outside the scanned tree: not followed",
		"src/outfile.js: symbolic link to a file outside the scanned tree: skipped",
		"src/self: symbolic link loop: not followed",
		"src/shared: symbolic link to a directory already scanned through another path: not followed",
		"src/sub/deep/link_to_big.js: skipped: larger than the limit of 1000 bytes",
		"src/sub/deep/up: symbolic link loop (the link leads to a directory that contains it): not followed",
	}
	if strings.Join(errs, "\n") != strings.Join(wantErrs, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(errs, "\n"), strings.Join(wantErrs, "\n"))
	}
	for _, f := range res.Files {
		if f.Path == "src/broken.js" && len(f.Errors) != 1 {
			t.Errorf("broken.js Errors = %v", f.Errors)
		}
	}
}

// TestDirThroughLinkedRoot checks that a root given as a link works, and
// paths stay relative to the root as given.
func TestDirThroughLinkedRoot(t *testing.T) {
	real := t.TempDir()
	writeTree(t, real, map[string]string{"src/x.ts": "x()"})
	link := filepath.Join(t.TempDir(), "app")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	res, err := Dir(context.Background(), link, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 1 || res.Files[0].Path != "src/x.ts" || len(res.Errors) != 0 {
		t.Fatalf("files %v errors %v", res.Files, res.Errors)
	}
}

func TestDirFailures(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f.js")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		root string
	}{
		{"missing root", filepath.Join(t.TempDir(), "missing")},
		{"root is a file", file},
	}
	for _, tt := range tests {
		if _, err := Dir(context.Background(), tt.root, Options{}); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}

	root := t.TempDir()
	writeTree(t, root, map[string]string{"a.js": "a()", "b.js": "b()"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Dir(ctx, root, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled context: err = %v", err)
	}
}

func TestDirCancelMidway(t *testing.T) {
	root := t.TempDir()
	genTree(t, root, 2<<20)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(50*time.Millisecond, cancel) // parsing takes longer
	if _, err := Dir(ctx, root, Options{Workers: 1}); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestLoadUnreadable(t *testing.T) {
	p := newParser()
	defer p.Close()
	f, errs := p.load(context.Background(), srcFile{rel: "gone.js", abs: filepath.Join(t.TempDir(), "gone.js")}, Options{}.withDefaults())
	if f != nil || len(errs) != 1 || !strings.HasPrefix(errs[0].Msg, "skipped: cannot read it:") {
		t.Fatalf("load = %v, %v", f, errs)
	}
}

func TestDirTimeoutReported(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"slow.js": string(genBundle(1 << 20)), "ok.js": "ok()"})
	res, err := Dir(context.Background(), root, Options{ParseTimeout: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 1 || res.Errors[0].Path != "slow.js" || !strings.Contains(res.Errors[0].Msg, "parsing took longer than its budget") {
		t.Fatalf("errors %v", res.Errors)
	}
	if len(res.Files) != 1 || res.Files[0].Path != "ok.js" {
		t.Fatalf("files %v", res.Files)
	}
}
