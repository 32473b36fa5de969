// Package manifest loads a Forge app's manifest.yml into the model the Forge
// scan starts from: the app's id and runtime, its functions, every entry
// point (the module entries that make a function or a remote endpoint run,
// classified by who can make them run), the permissions (scopes, egress,
// content security), the OAuth providers, remotes and resources, and every
// scalar of the file with its path (for the secrets check). Every value keeps
// the line and column where it is written, also when it was reached through a
// YAML alias or merge key.
//
// Manifests are untrusted input. The file is bounded in size (MaxSize), the
// YAML token stream is checked before it is parsed for what would make the
// parser work superlinearly (tokens, nesting, keys per mapping, empty values,
// key paths), aliases may expand the document to at most MaxNodes nodes and
// MaxDepth levels, and recursive aliases are refused. Anchors, aliases and
// merge keys (<<: *a, <<: [*a, *b]) are resolved. A key repeated in a mapping
// is an error (YAML forbids it, and readers disagree on which value wins:
// the place to hide a scope or a function from one of them). Only the first
// YAML document is read (a Problem notes the others); a byte order mark,
// UTF-16, CRLF line ends and tabs inside values are accepted.
//
// Problems that make the manifest unusable (unparseable YAML, a manifest that
// is not a mapping, wrong shapes where the shape decides what runs) are
// returned as *Error with file, line and column. Problems the scan can go on
// with (a module naming a function that is not defined, a handler with no
// export, duplicate keys of functions or modules) are listed in
// Manifest.Problems.
//
// Module types are classified by the table modules.json (sources named per
// entry); a module type the table does not know that names a function or an
// endpoint is listed in Manifest.Unclassified and still gets an entry of kind
// Unknown.
package manifest

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// MaxSize is the largest manifest Load and Parse accept, in bytes. Real
// manifests are tens of kilobytes; at this size the slowest inputs measured
// (TestAdversarialShapes) are parsed or refused in about a second.
const MaxSize = 1 << 20

// names are the file names Load looks for, in order of preference (the
// Forge CLI reads manifest.yml).
var names = []string{"manifest.yml", "manifest.yaml"}

// Pos is a position in the manifest: Line and Column count from 1, Column in
// characters. The zero Pos means "absent".
type Pos struct{ Line, Column int }

// Value is a scalar of the manifest and where it is written.
type Value struct {
	Value string
	Pos   Pos
}

// Manifest is a Forge app's manifest.
type Manifest struct {
	Path      string // the file's name as given to Parse ("manifest.yml")
	AppID     string // app.id
	AppIDPos  Pos
	Runtime   Value                // app.runtime.name ("nodejs22.x"); zero if absent
	Functions map[string]*Function // modules.function[] by key
	Entries   []*Entry             // every entry point, in manifest order
	Scopes    []Value              // permissions.scopes (list items or map keys)
	Egress    []Egress             // permissions.external.*
	Content   []Content            // permissions.content.scripts and .styles
	Providers []Provider           // providers.auth[]
	Remotes   []Remote             // remotes[]
	Resources []Resource           // resources[]
	Scalars   []Scalar             // every scalar, aliases expanded, in document order
	// Unclassified are the references to functions and endpoints made by
	// module types the table does not know.
	Unclassified []Unclassified
	// Problems are what is wrong but does not keep the manifest from being
	// used, in document order.
	Problems []Problem
}

// Function is an entry of modules.function.
type Function struct {
	Key     string
	Handler string // as written: "resolvers/index.handler"
	// Module is the handler's file relative to src/, without extension
	// ("resolvers/index"); resolving it to a file is the caller's job. It is
	// empty when the handler points outside src/.
	Module string
	Export string // "handler"; empty when the handler has no export part
	Pos    Pos    // where the key is written
}

// EntryKind is how an entry point is reached.
type EntryKind string

// The kinds of entry points.
const (
	// FunctionUI is a UI Kit 1 module naming its function directly
	// (function:, or edit/view/config/create.function:).
	FunctionUI EntryKind = "function-ui"
	// Resolver is a UI module's resolver.function.
	Resolver EntryKind = "resolver"
	// RemoteResolver is a reference to a Forge Remote endpoint: a UI module's
	// resolver.endpoint, or the endpoint: of a trigger, scheduled trigger,
	// consumer or action. Function is the endpoint's key.
	RemoteResolver EntryKind = "remote-resolver"
	// WebTrigger is a webtrigger: a public URL with no built-in
	// authentication.
	WebTrigger EntryKind = "webtrigger"
	// ScheduledTrigger is a scheduledTrigger.
	ScheduledTrigger EntryKind = "scheduled-trigger"
	// ProductTrigger is a trigger on product or lifecycle events.
	ProductTrigger EntryKind = "product-trigger"
	// QueueConsumer is an async events consumer.
	QueueConsumer EntryKind = "queue-consumer"
	// RovoAction is an action (Rovo, Automation).
	RovoAction EntryKind = "rovo-action"
	// APIRoute is an apiRoute: a REST API of the app that authorized
	// external systems call.
	APIRoute EntryKind = "api-route"
	// RemoteEndpoint is an endpoint module (Forge Remote) itself: Function
	// is its own key, Fields hold its remote, route and tokens.
	RemoteEndpoint EntryKind = "remote-endpoint"
	// ModuleFunction is a function a known module makes the product call:
	// jira:customField value.function, workflow validators, conditions and
	// post functions, JQL functions, merge checks, data providers...
	ModuleFunction EntryKind = "module-function"
	// Unknown is a function or endpoint named by a module type the table
	// does not know.
	Unknown EntryKind = "unknown"
)

// Entry is an entry point: a module entry that makes a function (or a remote
// endpoint) run. A module entry naming several functions (a resolver and a
// value function) gives one Entry per name.
type Entry struct {
	Kind       EntryKind
	ModuleType string // "jira:issuePanel", "webtrigger", ...
	ModuleKey  string // the module entry's key
	Function   string // the function key it names, or the endpoint key
	Pos        Pos    // where that name is written
	// Admin: only administrators (of the site, or of the project, space,
	// repository or workspace the page belongs to) can reach it. From the
	// admin column of modules.json.
	Admin bool
	// Invokable: a user can make it run with input they choose (UI
	// resolvers, UI Kit 1 functions, Rovo actions, public webtriggers, API
	// routes, JQL functions).
	Invokable bool
	// Fields are extra fields of the module entry that matter to the checks:
	// "response.type" (webtrigger), "actionVerb" (action), "queue" and
	// "method" (consumer), "events" (trigger, comma-separated), "interval"
	// (scheduledTrigger), "remote", "route.path", "auth.appUserToken",
	// "auth.appSystemToken" (endpoint), "path", "operation" (apiRoute),
	// "resource", "render" and "unlicensedAccess" (UI modules).
	Fields map[string]Value
}

// Egress is an entry of permissions.external.
type Egress struct {
	Kind     string // "fetch.backend", "fetch.client", "images", "media", "scripts", "styles", "fonts", "frames", "navigation"
	Address  string // as written ("*.example.com", "*"); a remote's base URL for {remote: key}
	Remote   string // the remote's key for {remote: key}
	Category string // {address, category}
	Pos      Pos
}

// Content is an entry of permissions.content.scripts or .styles.
type Content struct {
	Kind  string // "scripts" or "styles"
	Value string // "unsafe-inline", "unsafe-eval", "unsafe-hashes", ...
	Pos   Pos
}

// Provider is an external OAuth provider (providers.auth[]).
type Provider struct {
	Key, Name, Type string
	Pos             Pos // where the key is written
	Remotes         []string
}

// Remote is an entry of remotes[].
type Remote struct {
	Key        string
	BaseURL    string // baseUrl, or baseUrl.default when it is per region
	Pos        Pos    // where the key is written
	Operations []string
}

// Resource is an entry of resources[] (a Custom UI or UI Kit bundle).
type Resource struct {
	Key, Path string
	Pos       Pos // where the key is written
}

// Scalar is a scalar of the manifest: Path is where it is used, with aliases
// and merge keys expanded ("providers.auth[0].clientSecret"; keys that hold
// '.', '[', ']', '"' or spaces are written ["quoted"]); Pos is where it is
// written. Value is the text of the scalar: unquoted and unescaped for quoted
// strings, as written otherwise ("12", "true", "~"), empty for an empty
// value.
type Scalar struct {
	Path  string
	Value string
	Pos   Pos
}

// Unclassified is a reference to a function or endpoint made by a module type
// the table does not know.
type Unclassified struct {
	ModuleType, ModuleKey, Function string
	Pos                             Pos
}

// Problem is something wrong in the manifest that does not keep it from being
// used.
type Problem struct {
	Pos Pos
	Msg string
}

// Error is a manifest that cannot be used: a missing or unreadable file,
// unparseable YAML, or a wrong shape where the shape decides what runs.
type Error struct {
	File         string
	Line, Column int // 0 when the error is not at a position (a missing file)
	Msg          string
	Err          error // the underlying error, if any
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Load reads dir's manifest.yml (or manifest.yaml) and parses it. The file
// must be a regular file inside dir (symbolic links may not leave dir) of at
// most MaxSize bytes. Manifest.Path is the file's name.
func Load(dir string) (*Manifest, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, &Error{File: names[0], Msg: fmt.Sprintf("open app directory: %v", err), Err: err}
	}
	defer root.Close()
	var found []string
	for _, name := range names {
		if _, err := root.Lstat(name); !errors.Is(err, fs.ErrNotExist) {
			found = append(found, name)
		}
	}
	if len(found) == 0 {
		return nil, &Error{File: names[0], Msg: fmt.Sprintf("no %s or %s in %s", names[0], names[1], dir), Err: fs.ErrNotExist}
	}
	name := found[0]
	data, err := readBounded(root, name)
	if err != nil {
		return nil, err
	}
	m, err := Parse(name, data)
	if err != nil {
		return nil, err
	}
	for _, other := range found[1:] {
		m.Problems = append(m.Problems, Problem{Pos: Pos{1, 1}, Msg: fmt.Sprintf("%s is ignored: %s is the manifest", other, name)})
	}
	return m, nil
}

// readBounded reads name from root: a regular file (checked before it is
// opened, so that a FIFO cannot block the scan) of at most MaxSize bytes.
func readBounded(root *os.Root, name string) ([]byte, error) {
	fi, err := root.Stat(name)
	if err != nil {
		return nil, &Error{File: name, Msg: fmt.Sprintf("read manifest: %v", err), Err: err}
	}
	if !fi.Mode().IsRegular() {
		return nil, &Error{File: name, Msg: "read manifest: not a regular file (" + fileType(fi.Mode()) + ")"}
	}
	if fi.Size() > MaxSize {
		return nil, &Error{File: name, Msg: fmt.Sprintf("manifest is %d bytes, more than the %d bytes ecoscan reads", fi.Size(), MaxSize)}
	}
	f, err := root.Open(name)
	if err != nil {
		return nil, &Error{File: name, Msg: fmt.Sprintf("read manifest: %v", err), Err: err}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, &Error{File: name, Msg: fmt.Sprintf("read manifest: %v", err), Err: err}
	}
	if len(data) > MaxSize {
		return nil, &Error{File: name, Msg: fmt.Sprintf("manifest grew past the %d bytes ecoscan reads while it was read", MaxSize)}
	}
	return data, nil
}

// fileType names the type of a file that is not a regular file.
func fileType(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return m.Type().String()
}

// Parse parses the manifest in data; path names it in positions and errors.
// An error is always an *Error.
func Parse(path string, data []byte) (*Manifest, error) {
	if len(data) > MaxSize {
		return nil, &Error{File: path, Msg: fmt.Sprintf("manifest is %d bytes, more than the %d bytes ecoscan reads", len(data), MaxSize)}
	}
	doc, err := parseYAML(data)
	if err != nil {
		return nil, asError(path, err)
	}
	m, err := extract(path, doc)
	if err != nil {
		return nil, asError(path, err)
	}
	return m, nil
}

// posError is an error at a position of the manifest, before the file's name
// is known.
type posError struct {
	pos Pos
	msg string
}

func (e *posError) Error() string { return fmt.Sprintf("%d:%d: %s", e.pos.Line, e.pos.Column, e.msg) }

func errorAt(pos Pos, format string, args ...any) error {
	if pos.Line == 0 {
		pos = Pos{1, 1}
	}
	return &posError{pos: pos, msg: fmt.Sprintf(format, args...)}
}

func asError(path string, err error) *Error {
	var pe *posError
	if errors.As(err, &pe) {
		return &Error{File: path, Line: pe.pos.Line, Column: pe.pos.Column, Msg: pe.msg}
	}
	return &Error{File: path, Line: 1, Column: 1, Msg: err.Error(), Err: err}
}
