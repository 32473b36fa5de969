package data

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// ProductTable is the scope table of one product API: for each operation of
// its OpenAPI spec, the scope sets that each allow the call. It is the format
// of the files under scopes/ (and of ../shared/data/atlassian-scopes).
type ProductTable struct {
	Product     string      `json:"product"`      // the dataset's name, e.g. "jira-platform"
	SpecTitle   string      `json:"spec_title"`   // the spec's info.title
	SpecVersion string      `json:"spec_version"` // the spec's info.version
	Source      string      `json:"source"`       // which published spec, and the date of the copy
	Operations  []Operation `json:"operations"`   // sorted by path, then method
}

// Operation is one method and path template of a spec, with its alternatives.
// No alternatives means the spec lists no OAuth scope for it: no conclusion
// can be drawn from it.
type Operation struct {
	Method       string        `json:"method"` // upper case
	Path         string        `json:"path"`   // as in the spec: {name} is one path segment
	Alternatives []Alternative `json:"alternatives"`
}

// Alternative is one set of scopes that allows a call: the app must declare
// every one of them. Classic scopes (read:jira-work) form one alternative,
// granular ones (read:issue:jira, ...) another.
type Alternative struct {
	State  string   `json:"state"`  // as the spec says: "Current", "Beta", ...
	Scopes []string `json:"scopes"` // sorted, each once
}

// operationKeys are the keys of an OpenAPI path item that are operations.
var operationKeys = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// openAPIDoc is the part of an OpenAPI document the derivation reads.
type openAPIDoc struct {
	OpenAPI string `json:"openapi"`
	Swagger string `json:"swagger"`
	Info    struct {
		Title   string `json:"title"`
		Version string `json:"version"`
	} `json:"info"`
	Paths map[string]json.RawMessage `json:"paths"`
}

// scopedOperation is the part of an operation the derivation reads.
type scopedOperation struct {
	Scopes []struct {
		State  string   `json:"state"`
		Scopes []string `json:"scopes"`
	} `json:"x-atlassian-oauth2-scopes"`
}

// DeriveScopes derives the scope table of one product API from its OpenAPI
// spec (JSON). The derivation:
//
//   - every path of the spec's paths object (keys beginning with "/"; a path
//     item given only as a $ref has no operations) and every operation of it
//     (get, put, post, delete, options, head, patch, trace) is one Operation,
//     method in upper case, path as written in the spec;
//   - each entry of the operation's x-atlassian-oauth2-scopes list is one
//     Alternative, in the spec's order: its state as written, its scopes
//     sorted with duplicates dropped. An entry without scopes allows nothing
//     and is dropped, as is an entry equal to an earlier one. The operation's
//     `security` requirement is not read: Atlassian lists the OAuth scopes of
//     both kinds (classic and granular) only in the extension;
//   - operations are sorted by path, then method.
//
// A document that is not JSON, has no openapi/swagger version or no paths
// object, or whose operations are malformed is an error.
func DeriveScopes(product string, spec []byte) (*ProductTable, error) {
	var doc openAPIDoc
	if err := json.Unmarshal(spec, &doc); err != nil {
		return nil, fmt.Errorf("parse the OpenAPI spec of %s: %w", product, err)
	}
	if doc.OpenAPI == "" && doc.Swagger == "" {
		return nil, fmt.Errorf("parse the OpenAPI spec of %s: no openapi or swagger version: not an OpenAPI document", product)
	}
	if doc.Paths == nil {
		return nil, fmt.Errorf("parse the OpenAPI spec of %s: no paths", product)
	}
	table := &ProductTable{Product: product, SpecTitle: doc.Info.Title, SpecVersion: doc.Info.Version, Operations: []Operation{}}
	for path, raw := range doc.Paths {
		if !strings.HasPrefix(path, "/") {
			continue // a specification extension (x-...), not a path
		}
		var item map[string]json.RawMessage
		if err := json.Unmarshal(raw, &item); err != nil {
			return nil, fmt.Errorf("parse the OpenAPI spec of %s: path %q: %w", product, path, err)
		}
		for _, key := range operationKeys {
			rawOp, ok := item[key]
			if !ok {
				continue
			}
			method := strings.ToUpper(key)
			var op scopedOperation
			if err := json.Unmarshal(rawOp, &op); err != nil {
				return nil, fmt.Errorf("parse the OpenAPI spec of %s: %s %s: %w", product, method, path, err)
			}
			table.Operations = append(table.Operations, Operation{Method: method, Path: path, Alternatives: alternatives(op)})
		}
	}
	slices.SortFunc(table.Operations, func(a, b Operation) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return strings.Compare(a.Method, b.Method)
	})
	return table, nil
}

// alternatives turns an operation's x-atlassian-oauth2-scopes into
// alternatives, as DeriveScopes says.
func alternatives(op scopedOperation) []Alternative {
	alts := []Alternative{}
	seen := map[string]bool{}
	for _, entry := range op.Scopes {
		var scopes []string
		for _, s := range entry.Scopes {
			if s != "" {
				scopes = append(scopes, s)
			}
		}
		if len(scopes) == 0 {
			continue
		}
		slices.Sort(scopes)
		alt := Alternative{State: entry.State, Scopes: slices.Compact(scopes)}
		key := fmt.Sprintf("%q", append([]string{alt.State}, alt.Scopes...)) // unambiguous whatever the strings hold
		if !seen[key] {
			seen[key] = true
			alts = append(alts, alt)
		}
	}
	return alts
}

// counts is the number of operations of t, and of those that list scopes.
func (t *ProductTable) counts() (ops, scoped int) {
	for _, op := range t.Operations {
		if len(op.Alternatives) > 0 {
			scoped++
		}
	}
	return len(t.Operations), scoped
}

// detail is the manifest's summary of t.
func (t *ProductTable) detail() string {
	ops, scoped := t.counts()
	return fmt.Sprintf("%d operations (%d with scopes)", ops, scoped)
}

// validate checks a table read from a file: the product expected, known
// methods, absolute paths, no empty alternative.
func (t *ProductTable) validate(product string) error {
	if t.Product != product {
		return fmt.Errorf("table of %q, not of %q", t.Product, product)
	}
	for _, op := range t.Operations {
		if !slices.Contains(operationKeys, strings.ToLower(op.Method)) || strings.ToUpper(op.Method) != op.Method {
			return fmt.Errorf("operation %q %q: unknown method", op.Method, op.Path)
		}
		if !strings.HasPrefix(op.Path, "/") {
			return fmt.Errorf("operation %s %q: path does not begin with /", op.Method, op.Path)
		}
		for _, alt := range op.Alternatives {
			if len(alt.Scopes) == 0 {
				return fmt.Errorf("operation %s %s: an alternative with no scopes", op.Method, op.Path)
			}
		}
	}
	return nil
}

// parseTable reads a scope table file and validates it.
func parseTable(product string, b []byte) (*ProductTable, error) {
	var t ProductTable
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("parse the scope table of %s: %w", product, err)
	}
	if err := t.validate(product); err != nil {
		return nil, fmt.Errorf("check the scope table of %s: %w", product, err)
	}
	return &t, nil
}

// encodeTable is a table's file content, formatted as the shared tables are.
func encodeTable(t *ProductTable) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(t); err != nil {
		return nil, fmt.Errorf("encode the scope table of %s: %w", t.Product, err)
	}
	return buf.Bytes(), nil
}

//go:embed scopes/*.json
var embeddedScopes embed.FS

// embeddedFile is the embedded default table of a product, as bytes.
func embeddedFile(product string) ([]byte, error) {
	b, err := embeddedScopes.ReadFile("scopes/" + product + ".json")
	if err != nil {
		return nil, fmt.Errorf("read the embedded scope table of %s: %w", product, err)
	}
	return b, nil
}

// embeddedTables parses the embedded tables once.
var embeddedTables = sync.OnceValues(func() (map[string]*ProductTable, error) {
	tables := map[string]*ProductTable{}
	for _, src := range sources {
		if src.Kind != KindOpenAPI {
			continue
		}
		b, err := embeddedFile(src.Name)
		if err != nil {
			return nil, err
		}
		t, err := parseTable(src.Name, b)
		if err != nil {
			return nil, fmt.Errorf("embedded default: %w", err)
		}
		tables[src.Name] = t
	}
	return tables, nil
})

// embeddedDate is the date of an embedded copy, as its source field says
// ("..., copy of December 2025").
func embeddedDate(t *ProductTable) string {
	_, date, _ := strings.Cut(t.Source, "copy of ")
	return date
}

// TableInfo says where one product's scope table came from.
type TableInfo struct {
	Product    string
	Embedded   bool   // the embedded default, not a download
	Source     string // the URL fetched, or the embedded copy's source
	Date       string // the day it was fetched (2006-01-02), or the embedded copy's date ("December 2025")
	Operations int
	// Problem says why a downloaded table present on disk was not used (the
	// embedded default was used instead).
	Problem string
}

// Info says where the scope data came from, one entry per product.
type Info struct {
	Tables []TableInfo
}

// Embedded reports whether every table is the embedded default.
func (i Info) Embedded() bool {
	for _, t := range i.Tables {
		if !t.Embedded {
			return false
		}
	}
	return true
}

// String is a one-line summary, for reports: each product with its date.
func (i Info) String() string {
	parts := make([]string, 0, len(i.Tables))
	for _, t := range i.Tables {
		how := "downloaded " + t.Date
		if t.Embedded {
			how = "embedded copy of " + t.Date
		}
		parts = append(parts, t.Product+" "+how)
	}
	return "OAuth scopes: " + strings.Join(parts, "; ")
}

// Scopes is the scope data for the least-privilege check: for each product
// API, the table downloaded into dir by Update when it is there and valid,
// else the embedded default (dir "" means the embedded default alone). Info
// says which, with source and date; a downloaded table that could not be used
// is named there with the reason. The error is only for an embedded default
// that does not load, which tests rule out.
func Scopes(dir string) (*ScopeTable, Info, error) {
	embedded, err := embeddedTables()
	if err != nil {
		return nil, Info{}, err
	}
	var manifest *Manifest
	if dir != "" {
		manifest, _ = readManifest(dir) // no manifest: the files' times stand in
	}
	var tables []*ProductTable
	var info Info
	for _, src := range sources {
		if src.Kind != KindOpenAPI {
			continue
		}
		var ti TableInfo
		var t *ProductTable
		if dir != "" {
			t, ti = loadDownloaded(dir, src, manifest)
		}
		if t == nil {
			t = embedded[src.Name]
			ti.Product, ti.Embedded, ti.Source, ti.Date = src.Name, true, t.Source, embeddedDate(t)
		}
		ti.Operations = len(t.Operations)
		tables = append(tables, t)
		info.Tables = append(info.Tables, ti)
	}
	return NewScopeTable(tables...), info, nil
}

// loadDownloaded reads the downloaded table of src, if any: a nil table means
// none usable, with the reason in Problem when one was there.
func loadDownloaded(dir string, src Source, manifest *Manifest) (*ProductTable, TableInfo) {
	ti := TableInfo{Product: src.Name}
	path := filepath.Join(dir, filepath.FromSlash(src.File))
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ti
	}
	if err != nil {
		ti.Problem = fmt.Sprintf("read %s: %v", path, err)
		return nil, ti
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSpecSize+1))
	if err == nil && len(b) > maxSpecSize {
		err = fmt.Errorf("%w: more than %d bytes", ErrTooLarge, maxSpecSize)
	}
	if err != nil {
		ti.Problem = fmt.Sprintf("read %s: %v", path, err)
		return nil, ti
	}
	t, err := parseTable(src.Name, b)
	if err != nil {
		ti.Problem = fmt.Sprintf("%s: %v", path, err)
		return nil, ti
	}
	ti.Source = t.Source
	if d, ok := manifest.Dataset(src.Name); ok {
		ti.Source, ti.Date = d.Source, d.Date
	} else if fi, err := f.Stat(); err == nil {
		ti.Date = fi.ModTime().UTC().Format(dateLayout)
	}
	return t, ti
}

// ScopeTable answers which scopes a product REST call needs, over the tables
// of every product API.
type ScopeTable struct {
	methods map[string]*pathNode // method -> the templates of that method, as a tree of segments
	known   map[string]bool      // every scope some operation lists
}

// pathNode is one segment position of the templates sharing a prefix.
type pathNode struct {
	literal   map[string]*pathNode // segments written out
	patterns  []patternChild       // segments mixing text and {name}, in the order added
	patternAt map[string]int       // the index in patterns of each, by its pieces
	param     *pathNode            // a segment that is one {name}
	op        *Operation           // the operation whose template ends here; its Path includes the API base
}

// patternChild is a segment such as "{id}.json": its text pieces, split at
// each {name}.
type patternChild struct {
	pieces []string // len(pieces) = number of {name} + 1
	node   *pathNode
}

// matches reports whether seg fits the pattern, each {name} standing for one
// or more characters. Taking each middle piece at its first place is enough:
// a later place only leaves less room for the rest.
func (p patternChild) matches(seg string) bool {
	first, last := p.pieces[0], p.pieces[len(p.pieces)-1]
	if !strings.HasPrefix(seg, first) {
		return false
	}
	rest := seg[len(first):]
	for _, piece := range p.pieces[1 : len(p.pieces)-1] {
		if len(rest) < 1 {
			return false
		}
		i := strings.Index(rest[1:], piece)
		if i < 0 {
			return false
		}
		rest = rest[1+i+len(piece):]
	}
	return len(rest) > len(last) && strings.HasSuffix(rest, last)
}

// maxLookupSegments bounds the paths Lookup walks; no template is near it.
const maxLookupSegments = 64

// NewScopeTable builds the lookup over tables. Each table's paths are prefixed
// with its product's API base (Source.APIBase, e.g. /wiki/api/v2 for
// Confluence v2). When two tables give the same method and path, the first
// wins.
func NewScopeTable(tables ...*ProductTable) *ScopeTable {
	st := &ScopeTable{methods: map[string]*pathNode{}, known: map[string]bool{}}
	for _, t := range tables {
		if t == nil {
			continue
		}
		src, _ := sourceNamed(t.Product)
		for _, op := range t.Operations {
			full := op
			full.Path = src.APIBase + op.Path
			st.add(full)
			for _, alt := range op.Alternatives {
				for _, s := range alt.Scopes {
					st.known[s] = true
				}
			}
		}
	}
	return st
}

// add puts one operation into the tree of its method.
func (st *ScopeTable) add(op Operation) {
	n := st.methods[op.Method]
	if n == nil {
		n = &pathNode{}
		st.methods[op.Method] = n
	}
	for _, seg := range splitPath(op.Path) {
		n = n.child(seg)
	}
	if n.op == nil {
		n.op = &op
	}
}

// child returns (making it) the node under n for one template segment.
func (n *pathNode) child(seg string) *pathNode {
	switch {
	case isParam(seg):
		if n.param == nil {
			n.param = &pathNode{}
		}
		return n.param
	case paramText.MatchString(seg):
		pieces := paramText.Split(seg, -1)
		var key strings.Builder
		for _, p := range pieces {
			fmt.Fprintf(&key, "%d:%s", len(p), p) // unambiguous whatever the pieces hold
		}
		if i, ok := n.patternAt[key.String()]; ok {
			return n.patterns[i].node
		}
		if n.patternAt == nil {
			n.patternAt = map[string]int{}
		}
		c := &pathNode{}
		n.patternAt[key.String()] = len(n.patterns)
		n.patterns = append(n.patterns, patternChild{pieces: pieces, node: c})
		return c
	default:
		if n.literal == nil {
			n.literal = map[string]*pathNode{}
		}
		c := n.literal[seg]
		if c == nil {
			c = &pathNode{}
			n.literal[seg] = c
		}
		return c
	}
}

// isParam reports whether a template segment is exactly one {name}.
func isParam(seg string) bool {
	return len(seg) >= 2 && seg[0] == '{' && seg[len(seg)-1] == '}' && strings.Count(seg, "{") == 1 && strings.Count(seg, "}") == 1
}

// paramText is one {name} inside a segment that mixes it with text.
var paramText = regexp.MustCompile(`\{[^{}]*\}`)

// splitPath cuts a path into its segments: the query and fragment dropped,
// and a trailing slash.
func splitPath(path string) []string {
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	path = strings.TrimPrefix(path, "/")
	path = strings.TrimSuffix(path, "/")
	if path == "" {
		return nil
	}
	return strings.Split(path, "/")
}

// find walks the tree for the segments: a segment written out in a template
// wins over a mixed one, which wins over a {name}; a {name} matches one
// non-empty segment. Each node is visited at most once, since a node sits at
// one depth.
func (n *pathNode) find(segs []string) *Operation {
	if len(segs) == 0 {
		return n.op
	}
	seg, rest := segs[0], segs[1:]
	if c := n.literal[seg]; c != nil {
		if op := c.find(rest); op != nil {
			return op
		}
	}
	if seg == "" {
		return nil
	}
	for _, p := range n.patterns {
		if p.matches(seg) {
			if op := p.node.find(rest); op != nil {
				return op
			}
		}
	}
	if n.param != nil {
		return n.param.find(rest)
	}
	return nil
}

// jiraPlatformAliases are the Jira platform API's other versions, looked up
// as version 3 when they have no entry of their own: versions 2 and 3 offer
// the same operations with the same scopes (3 adds the document format).
var jiraPlatformAliases = []string{"/rest/api/2/", "/rest/api/latest/"}

// Match finds the operation a call (method, path) reaches: path as the app
// calls it (the query is ignored; Confluence v2 paths carry /wiki/api/v2). The
// operation's Path is its template, with the API base. When no table has the
// path, ok is false. The operation is the caller's to keep and change.
func (st *ScopeTable) Match(method, path string) (op Operation, ok bool) {
	root := st.methods[strings.ToUpper(method)]
	if root == nil {
		return Operation{}, false
	}
	candidates := []string{path}
	for _, alias := range jiraPlatformAliases {
		if rest, found := strings.CutPrefix(path, alias); found {
			candidates = append(candidates, "/rest/api/3/"+rest)
		}
	}
	for _, p := range candidates {
		if !strings.HasPrefix(p, "/") {
			p = "/" + p
		}
		segs := splitPath(p)
		if len(segs) > maxLookupSegments {
			return Operation{}, false
		}
		if found := root.find(segs); found != nil {
			op = *found
			op.Alternatives = slices.Clone(op.Alternatives)
			for i := range op.Alternatives {
				op.Alternatives[i].Scopes = slices.Clone(op.Alternatives[i].Scopes)
			}
			return op, true
		}
	}
	return Operation{}, false
}

// Lookup returns the scope alternatives of a call (method, path), as Match
// finds its operation: the call is allowed when the app declares every scope
// of at least one alternative. ok is false when no table has the path; ok with
// no alternatives means the spec lists no scope for it, and no conclusion can
// be drawn. The slices are the caller's.
func (st *ScopeTable) Lookup(method, path string) (alternatives [][]string, ok bool) {
	op, ok := st.Match(method, path)
	if !ok {
		return nil, false
	}
	alternatives = make([][]string, 0, len(op.Alternatives))
	for _, alt := range op.Alternatives {
		alternatives = append(alternatives, alt.Scopes)
	}
	return alternatives, true
}

// Known reports whether some operation of the tables lists scope: a declared
// scope the tables never mention (storage:app, ...) cannot be judged from them.
func (st *ScopeTable) Known(scope string) bool { return st.known[scope] }
