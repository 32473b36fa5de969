package analysis

import (
	"fmt"

	"github.com/ecoscan/ecoscan/internal/forge/ast"
)

// EventKind is what the code did.
type EventKind string

// The kinds of events.
const (
	// ProductCall: a request to a product API through @forge/api (as the app
	// or as the user) or @forge/bridge.
	ProductCall EventKind = "product-call"
	// Fetch: a request to another host (fetch, node-fetch, axios).
	Fetch EventKind = "fetch"
	// StorageWrite and StorageRead: Forge storage (kvs, storage, entity
	// store, entity properties).
	StorageWrite EventKind = "storage-write"
	StorageRead  EventKind = "storage-read"
	// SQL: a query handed to Forge SQL.
	SQL EventKind = "sql"
	// Log: a value written to the log (console).
	Log EventKind = "log"
	// ChildProcess: child_process imported or called.
	ChildProcess EventKind = "child-process"
	// TrustedRoute: a value passed to assumeTrustedRoute.
	TrustedRoute EventKind = "trusted-route"
	// CryptoKey: a key argument of a crypto or JWT function (Arg); Detail
	// names the function.
	CryptoKey EventKind = "crypto-key"
	// AuthHeader: an object property named Authorization (Arg its value).
	AuthHeader EventKind = "auth-header"
	// Comparison: a request's value compared with a secret by an operator
	// (not in constant time); Detail is the operator.
	Comparison EventKind = "comparison"
	// ModuleStateWrite: a handler wrote a module-level variable or object.
	ModuleStateWrite EventKind = "module-state-write"
	// ProtoPollution: a write with an input-chosen key into an object read
	// with an input-chosen key.
	ProtoPollution EventKind = "proto-pollution"
	// QueuePush: an event pushed to a Forge queue.
	QueuePush EventKind = "queue-push"
)

// Event is one thing the code does, at one place, on one call path.
type Event struct {
	Kind   EventKind
	File   string
	Pos    ast.Pos
	Entry  *EntryPoint // nil for code run by no entry point (module top level, unreached functions)
	Path   []Frame     // the calls from the entry point to this place
	Detail string
	Arg    *Value // the value that matters (a key, a query, a logged value, a URL)

	// The state at this place.
	Guards   []*permission // permission checks whose result decided that this place is reached
	Verified bool          // a webtrigger's request was verified before this place

	// Product calls and fetches.
	As          string // "app" or "user" (product calls)
	Client      bool   // made from the front end (@forge/bridge)
	Product     string // "jira", "confluence", "bitbucket", "graph"
	Method      string // upper case; "" when not known
	URL         string // the path or URL as a pattern (Hole for unknown parts)
	URLKnown    bool
	Resources   []string // the input fields the path is built from
	Headers     *Value   // the request's headers, when given
	Body        *Value   // the request's body, when given
	Args        []*Value // log: every argument; storage: key and value
	SecretStore bool     // storage: setSecret / getSecret
}

// Where is "file:line:col" of the event.
func (e *Event) Where() string { return fmt.Sprintf("%s:%d:%d", e.File, e.Pos.Line, e.Pos.Col) }

// GuardedFor reports whether a permission check decided that this place is
// reached, for the same resource as the event when both are known, and
// describes the guard.
func (e *Event) GuardedFor() (bool, string) {
	var mismatch string
	for _, g := range e.Guards {
		if len(g.Resources) == 0 || len(e.Resources) == 0 || overlap(g.Resources, e.Resources) {
			return true, fmt.Sprintf("%s (%s:%d)", g.What, g.File, g.Pos.Line)
		}
		mismatch = fmt.Sprintf("the permission check %s (%s:%d) is about %v, the call about %v", g.What, g.File, g.Pos.Line, g.Resources, e.Resources)
	}
	return false, mismatch
}

func overlap(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}

// record adds an event with the current entry point, call path and state,
// unless the same event (kind, place, entry, state) is known already.
func (it *interp) record(ev *Event) {
	it.recordAt(ev, nil)
}

func (it *interp) recordAt(ev *Event, st *flow) {
	ev.Entry = it.entry
	ev.Path = it.path(ev.Pos)
	if st != nil {
		ev.Guards = append([]*permission(nil), st.guards...)
		ev.Verified = st.verified
	}
	key := fmt.Sprintf("%s|%s|%d|%d|%p|%v|%d|%s", ev.Kind, ev.File, ev.Pos.Line, ev.Pos.Col, it.entry, ev.Verified, len(ev.Guards), ev.Detail)
	for _, g := range ev.Guards {
		key += fmt.Sprintf("|%p", g)
	}
	if it.seen[key] {
		return
	}
	it.seen[key] = true
	it.res.Events = append(it.res.Events, ev)
}
