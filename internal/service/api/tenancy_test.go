package api

import (
	"archive/tar"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ecoscan/ecoscan/internal/service/pgtest"
	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// fixture is one organization with something behind every route.
type fixture struct {
	tenant
	app, forge, scan, ticket, webhook, token int64
}

func (e *env) fixture(name string) fixture {
	e.t.Helper()
	f := fixture{tenant: e.tenant(name)}
	f.app = e.register(f.tenant, map[string]any{"name": name + " app", "descriptor_url": "https://app.example.com/d.json"}).ID
	f.forge = e.register(f.tenant, map[string]any{"name": name + " forge", "kind": "forge"}).ID
	s := e.seedScan(f.org, f.app, seedTicket{name + "-fp", "1.1", "high", platform.NeedsPatch, e.clock().Add(30 * 24 * time.Hour)})
	f.scan, f.ticket = s.scan.ID, s.tickets[name+"-fp"].ID
	var hook platform.Webhook
	e.expect(http.StatusCreated, req{method: "POST", path: fmt.Sprintf("/v1/orgs/%d/webhooks", f.org), token: f.admin.token,
		json: WebhookInput{URL: "https://hooks.example.com/" + name}}).decode(e.t, &hook)
	f.webhook = hook.ID
	toks, err := e.st.Tokens(context.Background(), f.admin.user.ID)
	if err != nil || len(toks) != 1 {
		e.t.Fatalf("tokens: %v %v", toks, err)
	}
	f.token = toks[0].ID
	return f
}

// path fills a route's pattern: the organization from org, the other ids
// from ids.
func (f fixture) path(pattern string, org int64, ids fixture) string {
	id := "0"
	switch {
	case strings.Contains(pattern, "/tickets/{id}"):
		id = strconv.FormatInt(ids.ticket, 10)
	case strings.Contains(pattern, "/webhooks/{id}"):
		id = strconv.FormatInt(ids.webhook, 10)
	case strings.Contains(pattern, "/tokens/{id}"):
		id = strconv.FormatInt(ids.token, 10)
	}
	app := ids.app
	if strings.HasSuffix(pattern, "/archive") {
		app = ids.forge
	}
	return strings.NewReplacer(
		"{org}", strconv.FormatInt(org, 10),
		"{app}", strconv.FormatInt(app, 10),
		"{scan}", strconv.FormatInt(ids.scan, 10),
		"{user}", strconv.FormatInt(ids.member.user.ID, 10),
		"{id}", id,
	).Replace(pattern)
}

// validBody is a well-formed body for a route, so that refusals come from
// tenancy and not from decoding.
func validBody(t *testing.T, rt route) req {
	switch rt.Method + " " + rt.Pattern {
	case "PUT /v1/orgs/{org}/members/{user}":
		return req{json: MemberInput{Role: platform.RoleAdmin}}
	case "POST /v1/orgs/{org}/apps":
		return req{json: map[string]any{"name": "intruder", "descriptor_url": "https://app.example.com/d.json"}}
	case "PATCH /v1/orgs/{org}/apps/{app}":
		return req{json: map[string]any{"name": "pwned"}}
	case "PUT /v1/orgs/{org}/apps/{app}/archive":
		return req{raw: tarGz(t, entry{name: "manifest.yml", body: "app: {}\n"}), contentType: "application/gzip"}
	case "POST /v1/orgs/{org}/tickets/{id}/transitions":
		return req{json: map[string]any{"to": "needs-security-review", "reason": "x"}}
	case "POST /v1/orgs/{org}/webhooks":
		return req{json: WebhookInput{URL: "https://hooks.example.com/intruder"}}
	case "POST /v1/tokens", "POST /v1/orgs":
		return req{json: map[string]any{"name": "x"}}
	}
	return req{}
}

// TestCrossTenant sends every route with another organization's ids, as
// the strongest member of one organization: every one answers 404, and
// nothing of the other organization changes.
func TestCrossTenant(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { crossTenant(t, newEnv(t)) })
	t.Run("postgres", func(t *testing.T) { crossTenant(t, newEnvOn(t, pgtest.URL(t))) })
}

func crossTenant(t *testing.T, e *env) {
	a := e.fixture("a")
	b := e.fixture("b")
	before := snapshot(t, e, b)

	tested := 0
	for _, rt := range routes {
		if !rt.Auth || !strings.Contains(rt.Pattern, "{") {
			continue
		}
		cases := map[string]string{}
		if strings.Contains(rt.Pattern, "{org}") {
			// B's organization with B's ids, and A's organization with B's ids.
			cases["B's org"] = a.path(rt.Pattern, b.org, b)
			if strings.Count(rt.Pattern, "{") > 1 {
				cases["A's org, B's ids"] = a.path(rt.Pattern, a.org, b)
			}
		} else {
			cases["B's id"] = a.path(rt.Pattern, 0, b)
		}
		for name, path := range cases {
			r := validBody(t, rt)
			r.method, r.path, r.token = rt.Method, path, a.admin.token
			if got := e.do(r); got.status != http.StatusNotFound {
				t.Errorf("%s %s (%s): status %d, want 404: %s", rt.Method, path, name, got.status, got.body)
			}
			tested++
		}
	}
	t.Logf("%d cross-tenant requests", tested)
	if tested < 30 {
		t.Errorf("only %d cross-tenant requests", tested)
	}
	if after := snapshot(t, e, b); after != before {
		t.Errorf("B changed:\nbefore %s\nafter  %s", before, after)
	}
	// A's own requests still work, so the 404s above are not a broken fixture.
	for _, rt := range routes {
		if rt.Auth && rt.Method == "GET" && strings.Contains(rt.Pattern, "{") {
			e.expect(http.StatusOK, req{method: "GET", path: a.path(rt.Pattern, a.org, a), token: a.admin.token})
		}
	}
}

// snapshot describes what a fixture's organization holds.
func snapshot(t *testing.T, e *env, f fixture) string {
	t.Helper()
	ctx := context.Background()
	scope := platform.OrgScope(f.org)
	apps, err := e.st.ListApps(ctx, scope, platform.AppFilter{IncludeDeleted: true}, platform.Page{})
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	for _, a := range apps {
		scans, _ := e.st.ListScans(ctx, scope, a.ID, platform.Page{})
		fmt.Fprintf(&sb, "app %d %q deleted=%v sha=%q scans=%d; ", a.ID, a.Name, a.DeletedAt != nil, a.ArchiveSHA256, len(scans))
	}
	tk, err := e.st.Ticket(ctx, scope, f.ticket, e.clock())
	if err != nil {
		t.Fatal(err)
	}
	ms, _ := e.st.Members(ctx, scope, f.org)
	hooks, _ := e.st.Webhooks(ctx, scope, f.org)
	toks, _ := e.st.Tokens(ctx, f.admin.user.ID)
	fmt.Fprintf(&sb, "ticket %s; members %v; hooks %d; token revoked=%v", tk.State, ms, len(hooks), toks[0].RevokedAt != nil)
	return sb.String()
}

// TestBadRequests covers the answers to requests that cannot be read.
func TestBadRequests(t *testing.T) {
	e := newEnv(t, withLimits(1024, 0))
	tn := e.tenant("acme")
	app := e.register(tn, map[string]any{"name": "a", "descriptor_url": "https://app.example.com/d.json"})
	tickets := fmt.Sprintf("/v1/orgs/%d/tickets", tn.org)
	tok := tn.member.token
	raw := func(method, path, body string) req {
		return req{method: method, path: path, token: tok, raw: []byte(body), contentType: "application/json"}
	}
	for _, c := range []struct {
		name   string
		r      req
		status int
		want   string // in the message or the field
	}{
		{"malformed JSON", raw("POST", tn.apps, `{"name": "x",, }`), 400, "byte 14"},
		{"truncated JSON", raw("POST", tn.apps, `{"name": "x"`), 400, "ends early"},
		{"empty body", raw("POST", tn.apps, ``), 400, "empty"},
		{"unknown field", raw("POST", tn.apps, `{"name": "x", "admin": true}`), 400, "admin"},
		{"trailing data", raw("POST", tn.apps, `{"name": "x"} {"name": "y"}`), 400, "after the JSON object"},
		{"wrong type", raw("POST", tn.apps, `{"name": 42}`), 400, "name"},
		{"not an object", raw("POST", tn.apps, `["x"]`), 400, "object"},
		{"too large", raw("POST", tn.apps, `{"name": "`+strings.Repeat("x", 2000)+`"}`), 413, "1024 bytes"},
		{"not JSON", req{method: "POST", path: tn.apps, token: tok, raw: []byte("name=x"), contentType: "application/x-www-form-urlencoded"}, 415, "application/json"},
		{"no content type", req{method: "POST", path: "/v1/tokens", token: tok, raw: []byte(`{"name":"x"}`)}, 415, "application/json"},
		{"bad enum", raw("POST", tn.apps, `{"name": "x", "kind": "server"}`), 422, "kind"},
		{"bad interval", raw("PATCH", fmt.Sprintf("%s/%d", tn.apps, app.ID), `{"interval": "soon"}`), 422, "interval"},
		{"numeric interval", raw("PATCH", fmt.Sprintf("%s/%d", tn.apps, app.ID), `{"interval": 5}`), 400, "interval"},
		{"bad limit", req{method: "GET", path: tn.apps + "?limit=0", token: tok}, 400, "limit"},
		{"huge limit", req{method: "GET", path: tn.apps + "?limit=100000", token: tok}, 400, "limit"},
		{"bad cursor", req{method: "GET", path: tn.apps + "?before=abc", token: tok}, 400, "before"},
		{"bad kind", req{method: "GET", path: tn.apps + "?kind=server", token: tok}, 400, "kind"},
		{"unknown parameter", req{method: "GET", path: tickets + "?severty=high", token: tok}, 400, "severty"},
		{"repeated parameter", req{method: "GET", path: tickets + "?severity=high&severity=low", token: tok}, 400, "severity"},
		{"bad severity", req{method: "GET", path: tickets + "?severity=urgent", token: tok}, 400, "severity"},
		{"bad state", req{method: "GET", path: tickets + "?state=open", token: tok}, 400, "state"},
		{"bad boolean", req{method: "GET", path: tickets + "?overdue=yes-please", token: tok}, 400, "overdue"},
		{"bad date", req{method: "GET", path: tickets + "?due_before=2026-13-45", token: tok}, 400, "due_before"},
		{"bad app id", req{method: "GET", path: tickets + "?app=-3", token: tok}, 400, "app"},
		{"bad requirement", req{method: "GET", path: fmt.Sprintf("/v1/orgs/%d/findings?requirement=99.9", tn.org), token: tok}, 400, "requirement"},
		{"malformed query", req{method: "GET", path: tickets + "?a=%zz", token: tok}, 400, "query"},
		{"unknown route", req{method: "GET", path: "/v1/nothing", token: tok}, 404, "no such route"},
		{"wrong method", req{method: "PUT", path: tn.apps, token: tok}, 405, "GET, POST"},
	} {
		a := e.do(c.r)
		if a.status != c.status {
			t.Errorf("%s: status %d, want %d: %s", c.name, a.status, c.status, a.body)
			continue
		}
		code, msg, field := a.errorCode(t)
		if code == "" || (!strings.Contains(msg, c.want) && field != c.want) {
			t.Errorf("%s: %s %q field %q, want %q", c.name, code, msg, field, c.want)
		}
	}
	a := e.expect(http.StatusMethodNotAllowed, req{method: "DELETE", path: tn.apps, token: tok})
	if allow := a.header.Get("Allow"); allow != "GET, POST" {
		t.Errorf("Allow %q", allow)
	}
}

// TestArchiveSymlinkInsideIsKept checks the link rule's nearest negative:
// a link that stays in the tree does not refuse the archive.
func TestArchiveSymlinkInsideIsKept(t *testing.T) {
	for _, c := range []struct {
		link entry
		ok   bool
	}{
		{entry{name: "a/b/l", flag: tar.TypeSymlink, link: "../c"}, true},
		{entry{name: "a/l", flag: tar.TypeSymlink, link: "../../x"}, false},
		{entry{name: "l", flag: tar.TypeSymlink, link: "./.."}, false},
		{entry{name: "h", flag: tar.TypeLink, link: "src/index.js"}, true},
		{entry{name: "l", flag: tar.TypeSymlink, link: `..\..\x`}, false},
		{entry{name: "l", flag: tar.TypeSymlink, link: "C:/Windows"}, false},
	} {
		data := tarGz(t, entry{name: "src/index.js", body: "x"}, c.link)
		err := NewOps(Config{}).trialExtract(context.Background(), data)
		if (err == nil) != c.ok {
			t.Errorf("link %s -> %s: %v, want ok=%v", c.link.name, c.link.link, err, c.ok)
		}
	}
}

// TestViewersCannotWrite sends every write route of an organization as its
// viewer: each answers 403, and nothing changes.
func TestViewersCannotWrite(t *testing.T) {
	e := newEnv(t)
	f := e.fixture("a")
	before := snapshot(t, e, f)
	tested := 0
	for _, rt := range routes {
		if !rt.Auth || rt.Method == "GET" || !strings.Contains(rt.Pattern, "{org}") {
			continue
		}
		r := validBody(t, rt)
		r.method, r.path, r.token = rt.Method, f.path(rt.Pattern, f.org, f), f.viewer.token
		if got := e.do(r); got.status != http.StatusForbidden {
			t.Errorf("%s %s as a viewer: status %d, want 403: %s", r.method, r.path, got.status, got.body)
		}
		tested++
	}
	if tested < 11 {
		t.Errorf("only %d write routes", tested)
	}
	if after := snapshot(t, e, f); after != before {
		t.Errorf("a viewer changed the organization:\nbefore %s\nafter  %s", before, after)
	}
}
