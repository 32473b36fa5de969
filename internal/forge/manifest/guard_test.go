package manifest

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml/lexer"
)

// repeat joins n units made by unit.
func repeat(n int, unit func(i int) string) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(unit(i))
	}
	return b.String()
}

// fillTo repeats unit until the text is about size bytes.
func fillTo(size int, unit func(i int) string) string {
	var b strings.Builder
	for i := 0; b.Len() < size; i++ {
		b.WriteString(unit(i))
	}
	return b.String()[:size]
}

// TestTokenLimits checks each limit of checkTokens at its edge.
func TestTokenLimits(t *testing.T) {
	key := func(i int) string { return fmt.Sprintf("k%d: v\n", i) }
	longKey := strings.Repeat("K", 100_000) + ":\n"
	tests := []struct {
		name string
		yaml string
		want string // "" for no error
	}{
		{"2000 keys", repeat(2000, key), ""},
		{"2001 keys", repeat(2001, key), "a YAML mapping with more than 2000 keys"},
		{"2001 keys with anchors", repeat(2001, func(i int) string { return fmt.Sprintf("&a%d k%d: v\n", i, i) }), "more than 2000 keys"},
		{"2001 keys with block scalars", repeat(2001, func(i int) string { return fmt.Sprintf("k%d: |\n  text\n", i) }), "more than 2000 keys"},
		{"2001 keys with nested values", repeat(2001, func(i int) string { return fmt.Sprintf("k%d:\n  x: 1\n", i) }), "more than 2000 keys"},
		{"2001 keys in a flow sequence", "[\n" + repeat(2001, func(i int) string { return " " + key(i) }) + "]\n", "more than 2000 keys"},
		{"2001 keys in a list entry", "- " + repeat(2001, func(i int) string { return "  " + key(i) })[2:], "more than 2000 keys"},
		{"3000 mappings of one key", repeat(3000, func(i int) string { return "- " + key(i) }), ""},
		{"3000 flow mappings", "[" + repeat(3000, func(i int) string { return fmt.Sprintf("{k%d: v},\n", i) }) + "]\n", ""},
		{"100 levels", strings.Repeat("- ", 100) + "x\n", ""},
		{"101 levels", strings.Repeat("- ", 101) + "x\n", "YAML nested deeper than 100 levels"},
		{"101 flow levels", strings.Repeat("[", 101) + strings.Repeat("]", 101), "YAML nested deeper than 100 levels"},
		{"101 levels of mappings", repeat(101, func(i int) string { return strings.Repeat(" ", i) + "k:\n" }), "YAML nested deeper than 100 levels"},
		{"2500 empty values", repeat(2500, func(i int) string { return "- " + fmt.Sprintf("k%d:\n", i) }), ""},
		{"2600 empty values", repeat(2600, func(i int) string { return "- " + fmt.Sprintf("k%d:\n", i) }), "too many keys or list entries without a value (2600 in 7800 YAML tokens)"},
		{"3100 empty flow keys", "{" + repeat(3100, func(i int) string { return fmt.Sprintf("k%d, ", i) }) + "}", ""},
		{"3200 empty flow keys", "{" + repeat(3200, func(i int) string { return fmt.Sprintf("k%d, ", i) }) + "}", "too many keys or list entries without a value"},
		{"long key over 600 entries", longKey + repeat(600, func(int) string { return "  - a\n" }), ""},
		{"long key over 700 entries", longKey + repeat(700, func(int) string { return "  - a\n" }), "YAML keys too long or nested too deep"},
		{"200000 tokens", "[" + strings.Repeat("a,", 99_999) + "]", ""},
		{"200001 tokens", "[" + strings.Repeat("a,", 99_999) + "a]", "1:200001: the manifest has more than 200000 YAML tokens"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkTokens(lexer.Tokenize(tt.yaml))
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestAdversarialShapes parses, at the size limit, the shapes on which the
// YAML parser is superlinear, and shapes that are merely large: each must be
// done (refused, mostly) within the time limit.
func TestAdversarialShapes(t *testing.T) {
	if testing.Short() {
		t.Skip("parses 1 MiB inputs; not in -short")
	}
	// Allocation is the measure that does not depend on the machine's
	// load; the time limit only catches a hang.
	const maxAllocated = 1 << 30
	limit := 10 * time.Second
	if raceEnabled {
		limit *= 10
	}
	size := MaxSize - 16
	shapes := map[string]string{
		"wide mapping":       fillTo(size, func(i int) string { return fmt.Sprintf("k%d: v\n", i) }),
		"empty values":       fillTo(size, func(i int) string { return fmt.Sprintf("- k%d:\n", i) }),
		"empty list entries": "a:\n" + fillTo(size-3, func(int) string { return "-\n" }),
		"long list":          "a:\n" + fillTo(size-3, func(int) string { return "- a\n" }),
		"long flow list":     "a: [" + fillTo(size-6, func(int) string { return "a," }) + "]\n",
		"long flow mapping":  "a: {" + fillTo(size-6, func(i int) string { return fmt.Sprintf("k%d: v,", i) }) + "}\n",
		"long key":           strings.Repeat("K", 200_000) + ":\n" + fillTo(size-200_002, func(int) string { return "  - a\n" }),
		"aliases":            "x: &x v\ny: [" + fillTo(size-12, func(int) string { return "*x," }) + "]\n",
		"tags":               fillTo(size, func(i int) string { return fmt.Sprintf("- !!str k%d\n", i) }),
		"anchors":            fillTo(size, func(i int) string { return fmt.Sprintf("- &a%d k\n", i) }),
		"flow mappings":      "a: [\n" + fillTo(size-8, func(i int) string { return fmt.Sprintf("  {k: %d},\n", i) }) + "]\n",
		"block scalars":      fillTo(size, func(i int) string { return fmt.Sprintf("- k%d: |\n    x\n", i) }),
		"comments":           fillTo(size, func(i int) string { return "# comment\n" }),
		"one long string":    "a: " + strings.Repeat("x", size-4) + "\n",
	}
	for name, yaml := range shapes {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, err := Parse("manifest.yml", []byte(yaml))
			elapsed := time.Since(start)
			runtime.ReadMemStats(&after)
			allocated := after.TotalAlloc - before.TotalAlloc
			t.Logf("%d bytes in %v, %d MiB allocated: %v", len(yaml), elapsed.Round(time.Millisecond), allocated>>20, err)
			if allocated > maxAllocated {
				t.Errorf("allocated %d MiB, more than %d MiB", allocated>>20, maxAllocated>>20)
			}
			if elapsed > limit {
				t.Errorf("took %v, more than %v", elapsed, limit)
			}
		})
	}
}
