package manifest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzParse: Parse never panics, finishes within a second, and either
// returns an *Error at a position or a manifest whose positions are all in
// the file and whose handlers stay in src/. The seeds are the fixtures and
// testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	paths, err := filepath.Glob(filepath.Join("testdata", "*.yml"))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no fixtures: %v", err)
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	limit := time.Second
	if raceEnabled {
		limit *= 10
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		m, err := Parse("manifest.yml", data)
		if elapsed := time.Since(start); elapsed > limit {
			t.Errorf("Parse took %v", elapsed)
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not an *Error: %v", err, err)
			}
			if e.File != "manifest.yml" || (e.Line < 1 && len(data) <= MaxSize) || e.Column < 0 || e.Msg == "" {
				t.Fatalf("error without a position: %#v", e)
			}
			return
		}
		lines := strings.Count(string(data), "\n") + strings.Count(string(data), "\r") + 1
		check := func(what string, p Pos) {
			if p.Line < 1 || p.Column < 1 || p.Line > lines {
				t.Fatalf("%s at %v, outside the file (%d lines)", what, p, lines)
			}
		}
		for _, e := range m.Entries {
			check("entry "+e.Function, e.Pos)
		}
		for _, f := range m.Functions {
			check("function "+f.Key, f.Pos)
			if strings.HasPrefix(f.Module, "../") || strings.HasPrefix(f.Module, "/") || f.Module == ".." {
				t.Fatalf("function %s: module %q leaves src/", f.Key, f.Module)
			}
		}
		for _, s := range m.Scalars {
			check("scalar "+s.Path, s.Pos)
		}
		for _, p := range m.Problems {
			check("problem "+p.Msg, p.Pos)
		}
		if len(m.Scalars) > MaxNodes {
			t.Fatalf("%d scalars", len(m.Scalars))
		}
	})
}
