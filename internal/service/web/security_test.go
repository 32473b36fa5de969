package web

import (
	"context"
	"io/fs"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/ecoscan/ecoscan/internal/connect/headers"
	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// selfScan judges one answer of the dashboard with ecoscan's own header and
// cookie checks (the ones a Connect scan applies to apps) and fails the test
// on any problem. static marks a vendored or own static file, which carries
// no data and may be cached.
func selfScan(t *testing.T, f *fixture, name string, r response, static bool) {
	t.Helper()
	h := r.Header
	for _, v := range []headers.Verdict{
		headers.JudgeHSTS(h),
		headers.JudgeReferrerPolicy(h, []byte(r.body), h.Get("Content-Type")),
	} {
		if !v.OK {
			t.Errorf("%s: %s (%s)", name, v.Problem, v.Evidence)
		}
	}
	if !static {
		if v := headers.JudgeCacheControl(h); !v.OK {
			t.Errorf("%s: %s (%s)", name, v.Problem, v.Evidence)
		}
	}
	cookies, errs := headers.CookiesOf(h)
	for _, err := range errs {
		t.Errorf("%s: unreadable Set-Cookie: %v", name, err)
	}
	for _, c := range cookies {
		// Every cookie of the dashboard is judged as a session cookie,
		// whatever its name says.
		for _, v := range headers.JudgeCookie(c, true, f.clock.Now()) {
			if !v.OK {
				t.Errorf("%s: cookie %s: %s (%s)", name, c.Name, v.Problem, v.Evidence)
			}
		}
		if !c.Deleted(f.clock.Now()) {
			if !strings.HasPrefix(c.Name, hostPrefix) || c.Domain != "" || c.Path != "/" {
				t.Errorf("%s: cookie %s is not a __Host- cookie: %s", name, c.Name, c.Redacted)
			}
			if c.SameSite != "lax" && c.SameSite != "strict" {
				t.Errorf("%s: cookie %s has SameSite %q", name, c.Name, c.SameSite)
			}
		}
	}
	if got := h.Get("Content-Security-Policy"); got != contentSecurityPolicy {
		t.Errorf("%s: Content-Security-Policy %q", name, got)
	}
	if strings.Contains(h.Get("Content-Security-Policy"), "unsafe") {
		t.Errorf("%s: the CSP allows something unsafe", name)
	}
	if h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("%s: X-Content-Type-Options %q", name, h.Get("X-Content-Type-Options"))
	}
	if strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		for _, bad := range inlineCode.FindAllString(r.body, -1) {
			t.Errorf("%s: inline code the CSP would block: %q", name, bad)
		}
	}
}

// inlineCode finds what a strict CSP blocks in a page: scripts without a
// src, style elements and attributes, event handler attributes and
// javascript: URLs.
var inlineCode = regexp.MustCompile(`(?i)<script(?:\s[^>]*)?>\s*[^<\s]|<script>|<style|\sstyle\s*=|\son[a-z]+\s*=|javascript:`)

// TestSelfScanFindsNothing runs ecoscan's own header and cookie checks on
// the real answers of every page, signed out and signed in, over TLS as
// the service is deployed, and expects no problem.
func TestSelfScanFindsNothing(t *testing.T) {
	f := newFixture(t, fixtureOptions{tls: true})
	b := f.browser()

	signedOut := map[string]response{
		"GET /signin":            b.get("/signin"),
		"GET / (signed out)":     b.get("/"),
		"GET app (signed out)":   b.get(f.appPath(f.acmeApp)),
		"GET unknown":            b.get("/no/such/page"),
		"POST /signin (wrong)":   b.trySignIn(f.alice.Email, "not the password at all"),
		"POST /signin (no csrf)": b.post("/signin", url.Values{"email": {f.alice.Email}, "password": {testPassword}}),
		"GET /signout (405)":     b.get("/signout"),
	}
	for name, r := range signedOut {
		selfScan(t, f, name, r, false)
	}

	token := b.csrf("/signin")
	r := b.post("/signin", url.Values{"csrf": {token}, "email": {f.alice.Email}, "password": {testPassword}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", r.StatusCode)
	}
	selfScan(t, f, "POST /signin (right)", r, false)

	acme := "/orgs/" + itoa(f.acme.ID)
	pages := []string{
		"/", "/settings", acme + "/tickets", acme + "/tickets?state=all&severity=medium&overdue=1&due_week=1",
		f.ticketPath(f.acmeTicket), acme + "/members", acme + "/apps/new", f.appPath(f.acmeApp),
		f.appPath(f.acmeApp) + "/history", f.appPath(f.acmeApp) + "/scans/" + itoa(f.acmeScan.ID) + "/status",
		f.appPath(f.globexApp), "/orgs/" + itoa(f.globex.ID) + "/tickets", "/no/such/page", acme + "/tickets?state=bogus",
	}
	for _, p := range pages {
		r := b.get(p)
		if r.StatusCode >= 500 {
			t.Errorf("GET %s: %d", p, r.StatusCode)
		}
		selfScan(t, f, "GET "+p+" (signed in)", r, false)
	}
	csrf := b.csrf("/")
	posts := map[string]url.Values{
		f.appPath(f.acmeApp) + "/scan":          {"csrf": {csrf}},
		f.ticketPath(f.acmeTicket) + "/state":   {"csrf": {csrf}, "to": {"needs-security-review"}, "reason": {"fixed in 1.2.3"}},
		"/settings/tokens":                      {"csrf": {csrf}, "name": {"ci"}, "days": {"30"}},
		acme + "/members":                       {"csrf": {csrf}, "user": {"new@acme.test"}, "role": {"viewer"}},
		f.appPath(f.acmeApp) + "/scan?no-token": {},
	}
	for p, form := range posts {
		selfScan(t, f, "POST "+p, b.post(p, form), false)
	}

	// The static files: long-cached by design, but with every other
	// header.
	for _, name := range []string{"app.css", "app.js", "chart.js", "vendor/htmx.min.js", "vendor/uPlot.iife.min.js", "vendor/uPlot.min.css"} {
		u, err := f.handlerAssets().url(name)
		if err != nil {
			t.Fatal(err)
		}
		r := b.get(u)
		if r.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", u, r.StatusCode)
		}
		selfScan(t, f, "GET "+u, r, true)
	}

	selfScan(t, f, "POST /signout", b.post("/signout", url.Values{"csrf": {csrf}}), false)
}

// handlerAssets is the dashboard's static files.
func (f *fixture) handlerAssets() assets {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		f.t.Fatal(err)
	}
	files, err := loadAssets(sub)
	if err != nil {
		f.t.Fatal(err)
	}
	return files
}

// TestCSRF checks that every way of forging a state change is refused and
// the real forms work.
func TestCSRF(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	alice := f.browser()
	alice.signIn(f.alice.Email)
	token := alice.csrf("/")
	other := f.browser()
	other.signIn(f.vic.Email)
	otherToken := other.csrf("/")
	if otherToken == token {
		t.Fatal("two sessions share a CSRF token")
	}
	scan := f.appPath(f.acmeApp) + "/scan"

	refused := []struct {
		name   string
		form   url.Values
		header []string
	}{
		{"no token", url.Values{}, nil},
		{"wrong token", url.Values{"csrf": {"x" + token}}, nil},
		{"another session's token", url.Values{"csrf": {otherToken}}, nil},
		{"wrong header", url.Values{}, []string{csrfHeader, otherToken}},
		{"right token, another origin", url.Values{"csrf": {token}}, []string{"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"}},
		{"right token, cross-site fetch", url.Values{"csrf": {token}}, []string{"Sec-Fetch-Site", "cross-site"}},
	}
	for _, tc := range refused {
		r := alice.post(scan, tc.form, tc.header...)
		if r.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", tc.name, r.StatusCode)
		}
	}
	if scans := f.scans(f.acmeApp); len(scans) != 1 {
		t.Fatalf("a refused request queued a scan: %d scans", len(scans))
	}

	if r := alice.post(scan, url.Values{"csrf": {token}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("form with the token: %d\n%s", r.StatusCode, r.body)
	}
	if r := alice.post(scan, url.Values{}, csrfHeader, token, "HX-Request", "true"); r.StatusCode != http.StatusOK || !strings.Contains(r.body, `id="scan-status"`) {
		t.Fatalf("htmx with the header: %d\n%s", r.StatusCode, r.body)
	}
	if scans := f.scans(f.acmeApp); len(scans) != 2 || scans[0].State != platform.ScanQueued {
		t.Fatalf("want one more scan, queued: %+v", scans)
	}

	// The sign-in form: its token is bound to the browser's cookie.
	fresh := f.browser()
	signInToken := fresh.csrf("/signin")
	stranger := f.browser()
	if r := stranger.post("/signin", url.Values{"csrf": {signInToken}, "email": {f.alice.Email}, "password": {testPassword}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("sign-in with a token of another browser: %d", r.StatusCode)
	}
	if r := fresh.post("/signin", url.Values{"csrf": {signInToken}, "email": {f.alice.Email}, "password": {testPassword}}, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"); r.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site sign-in: %d", r.StatusCode)
	}
}

// scans lists an app's scans, newest first.
func (f *fixture) scans(app platform.App) []platform.Scan {
	f.t.Helper()
	scans, err := f.store.ListScans(context.Background(), platform.OrgScope(app.Org), app.ID, platform.Page{})
	if err != nil {
		f.t.Fatal(err)
	}
	return scans
}

// TestTenancy checks that a user of one organization cannot see or change
// anything of another: every page and action answers 404, as for a
// missing page.
func TestTenancy(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	gina := f.browser()
	gina.signIn(f.gina.Email)
	token := gina.csrf("/")

	acme, globex := "/orgs/"+itoa(f.acme.ID), "/orgs/"+itoa(f.globex.ID)
	app, ticket := itoa(f.acmeApp.ID), itoa(f.acmeTicket.ID)
	for _, p := range []string{
		acme + "/apps/" + app, acme + "/apps/" + app + "/history", acme + "/apps/" + app + "/scans/" + itoa(f.acmeScan.ID) + "/status",
		acme + "/tickets", acme + "/tickets/" + ticket, acme + "/members", acme + "/apps/new",
		// Acme's app and ticket through gina's own organization.
		globex + "/apps/" + app, globex + "/apps/" + app + "/history", globex + "/tickets/" + ticket,
		globex + "/apps/" + itoa(f.globexApp.ID) + "/scans/" + itoa(f.acmeScan.ID) + "/status",
		"/orgs/999999/tickets", "/orgs/abc/tickets",
	} {
		if r := gina.get(p); r.StatusCode != http.StatusNotFound || strings.Contains(r.body, "Acme Board") {
			t.Errorf("GET %s: %d, want 404 without acme's data", p, r.StatusCode)
		}
	}
	for _, p := range []string{acme + "/apps/" + app + "/scan", globex + "/apps/" + app + "/scan"} {
		if r := gina.post(p, url.Values{"csrf": {token}}); r.StatusCode != http.StatusNotFound {
			t.Errorf("POST %s: %d, want 404", p, r.StatusCode)
		}
	}
	if r := gina.post(acme+"/tickets/"+ticket+"/state", url.Values{"csrf": {token}, "to": {"needs-security-review"}, "reason": {"mine now"}}); r.StatusCode != http.StatusNotFound {
		t.Errorf("POST acme ticket state: %d", r.StatusCode)
	}
	if r := gina.post(acme+"/members", url.Values{"csrf": {token}, "user": {"gina@globex.test"}, "role": {"admin"}}); r.StatusCode != http.StatusNotFound {
		t.Errorf("POST acme members: %d", r.StatusCode)
	}
	if scans := f.scans(f.acmeApp); len(scans) != 1 {
		t.Errorf("gina queued a scan of acme's app")
	}
	if tk, err := f.store.Ticket(context.Background(), platform.OrgScope(f.acme.ID), f.acmeTicket.ID, f.clock.Now()); err != nil || tk.State != platform.NeedsPatch {
		t.Errorf("acme's ticket changed: %v %v", tk.State, err)
	}
	overview := gina.get("/")
	if !strings.Contains(overview.body, "Globex Planner") || strings.Contains(overview.body, "Acme Board") || strings.Contains(overview.body, ">acme<") {
		t.Errorf("gina's overview:\n%s", overview.body)
	}

	// A viewer of acme sees it but changes nothing, and is not offered to.
	vic := f.browser()
	vic.signIn(f.vic.Email)
	page := vic.get(f.appPath(f.acmeApp))
	if page.StatusCode != http.StatusOK || strings.Contains(page.body, "Scan now") {
		t.Errorf("viewer's app page: %d, Scan now offered: %v", page.StatusCode, strings.Contains(page.body, "Scan now"))
	}
	if r := vic.post(f.appPath(f.acmeApp)+"/scan", url.Values{"csrf": {vic.csrf("/")}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("viewer's scan: %d, want 403", r.StatusCode)
	}
	if r := vic.get(acme + "/members"); r.StatusCode != http.StatusForbidden {
		t.Errorf("viewer's members page: %d, want 403", r.StatusCode)
	}
}
