package suppress

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// Limits on a configuration file, which may come from the scanned tree.
const (
	// MaxConfigSize is the largest configuration file read. The YAML parser's
	// work grows faster than the file, so the bound is kept small; many
	// suppressions of single findings belong in a baseline instead.
	MaxConfigSize = 64 << 10
	// maxNesting bounds how deeply collections may nest, checked before the
	// YAML parser (which recurses) sees the file. The format needs four.
	maxNesting = 32
	// maxErrors is how many problems of one file are reported at once.
	maxErrors = 10
)

// Error is a problem of a configuration file, at a position of it (lines
// and columns counted from 1; 0 when the problem is the whole file).
type Error struct {
	File   string
	Line   int
	Column int
	Msg    string
}

func (e *Error) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	default:
		return e.File + ": " + e.Msg
	}
}

// LoadConfig reads and parses the configuration file at path.
func LoadConfig(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, &Error{File: path, Msg: "not a regular file"}
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", path, err)
	}
	return ParseConfig(path, data)
}

// FindConfig loads ConfigFile at the root of the scanned tree root. It
// returns nil and no error when there is none (or root is not a directory).
// A ConfigFile that is a symbolic link is refused: the scanned tree must not
// point the scanner at files outside it.
func FindConfig(root string) (*Config, error) {
	if info, err := os.Stat(root); err != nil || !info.IsDir() {
		return nil, nil
	}
	p := filepath.Join(root, ConfigFile)
	info, err := os.Lstat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("read config: %w", err)
	case info.Mode()&fs.ModeSymlink != 0:
		return nil, &Error{File: p, Msg: "is a symbolic link; give the file it points to with --config"}
	}
	return LoadConfig(p)
}

// ParseConfig parses the text of a configuration file; name is the file's
// name in errors and in the source of every suppression. It reports every
// problem it finds (up to ten), each at its line and column, as *Error
// values joined with errors.Join.
func ParseConfig(name string, data []byte) (*Config, error) {
	if len(data) > MaxConfigSize {
		return nil, &Error{File: name, Msg: fmt.Sprintf("larger than %d KiB; list many single findings in a baseline instead", MaxConfigSize>>10)}
	}
	if !utf8.Valid(data) {
		line, col := position(data, invalidUTF8(data))
		return nil, &Error{File: name, Line: line, Column: col, Msg: "not UTF-8 text"}
	}
	tokens := lexer.Tokenize(string(data))
	if tk := tooDeep(tokens); tk != nil {
		return nil, &Error{File: name, Line: tk.Position.Line, Column: tk.Position.Column, Msg: fmt.Sprintf("collections nested deeper than %d levels", maxNesting)}
	}
	file, err := parser.Parse(tokens, 0)
	if err != nil {
		var yerr yaml.Error
		if errors.As(err, &yerr) && yerr.GetToken() != nil {
			pos := yerr.GetToken().Position
			return nil, &Error{File: name, Line: pos.Line, Column: pos.Column, Msg: yerr.GetMessage()}
		}
		return nil, &Error{File: name, Msg: err.Error()}
	}
	p := &configParser{name: name}
	cfg := p.file(file)
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return cfg, nil
}

// configParser walks the YAML tree of a configuration file and gathers its
// problems.
type configParser struct {
	name string
	errs []error
}

// fail records a problem at node (or at the start of the file for nil).
func (p *configParser) fail(node ast.Node, format string, args ...any) {
	if len(p.errs) >= maxErrors {
		return
	}
	e := &Error{File: p.name, Line: 1, Column: 1, Msg: fmt.Sprintf(format, args...)}
	if node != nil {
		if tk := node.GetToken(); tk != nil && tk.Position != nil {
			e.Line, e.Column = tk.Position.Line, tk.Position.Column
		}
	}
	p.errs = append(p.errs, e)
}

func (p *configParser) file(f *ast.File) *Config {
	var body ast.Node
	for _, doc := range f.Docs {
		if doc == nil || doc.Body == nil {
			continue
		}
		if _, ok := doc.Body.(*ast.CommentGroupNode); ok {
			continue
		}
		if body != nil {
			p.fail(doc.Body, "a second YAML document: the config is one document")
			return nil
		}
		body = doc.Body
	}
	if body == nil {
		p.fail(nil, "empty config: want version: 1 and a list of suppressions")
		return nil
	}
	cfg := &Config{Path: p.name}
	var version ast.Node
	isMapping := p.mapping(body, "the config", func(key string, k, v ast.Node) {
		switch key {
		case "version":
			version = k
			if n, ok := p.integer(v, key); ok && n != 1 {
				p.fail(v, "version: %d is not supported; this ecoscan reads version 1", n)
			}
		case "suppressions":
			p.sequence(v, key, func(item ast.Node) {
				if s, ok := p.suppression(item); ok {
					cfg.Suppressions = append(cfg.Suppressions, s)
				}
			})
		default:
			p.fail(k, "unknown key %q (want version, suppressions)", key)
		}
	})
	if isMapping && version == nil {
		p.fail(body, "missing version: 1")
	}
	return cfg
}

// ruleID is the form of a rule id: engine/name.
var ruleID = regexp.MustCompile(`^[a-z][a-z0-9-]*/[a-z0-9][a-z0-9.-]*$`)

// fingerprintForm is the form of a finding's fingerprint.
var fingerprintForm = regexp.MustCompile(`^[0-9a-f]{16}$`)

// suppression parses one entry of the suppressions list.
func (p *configParser) suppression(item ast.Node) (Suppression, bool) {
	s := Suppression{Line: 1}
	if tk := item.GetToken(); tk != nil && tk.Position != nil {
		s.Line = tk.Position.Line
	}
	before := len(p.errs)
	var fingerprint, rule, location, reason, expires ast.Node
	isMapping := p.mapping(item, "a suppression", func(key string, k, v ast.Node) {
		switch key {
		case "fingerprint":
			fingerprint = k
			if text, ok := p.text(v, key); ok {
				s.Fingerprint = strings.ToLower(text)
				if !fingerprintForm.MatchString(s.Fingerprint) {
					p.fail(v, "fingerprint: %q is not a finding's fingerprint (16 hex digits)", text)
				}
			}
		case "rule":
			rule = k
			if text, ok := p.text(v, key); ok {
				s.Rule = text
				if !ruleID.MatchString(text) {
					p.fail(v, "rule: %q is not a rule id such as forge/asapp-without-authorization", text)
				}
			}
		case "location":
			location = k
			s.Location = p.location(v)
		case "reason":
			reason = k
			if text, ok := p.text(v, key); ok {
				s.Reason = strings.TrimSpace(text)
				if s.Reason == "" {
					p.fail(v, "reason: empty; say why the finding is accepted")
				}
			}
		case "expires":
			expires = k
			if text, ok := p.text(v, key); ok {
				day, err := time.Parse(time.DateOnly, text)
				if err != nil {
					p.fail(v, "expires: %q is not a date such as 2027-01-31", text)
				}
				s.Expires = day
			}
		default:
			p.fail(k, "unknown key %q (want fingerprint or rule, location, reason, expires)", key)
		}
	})
	if !isMapping {
		return s, false
	}
	switch {
	case fingerprint == nil && rule == nil:
		p.fail(item, "a suppression needs a fingerprint or a rule")
	case fingerprint != nil && rule != nil:
		p.fail(rule, "a suppression has a fingerprint or a rule, not both")
	case fingerprint != nil && location != nil:
		p.fail(location, "location goes with rule; a fingerprint already names one place")
	}
	if reason == nil {
		p.fail(item, "a suppression needs a reason")
	}
	if expires == nil {
		p.fail(item, "a suppression needs an expiry date (expires: 2027-01-31)")
	}
	return s, len(p.errs) == before
}

// location parses a suppression's location.
func (p *configParser) location(node ast.Node) *Location {
	l := &Location{}
	var file, line, u, method, host, port ast.Node
	isMapping := p.mapping(node, "location", func(key string, k, v ast.Node) {
		switch key {
		case "file":
			file = k
			if text, ok := p.text(v, "file"); ok {
				l.File = strings.TrimPrefix(text, "./")
				if msg := checkPathGlob(l.File); msg != "" {
					p.fail(v, "file: %q %s", text, msg)
				}
			}
		case "line":
			line = k
			if n, ok := p.integer(v, key); ok {
				if n < 1 || n > 1<<31-1 {
					p.fail(v, "line: %d is not a line number", n)
				}
				l.Line = int(n)
			}
		case "url":
			u = k
			if text, ok := p.text(v, key); ok {
				l.URL = text
				if parsed, err := url.Parse(strings.ReplaceAll(text, "*", "x")); err != nil || (parsed.Scheme != "https" && parsed.Scheme != "http") || parsed.Host == "" {
					p.fail(v, "url: %q is not an http(s) URL (* stands for any characters)", text)
				}
			}
		case "method":
			method = k
			if text, ok := p.text(v, key); ok {
				l.Method = strings.ToUpper(text)
				if !httpMethod.MatchString(l.Method) {
					p.fail(v, "method: %q is not an HTTP method", text)
				}
			}
		case "host":
			host = k
			if text, ok := p.text(v, key); ok {
				l.Host = strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(text, "["), "]"))
				if l.Host == "" || strings.ContainsAny(l.Host, "/?#@ \t") {
					p.fail(v, "host: %q is not a host name or IP address", text)
				}
			}
		case "port":
			port = k
			if n, ok := p.integer(v, key); ok {
				if n < 1 || n > 65535 {
					p.fail(v, "port: %d is not a port", n)
				}
				l.Port = int(n)
			}
		default:
			p.fail(k, "unknown key %q (want file and line, url and method, or host and port)", key)
		}
	})
	if !isMapping {
		return l
	}
	shapes := 0
	for _, present := range []bool{file != nil, u != nil, host != nil} {
		if present {
			shapes++
		}
	}
	switch {
	case shapes > 1:
		p.fail(node, "location has one of file, url or host")
	case line != nil && file == nil:
		p.fail(line, "line goes with file")
	case method != nil && u == nil:
		p.fail(method, "method goes with url")
	case port != nil && host == nil:
		p.fail(port, "port goes with host")
	case shapes == 0 && len(p.errs) == 0:
		p.fail(node, "location needs file, url or host")
	}
	return l
}

// httpMethod is the form of an HTTP method (a token, upper case).
var httpMethod = regexp.MustCompile("^[A-Z][A-Z0-9!#$%&'*+.^_`|~-]*$")

// checkPathGlob says what is wrong with a file glob, or "" if nothing.
func checkPathGlob(pattern string) string {
	switch {
	case pattern == "":
		return "is empty"
	case strings.HasPrefix(pattern, "/") || filepath.IsAbs(pattern) || (len(pattern) > 1 && pattern[1] == ':'):
		return "is absolute; paths are relative to the scanned directory"
	}
	for _, seg := range strings.Split(pattern, "/") {
		if seg == ".." {
			return "leaves the scanned directory"
		}
		if _, err := path.Match(seg, ""); err != nil {
			return "is not a valid glob"
		}
	}
	return ""
}

// mapping calls each for every key of the mapping node, in order; what names
// the node in errors. It reports whether node is a mapping.
func (p *configParser) mapping(node ast.Node, what string, each func(key string, k, v ast.Node)) bool {
	node = p.plain(node, what)
	if node == nil {
		return false
	}
	var values []*ast.MappingValueNode
	switch m := node.(type) {
	case *ast.MappingNode:
		values = m.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{m}
	default:
		p.fail(node, "%s: want a mapping of keys to values, got %s", what, kind(node))
		return false
	}
	for _, mv := range values {
		key, ok := mv.Key.(*ast.StringNode)
		if !ok {
			p.fail(mv.Key, "%s: want a key name, got %s", what, kind(mv.Key))
			continue
		}
		each(key.Value, key, mv.Value)
	}
	return true
}

// sequence calls each for every item of the sequence node; null is an empty
// sequence.
func (p *configParser) sequence(node ast.Node, what string, each func(item ast.Node)) {
	if _, ok := node.(*ast.NullNode); ok {
		return
	}
	node = p.plain(node, what)
	if node == nil {
		return
	}
	seq, ok := node.(*ast.SequenceNode)
	if !ok {
		p.fail(node, "%s: want a list, got %s", what, kind(node))
		return
	}
	for _, item := range seq.Values {
		each(item)
	}
}

// text is the string value of a scalar node. Plain scalars that YAML would
// read as numbers or booleans (a fingerprint of digits, a reason of "yes")
// are taken as written.
func (p *configParser) text(node ast.Node, what string) (string, bool) {
	node = p.plain(node, what)
	switch n := node.(type) {
	case nil:
		return "", false
	case *ast.StringNode:
		return n.Value, true
	case *ast.LiteralNode:
		if n.Value == nil {
			return "", true
		}
		return n.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		return n.GetToken().Value, true
	case *ast.NullNode:
		p.fail(node, "%s: missing value", what)
	default:
		p.fail(node, "%s: want text, got %s", what, kind(node))
	}
	return "", false
}

// integer is the value of an integer node.
func (p *configParser) integer(node ast.Node, what string) (int64, bool) {
	node = p.plain(node, what)
	if node == nil {
		return 0, false
	}
	n, ok := node.(*ast.IntegerNode)
	if !ok {
		if s, isString := node.(*ast.StringNode); isString && s.GetToken().Type == token.StringType && allDigits(s.Value) {
			p.fail(node, "%s: %s is out of range", what, s.Value)
		} else {
			p.fail(node, "%s: want a whole number, got %s", what, kind(node))
		}
		return 0, false
	}
	switch v := n.Value.(type) {
	case int64:
		return v, true
	case uint64:
		if v <= 1<<62 {
			return int64(v), true
		}
	}
	p.fail(node, "%s: %s is out of range", what, n.GetToken().Value)
	return 0, false
}

// allDigits reports whether s is a run of decimal digits.
func allDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// plain returns node unless it is an anchor, alias or tag, which the format
// does not use (an alias could repeat one subtree many times); then it
// records the problem and returns nil.
func (p *configParser) plain(node ast.Node, what string) ast.Node {
	switch node.(type) {
	case nil:
		return nil
	case *ast.AnchorNode, *ast.AliasNode, *ast.TagNode, *ast.MergeKeyNode:
		p.fail(node, "%s: YAML anchors, aliases, tags and merge keys are not supported", what)
		return nil
	}
	return node
}

// kind names the kind of a node in errors.
func kind(node ast.Node) string {
	switch node.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.NullNode:
		return "nothing"
	case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "a number"
	case *ast.BoolNode:
		return "a boolean"
	case *ast.StringNode, *ast.LiteralNode:
		return "text"
	default:
		return "a " + strings.ToLower(node.Type().String())
	}
}

// tooDeep reports the first token of tokens at which collections nest
// deeper than maxNesting, or nil. It counts what makes the YAML parser
// recurse: open flow collections ([ and {), block collections by their
// indentation (a stack of the columns of "-" entries and of mapping keys),
// and chains of anchors and tags on one node.
func tooDeep(tokens token.Tokens) *token.Token {
	flow, chain := 0, 0
	var block []int // columns of the open block collections, increasing
	for _, tk := range tokens {
		switch tk.Type {
		case token.SpaceType, token.CommentType:
			continue
		case token.AnchorType, token.TagType:
			chain++
			if chain > maxNesting {
				return tk
			}
			continue
		}
		chain = 0
		switch tk.Type {
		case token.SequenceStartType, token.MappingStartType:
			flow++
		case token.SequenceEndType, token.MappingEndType:
			flow = max(0, flow-1)
		case token.SequenceEntryType, token.MappingValueType, token.MappingKeyType:
			if flow > 0 {
				continue
			}
			col := tk.Position.Column
			if tk.Type == token.MappingValueType && tk.Prev != nil && tk.Prev.Position != nil && tk.Prev.Position.Line == tk.Position.Line {
				col = tk.Prev.Position.Column // the key's column
			}
			for len(block) > 0 && block[len(block)-1] > col {
				block = block[:len(block)-1]
			}
			if len(block) == 0 || block[len(block)-1] < col {
				block = append(block, col)
			}
		}
		if flow+len(block) > maxNesting {
			return tk
		}
	}
	return nil
}

// invalidUTF8 is the offset of the first byte of data that is not UTF-8.
func invalidUTF8(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return len(data)
}

// position is the line and column (from 1, columns in characters) of byte
// offset off of data.
func position(data []byte, off int) (line, col int) {
	line, col = 1, 1
	for _, r := range string(data[:min(off, len(data))]) {
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}
