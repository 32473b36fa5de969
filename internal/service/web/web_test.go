package web

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecoscan/ecoscan/internal/finding"
	"github.com/ecoscan/ecoscan/internal/service/api"
	"github.com/ecoscan/ecoscan/internal/service/auth"
	"github.com/ecoscan/ecoscan/internal/service/platform"
	"github.com/ecoscan/ecoscan/internal/service/store"
	"github.com/ecoscan/ecoscan/internal/service/tickets"
)

// testPassword is every test user's password.
const testPassword = "correct horse battery staple"

var (
	passwordHashOnce sync.Once
	passwordHash     string
)

// testPasswordHash hashes testPassword once per test binary: argon2id at
// the service's parameters takes a while.
func testPasswordHash(t testing.TB) string {
	passwordHashOnce.Do(func() {
		h, err := auth.HashPassword(testPassword)
		if err != nil {
			panic(err)
		}
		passwordHash = h
	})
	return passwordHash
}

// clock is a settable clock shared by the dashboard and api.Ops.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// storeQueue is a platform.Queue for tests that need no worker: ScanNow
// records a queued scan in the store, as the real queue does before its
// worker takes the job.
type storeQueue struct {
	store platform.Store
	now   func() time.Time
}

func (q storeQueue) ScanNow(ctx context.Context, s platform.Scope, app int64) (platform.Scan, error) {
	scans, err := q.store.ListScans(ctx, s, app, platform.Page{Limit: 1})
	if err != nil {
		return platform.Scan{}, err
	}
	if len(scans) > 0 && (scans[0].State == platform.ScanQueued || scans[0].State == platform.ScanRunning) {
		return scans[0], nil
	}
	a, err := q.store.App(ctx, s, app)
	if err != nil {
		return platform.Scan{}, err
	}
	return q.store.CreateScan(ctx, s, platform.Scan{Org: a.Org, App: app, State: platform.ScanQueued, Trigger: "manual", QueuedAt: q.now()})
}

func (q storeQueue) CancelScan(ctx context.Context, s platform.Scope, scan int64) error {
	return q.store.FailScan(ctx, s, scan, platform.ScanCanceled, q.now(), "canceled")
}

func (storeQueue) Depth(context.Context) (int, error) { return 0, nil }

// testLog writes the dashboard's log to the test's.
type testLog struct{ t testing.TB }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Helper()
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// fixture is the dashboard over a real SQLite store, with two
// organizations: acme (alice, admin; vic, viewer) and globex (gina, admin),
// and one Connect app in each.
type fixture struct {
	t       testing.TB
	store   *store.Store
	ops     *api.Ops
	clock   *clock
	handler http.Handler
	server  *httptest.Server

	acme, globex         platform.Org
	alice, vic, gina     platform.User
	acmeApp, globexApp   platform.App
	acmeTicket, gxTicket platform.Ticket
	acmeScan, globexScan platform.Scan
}

type fixtureOptions struct {
	tls        bool // serve over TLS with SecureCookies
	limits     SignInLimits
	sessionTTL time.Duration
}

func newFixture(t testing.TB, opts fixtureOptions) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "ecoscan.db"), store.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
	f := &fixture{t: t, store: st, clock: clk}
	f.ops = api.NewOps(api.Config{
		Store: st, Queue: storeQueue{store: st, now: clk.Now}, Now: clk.Now,
		Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
	})
	f.handler, err = New(Config{
		Store: st, Ops: f.ops, Now: clk.Now, Logger: slog.New(slog.NewTextHandler(testLog{t}, nil)),
		SecureCookies: opts.tls, SignInLimits: opts.limits, SessionTTL: opts.sessionTTL,
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if opts.tls {
		f.server = httptest.NewTLSServer(f.handler)
	} else {
		f.server = httptest.NewServer(f.handler)
	}
	t.Cleanup(f.server.Close)

	f.acme = f.org("acme")
	f.globex = f.org("globex")
	f.alice = f.user("alice@acme.test", f.acme, platform.RoleAdmin)
	f.vic = f.user("vic@acme.test", f.acme, platform.RoleViewer)
	f.gina = f.user("gina@globex.test", f.globex, platform.RoleAdmin)
	f.acmeApp, f.acmeScan, f.acmeTicket = f.appWithFinding(f.acme, f.alice, "Acme Board")
	f.globexApp, f.globexScan, f.gxTicket = f.appWithFinding(f.globex, f.gina, "Globex Planner")
	return f
}

func (f *fixture) org(name string) platform.Org {
	o, err := f.store.CreateOrg(context.Background(), name)
	if err != nil {
		f.t.Fatalf("create org: %v", err)
	}
	return o
}

func (f *fixture) user(email string, org platform.Org, role platform.Role) platform.User {
	ctx := context.Background()
	u, err := f.store.CreateUser(ctx, platform.User{Email: email, Name: strings.Split(email, "@")[0], PasswordHash: testPasswordHash(f.t), CreatedAt: f.clock.Now()})
	if err != nil {
		f.t.Fatalf("create user: %v", err)
	}
	if err := f.store.SetMember(ctx, platform.OrgScope(org.ID), platform.Membership{Org: org.ID, User: u.ID, Role: role}); err != nil {
		f.t.Fatalf("set member: %v", err)
	}
	return u
}

// appWithFinding registers a Connect app through api.Ops and finishes one
// scan of it whose report has one finding, so that it has a ticket.
func (f *fixture) appWithFinding(org platform.Org, admin platform.User, name string) (platform.App, platform.Scan, platform.Ticket) {
	ctx := context.Background()
	caller, err := f.ops.CallerFor(ctx, admin)
	if err != nil {
		f.t.Fatal(err)
	}
	app, _, err := f.ops.CreateApp(ctx, caller, org.ID, api.AppInput{Name: name, DescriptorURL: "https://127.0.0.1:8443/atlassian-connect.json"})
	if err != nil {
		f.t.Fatalf("create app: %v", err)
	}
	scan := f.finishScan(org, app, openPageReport(app, f.clock.Now()))
	ts, err := f.store.ListTickets(ctx, platform.OrgScope(org.ID), platform.TicketFilter{App: app.ID, Now: f.clock.Now()}, platform.Page{})
	if err != nil || len(ts) != 1 {
		f.t.Fatalf("tickets of the new app: %v, %v", ts, err)
	}
	return app, scan, ts[0]
}

// openPageReport is the report of a scan that found one unprotected page,
// with evidence that tries to break out of the page it is shown in.
func openPageReport(app platform.App, at time.Time) *finding.Report {
	rule := finding.Rule{ID: "connect/authn-endpoint-open", Requirement: "1.1", Title: "Endpoint serves data without authentication", CVSS: 5.3,
		Remediation: "Verify the JWT on every request."}
	f := rule.New(finding.Endpoint("GET", "https://127.0.0.1:8443/page"), "GET /page answered 200 without a token",
		`<script>alert("evidence")</script>`, "HTTP/1.1 200 OK\u202e")
	r := &finding.Report{Schema: finding.Schema, Tool: finding.Tool{Name: "ecoscan", Version: "test"},
		Target: finding.Target{Kind: "connect", Ref: app.DescriptorURL}, StartedAt: at,
		Findings: []finding.Finding{f},
		Checks:   []finding.Check{{Requirement: "1.1", Status: finding.Fail, Detail: "1 endpoint open"}, {Requirement: "7.2", Status: finding.Pass, Detail: "Referrer-Policy no-referrer"}}}
	r.Finish(at)
	return r
}

// finishScan stores a finished scan of app with the report, its findings
// and the ticket changes the workflow derives, as a worker does.
func (f *fixture) finishScan(org platform.Org, app platform.App, rep *finding.Report) platform.Scan {
	ctx := context.Background()
	scope := platform.OrgScope(org.ID)
	now := f.clock.Now()
	sc, err := f.store.CreateScan(ctx, scope, platform.Scan{Org: org.ID, App: app.ID, State: platform.ScanQueued, Trigger: "manual", QueuedAt: now})
	if err != nil {
		f.t.Fatalf("create scan: %v", err)
	}
	if err := f.store.StartScan(ctx, scope, sc.ID, now); err != nil {
		f.t.Fatalf("start scan: %v", err)
	}
	raw, err := json.Marshal(rep)
	if err != nil {
		f.t.Fatal(err)
	}
	counts := map[string]int{}
	var stored []platform.StoredFinding
	for _, fd := range rep.Findings {
		detail, _ := json.Marshal(fd)
		sev := severityName(fd.Severity)
		if !fd.Suppressed() {
			counts[sev]++
		}
		stored = append(stored, platform.StoredFinding{Org: org.ID, App: app.ID, Scan: sc.ID, Fingerprint: fd.Fingerprint, Rule: fd.Rule,
			Requirement: fd.Requirement, Severity: sev, Title: fd.Title, Location: fd.Location.String(), Suppressed: fd.Suppressed(), Detail: detail, CreatedAt: now})
	}
	finished := now
	sc.State, sc.FinishedAt, sc.Counts, sc.Report = platform.ScanDone, &finished, counts, raw
	err = f.store.InTx(ctx, scope, func(tx *sql.Tx) error {
		existing, err := f.store.TicketsOfAppTx(ctx, tx, app.ID)
		if err != nil {
			return err
		}
		changes := tickets.Reconcile(now, app, sc.ID, rep, existing)
		return f.store.FinishScanTx(ctx, tx, platform.ScanResult{Scan: sc, Findings: stored, Changes: changes, NextScanAt: now.Add(24 * time.Hour)})
	})
	if err != nil {
		f.t.Fatalf("finish scan: %v", err)
	}
	return sc
}

// browser is an HTTP client with its own cookies, like one browser.
type browser struct {
	f      *fixture
	client *http.Client
}

func (f *fixture) browser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		f.t.Fatal(err)
	}
	c := f.server.Client()
	client := &http.Client{Transport: c.Transport, Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &browser{f: f, client: client}
}

// response is an answer read in full.
type response struct {
	*http.Response
	body string
}

func (b *browser) do(req *http.Request) response {
	b.f.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.f.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.f.t.Fatalf("read %s: %v", req.URL, err)
	}
	return response{Response: resp, body: string(body)}
}

func (b *browser) get(path string) response {
	b.f.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.f.server.URL+path, nil)
	if err != nil {
		b.f.t.Fatal(err)
	}
	return b.do(req)
}

// post sends a form as a browser on the dashboard's own page would: with
// Origin and Sec-Fetch-Site same-origin.
func (b *browser) post(path string, form url.Values, header ...string) response {
	b.f.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.f.server.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.f.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.f.server.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(req)
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)

// csrf reads the CSRF token of a page the browser is shown.
func (b *browser) csrf(path string) string {
	b.f.t.Helper()
	r := b.get(path)
	m := csrfMeta.FindStringSubmatch(r.body)
	if m == nil {
		b.f.t.Fatalf("GET %s: %d, no csrf-token meta", path, r.StatusCode)
	}
	return m[1]
}

// signIn signs the browser in as email with the test password.
func (b *browser) signIn(email string) {
	b.f.t.Helper()
	if r := b.trySignIn(email, testPassword); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/" {
		b.f.t.Fatalf("sign in %s: %d %s\n%s", email, r.StatusCode, r.Header.Get("Location"), r.body)
	}
}

// trySignIn fetches the sign-in form and posts it.
func (b *browser) trySignIn(email, password string) response {
	b.f.t.Helper()
	token := b.csrf("/signin")
	return b.post("/signin", url.Values{"csrf": {token}, "email": {email}, "password": {password}})
}

func (f *fixture) appPath(app platform.App) string {
	return "/orgs/" + itoa(app.Org) + "/apps/" + itoa(app.ID)
}

func (f *fixture) ticketPath(t platform.Ticket) string {
	return "/orgs/" + itoa(t.Org) + "/tickets/" + itoa(t.ID)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
