package parse

// node is one node of a concrete syntax tree, copied out of tree-sitter so
// that the lowering runs in plain Go (a cgo call costs more than the work
// of most lowering steps) and the tree-sitter tree can be freed at once.
// The nodes of a tree are kept in pre-order in one slice: a node's children
// start right after it, and skip is the index just past its subtree.
type node struct {
	sym   uint16 // the grammar's symbol id
	field field  // the field this node fills in its parent, if any
	flags uint8
	start uint32 // byte offsets in the source
	end   uint32
	skip  int32
}

// flagMissing marks a node that tree-sitter inserted to recover from a
// syntax error (a MISSING node): it has no text.
const flagMissing = 1

// parser is one worker's parsing state: a tree-sitter parser per grammar
// (created when first needed and reused) and the node buffer reused from
// file to file. It is not safe for concurrent use.
type parser struct {
	ts    map[*grammar]*tsParser
	nodes []node
}

func newParser() *parser {
	return &parser{ts: map[*grammar]*tsParser{}}
}

// cst is a parsed file's flattened concrete syntax tree.
type cst struct {
	g        *grammar
	src      []byte
	nodes    []node
	hasError bool
}

// syntaxErrors lists the ERROR nodes (not those inside another ERROR) and
// the MISSING nodes of the tree, in source order.
func (c *cst) syntaxErrors() []uint32 {
	if !c.hasError {
		return nil
	}
	var offs []uint32
	for i := 0; i < len(c.nodes); {
		n := &c.nodes[i]
		if n.sym == symError {
			offs = append(offs, n.start)
			i = int(n.skip)
			continue
		}
		if n.flags&flagMissing != 0 {
			offs = append(offs, n.start)
		}
		i++
	}
	return offs
}
