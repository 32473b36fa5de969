package web

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ecoscan/ecoscan/internal/service/api"
	"github.com/ecoscan/ecoscan/internal/service/auth"
	"github.com/ecoscan/ecoscan/internal/service/platform"
)

func TestAppPage(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	b := f.browser()
	b.signIn(f.alice.Email)

	page := b.get(f.appPath(f.acmeApp))
	if page.StatusCode != http.StatusOK {
		t.Fatalf("app page: %d", page.StatusCode)
	}
	for _, want := range []string{
		"Acme Board", "Endpoint serves data without authentication", "https://127.0.0.1:8443/page",
		// The evidence is escaped, and a bidi override is shown, not applied.
		"&lt;script&gt;alert(&#34;evidence&#34;)&lt;/script&gt;", `HTTP/1.1 200 OK\u202e`,
		// The checks table, with the requirement's title from the catalog.
		`<td class="status-fail">fail</td>`, `<td class="status-pass">pass</td>`,
		// The chart and its numbers, and the link to the finding's ticket.
		`data-chart-src="` + f.appPath(f.acmeApp) + `/history"`, "The chart's numbers",
		`href="` + f.ticketPath(f.acmeTicket) + `"`, "Scan now",
	} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the app page lacks %q", want)
		}
	}
	if strings.Contains(page.body, "<script>alert") || strings.Contains(page.body, "\u202e") {
		t.Error("evidence reached the page unescaped")
	}

	// The chart's data: one finished scan with one medium finding.
	r := b.get(f.appPath(f.acmeApp) + "/history")
	var h historyJSON
	if err := json.Unmarshal([]byte(r.body), &h); err != nil || r.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("history: %v %q", err, r.Header.Get("Content-Type"))
	}
	want := historyJSON{Series: severityNames, Data: [][]int64{{f.acmeScan.FinishedAt.Unix()}, {0}, {0}, {1}, {0}}}
	if got, _ := json.Marshal(h); string(got) != string(mustJSON(t, want)) {
		t.Errorf("history = %s, want %s", got, mustJSON(t, want))
	}

	// Scan now through htmx: the status box polls until the scan ends,
	// then reloads the page.
	status := b.post(f.appPath(f.acmeApp)+"/scan", url.Values{"csrf": {b.csrf("/")}}, "HX-Request", "true")
	if status.StatusCode != http.StatusOK || !strings.Contains(status.body, `hx-trigger="every 1s"`) || !strings.Contains(status.body, "queued") {
		t.Fatalf("scan now: %d\n%s", status.StatusCode, status.body)
	}
	queued := f.scans(f.acmeApp)[0]
	poll := f.appPath(f.acmeApp) + "/scans/" + itoa(queued.ID) + "/status"
	req, _ := http.NewRequest(http.MethodGet, f.server.URL+poll, nil)
	req.Header.Set("HX-Request", "true")
	if r := b.do(req); r.StatusCode != http.StatusOK || r.Header.Get("HX-Refresh") != "" || !strings.Contains(r.body, "every 1s") {
		t.Fatalf("poll while queued: %d %q", r.StatusCode, r.Header.Get("HX-Refresh"))
	}
	if err := f.store.FailScan(context.Background(), platform.OrgScope(f.acme.ID), queued.ID, platform.ScanFailed, f.clock.Now(), "descriptor unreachable"); err != nil {
		t.Fatal(err)
	}
	if r := b.do(req); r.Header.Get("HX-Refresh") != "true" || strings.Contains(r.body, "every 1s") || !strings.Contains(r.body, "descriptor unreachable") {
		t.Fatalf("poll after the end: %q\n%s", r.Header.Get("HX-Refresh"), r.body)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestOverview(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	b := f.browser()
	b.signIn(f.alice.Email)
	page := b.get("/")
	for _, want := range []string{`href="` + f.appPath(f.acmeApp) + `"`, "Acme Board", `<span class="state state-done">done</span>`,
		"Register an app", "Open findings:"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("overview lacks %q", want)
		}
	}
	// The platform team sees every organization.
	ctx := context.Background()
	sec, err := f.store.CreateUser(ctx, platform.User{Email: "sec@platform.test", Name: "sec", Platform: true, PasswordHash: testPasswordHash(t), CreatedAt: f.clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	p := f.browser()
	p.signIn(sec.Email)
	page = p.get("/")
	if !strings.Contains(page.body, "Acme Board") || !strings.Contains(page.body, "Globex Planner") {
		t.Error("the platform team's overview lacks an organization")
	}
	// ...and alone may accept a risk.
	ticket := p.get(f.ticketPath(f.acmeTicket))
	if !strings.Contains(ticket.body, `value="accepted-risk"`) {
		t.Error("the platform team is not offered accepted-risk")
	}
	if strings.Contains(b.get(f.ticketPath(f.acmeTicket)).body, `value="accepted-risk"`) {
		t.Error("a vendor admin is offered accepted-risk")
	}
}

func TestTicketsPageFilters(t *testing.T) {
	f := newFixture(t, fixtureOptions{sessionTTL: 90 * 24 * time.Hour})
	b := f.browser()
	b.signIn(f.alice.Email)
	base := "/orgs/" + itoa(f.acme.ID) + "/tickets"
	link := `href="` + f.ticketPath(f.acmeTicket) + `"`
	check := func(query string, listed bool) {
		t.Helper()
		r := b.get(base + query)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", query, r.StatusCode)
		}
		if got := strings.Contains(r.body, link); got != listed {
			t.Errorf("%s: listed %v, want %v", query, got, listed)
		}
	}
	// The ticket is medium, needs patch, due in 8 weeks.
	check("", true)
	check("?severity=medium", true)
	check("?severity=critical", false)
	check("?state=needs-patch", true)
	check("?state=patched", false)
	check("?state=all&app="+itoa(f.acmeApp.ID), true)
	check("?overdue=1", false)
	check("?due_week=1", false)
	f.clock.Add(8*7*24*time.Hour - 3*24*time.Hour)
	check("?due_week=1", true)
	check("?overdue=1", false)
	f.clock.Add(4 * 24 * time.Hour)
	check("?overdue=1", true)
	check("?overdue=1&severity=medium&due_week=1&state=open", true)
	if r := b.get(base + "?state=nonsense"); r.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown state: %d", r.StatusCode)
	}
}

func TestParseTicketQuery(t *testing.T) {
	for _, tc := range []struct {
		query string
		want  ticketQuery
		ok    bool
	}{
		{"", ticketQuery{State: "open"}, true},
		{"state=all&severity=high&overdue=1&due_week=on&app=7&before=99", ticketQuery{State: "all", Severity: "high", Overdue: true, DueWeek: true, App: 7, Before: 99}, true},
		{"state=extension-requested", ticketQuery{State: "extension-requested"}, true},
		{"state=closed", ticketQuery{}, false},
		{"severity=HIGH", ticketQuery{}, false},
		{"overdue=yes", ticketQuery{}, false},
		{"app=-1", ticketQuery{}, false},
		{"before=x", ticketQuery{}, false},
	} {
		q, _ := url.ParseQuery(tc.query)
		got, err := parseTicketQuery(q)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("parseTicketQuery(%q) = %+v, %v", tc.query, got, err)
		}
	}
}

// FuzzParseTicketQuery checks that any query either is refused or reads
// back the same from the query the page builds for its links.
func FuzzParseTicketQuery(f *testing.F) {
	for _, s := range []string{"", "state=all&severity=low", "overdue=1&due_week=1&app=3", "state=%00", "app=99999999999999999999", "before=1&before=2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		tq, err := parseTicketQuery(q)
		if err != nil {
			return
		}
		again, err := parseTicketQuery(tq.values())
		tq.Before = 0
		if err != nil || again != tq {
			t.Fatalf("%q: %+v does not read back (%+v, %v)", raw, tq, again, err)
		}
		f := tq.filter(time.Unix(0, 0))
		for _, s := range f.States {
			if !s.Valid() {
				t.Fatalf("%q: invalid state %q in the filter", raw, s)
			}
		}
	})
}

func TestChangeTicket(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	b := f.browser()
	b.signIn(f.alice.Email)
	path := f.ticketPath(f.acmeTicket)
	page := b.get(path)
	if !strings.Contains(page.body, `<label for="ticket-reason">Comment</label>`) || strings.Contains(page.body, `value="false-positive"`) {
		t.Fatalf("ticket page form:\n%s", page.body)
	}
	token := b.csrf(path)

	// Refused: no comment. The page says why, keeps the state.
	r := b.post(path+"/state", url.Values{"csrf": {token}, "to": {"waiting-for-release"}, "reason": {"  "}}, "HX-Request", "true")
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "a reason is required") || !strings.Contains(r.body, `id="ticket-state"`) {
		t.Fatalf("no reason: %d\n%s", r.StatusCode, r.body)
	}
	// Refused: an extension is the platform team's.
	r = b.post(path+"/state", url.Values{"csrf": {token}, "to": {"needs-patch"}, "reason": {"more time"}, "due": {"2099-01-01"}})
	if r.StatusCode != http.StatusForbidden && r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("vendor extension: %d", r.StatusCode)
	}
	if r := b.post(path+"/state", url.Values{"csrf": {token}, "to": {"needs-patch"}, "reason": {"x"}, "due": {"next week"}}); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "is not a date") {
		t.Fatalf("bad date: %d", r.StatusCode)
	}

	// htmx: the state section comes back with the new state and history.
	r = b.post(path+"/state", url.Values{"csrf": {token}, "to": {"needs-security-review"}, "reason": {"Fixed in 1.4.2 <b>"}}, "HX-Request", "true")
	if r.StatusCode != http.StatusOK || !strings.Contains(r.body, "Needs security review") || !strings.Contains(r.body, "Fixed in 1.4.2 &lt;b&gt;") {
		t.Fatalf("htmx change: %d\n%s", r.StatusCode, r.body)
	}
	// A plain form post goes back to the page.
	r = b.post(path+"/state", url.Values{"csrf": {token}, "to": {"waiting-for-release"}, "reason": {"release on Monday"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != path+"?done=ticket" {
		t.Fatalf("form change: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	_, events, err := f.ops.Ticket(context.Background(), f.caller(f.alice), f.acme.ID, f.acmeTicket.ID)
	if err != nil {
		t.Fatal(err)
	}
	last := events[len(events)-1]
	if len(events) != 3 || last.To != platform.WaitingForRelease || last.Reason != "release on Monday" || !strings.Contains(last.Actor, f.alice.Email) {
		t.Fatalf("events: %+v", events)
	}

	// A viewer is told, not offered a form.
	vic := f.browser()
	vic.signIn(f.vic.Email)
	if page := vic.get(path); strings.Contains(page.body, "Change state") || !strings.Contains(page.body, "does not let you change") {
		t.Error("a viewer is offered the state form")
	}
	if r := vic.post(path+"/state", url.Values{"csrf": {vic.csrf(path)}, "to": {"needs-patch"}, "reason": {"no"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("viewer's change: %d", r.StatusCode)
	}
}

func (f *fixture) caller(u platform.User) api.Caller {
	f.t.Helper()
	c, err := f.ops.CallerFor(context.Background(), u)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func TestTokens(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	b := f.browser()
	b.signIn(f.alice.Email)
	token := b.csrf("/settings")
	if r := b.post("/settings/tokens", url.Values{"csrf": {token}, "name": {"ci"}, "days": {"0"}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("zero days: %d", r.StatusCode)
	}
	if r := b.post("/settings/tokens", url.Values{"csrf": {token}, "name": {""}, "days": {"30"}}); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "name: is required") {
		t.Errorf("no name: %d", r.StatusCode)
	}
	r := b.post("/settings/tokens", url.Values{"csrf": {token}, "name": {"ci of acme"}, "days": {"30"}})
	i := strings.Index(r.body, auth.TokenPrefix)
	if r.StatusCode != http.StatusOK || i < 0 || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("create: %d", r.StatusCode)
	}
	plain := r.body[i : i+len(auth.TokenPrefix)+43]
	caller, tok, err := f.ops.CallerFromToken(context.Background(), plain)
	if err != nil || caller.User.ID != f.alice.ID || tok.Name != "ci of acme" {
		t.Fatalf("the shown token does not work: %v", err)
	}
	if strings.Contains(b.get("/settings").body, plain) {
		t.Fatal("the token is shown again")
	}
	if r := b.post("/settings/tokens/"+itoa(tok.ID)+"/revoke", url.Values{"csrf": {token}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d", r.StatusCode)
	}
	if _, _, err := f.ops.CallerFromToken(context.Background(), plain); err == nil {
		t.Fatal("a revoked token works")
	}
	// Another user's token is not found.
	gina := f.browser()
	gina.signIn(f.gina.Email)
	if r := gina.post("/settings/tokens/"+itoa(tok.ID)+"/revoke", url.Values{"csrf": {gina.csrf("/settings")}}); r.StatusCode != http.StatusNotFound {
		t.Errorf("revoke another's token: %d", r.StatusCode)
	}
}

func TestMembers(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	b := f.browser()
	b.signIn(f.alice.Email)
	path := "/orgs/" + itoa(f.acme.ID) + "/members"
	token := b.csrf(path)
	if r := b.post(path, url.Values{"csrf": {token}, "user": {"bob@acme.test"}, "role": {"member"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("add: %d", r.StatusCode)
	}
	page := b.get(path + "?done=member")
	if !strings.Contains(page.body, "bob@acme.test") || !strings.Contains(page.body, "Member saved.") {
		t.Fatal("bob is not listed")
	}
	if r := b.post(path, url.Values{"csrf": {token}, "user": {"not an address@"}, "role": {"member"}}); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "not an email address") {
		t.Errorf("bad address: %d", r.StatusCode)
	}
	// The last admin cannot step down.
	if r := b.post(path, url.Values{"csrf": {token}, "user": {itoa(f.alice.ID)}, "role": {"viewer"}}); r.StatusCode != http.StatusConflict || !strings.Contains(r.body, "last admin") {
		t.Errorf("last admin: %d", r.StatusCode)
	}
	if r := b.post(path+"/"+itoa(f.vic.ID)+"/remove", url.Values{"csrf": {token}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove: %d", r.StatusCode)
	}
	if strings.Contains(b.get(path).body, f.vic.Email) {
		t.Error("vic is still listed")
	}
}

func TestRegisterApps(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	b := f.browser()
	b.signIn(f.alice.Email)
	org := "/orgs/" + itoa(f.acme.ID)
	form := b.get(org + "/apps/new")
	key := hiddenValue(t, form.body, "key")
	token := b.csrf(org + "/apps/new")

	connect := url.Values{"csrf": {token}, "key": {key}, "name": {"Acme Wiki"}, "descriptor_url": {"https://127.0.0.1:9443/atlassian-connect.json"}, "interval_hours": {"6"}}
	r := b.post(org+"/apps/connect", connect)
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), org+"/apps/") {
		t.Fatalf("register: %d\n%s", r.StatusCode, r.body)
	}
	// The same form sent twice registers one app.
	if again := b.post(org+"/apps/connect", connect); again.Header.Get("Location") != r.Header.Get("Location") {
		t.Errorf("a resent form made another app: %q", again.Header.Get("Location"))
	}
	page := b.get(r.Header.Get("Location"))
	if !strings.Contains(page.body, "Acme Wiki") || !strings.Contains(page.body, "every 6 hours") {
		t.Errorf("the new app's page:\n%s", page.body)
	}
	// A private address is refused, with the reason, and the form keeps
	// what was typed but not the secret.
	r = b.post(org+"/apps/connect", url.Values{"csrf": {token}, "key": {"k2"}, "name": {"Inside"}, "descriptor_url": {"https://10.1.2.3/d.json"}, "shared_secret": {"s3cr3t-value"}, "client_key": {"ck"}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "refused") || !strings.Contains(r.body, `value="Inside"`) || strings.Contains(r.body, "s3cr3t-value") {
		t.Errorf("private address: %d\n%s", r.StatusCode, r.body)
	}

	// A Forge app with its archive.
	r = b.postMultipart(org+"/apps/forge", map[string]string{"csrf": token, "key": "k3", "name": "Acme Forge"}, "app.tar.gz", forgeArchive(t))
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("register forge: %d\n%s", r.StatusCode, r.body)
	}
	page = b.get(r.Header.Get("Location"))
	if !strings.Contains(page.body, "Acme Forge") || !strings.Contains(page.body, "Upload a new source archive") || strings.Contains(page.body, "none uploaded yet") {
		t.Errorf("the forge app's page:\n%s", page.body)
	}
	appPath := strings.TrimSuffix(r.Header.Get("Location"), "?done=archive")
	if r := b.postMultipart(appPath+"/archive", map[string]string{"csrf": token}, "junk.zip", []byte("not an archive")); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "not a tar, tar.gz or zip archive") {
		t.Errorf("junk archive: %d\n%s", r.StatusCode, r.body)
	}
	if r := b.postMultipart(appPath+"/archive", map[string]string{"csrf": token}, "", nil); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("no archive: %d", r.StatusCode)
	}
	if r := b.postMultipart(appPath+"/archive", map[string]string{}, "app.tar.gz", forgeArchive(t)); r.StatusCode != http.StatusForbidden {
		t.Errorf("upload without the token: %d", r.StatusCode)
	}
}

// hiddenValue reads a hidden field of a page.
func hiddenValue(t *testing.T, body, name string) string {
	t.Helper()
	marker := `name="` + name + `" value="`
	i := strings.Index(body, marker)
	if i < 0 {
		t.Fatalf("no hidden field %s", name)
	}
	rest := body[i+len(marker):]
	return rest[:strings.IndexByte(rest, '"')]
}

// postMultipart posts a multipart form with one file (none when data is
// nil).
func (b *browser) postMultipart(path string, fields map[string]string, file string, data []byte) response {
	b.f.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, v := range fields {
		if err := w.WriteField(k, v); err != nil {
			b.f.t.Fatal(err)
		}
	}
	if data != nil {
		fw, err := w.CreateFormFile("archive", file)
		if err != nil {
			b.f.t.Fatal(err)
		}
		fw.Write(data)
	}
	w.Close()
	req, err := http.NewRequest(http.MethodPost, b.f.server.URL+path, &body)
	if err != nil {
		b.f.t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Origin", b.f.server.URL)
	return b.do(req)
}

// forgeArchive is a tar.gz of a minimal Forge app.
func forgeArchive(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, content := range map[string]string{
		"manifest.yml": "app:\n  id: ari:cloud:ecosystem::app/00000000-0000-0000-0000-000000000000\nmodules:\n  function:\n    - key: main\n      handler: index.run\n",
		"src/index.js": "export const run = async () => ({ ok: true });\n",
	} {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(content))
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}
