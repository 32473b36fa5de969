package parse

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/lower")

// TestLowerGolden lowers each testdata/lower source file and compares the
// printed tree with its .golden file.
func TestLowerGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/lower/*.*")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, in := range inputs {
		if strings.HasSuffix(in, ".golden") {
			continue
		}
		n++
		t.Run(filepath.Base(in), func(t *testing.T) {
			src, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			f, err := File(filepath.Base(in), src)
			if err != nil {
				t.Fatalf("File: %v", err)
			}
			got := sprintFile(f)
			if len(f.Errors) > 0 {
				got += fmt.Sprintf("errors %v\n", f.Errors)
			}
			golden := in + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("lowered %s differs from %s:\n--- got\n%s--- want\n%s", in, golden, got, want)
			}
		})
	}
	if n < 20 {
		t.Fatalf("found %d inputs in testdata/lower", n)
	}
}
