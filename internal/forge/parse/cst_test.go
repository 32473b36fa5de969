package parse

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sitter "github.com/tree-sitter/go-tree-sitter"

	"github.com/ecoscan/ecoscan/internal/forge/ast"
)

// oracleNode is a node as go-tree-sitter's Go API reports it.
type oracleNode struct {
	kind       string
	field      field
	start, end uint32
	missing    bool
	pos        ast.Pos
	skip       int32
}

// oracleFlatten walks the tree with go-tree-sitter's Go API, one cgo call
// at a time, keeping the same nodes as the C walk: the reference the C
// walk (and the hand-written C declarations it relies on) is tested
// against.
func oracleFlatten(t testing.TB, g *grammar, src []byte) []oracleNode {
	t.Helper()
	p := sitter.NewParser()
	defer p.Close()
	if err := p.SetLanguage(g.lang); err != nil {
		t.Fatal(err)
	}
	tree := p.Parse(src, nil)
	defer tree.Close()
	cur := tree.Walk()
	defer cur.Close()
	var out []oracleNode
	var stack []int
	add := func(n *sitter.Node, fieldName string) int {
		f := fNone
		if fieldName != "" {
			f = fOther
			if known, ok := fieldNames[fieldName]; ok {
				f = known
			}
		}
		sp := n.StartPosition()
		out = append(out, oracleNode{
			kind: n.Kind(), field: f, start: uint32(n.StartByte()), end: uint32(n.EndByte()),
			missing: n.IsMissing(), pos: ast.Pos{Line: int(sp.Row) + 1, Col: int(sp.Column) + 1},
		})
		return len(out) - 1
	}
	add(tree.RootNode(), "")
	if !cur.GotoFirstChild() {
		out[0].skip = 1
		return out
	}
	stack = append(stack, 0)
	for {
		n := cur.Node()
		fieldName := cur.FieldName()
		k := g.kindOf(n.KindId())
		keep := k != kComment && (k != kIgnored || fieldName != "") || n.IsMissing()
		if keep {
			idx := add(n, fieldName)
			out[idx].skip = int32(idx + 1)
			if cur.GotoFirstChild() {
				stack = append(stack, idx)
				continue
			}
		}
		for len(stack) > 0 && !cur.GotoNextSibling() {
			cur.GotoParent()
			top := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			out[top].skip = int32(len(out))
		}
		if len(stack) == 0 {
			return out
		}
	}
}

// checkFlatten compares the C walk of src with the oracle.
func checkFlatten(t testing.TB, path string, src []byte) {
	t.Helper()
	g := grammarFor(path)
	p := newParser()
	defer p.Close()
	c, err := p.parse(context.Background(), g, src, time.Minute)
	if err != nil {
		t.Fatalf("%s: parse: %v", path, err)
	}
	want := oracleFlatten(t, g, src)
	if len(c.nodes) != len(want) {
		t.Fatalf("%s: %d nodes, the oracle has %d", path, len(c.nodes), len(want))
	}
	li := newLineIndex(src)
	for i, n := range c.nodes {
		w := want[i]
		got := oracleNode{
			kind: g.nameOf(n.sym), field: n.field, start: n.start, end: n.end,
			missing: n.flags&flagMissing != 0, pos: li.pos(n.start), skip: n.skip,
		}
		if got != w {
			t.Fatalf("%s: node %d = %+v, the oracle has %+v", path, i, got, w)
		}
	}
}

func TestFlattenMatchesGoAPI(t *testing.T) {
	inputs, err := filepath.Glob("testdata/lower/*.*")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, in := range inputs {
		if strings.HasSuffix(in, ".golden") {
			continue
		}
		src, err := os.ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		n++
		t.Run(filepath.Base(in), func(t *testing.T) { checkFlatten(t, in, src) })
	}
	for i, u := range tsUnits {
		checkFlatten(t, fmt.Sprintf("unit%d.ts", i), []byte(fmt.Sprintf(u, i)))
	}
	for i, u := range jsxUnits {
		checkFlatten(t, fmt.Sprintf("unit%d.tsx", i), []byte(fmt.Sprintf(u, i)))
		checkFlatten(t, fmt.Sprintf("unit%d.jsx", i), []byte(fmt.Sprintf(u, i)))
	}
	for i, u := range jsUnits {
		checkFlatten(t, fmt.Sprintf("unit%d.js", i), []byte(fmt.Sprintf(u, i)))
	}
	checkFlatten(t, "bundle.js", genBundle(64<<10))
	checkFlatten(t, "empty.ts", nil)
	checkFlatten(t, "missing.js", []byte("if (a { b("))
	if n < 20 {
		t.Fatalf("only %d inputs", n)
	}
}

func TestSyntaxErrorsListed(t *testing.T) {
	// Three separate problems: an ERROR, a MISSING ")" and a MISSING "}".
	src := []byte("a = = 1;\nif (x { y(); }\nfunction f() {")
	f, err := File("x.js", src)
	if err != nil {
		t.Fatal(err)
	}
	want := []ast.Pos{{Line: 1, Col: 5}, {Line: 2, Col: 6}, {Line: 3, Col: 15}}
	if fmt.Sprint(f.Errors) != fmt.Sprint(want) {
		t.Errorf("Errors = %v, want %v", f.Errors, want)
	}

	var many strings.Builder
	for range 3 * maxFileErrors {
		many.WriteString("x = = 1;\n")
	}
	f, err = File("x.js", []byte(many.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Errors) != maxFileErrors {
		t.Errorf("%d errors listed, want the bound %d", len(f.Errors), maxFileErrors)
	}
}
