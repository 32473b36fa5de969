package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	yaml "github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// Bounds of the YAML document once aliases and merge keys are resolved.
const (
	// MaxNodes is the most nodes the manifest may have when every alias is
	// counted at every place it is used (a billion-laughs document is
	// refused here). Real manifests have a few thousand.
	MaxNodes = 200_000
	// MaxDepth is the deepest nesting the manifest may have, aliases
	// counted where they are used. Real manifests nest about 8 levels.
	MaxDepth = 64
	// maxSourceDepth bounds the recursion over the parser's tree (anchors and
	// tags add levels of their own); the token check keeps the tree far
	// shallower.
	maxSourceDepth = 4 * MaxDepth
)

// nodeKind is the kind of a YAML node.
type nodeKind uint8

const (
	scalarNode nodeKind = iota + 1
	nullNode
	mapNode
	seqNode
)

func (k nodeKind) String() string {
	switch k {
	case scalarNode:
		return "a scalar"
	case nullNode:
		return "an empty value"
	case mapNode:
		return "a mapping"
	case seqNode:
		return "a list"
	}
	return "nothing"
}

// node is a YAML node with aliases resolved: an alias is the anchored node
// itself, so the tree is a DAG whose expanded size and height are known.
// Merge keys are resolved into pairs, in place of the merge key.
type node struct {
	kind   nodeKind
	text   string // scalars: the value; null: as written ("~", "null", or "")
	pos    Pos
	pairs  []pair  // mapNode
	items  []*node // seqNode
	size   int     // nodes when aliases are expanded (at most MaxNodes+1)
	height int     // levels when aliases are expanded
}

// pair is a key and value of a mapping.
type pair struct {
	key    string
	keyPos Pos
	value  *node
}

// get returns the value of key in a mapping node, or nil.
func (n *node) get(key string) *node {
	if n == nil || n.kind != mapNode {
		return nil
	}
	for i := range n.pairs {
		if n.pairs[i].key == key {
			return n.pairs[i].value
		}
	}
	return nil
}

// document is the first YAML document of the manifest.
type document struct {
	root *node
	// more is the position of the next non-empty document, if any: only the
	// first is read.
	more Pos
}

// parseYAML decodes data (UTF-8, with or without a byte order mark, or
// UTF-16 with one), checks its tokens against the parser's costly shapes,
// parses it and resolves the first document.
func parseYAML(data []byte) (*document, error) {
	text, err := decodeText(data)
	if err != nil {
		return nil, err
	}
	file, content, err := parseTokens(text)
	if err != nil {
		return nil, err
	}
	// The parser gives directives (%YAML 1.2) documents of their own.
	var all, docs []*ast.DocumentNode
	for _, d := range file.Docs {
		if d == nil {
			continue
		}
		if _, directive := d.Body.(*ast.DirectiveNode); directive {
			continue
		}
		all = append(all, d)
		if d.Body != nil {
			docs = append(docs, d)
		}
	}
	// The parser drops what follows an empty document ("---\n---\napp:"):
	// content in the tokens but in no document means the first is empty.
	if len(docs) == 0 && content.Line == 0 {
		return nil, errorAt(Pos{1, 1}, "the manifest is empty")
	}
	if len(docs) == 0 || all[0] != docs[0] {
		return nil, errorAt(Pos{1, 1}, "the first YAML document of the manifest is empty")
	}
	c := &converter{anchors: map[string]*node{}}
	root, err := c.convert(docs[0].Body, 0, Pos{1, 1})
	if err != nil {
		return nil, err
	}
	doc := &document{root: root}
	if len(docs) > 1 {
		doc.more = nodePos(docs[1].Body)
	}
	return doc, nil
}

// decodeText returns data as UTF-8 text: a UTF-8 byte order mark is dropped,
// UTF-16 with a byte order mark is converted, anything else must be valid
// UTF-8.
func decodeText(data []byte) (string, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		data = data[3:]
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return decodeUTF16(data)
	}
	if !utf8.Valid(data) {
		return "", errorAt(invalidUTF8At(data), "the manifest is not valid UTF-8")
	}
	return string(data), nil
}

func decodeUTF16(data []byte) (string, error) {
	if len(data)%2 != 0 {
		return "", errorAt(Pos{1, 1}, "the manifest is UTF-16 with an odd number of bytes")
	}
	big := data[0] == 0xFE
	unit := func(i int) rune {
		if big {
			return rune(data[i])<<8 | rune(data[i+1])
		}
		return rune(data[i+1])<<8 | rune(data[i])
	}
	var b strings.Builder
	b.Grow(len(data) / 2)
	for i := 2; i < len(data); i += 2 {
		r := unit(i)
		if utf16.IsSurrogate(r) {
			if i+3 < len(data) {
				if pair := utf16.DecodeRune(r, unit(i+2)); pair != utf8.RuneError {
					b.WriteRune(pair)
					i += 2
					continue
				}
			}
			return "", errorAt(posAfter(b.String()), "the manifest is UTF-16 with an unpaired surrogate")
		}
		b.WriteRune(r)
	}
	return b.String(), nil
}

// posAfter is the position of the character that follows text.
func posAfter(text string) Pos {
	pos := Pos{1, 1}
	for _, r := range text {
		if r == '\n' {
			pos.Line++
			pos.Column = 1
		} else {
			pos.Column++
		}
	}
	return pos
}

// invalidUTF8At is the position of the first byte of data that is not valid
// UTF-8.
func invalidUTF8At(data []byte) Pos {
	n := 0
	for n < len(data) {
		r, size := utf8.DecodeRune(data[n:])
		if r == utf8.RuneError && size <= 1 {
			break
		}
		n += size
	}
	return posAfter(string(data[:n]))
}

// parseTokens lexes text, checks the tokens (checkTokens) and parses them;
// content is the position of the first token that is not a comment, a
// document marker or a directive (zero if there is none). A panic of the
// YAML library is turned into an error: the manifest is untrusted and the
// library has had crashes on malformed input.
func parseTokens(text string) (file *ast.File, content Pos, err error) {
	defer func() {
		if r := recover(); r != nil {
			file, err = nil, errorAt(Pos{1, 1}, "the YAML parser failed on this manifest (%v)", r)
		}
	}()
	tokens := lexer.Tokenize(text)
	if tk := tokens.InvalidToken(); tk != nil {
		return nil, content, errorAt(tokenPos(tk), "invalid YAML: %s", tk.Error)
	}
	for _, tk := range tokens {
		switch tk.Type {
		case token.CommentType, token.DocumentHeaderType, token.DocumentEndType, token.DirectiveType:
			continue
		}
		content = tokenPos(tk)
		break
	}
	if err := checkTokens(tokens); err != nil {
		return nil, content, err
	}
	file, err = parser.Parse(tokens, 0)
	if err != nil {
		var ye yaml.Error
		if errors.As(err, &ye) {
			return nil, content, errorAt(tokenPos(ye.GetToken()), "invalid YAML: %s", ye.GetMessage())
		}
		return nil, content, errorAt(Pos{1, 1}, "invalid YAML: %v", err)
	}
	return file, content, nil
}

// nodePos is where n is written: a mapping at its first key (the parser
// places it at the first colon).
func nodePos(n ast.Node) Pos {
	switch v := n.(type) {
	case *ast.MappingNode:
		if v.IsFlowStyle && v.Start != nil {
			return tokenPos(v.Start)
		}
		if len(v.Values) > 0 && v.Values[0] != nil && v.Values[0].Key != nil {
			return tokenPos(v.Values[0].Key.GetToken())
		}
	case *ast.MappingValueNode:
		if v.Key != nil {
			return tokenPos(v.Key.GetToken())
		}
	}
	return tokenPos(n.GetToken())
}

func tokenPos(tk *token.Token) Pos {
	if tk == nil || tk.Position == nil || tk.Position.Line < 1 {
		return Pos{1, 1}
	}
	col := tk.Position.Column
	if col < 1 {
		col = 1
	}
	return Pos{tk.Position.Line, col}
}

// converter turns the parser's tree into nodes.
type converter struct {
	anchors map[string]*node
	merged  int // pairs copied by merge keys
}

// convert converts n; at is the position to give an absent value.
func (c *converter) convert(n ast.Node, depth int, at Pos) (*node, error) {
	if depth > maxSourceDepth {
		return nil, errorAt(at, "YAML nested deeper than %d levels", MaxDepth)
	}
	if n == nil {
		return leaf(nullNode, "", at), nil
	}
	pos := nodePos(n)
	switch v := n.(type) {
	case *ast.NullNode:
		text := ""
		if v.Token != nil && v.Token.Type != token.ImplicitNullType {
			text = v.Token.Value
		}
		return leaf(nullNode, text, pos), nil
	case *ast.StringNode:
		return leaf(scalarNode, v.Value, pos), nil
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode, *ast.MergeKeyNode:
		return leaf(scalarNode, n.GetToken().Value, pos), nil
	case *ast.LiteralNode:
		text := ""
		if v.Value != nil {
			text = v.Value.Value
		}
		return leaf(scalarNode, text, pos), nil
	case *ast.TagNode:
		return c.convert(v.Value, depth+1, pos)
	case *ast.AnchorNode:
		name := nameOf(v.Name)
		value, err := c.convert(v.Value, depth+1, pos)
		if err != nil {
			return nil, err
		}
		c.anchors[name] = value
		return value, nil
	case *ast.AliasNode:
		name := nameOf(v.Value)
		target, ok := c.anchors[name]
		if !ok {
			return nil, errorAt(pos, "alias *%s refers to no anchor defined before it (recursive aliases are not allowed)", name)
		}
		return target, nil
	case *ast.MappingNode:
		return c.mapping(v.Values, depth, pos)
	case *ast.MappingValueNode:
		return c.mapping([]*ast.MappingValueNode{v}, depth, pos)
	case *ast.SequenceNode:
		out := &node{kind: seqNode, pos: pos, items: make([]*node, 0, len(v.Values))}
		for _, item := range v.Values {
			child, err := c.convert(item, depth+1, pos)
			if err != nil {
				return nil, err
			}
			out.items = append(out.items, child)
		}
		return out, measure(out)
	}
	return nil, errorAt(pos, "unsupported YAML construct (%s)", n.Type())
}

func leaf(kind nodeKind, text string, pos Pos) *node {
	return &node{kind: kind, text: text, pos: pos, size: 1, height: 1}
}

// nameOf is the name of an anchor or alias.
func nameOf(n ast.Node) string {
	if s, ok := n.(*ast.StringNode); ok {
		return s.Value
	}
	if n != nil {
		if tk := n.GetToken(); tk != nil {
			return tk.Value
		}
	}
	return ""
}

// mapping converts a mapping. Keys are scalars and unique (an error
// otherwise: a repeated key is where one reader of the manifest would see a
// different app than another). Merge keys (<<: *a, <<: [*a, *b]) insert the
// pairs of the merged mappings whose keys the mapping does not set itself, in
// the merge key's place; of several merged mappings the first that sets a key
// wins. Merged pairs keep the positions where they are written.
func (c *converter) mapping(values []*ast.MappingValueNode, depth int, pos Pos) (*node, error) {
	type item struct {
		pair   pair
		merges []*node // set for a merge key
	}
	items := make([]item, 0, len(values))
	explicit := make(map[string]Pos, len(values))
	for _, mv := range values {
		if mv == nil || mv.Key == nil {
			return nil, errorAt(pos, "a mapping entry without a key")
		}
		keyPos := tokenPos(mv.Key.GetToken())
		if mv.Key.IsMergeKey() {
			value, err := c.convert(mv.Value, depth+1, keyPos)
			if err != nil {
				return nil, err
			}
			srcs, err := mergeSources(value, keyPos)
			if err != nil {
				return nil, err
			}
			items = append(items, item{merges: srcs})
			continue
		}
		var keyNode ast.Node = mv.Key
		if mk, ok := mv.Key.(*ast.MappingKeyNode); ok {
			keyNode = mk.Value
		}
		key, err := c.convert(keyNode, depth+1, keyPos)
		if err != nil {
			return nil, err
		}
		if key.kind != scalarNode && key.kind != nullNode {
			return nil, errorAt(keyPos, "a mapping key must be a scalar, found %s", key.kind)
		}
		if first, dup := explicit[key.text]; dup {
			return nil, errorAt(key.pos, "duplicate key %q (first at %d:%d): YAML forbids it and readers disagree on which wins", key.text, first.Line, first.Column)
		}
		explicit[key.text] = key.pos
		value, err := c.convert(mv.Value, depth+1, keyPos)
		if err != nil {
			return nil, err
		}
		items = append(items, item{pair: pair{key: key.text, keyPos: key.pos, value: value}})
	}
	out := &node{kind: mapNode, pos: pos, pairs: make([]pair, 0, len(items))}
	merged := map[string]bool{}
	for _, it := range items {
		if it.merges == nil {
			out.pairs = append(out.pairs, it.pair)
			continue
		}
		for _, src := range it.merges {
			for _, p := range src.pairs {
				if _, ok := explicit[p.key]; ok || merged[p.key] {
					continue
				}
				merged[p.key] = true
				c.merged++
				if c.merged > MaxNodes {
					return nil, errorAt(pos, "merge keys copy more than %d entries", MaxNodes)
				}
				out.pairs = append(out.pairs, p)
			}
		}
	}
	return out, measure(out)
}

// mergeSources are the mappings a merge key's value names.
func mergeSources(value *node, pos Pos) ([]*node, error) {
	switch value.kind {
	case mapNode:
		return []*node{value}, nil
	case seqNode:
		for _, it := range value.items {
			if it.kind != mapNode {
				return nil, errorAt(it.pos, "a merge key (<<) takes a mapping or a list of mappings, found %s in the list", it.kind)
			}
		}
		return value.items, nil
	}
	return nil, errorAt(pos, "a merge key (<<) takes a mapping or a list of mappings, found %s", describe(value))
}

// measure sets n's expanded size and height from its children's and refuses
// a node beyond MaxNodes or MaxDepth.
func measure(n *node) error {
	size, height := 1, 0
	add := func(child *node) {
		size += child.size
		if size > MaxNodes {
			size = MaxNodes + 1
		}
		height = max(height, child.height)
	}
	for _, p := range n.pairs {
		size++
		add(p.value)
	}
	for _, it := range n.items {
		add(it)
	}
	n.size, n.height = size, height+1
	if n.size > MaxNodes {
		return errorAt(n.pos, "the manifest expands to more than %d YAML nodes here (aliases count at every use)", MaxNodes)
	}
	if n.height > MaxDepth {
		return errorAt(n.pos, "the manifest nests deeper than %d levels here (aliases count at every use)", MaxDepth)
	}
	return nil
}

// describe is a short description of n for messages.
func describe(n *node) string {
	if n == nil {
		return "nothing"
	}
	if n.kind == scalarNode {
		return fmt.Sprintf("the scalar %q", clip(n.text, 40))
	}
	return n.kind.String()
}

// clip shortens s to at most n bytes (at a character boundary) for messages.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}
