package deps

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ecoscan/ecoscan/internal/supply/deps/depstest"
)

// bigTree writes a generated 5,000-package package-lock.json and a database
// with advisories for its packages plus others unrelated ones, and returns
// the directory, the loaded database and the number of matches expected.
func bigTree(tb testing.TB, others int) (string, *DB, int) {
	tb.Helper()
	dir := tb.TempDir()
	lock, pkgs := depstest.PackageLock(5000)
	if err := os.WriteFile(filepath.Join(dir, "package-lock.json"), lock, 0o644); err != nil {
		tb.Fatal(err)
	}
	records, want := depstest.Advisories(pkgs, others)
	dbDir := tb.TempDir()
	if _, err := depstest.WriteDB(dbDir, records); err != nil {
		tb.Fatal(err)
	}
	db, err := LoadDB(dbDir)
	if err != nil {
		tb.Fatal(err)
	}
	return dir, db, want
}

// TestBigLockfile checks the benchmark's data: every generated match is found.
func TestBigLockfile(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a 5,000-package lockfile")
	}
	dir, db, want := bigTree(t, 100)
	res, err := Scan(context.Background(), dir, Config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(res.Findings()); got != want {
		t.Errorf("%d findings, want %d", got, want)
	}
	if n := len(res.Lockfiles[0].Packages); n < 5000 {
		t.Errorf("%d packages, want at least 5000", n)
	}
	for _, p := range res.Lockfiles[0].Packages {
		if p.Line == 0 || len(p.Chain) == 0 {
			t.Fatalf("%s@%s: line %d, chain %v", p.Name, p.Version, p.Line, p.Chain)
		}
	}
}

// BenchmarkMatch5000 is the speed target: a 5,000-package lockfile
// read and matched in under a second once the database is loaded.
func BenchmarkMatch5000(b *testing.B) {
	dir, db, want := bigTree(b, 20000)
	b.ResetTimer()
	for b.Loop() {
		res, err := Scan(context.Background(), dir, Config{DB: db})
		if err != nil {
			b.Fatal(err)
		}
		if got := len(res.Findings()); got != want {
			b.Fatalf("%d findings, want %d", got, want)
		}
	}
}

// BenchmarkLoadDB is the loading of a 24,000-advisory database.
func BenchmarkLoadDB(b *testing.B) {
	_, pkgs := depstest.PackageLock(5000)
	records, _ := depstest.Advisories(pkgs, 20000)
	dir := b.TempDir()
	if _, err := depstest.WriteDB(dir, records); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := LoadDB(dir); err != nil {
			b.Fatal(err)
		}
	}
}
