package manifest

import (
	"github.com/goccy/go-yaml/token"
)

// The YAML parser (goccy/go-yaml v1.19.2) does superlinear work on some
// shapes, measured on this machine:
//
//   - it recurses once per key of a block mapping and copies the keys
//     parsed so far at each level (100,000 keys: 20 s and 38 GB allocated);
//   - it recurses once per level of nesting and copies as it returns (10,000
//     levels of "- - - ...": 0.6 s; 100,000: 55 s and 15 GB);
//   - it inserts a token into the token slice for each value it fills in
//     (a key or entry without a value), moving the rest of the slice
//     (10,000 empty values: 4 s);
//   - it builds the full path of every key ("$.a.b[3].c") as a new string,
//     so long keys above many children cost their length times the
//     children (a 100 kB key over 10,000 entries: 5 s and 1 GB).
//
// checkTokens bounds each of these on the token stream, before the parser
// runs, with an upper estimate of what the parser will do: the estimate may
// refuse a pathological manifest a precise count would accept, never the
// reverse. Real manifests are far below every limit.
const (
	// maxTokens bounds the tokens the parser gets (it allocates about 1 kB
	// per token); real manifests have a few thousand.
	maxTokens = 200_000
	// maxNesting bounds block levels plus flow depth.
	maxNesting = 100
	// maxMapKeys bounds the keys of one mapping.
	maxMapKeys = 2000
	// maxFillWork bounds (values the parser may fill in) × tokens.
	maxFillWork = 20_000_000
	// maxPathWork bounds the bytes of key paths the parser builds.
	maxPathWork = 64 << 20
)

// level is an open collection in the token stream: a block mapping or
// sequence at a column, or a flow collection.
type level struct {
	col  int
	flow int  // the flow depth it belongs to; 0 is block context
	seq  bool // a block sequence
	keys int  // keys seen at this column (mappings)
	path int  // bytes of the parser's path string at this level
}

// tokenCheck is the state of checkTokens.
type tokenCheck struct {
	stack    []level
	flow     int
	flowMap  []bool // per open flow collection: a mapping?
	blocks   int    // levels with flow 0
	pathWork int
	fills    int
}

// checkTokens refuses token streams on which the parser would do
// superlinear work (see the limits above).
func checkTokens(all token.Tokens) error {
	ts := make([]*token.Token, 0, len(all))
	for _, tk := range all {
		if tk != nil && tk.Type != token.CommentType && tk.Position != nil {
			ts = append(ts, tk)
		}
	}
	if len(ts) > maxTokens {
		return errorAt(tokenPos(ts[maxTokens]), "the manifest has more than %d YAML tokens", maxTokens)
	}
	c := &tokenCheck{}
	prevLine := 0
	for i := 0; i < len(ts); i++ {
		tk := ts[i]
		line, col := tk.Position.Line, tk.Position.Column
		if line != prevLine {
			prevLine = line
			c.lineStart(col)
		}
		var next *token.Token
		if i+1 < len(ts) {
			next = ts[i+1]
		}
		switch tk.Type {
		case token.LiteralType, token.FoldedType:
			// The block scalar's content is the next token; it starts
			// a line at whatever column its text has and closes
			// nothing.
			if next != nil && next.Type != token.MappingValueType && next.Position.Line != line {
				i++
				prevLine = next.Position.Line
			}
		case token.DocumentHeaderType, token.DocumentEndType:
			*c = tokenCheck{pathWork: c.pathWork, fills: c.fills}
		case token.SequenceStartType, token.MappingStartType:
			c.pathWork += c.path() + 12
			c.flow++
			c.flowMap = append(c.flowMap, tk.Type == token.MappingStartType)
			c.push(level{col: col, flow: c.flow, path: c.path() + 12})
			if err := c.nesting(tk); err != nil {
				return err
			}
		case token.SequenceEndType, token.MappingEndType:
			if c.flow > 0 {
				for len(c.stack) > 0 && c.top().flow >= c.flow {
					c.pop()
				}
				c.flow--
				c.flowMap = c.flowMap[:len(c.flowMap)-1]
			}
		case token.CollectEntryType:
			c.pathWork += c.path() + 12
		case token.SequenceEntryType:
			if err := c.entry(col, tk); err != nil {
				return err
			}
			if next == nil || (next.Position.Line != line && next.Position.Column <= col) || delimiter(next) {
				c.fills++
			}
		case token.MappingKeyType:
			if err := c.key(col, 4, tk); err != nil {
				return err
			}
			if next == nil || (next.Position.Line != line && next.Position.Column <= col) || delimiter(next) {
				c.fills++
			}
		case token.MappingValueType:
			start, seg := keyStart(ts, i)
			keyCol, lastCol := col, col
			if start >= 0 {
				keyCol, lastCol = ts[start].Position.Column, ts[i-1].Position.Column
			}
			if err := c.key(keyCol, seg, tk); err != nil {
				return err
			}
			if next == nil || delimiter(next) || (next.Position.Line != line && (next.Position.Column < lastCol || (next.Position.Column == lastCol && next.Type != token.SequenceEntryType))) {
				c.fills++
			}
		case token.TagType:
			c.fills++
		default:
			// A key without a value in a flow mapping ({a, b}) is
			// filled in.
			if c.flow > 0 && c.flowMap[len(c.flowMap)-1] && i > 0 &&
				(ts[i-1].Type == token.MappingStartType || ts[i-1].Type == token.CollectEntryType) &&
				(next == nil || next.Type == token.CollectEntryType || next.Type == token.MappingEndType) {
				c.fills++
				c.pathWork += c.path() + len(tk.Value) + 3
			}
		}
		if c.pathWork > maxPathWork {
			return errorAt(tokenPos(tk), "YAML keys too long or nested too deep: the parser would build more than %d MiB of key paths", maxPathWork>>20)
		}
	}
	if c.fills*len(ts) > maxFillWork {
		return errorAt(Pos{1, 1}, "too many keys or list entries without a value (%d in %d YAML tokens)", c.fills, len(ts))
	}
	return nil
}

// delimiter reports whether tk ends a flow entry.
func delimiter(tk *token.Token) bool {
	switch tk.Type {
	case token.CollectEntryType, token.SequenceEndType, token.MappingEndType, token.MappingValueType:
		return true
	}
	return false
}

// structural reports whether tk is an indicator that starts or separates
// nodes (a key starts after it).
func structural(t token.Type) bool {
	switch t {
	case token.SequenceEntryType, token.MappingKeyType, token.MappingValueType, token.CollectEntryType,
		token.SequenceStartType, token.MappingStartType, token.SequenceEndType, token.MappingEndType,
		token.DocumentHeaderType, token.DocumentEndType, token.DirectiveType:
		return true
	}
	return false
}

// keyStart finds the key of the ':' at ts[i]: the run of non-structural
// tokens before it on the line of ts[i-1] (the key and its anchor or tag).
// It returns the run's first index (-1 for an empty key) and the bytes the
// key adds to the parser's path.
func keyStart(ts []*token.Token, i int) (int, int) {
	if i == 0 || structural(ts[i-1].Type) {
		return -1, 3
	}
	line := ts[i-1].Position.Line
	start, seg := i-1, 3
	for j := i - 1; j >= 0 && ts[j].Position.Line == line && !structural(ts[j].Type); j-- {
		start = j
		seg += len(ts[j].Value)
	}
	return start, seg
}

func (c *tokenCheck) top() *level { return &c.stack[len(c.stack)-1] }

// path is the path length of the innermost open level ("$").
func (c *tokenCheck) path() int {
	if len(c.stack) == 0 {
		return 1
	}
	return c.top().path
}

func (c *tokenCheck) push(l level) {
	c.stack = append(c.stack, l)
	if l.flow == 0 {
		c.blocks++
	}
}

func (c *tokenCheck) pop() {
	if c.top().flow == 0 {
		c.blocks--
	}
	c.stack = c.stack[:len(c.stack)-1]
}

func (c *tokenCheck) nesting(tk *token.Token) error {
	if c.flow+c.blocks > maxNesting {
		return errorAt(tokenPos(tk), "YAML nested deeper than %d levels", maxNesting)
	}
	return nil
}

// lineStart closes the levels of the current flow depth that the first
// token of a line is left of. Levels of outer flow depths stay open: a flow
// collection's lines do not end the block around it.
func (c *tokenCheck) lineStart(col int) {
	for len(c.stack) > 0 && c.top().flow == c.flow && c.top().col > col {
		c.pop()
	}
}

// entry is a block sequence entry ('-') at col.
func (c *tokenCheck) entry(col int, tk *token.Token) error {
	for len(c.stack) > 0 && c.top().flow == c.flow && c.top().col > col {
		c.pop()
	}
	if len(c.stack) > 0 && c.top().flow == c.flow && c.top().col == col && c.top().seq {
		c.pathWork += c.top().path
		return nil
	}
	c.push(level{col: col, flow: c.flow, seq: true, path: c.path() + 12})
	c.pathWork += c.top().path
	return c.nesting(tk)
}

// key is a mapping key starting at col that adds seg bytes to the path.
// Keys at the same column of the same open mapping are counted together:
// the parser takes every key at the mapping's column as the mapping's.
func (c *tokenCheck) key(col, seg int, tk *token.Token) error {
	for len(c.stack) > 0 && c.top().flow == c.flow && (c.top().col > col || (c.top().col == col && c.top().seq)) {
		c.pop()
	}
	if len(c.stack) > 0 && c.top().flow == c.flow && c.top().col == col {
		t := c.top()
		t.keys++
		if t.keys > maxMapKeys {
			return errorAt(tokenPos(tk), "a YAML mapping with more than %d keys", maxMapKeys)
		}
		parent := 1
		if len(c.stack) > 1 {
			parent = c.stack[len(c.stack)-2].path
		}
		t.path = parent + seg
		c.pathWork += t.path
		return nil
	}
	c.push(level{col: col, flow: c.flow, keys: 1, path: c.path() + seg})
	c.pathWork += c.top().path
	return c.nesting(tk)
}
