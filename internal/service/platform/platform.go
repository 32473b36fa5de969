// Package platform is the vocabulary of `ecoscan serve`: the organizations,
// users, apps, scans, findings and tickets the service keeps, the roles that
// decide who may see and change what, and the Store interface that every
// other part of the service (API, dashboard, workers) talks to. The store
// package implements it on SQLite and PostgreSQL; nothing else reaches the
// database.
//
// Tenancy: every row that belongs to a vendor carries its organization id,
// and every Store method takes a Scope. A Scope names one organization, or
// all of them for the platform security role and the service's own
// background work. A store must return nothing outside the Scope, whatever
// the method's other arguments say.
package platform

import (
	"errors"
	"strconv"
	"time"
)

// Role is a member's role in an organization.
type Role string

// The roles of organization members, strongest first.
const (
	RoleAdmin  Role = "admin"  // manages members, tokens, apps and webhooks
	RoleMember Role = "member" // registers apps, runs scans, moves tickets
	RoleViewer Role = "viewer" // reads
)

// Valid reports whether r is one of the three roles.
func (r Role) Valid() bool { return r == RoleAdmin || r == RoleMember || r == RoleViewer }

// AtLeast reports whether r is as strong as min.
func (r Role) AtLeast(min Role) bool { return r.rank() >= min.rank() }

func (r Role) rank() int {
	switch r {
	case RoleAdmin:
		return 3
	case RoleMember:
		return 2
	case RoleViewer:
		return 1
	}
	return 0
}

// Scope is what a store call may see: one organization, or every
// organization (the platform security role, and the scheduler and workers).
type Scope struct {
	Org int64 // the organization; ignored when All
	All bool
}

// OrgScope is the scope of one organization.
func OrgScope(org int64) Scope { return Scope{Org: org} }

// AllScope sees every organization.
func AllScope() Scope { return Scope{All: true} }

// Org is an app vendor.
type Org struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// User is a person (or a robot) who signs in or holds API tokens.
type User struct {
	ID    int64  `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
	// Platform marks the marketplace security team: it sees every
	// organization and alone may accept risks, mark false positives and
	// grant extensions.
	Platform     bool      `json:"platform"`
	PasswordHash string    `json:"-"` // argon2id, empty when the user signs in with tokens only
	CreatedAt    time.Time `json:"created_at"`
}

// Membership is a user's role in one organization.
type Membership struct {
	Org  int64 `json:"org_id"`
	User int64 `json:"user_id"`
	Role Role  `json:"role"`
	// OrgName and Email are filled in by listings for display.
	OrgName string `json:"org_name,omitempty"`
	Email   string `json:"email,omitempty"`
}

// Token is an API token. The token itself is shown once, at creation; the
// store keeps its SHA-256 hash and a short prefix to recognise it by.
type Token struct {
	ID        int64      `json:"id"`
	User      int64      `json:"user_id"`
	Name      string     `json:"name"`
	Prefix    string     `json:"prefix"`
	Hash      []byte     `json:"-"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	LastUsed  *time.Time `json:"last_used,omitempty"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// Session is a signed-in dashboard session. The cookie holds the session
// id; the store keeps its SHA-256 hash.
type Session struct {
	Hash      []byte
	User      int64
	CSRF      string // the session's CSRF token, checked on every state change
	CreatedAt time.Time
	ExpiresAt time.Time
}

// AppKind is the kind of app: scanned from outside, or from its source.
type AppKind string

// The kinds of apps.
const (
	Connect AppKind = "connect"
	Forge   AppKind = "forge"
)

// App is a registered app.
type App struct {
	ID   int64   `json:"id"`
	Org  int64   `json:"org_id"`
	Kind AppKind `json:"kind"`
	Name string  `json:"name"`
	// DescriptorURL is a Connect app's descriptor.
	DescriptorURL string `json:"descriptor_url,omitempty"`
	// Credentials are a Connect app's test installation secrets, sealed by
	// the key ring (keyring.Seal output, one per field), never clear text.
	SharedSecret string `json:"-"` // sealed
	ClientKey    string `json:"-"` // sealed
	UserJWT      string `json:"-"` // sealed
	// HasCredentials tells API clients which secrets are set without
	// showing them.
	HasSharedSecret bool `json:"has_shared_secret"`
	HasUserJWT      bool `json:"has_user_jwt"`
	// ArchiveSHA256 names a Forge app's current source archive.
	ArchiveSHA256 string        `json:"archive_sha256,omitempty"`
	ArchiveSize   int64         `json:"archive_size,omitempty"`
	Interval      time.Duration `json:"interval"` // between scheduled scans; default 24h
	NextScanAt    time.Time     `json:"next_scan_at"`
	CreatedAt     time.Time     `json:"created_at"`
	// DeletedAt is set when the app was deleted: its data is kept for the
	// retention period, then purged.
	DeletedAt *time.Time `json:"deleted_at,omitempty"`
	// IdempotencyKey, when a client gave one at creation, makes a retried
	// creation return the first app.
	IdempotencyKey string `json:"-"`
	// Last is the app's latest finished scan, filled by listings.
	Last *Scan `json:"last_scan,omitempty"`
	// OpenTickets and Overdue are filled by listings.
	OpenBySeverity map[string]int `json:"open_by_severity,omitempty"`
	Overdue        int            `json:"overdue"`
}

// ScanState is where a scan stands.
type ScanState string

// The states of a scan.
const (
	ScanQueued   ScanState = "queued"
	ScanRunning  ScanState = "running"
	ScanDone     ScanState = "done"   // the scan ran; its report is stored
	ScanFailed   ScanState = "failed" // the scan could not run (descriptor unreachable, archive unreadable)
	ScanCanceled ScanState = "canceled"
)

// Scan is one scan of one app.
type Scan struct {
	ID         int64      `json:"id"`
	Org        int64      `json:"org_id"`
	App        int64      `json:"app_id"`
	State      ScanState  `json:"state"`
	Trigger    string     `json:"trigger"` // "schedule" or "manual"
	Job        int64      `json:"job_id,omitempty"`
	QueuedAt   time.Time  `json:"queued_at"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	Error      string     `json:"error,omitempty"`
	// Counts of active findings by severity name ("critical", ...).
	Counts map[string]int `json:"counts,omitempty"`
	// Report is the full JSON report (finding.Report), kept for evidence
	// and the checks table; omitted from listings.
	Report []byte `json:"-"`
}

// StoredFinding is one finding of one scan, as kept for queries.
type StoredFinding struct {
	ID          int64     `json:"id"`
	Org         int64     `json:"org_id"`
	App         int64     `json:"app_id"`
	Scan        int64     `json:"scan_id"`
	Fingerprint string    `json:"fingerprint"`
	Rule        string    `json:"rule"`
	Requirement string    `json:"requirement"`
	Severity    string    `json:"severity"`
	Title       string    `json:"title"`
	Location    string    `json:"location"`
	Suppressed  bool      `json:"suppressed"`
	Detail      []byte    `json:"-"` // the finding.Finding as JSON
	CreatedAt   time.Time `json:"created_at"`
}

// TicketState is a ticket's state, after Atlassian's security bug workflow.
type TicketState string

// The ticket states.
const (
	NeedsPatch          TicketState = "needs-patch"
	NeedsSecurityReview TicketState = "needs-security-review"
	WaitingForRelease   TicketState = "waiting-for-release"
	ExtensionRequested  TicketState = "extension-requested"
	Patched             TicketState = "patched"
	AcceptedRisk        TicketState = "accepted-risk"  // platform role only
	FalsePositive       TicketState = "false-positive" // platform role only
)

// TicketStates lists every state, in workflow order.
var TicketStates = []TicketState{NeedsPatch, NeedsSecurityReview, WaitingForRelease, ExtensionRequested, Patched, AcceptedRisk, FalsePositive}

// Open reports whether a ticket in state s still needs work: it counts for
// overdue and a scan that no longer sees its finding patches it.
func (s TicketState) Open() bool {
	switch s {
	case NeedsPatch, NeedsSecurityReview, WaitingForRelease, ExtensionRequested:
		return true
	}
	return false
}

// Valid reports whether s is a known state.
func (s TicketState) Valid() bool {
	for _, t := range TicketStates {
		if s == t {
			return true
		}
	}
	return false
}

// Ticket follows one finding (by fingerprint) of one app through its fix.
type Ticket struct {
	ID          int64       `json:"id"`
	Org         int64       `json:"org_id"`
	App         int64       `json:"app_id"`
	Fingerprint string      `json:"fingerprint"`
	Rule        string      `json:"rule"`
	Requirement string      `json:"requirement"`
	Severity    string      `json:"severity"`
	Title       string      `json:"title"`
	Location    string      `json:"location"`
	State       TicketState `json:"state"`
	FirstSeen   time.Time   `json:"first_seen"`
	LastSeen    time.Time   `json:"last_seen"`
	Due         time.Time   `json:"due"` // the fix-by date; an extension moves it
	Overdue     bool        `json:"overdue"`
	UpdatedAt   time.Time   `json:"updated_at"`
	// Detail is the latest finding.Finding as JSON, for the evidence.
	Detail []byte `json:"-"`
}

// TicketEvent records one change of a ticket: who, when, from what to what,
// and why.
type TicketEvent struct {
	ID      int64       `json:"id"`
	Org     int64       `json:"org_id"`
	Ticket  int64       `json:"ticket_id"`
	At      time.Time   `json:"at"`
	Actor   string      `json:"actor"` // "user:<id> <email>" or "system" (scans)
	From    TicketState `json:"from,omitempty"`
	To      TicketState `json:"to"`
	DueFrom *time.Time  `json:"due_from,omitempty"`
	DueTo   *time.Time  `json:"due_to,omitempty"`
	Reason  string      `json:"reason"`
	Scan    int64       `json:"scan_id,omitempty"`
}

// Webhook is an organization's notification endpoint.
type Webhook struct {
	ID        int64     `json:"id"`
	Org       int64     `json:"org_id"`
	URL       string    `json:"url"`
	Secret    string    `json:"-"` // sealed; signs deliveries (HMAC-SHA256)
	Events    []string  `json:"events"`
	CreatedAt time.Time `json:"created_at"`
}

// The webhook events.
const (
	EventTicketNew      = "ticket.new"
	EventTicketDueSoon  = "ticket.due_soon" // due within 7 days
	EventTicketOverdue  = "ticket.overdue"
	EventTicketReopened = "ticket.reopened"
	EventTicketPatched  = "ticket.patched"
)

// Errors the store returns, wrapped, so callers can map them to answers.
var (
	ErrNotFound = errors.New("not found")         // absent, or outside the scope
	ErrConflict = errors.New("conflict")          // a unique value taken
	ErrInvalid  = errors.New("invalid")           // a value the store refuses
	ErrStale    = errors.New("changed meanwhile") // an update lost a race
)

// SecretAD is the associated data a sealed column is bound to (see package
// keyring): "app:42:shared_secret", "webhook:7:secret". Sealing happens
// once the row has its id, so a ciphertext copied into another row or column
// does not open there.
func SecretAD(table string, row int64, column string) string {
	return table + ":" + strconv.FormatInt(row, 10) + ":" + column
}
