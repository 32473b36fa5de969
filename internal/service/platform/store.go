package platform

import (
	"context"
	"database/sql"
	"time"
)

// Page asks for one page of a listing, newest first: at most Limit rows
// (the store caps it at MaxPage; 0 means DefaultPage) with an id below
// Before (0: from the newest).
type Page struct {
	Limit  int
	Before int64
}

// Page sizes.
const (
	DefaultPage = 50
	MaxPage     = 500
)

// AppFilter narrows ListApps.
type AppFilter struct {
	Kind           AppKind // "" for both
	IncludeDeleted bool
}

// FindingFilter narrows ListFindings. Scan 0 with App set means the app's
// latest finished scan.
type FindingFilter struct {
	App         int64
	Scan        int64
	Severity    string
	Requirement string
}

// TicketFilter narrows ListTickets. Now is the clock that decides overdue.
type TicketFilter struct {
	App       int64
	States    []TicketState
	Severity  string
	Overdue   bool       // only tickets past their due date and still open
	DueBefore *time.Time // only tickets due before this instant
	Now       time.Time
}

// TicketChange is one change a scan or a person makes to a ticket: the
// ticket as it is to be (ID 0 creates it) and the event that records why.
type TicketChange struct {
	Ticket Ticket
	Event  TicketEvent
}

// ScanResult is everything a finished scan writes, in one transaction.
type ScanResult struct {
	Scan     Scan            // ID, State, FinishedAt, Error, Counts, Report
	Findings []StoredFinding // the scan's findings
	Changes  []TicketChange  // tickets opened, seen again, reopened, patched
	// NextScanAt moves the app's schedule on.
	NextScanAt time.Time
}

// SealedField is one encrypted column of one row, for key rotation.
type SealedField struct {
	Table  string // "app" or "webhook", as in SecretAD
	Column string // "shared_secret", "client_key", "user_jwt", "secret"
	Row    int64
	Value  string // the sealed value (keyring format)
}

// Store keeps the platform's data. Every method sees only its Scope; a row
// outside it is ErrNotFound. Implementations: store.Open (SQLite or
// PostgreSQL, chosen by the URL).
type Store interface {
	// Dialect is "sqlite" or "postgres".
	Dialect() string
	// DB is the connection pool, for the job queue's driver; the store's
	// own tables are reached only through the methods below.
	DB() *sql.DB
	Close() error
	// Ping checks the database answers (readiness).
	Ping(ctx context.Context) error

	// Organizations and people.
	CreateOrg(ctx context.Context, name string) (Org, error)
	Org(ctx context.Context, s Scope, id int64) (Org, error)
	ListOrgs(ctx context.Context, s Scope) ([]Org, error)
	CreateUser(ctx context.Context, u User) (User, error)
	User(ctx context.Context, id int64) (User, error)
	UserByEmail(ctx context.Context, email string) (User, error)
	SetPassword(ctx context.Context, user int64, hash string) error // an argon2id hash
	SetMember(ctx context.Context, s Scope, m Membership) error     // adds or changes the role
	RemoveMember(ctx context.Context, s Scope, org, user int64) error
	Members(ctx context.Context, s Scope, org int64) ([]Membership, error)
	MembershipsOf(ctx context.Context, user int64) ([]Membership, error)

	// API tokens and dashboard sessions, found by hash (authentication
	// comes before any scope is known).
	CreateToken(ctx context.Context, t Token) (Token, error)
	TokenByHash(ctx context.Context, hash []byte) (Token, error)
	TouchToken(ctx context.Context, id int64, at time.Time) error
	Tokens(ctx context.Context, user int64) ([]Token, error)
	RevokeToken(ctx context.Context, user, id int64, at time.Time) error
	CreateSession(ctx context.Context, sess Session) error
	SessionByHash(ctx context.Context, hash []byte, now time.Time) (Session, error)
	DeleteSession(ctx context.Context, hash []byte) error

	// Apps. CreateApp with an IdempotencyKey already used in the org
	// returns the app created first, and created=false.
	CreateApp(ctx context.Context, s Scope, a App) (app App, created bool, err error)
	App(ctx context.Context, s Scope, id int64) (App, error)
	ListApps(ctx context.Context, s Scope, f AppFilter, p Page) ([]App, error)
	UpdateApp(ctx context.Context, s Scope, a App) error // name, URL, sealed credentials, interval
	DeleteApp(ctx context.Context, s Scope, id int64, at time.Time) error
	SetArchive(ctx context.Context, s Scope, app int64, sha256 string, data []byte) error
	Archive(ctx context.Context, s Scope, app int64) ([]byte, error)
	// DueApps lists apps (every organization) whose next scan is due.
	DueApps(ctx context.Context, now time.Time, limit int) ([]App, error)
	// PurgeDeleted removes for good the apps deleted before the cutoff and
	// everything of theirs; it returns how many apps went.
	PurgeDeleted(ctx context.Context, before time.Time) (int, error)

	// Scans.
	CreateScan(ctx context.Context, s Scope, sc Scan) (Scan, error)
	Scan(ctx context.Context, s Scope, id int64) (Scan, error) // with its Report
	ListScans(ctx context.Context, s Scope, app int64, p Page) ([]Scan, error)
	SetScanJob(ctx context.Context, s Scope, scan, job int64) error
	StartScan(ctx context.Context, s Scope, scan int64, at time.Time) error
	// FailScan ends a scan that could not run; tickets are left alone.
	FailScan(ctx context.Context, s Scope, scan int64, state ScanState, at time.Time, reason string) error
	// TicketsOfAppTx and FinishScanTx run inside the transaction of InTx, so
	// that reading the app's tickets, writing the results and completing
	// the job are one atomic step.
	InTx(ctx context.Context, s Scope, fn func(tx *sql.Tx) error) error
	// CreateScanTx creates a scan inside InTx, so that the scan and the
	// job that runs it are inserted together.
	CreateScanTx(ctx context.Context, tx *sql.Tx, sc Scan) (Scan, error)
	TicketsOfAppTx(ctx context.Context, tx *sql.Tx, app int64) ([]Ticket, error)
	FinishScanTx(ctx context.Context, tx *sql.Tx, r ScanResult) error

	// Findings and tickets.
	ListFindings(ctx context.Context, s Scope, f FindingFilter, p Page) ([]StoredFinding, error)
	Finding(ctx context.Context, s Scope, id int64) (StoredFinding, error)
	ListTickets(ctx context.Context, s Scope, f TicketFilter, p Page) ([]Ticket, error)
	Ticket(ctx context.Context, s Scope, id int64, now time.Time) (Ticket, error)
	TicketEvents(ctx context.Context, s Scope, ticket int64) ([]TicketEvent, error)
	// ChangeTicket applies a person's change; it fails with ErrStale when
	// the ticket's state is no longer c.Event.From.
	ChangeTicket(ctx context.Context, s Scope, c TicketChange) error
	// OpenTickets lists open tickets of every organization whose due date
	// falls before the instant, for the due-soon and overdue notices.
	OpenTicketsDueBefore(ctx context.Context, before time.Time, limit int) ([]Ticket, error)

	// Webhooks.
	CreateWebhook(ctx context.Context, s Scope, w Webhook) (Webhook, error)
	Webhooks(ctx context.Context, s Scope, org int64) ([]Webhook, error)
	DeleteWebhook(ctx context.Context, s Scope, id int64) error
	// Notified records that a notice was sent, so it goes once: it
	// returns false when (ticket, event, key) was already recorded.
	Notified(ctx context.Context, ticket int64, event, key string, at time.Time) (bool, error)

	// Sealed secrets, for key rotation: every sealed value, and an update
	// that replaces one only if it is unchanged.
	SealedFields(ctx context.Context) ([]SealedField, error)
	ReplaceSealed(ctx context.Context, f SealedField, newValue string) error

	// Stats for the metrics endpoint: open findings of latest scans by
	// severity, overdue tickets, scans by state.
	Stats(ctx context.Context, now time.Time) (Stats, error)
}

// Stats are platform-wide figures for the metrics endpoint.
type Stats struct {
	Apps               int
	FindingsBySeverity map[string]int // open tickets by severity
	OverdueTickets     int
	ScansByState       map[ScanState]int
}

// Queue runs scans as jobs of the job queue (package jobs implements it).
type Queue interface {
	// ScanNow queues a scan of the app on demand and returns it. While a
	// scan of the app is already queued or running, that scan is returned
	// instead of a second one.
	ScanNow(ctx context.Context, s Scope, app int64) (Scan, error)
	// CancelScan cancels a queued or running scan; its results are not
	// written.
	CancelScan(ctx context.Context, s Scope, scan int64) error
	// Depth counts the jobs waiting to run, for the metrics.
	Depth(ctx context.Context) (int, error)
}
