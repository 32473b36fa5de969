package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecoscan/ecoscan/internal/service/keyring"
	"github.com/ecoscan/ecoscan/internal/service/pgtest"
	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// t0 is the tests' clock: a fixed instant with microseconds, as stored.
var t0 = time.Date(2026, 3, 14, 15, 9, 26, 535897000, time.UTC)

// forEachStore runs fn on a fresh SQLite store and on a fresh PostgreSQL
// store.
func forEachStore(t *testing.T, fn func(t *testing.T, s *Store)) {
	t.Helper()
	t.Run(SQLite, func(t *testing.T) { fn(t, newSQLite(t)) })
	t.Run(Postgres, func(t *testing.T) { fn(t, newPostgres(t)) })
}

func newSQLite(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "e.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newPostgres(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), pgtest.URL(t), Options{MaxConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// sealer seals test secrets the way the service does.
var sealer = func() *keyring.KeyRing {
	r := keyring.New()
	if _, err := r.Generate("test"); err != nil {
		panic(err)
	}
	return r
}()

func seal(t testing.TB, secret, ad string) string {
	t.Helper()
	v, err := sealer.Seal([]byte(secret), ad)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func must[T any](t testing.TB) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func check(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t testing.TB, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: got error %v, want %v", what, err, want)
	}
}

func hash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func sha(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

// tenant is one organization's rows, as the fixture makes them.
type tenant struct {
	org      platform.Org
	user     platform.User
	connect  platform.App
	forge    platform.App
	scan     platform.Scan // done, with two findings and two tickets
	findings []platform.StoredFinding
	tickets  []platform.Ticket
	webhook  platform.Webhook
}

// newTenant makes an organization with a member, a Connect and a Forge
// app, a finished scan of the Connect app with its findings and tickets,
// and a webhook.
func newTenant(t testing.TB, s *Store, name string) tenant {
	t.Helper()
	ctx := context.Background()
	var tn tenant
	tn.org = must[platform.Org](t)(s.CreateOrg(ctx, name))
	sc := platform.OrgScope(tn.org.ID)
	tn.user = must[platform.User](t)(s.CreateUser(ctx, platform.User{Email: "admin@" + name + ".example", Name: name + " admin"}))
	check(t, s.SetMember(ctx, sc, platform.Membership{Org: tn.org.ID, User: tn.user.ID, Role: platform.RoleAdmin}))
	var err error
	tn.connect, _, err = s.CreateApp(ctx, sc, platform.App{Kind: platform.Connect, Name: name + " connect",
		DescriptorURL: "https://" + name + ".example/atlassian-connect.json", NextScanAt: t0})
	check(t, err)
	tn.forge, _, err = s.CreateApp(ctx, sc, platform.App{Kind: platform.Forge, Name: name + " forge", NextScanAt: t0.Add(time.Hour)})
	check(t, err)
	archive := []byte("archive of " + name)
	check(t, s.SetArchive(ctx, sc, tn.forge.ID, sha(archive), archive))
	tn.scan = must[platform.Scan](t)(s.CreateScan(ctx, sc, platform.Scan{App: tn.connect.ID, Trigger: "schedule", QueuedAt: t0}))
	check(t, s.StartScan(ctx, sc, tn.scan.ID, t0.Add(time.Second)))
	finished := t0.Add(time.Minute)
	result := platform.ScanResult{
		Scan: platform.Scan{ID: tn.scan.ID, State: platform.ScanDone, FinishedAt: &finished,
			Counts: map[string]int{"high": 1, "medium": 1}, Report: []byte(`{"app":"` + name + `"}`)},
		Findings: []platform.StoredFinding{
			{Fingerprint: name + "-fp1", Rule: "connect.jwt", Requirement: "1.1", Severity: "high", Title: "Open endpoint", Location: "/a", Detail: []byte(`{"n":1}`)},
			{Fingerprint: name + "-fp2", Rule: "tls.hsts", Requirement: "3", Severity: "medium", Title: "No HSTS", Location: "/", Detail: []byte(`{"n":2}`)},
		},
		NextScanAt: t0.Add(24 * time.Hour),
	}
	for _, f := range result.Findings {
		result.Changes = append(result.Changes, platform.TicketChange{
			Ticket: platform.Ticket{Fingerprint: f.Fingerprint, Rule: f.Rule, Requirement: f.Requirement, Severity: f.Severity,
				Title: f.Title, Location: f.Location, State: platform.NeedsPatch, Due: t0.Add(6 * 7 * 24 * time.Hour), Detail: f.Detail},
			Event: platform.TicketEvent{Actor: "system", To: platform.NeedsPatch, Reason: "found by scan"},
		})
	}
	check(t, s.InTx(ctx, sc, func(tx *sql.Tx) error { return s.FinishScanTx(ctx, tx, result) }))
	tn.scan = must[platform.Scan](t)(s.Scan(ctx, sc, tn.scan.ID))
	tn.findings = must[[]platform.StoredFinding](t)(s.ListFindings(ctx, sc, platform.FindingFilter{Scan: tn.scan.ID}, platform.Page{}))
	tn.tickets = must[[]platform.Ticket](t)(s.ListTickets(ctx, sc, platform.TicketFilter{Now: t0}, platform.Page{}))
	if len(tn.findings) != 2 || len(tn.tickets) != 2 {
		t.Fatalf("tenant %s: %d findings, %d tickets, want 2 and 2", name, len(tn.findings), len(tn.tickets))
	}
	tn.webhook = must[platform.Webhook](t)(s.CreateWebhook(ctx, sc, platform.Webhook{URL: "https://" + name + ".example/hook",
		Events: []string{platform.EventTicketNew}}))
	return tn
}

func TestOpenURLs(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		url, path, err string
	}{
		{url: "sqlite:" + dir + "/a.db", path: dir + "/a.db"},
		{url: "sqlite://" + dir + "/b.db", path: dir + "/b.db"},
		{url: "file:" + dir + "/c.db", path: dir + "/c.db"},
		{url: dir + "/d.db", path: dir + "/d.db"},
		{url: "sqlite:", err: "names no file"},
		{url: "", err: "names no file"},
		{url: "mysql://localhost/x", err: "unsupported scheme"},
		{url: "sqlite:" + dir + "/e.db?_pragma=foreign_keys(0)", err: "options are not accepted"},
		{url: "sqlite::memory:", err: "in-memory"},
		{url: "file::memory:", err: "in-memory"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			s, err := Open(context.Background(), tc.url, Options{})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Open(%q) = %v, want an error with %q", tc.url, err, tc.err)
				}
				if got := SQLitePath(tc.url); got != "" {
					t.Errorf("SQLitePath(%q) = %q, want none", tc.url, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if got := SQLitePath(tc.url); got != tc.path {
				t.Errorf("SQLitePath(%q) = %q, want %q", tc.url, got, tc.path)
			}
			if _, err := os.Stat(tc.path); err != nil {
				t.Errorf("Open(%q) made no %s: %v", tc.url, tc.path, err)
			}
			check(t, s.Ping(context.Background()))
			if s.Dialect() != SQLite || s.DB() == nil {
				t.Errorf("dialect %q, DB %v", s.Dialect(), s.DB())
			}
		})
	}
	if _, err := Open(context.Background(), "sqlite:"+filepath.Join(dir, "missing", "x.db"), Options{}); err == nil {
		t.Error("Open in a missing directory succeeded")
	}
	for _, u := range []string{"postgres://u@127.0.0.1/db", "postgresql://u@127.0.0.1/db"} {
		if !IsPostgresURL(u) || SQLitePath(u) != "" {
			t.Errorf("%s: IsPostgresURL %v, SQLitePath %q", u, IsPostgresURL(u), SQLitePath(u))
		}
	}
}

func TestSQLitePragmas(t *testing.T) {
	s := newSQLite(t)
	ctx := context.Background()
	for _, tc := range []struct {
		db     *sql.DB
		pragma string
		want   string
	}{
		{s.db, "journal_mode", "wal"},
		{s.db, "foreign_keys", "1"},
		{s.db, "synchronous", "1"},
		{s.db, "busy_timeout", fmt.Sprint(busyTimeout.Milliseconds())},
		{s.reader, "foreign_keys", "1"},
		{s.reader, "query_only", "1"},
		{s.reader, "busy_timeout", fmt.Sprint(busyTimeout.Milliseconds())},
	} {
		var got string
		check(t, tc.db.QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&got))
		if got != tc.want {
			t.Errorf("PRAGMA %s = %q, want %q", tc.pragma, got, tc.want)
		}
	}
	if st, err := os.Stat(s.path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("database file: %v, %v; want mode 0600", st.Mode(), err)
	}
	if s.db.Stats().MaxOpenConnections != 1 {
		t.Errorf("writer pool allows %d connections, want 1", s.db.Stats().MaxOpenConnections)
	}
}
