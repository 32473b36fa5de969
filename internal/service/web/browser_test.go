package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/ecoscan/ecoscan/internal/connect/connecttest"
	"github.com/ecoscan/ecoscan/internal/service/api"
	"github.com/ecoscan/ecoscan/internal/service/jobs"
	"github.com/ecoscan/ecoscan/internal/service/keyring"
	"github.com/ecoscan/ecoscan/internal/service/platform"
	"github.com/ecoscan/ecoscan/internal/service/store"
)

// chromiumPath is Debian's Chromium, which CI installs.
const chromiumPath = "/usr/bin/chromium"

// cspWatch records every Content-Security-Policy violation and uncaught
// error of every page into window.__problems. DevTools injects it, so the
// page's own CSP does not apply to it.
const cspWatch = `window.__problems = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__problems.push("CSP " + e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " at " + e.sourceFile + ":" + e.lineNumber);
});
window.addEventListener("error", function (e) { window.__problems.push("error: " + e.message); });`

// TestBrowser drives Chromium through the dashboard on the real stack (the
// SQLite store, the job queue with a worker, the API at /v1): sign in with
// the keyboard, register a Connect app served on loopback with one
// unprotected endpoint, scan it, see its findings and the chart, change a
// ticket's state with a comment, and check that a user of another
// organization reaches neither the app nor the ticket. Every page is saved
// as a PNG in $ECOSCAN_ARTIFACTS (a temporary directory by default).
func TestBrowser(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing under CI: install Debian's chromium package", chromiumPath)
		}
		t.Skipf("no %s: the browser test needs Debian's Chromium", chromiumPath)
	}
	artifacts := os.Getenv("ECOSCAN_ARTIFACTS")
	if artifacts == "" {
		artifacts = t.TempDir()
	}
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stack := startStack(ctx, t)

	browserCtx := newChromium(ctx, t)
	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(browserCtx, actions...); err != nil {
			shot(browserCtx, t, artifacts, "failed-"+name)
			t.Fatalf("%s: %v", name, err)
		}
	}
	get := func(name, path string) int64 {
		t.Helper()
		resp, err := chromedp.Run(browserCtx, chromedp.NavigateResponse(stack.url+path))
		if err != nil {
			t.Fatalf("%s: GET %s: %v", name, path, err)
		}
		return resp.Status
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(browserCtx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			shot(browserCtx, t, artifacts, "failed-text")
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	noProblems := func(page string) {
		t.Helper()
		problems, err := chromedp.Run(browserCtx, chromedp.Evaluate[[]string](`window.__problems || []`))
		if err != nil {
			t.Fatalf("%s: read problems: %v", page, err)
		}
		for _, p := range problems {
			t.Errorf("%s: %s", page, p)
		}
	}

	// Sign in with the keyboard alone: the e-mail field has the focus.
	if status := get("sign-in page", "/"); status != http.StatusOK {
		t.Fatalf("GET / signed out ends at %d", status)
	}
	shot(browserCtx, t, artifacts, "01-signin")
	step("sign in",
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.KeyEvent(stack.alice.Email+kb.Tab+testPassword),
		waitNavigation(chromedp.KeyEvent(kb.Enter)),
		chromedp.WaitVisible(chromedp.CSS("section.org")),
	)
	if h := text("main h1"); h != "Overview" {
		t.Fatalf("after sign-in: %q", h)
	}
	noProblems("overview")
	shot(browserCtx, t, artifacts, "02-overview-empty")

	// Register the loopback app.
	get("register", "/orgs/"+itoa(stack.acme.ID)+"/apps/new")
	shot(browserCtx, t, artifacts, "03-register")
	step("register",
		chromedp.SendKeys(chromedp.ID("connect-name"), "Fixture app"),
		chromedp.SendKeys(chromedp.ID("connect-url"), stack.fixture.DescriptorURL),
		waitNavigation(chromedp.Click(chromedp.CSS(`form[action$="/apps/connect"] button[type=submit]`))),
		chromedp.WaitVisible(chromedp.ID("scan-now")),
	)
	appURL, err := chromedp.Run(browserCtx, chromedp.Location())
	if err != nil || !strings.Contains(appURL, "/apps/") {
		t.Fatalf("after registering: %q %v", appURL, err)
	}
	appURL = strings.TrimPrefix(strings.Split(appURL, "?")[0], stack.url)

	// Scan now: the status box polls, and the page reloads with the
	// findings when the scan is done.
	step("scan now",
		chromedp.Click(chromedp.ID("scan-now")),
		chromedp.WaitVisible(chromedp.CSS(`#scan-status[hx-get]`)),
	)
	shot(browserCtx, t, artifacts, "04-scan-queued")
	step("scan done", chromedp.WaitVisible(chromedp.ID("findings-title")))
	noProblems("app page")
	if n, err := chromedp.Run(browserCtx, chromedp.Evaluate[int](`document.querySelectorAll("details.finding").length`)); err != nil || n == 0 {
		t.Fatalf("findings on the page: %d %v", n, err)
	}
	if body := text("main"); !strings.Contains(body, "Endpoint serves or accepts requests without authentication") || !strings.Contains(body, "/page") {
		t.Errorf("the unprotected endpoint is not listed:\n%s", body)
	}
	// The chart: uPlot drew a canvas with one point per finished scan.
	points, err := chromedp.Run(browserCtx, chromedp.Poll[string](
		`document.querySelector("#history-chart[data-points]") && document.querySelector("#history-chart").getAttribute("data-points")`,
		chromedp.WithPollingTimeout(10*time.Second)))
	if err != nil || points != "1" {
		t.Fatalf("chart points: %q %v", points, err)
	}
	painted, err := chromedp.Run(browserCtx, chromedp.Evaluate[int](`(function () {
		var c = document.querySelector("#history-chart canvas");
		if (!c) { return -1; }
		var d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data, n = 0;
		for (var i = 3; i < d.length; i += 4) { if (d[i] !== 0) { n++; } }
		return n;
	})()`))
	if err != nil || painted <= 0 {
		t.Fatalf("the chart's canvas is blank: %d %v", painted, err)
	}
	step("open evidence", chromedp.Click(chromedp.CSS("details.finding summary")))
	shot(browserCtx, t, artifacts, "05-app")

	// The overview lists the app with its open finding.
	get("overview", "/")
	if row := text("section.org tbody tr"); !strings.Contains(row, "Fixture app") || !strings.Contains(row, "done") {
		t.Errorf("the overview's row of the app: %q", row)
	}
	shot(browserCtx, t, artifacts, "06-overview")

	// Tickets: open the scan's ticket and move it with a comment.
	get("tickets", "/orgs/"+itoa(stack.acme.ID)+"/tickets")
	noProblems("tickets page")
	shot(browserCtx, t, artifacts, "07-tickets")
	step("open ticket",
		waitNavigation(chromedp.Click(chromedp.CSS("table.tickets tbody th a"))),
		chromedp.WaitVisible(chromedp.ID("ticket-state")),
	)
	ticketURL, err := chromedp.Run(browserCtx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	ticketURL = strings.TrimPrefix(ticketURL, stack.url)
	step("change state",
		chromedp.SetValue(chromedp.ID("ticket-to"), string(platform.NeedsSecurityReview)),
		chromedp.SendKeys(chromedp.ID("ticket-reason"), "Fixed in 1.0.1: /page checks the JWT."),
		chromedp.Click(chromedp.CSS(`#ticket-state button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#ticket-state .notice`)),
	)
	if state := text("#ticket-state dd .ticket-state"); state != "Needs security review" {
		t.Errorf("ticket state shown: %q", state)
	}
	noProblems("ticket page")
	shot(browserCtx, t, artifacts, "08-ticket")
	tickets, err := stack.store.ListTickets(ctx, platform.OrgScope(stack.acme.ID), platform.TicketFilter{Now: time.Now()}, platform.Page{})
	if err != nil || len(tickets) == 0 {
		t.Fatalf("tickets: %v", err)
	}
	events, err := stack.store.TicketEvents(ctx, platform.OrgScope(stack.acme.ID), tickets[0].ID)
	if err != nil || tickets[0].State != platform.NeedsSecurityReview || events[len(events)-1].Reason != "Fixed in 1.0.1: /page checks the JWT." {
		t.Fatalf("the change did not reach the store: %+v %+v %v", tickets[0], events, err)
	}

	get("members", "/orgs/"+itoa(stack.acme.ID)+"/members")
	shot(browserCtx, t, artifacts, "09-members")
	get("settings", "/settings")
	step("create token",
		chromedp.SendKeys(chromedp.ID("token-name"), "CI"),
		waitNavigation(chromedp.Click(chromedp.CSS(`form[action="/settings/tokens"] button[type=submit]`))),
		chromedp.WaitVisible(chromedp.ID("new-token")),
	)
	noProblems("settings")
	shot(browserCtx, t, artifacts, "10-settings")

	// Another organization's user reaches neither the app nor the ticket.
	step("sign out",
		waitNavigation(chromedp.Click(chromedp.CSS(`form[action="/signout"] button`))),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), stack.gina.Email),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		waitNavigation(chromedp.Submit(chromedp.ID("password"))),
		chromedp.WaitVisible(chromedp.CSS("section.org")),
	)
	if body := text("main"); strings.Contains(body, "Fixture app") || !strings.Contains(body, "globex") {
		t.Errorf("globex's overview:\n%s", body)
	}
	for _, p := range []string{appURL, appURL + "/history", ticketURL, "/orgs/" + itoa(stack.acme.ID) + "/tickets"} {
		if status := get("tenancy", p); status != http.StatusNotFound {
			t.Errorf("gina GET %s: %d, want 404", p, status)
		}
		if body := text("main"); strings.Contains(body, "Fixture app") || strings.Contains(body, "without authentication") {
			t.Errorf("gina sees acme's data at %s", p)
		}
	}
	shot(browserCtx, t, artifacts, "11-other-org-404")
	noProblems("not found page")
}

// testStack is the service as `ecoscan serve` runs it, on loopback.
type testStack struct {
	url          string
	store        *store.Store
	fixture      *connecttest.App
	acme, globex platform.Org
	alice, gina  platform.User
}

func startStack(ctx context.Context, t *testing.T) *testStack {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	st, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "ecoscan.db"), store.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	if err := jobs.Migrate(ctx, st); err != nil {
		t.Fatalf("migrate the queue: %v", err)
	}
	keys := keyring.New()
	if _, err := keys.Generate("test"); err != nil {
		t.Fatal(err)
	}
	fixture, err := connecttest.Start(connecttest.OpenPage)
	if err != nil {
		t.Fatalf("start the fixture app: %v", err)
	}
	t.Cleanup(fixture.Close)

	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	queue, err := jobs.New(jobs.Config{Store: st, Keys: keys, Allow: loopback, RootCAs: fixture.Pool, Workers: 1,
		SkipHostChecks: true, ScheduleEvery: time.Hour, Logger: logger})
	if err != nil {
		t.Fatalf("new queue: %v", err)
	}
	if err := queue.Start(ctx); err != nil {
		t.Fatalf("start queue: %v", err)
	}
	t.Cleanup(func() {
		stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := queue.Stop(stop); err != nil {
			t.Errorf("stop queue: %v", err)
		}
	})
	apiCfg := api.Config{Store: st, Queue: queue, Keys: keys, Allow: loopback, Logger: logger}
	dashboard, err := New(Config{Store: st, Ops: api.NewOps(apiCfg), Queue: queue, Logger: logger})
	if err != nil {
		t.Fatalf("new dashboard: %v", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/", api.New(apiCfg))
	mux.Handle("/", dashboard)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	s := &testStack{url: srv.URL, store: st, fixture: fixture}
	for _, o := range []struct {
		org   *platform.Org
		user  *platform.User
		name  string
		email string
	}{{&s.acme, &s.alice, "acme", "alice@acme.test"}, {&s.globex, &s.gina, "globex", "gina@globex.test"}} {
		if *o.org, err = st.CreateOrg(ctx, o.name); err != nil {
			t.Fatal(err)
		}
		if *o.user, err = st.CreateUser(ctx, platform.User{Email: o.email, Name: o.name, PasswordHash: testPasswordHash(t), CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		if err := st.SetMember(ctx, platform.OrgScope(o.org.ID), platform.Membership{Org: o.org.ID, User: o.user.ID, Role: platform.RoleAdmin}); err != nil {
			t.Fatal(err)
		}
	}
	// The API is mounted beside the dashboard.
	resp, err := srv.Client().Get(srv.URL + "/v1/openapi.json")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the API at /v1: %v %v", resp, err)
	}
	resp.Body.Close()
	return s
}

// newChromium starts a headless Chromium with a fresh profile, sized as a
// 1366x768 laptop screen, and the CSP watch on every page.
func newChromium(ctx context.Context, t *testing.T) context.Context {
	t.Helper()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 768),
	)
	t.Cleanup(cancelAlloc)
	browserCtx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)
	_, err := chromedp.Call(browserCtx, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: cspWatch})
	if err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return browserCtx
}

// waitNavigation runs an action that leads to another page and waits for
// that page to load.
func waitNavigation(a chromedp.Action[chromedp.Void]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.WaitEvent(cdppage.LoadEventFired, nil, a)(ctx, t)
		return chromedp.Void{}, err
	}
}

// shot saves a screenshot of the whole page as dir/name.png and logs its
// path.
func shot(ctx context.Context, t *testing.T, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Errorf("save screenshot: %v", err)
		return
	}
	t.Logf("screenshot %s", path)
}
