package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/ecoscan/ecoscan/internal/service/platform"
)

func TestHealthReadyMetrics(t *testing.T) {
	e := newEnv(t)
	var h map[string]string
	e.expect(http.StatusOK, req{method: "GET", path: "/healthz"}).decode(t, &h)
	if h["status"] != "ok" || h["version"] != "test" {
		t.Errorf("healthz %v", h)
	}
	e.expect(http.StatusOK, req{method: "GET", path: "/readyz"}).decode(t, &h)
	if h["status"] != "ready" {
		t.Errorf("readyz %v", h)
	}
	if a := e.expect(http.StatusOK, req{method: "GET", path: "/metrics"}); string(a.body) != "ecoscan_apps 3\n" {
		t.Errorf("metrics %q", a.body)
	}
	e.st.Close()
	if code, _, _ := e.expect(http.StatusServiceUnavailable, req{method: "GET", path: "/readyz"}).errorCode(t); code != "unavailable" {
		t.Errorf("readyz with the database closed: code %q", code)
	}
}

func TestMetricsOff(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Metrics = nil })
	e.expect(http.StatusNotFound, req{method: "GET", path: "/metrics"})
}

func TestAuthentication(t *testing.T) {
	e := newEnv(t)
	org := e.org("acme")
	alice := e.user("alice@acme.test", org, platform.RoleAdmin, false)

	for name, r := range map[string]req{
		"no token":      {method: "GET", path: "/v1/me"},
		"unknown token": {method: "GET", path: "/v1/me", token: "eco_" + strings.Repeat("A", 43)},
		"not a token":   {method: "GET", path: "/v1/me", token: "hello"},
	} {
		a := e.expect(http.StatusUnauthorized, r)
		if !strings.HasPrefix(a.header.Get("WWW-Authenticate"), `Bearer realm="ecoscan"`) {
			t.Errorf("%s: WWW-Authenticate %q", name, a.header.Get("WWW-Authenticate"))
		}
		if code, _, _ := a.errorCode(t); code != "unauthorized" {
			t.Errorf("%s: code %q", name, code)
		}
	}
	// Basic authentication is not a bearer token.
	a := e.do(req{method: "GET", path: "/v1/me", header: map[string]string{"Authorization": "Basic " + alice.token}})
	if a.status != http.StatusUnauthorized {
		t.Errorf("Basic: status %d", a.status)
	}

	var me struct {
		User        platform.User         `json:"user"`
		Memberships []platform.Membership `json:"memberships"`
	}
	e.expect(http.StatusOK, req{method: "GET", path: "/v1/me", token: alice.token}).decode(t, &me)
	if me.User.ID != alice.user.ID || len(me.Memberships) != 1 || me.Memberships[0].Role != platform.RoleAdmin {
		t.Errorf("me: %+v", me)
	}

	// Expired tokens are refused.
	soon := e.clock().Add(time.Hour)
	expiring := e.token(alice.user.ID, &soon)
	e.expect(http.StatusOK, req{method: "GET", path: "/v1/me", token: expiring})
	e.advance(2 * time.Hour)
	e.expect(http.StatusUnauthorized, req{method: "GET", path: "/v1/me", token: expiring})
	e.expect(http.StatusOK, req{method: "GET", path: "/v1/me", token: alice.token})
}

func TestTokenLastUsed(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice@acme.test", 0, "", false)
	lastUsed := func() time.Time {
		toks, err := e.st.Tokens(context.Background(), alice.user.ID)
		if err != nil || len(toks) != 1 {
			t.Fatalf("tokens: %v %v", toks, err)
		}
		if toks[0].LastUsed == nil {
			return time.Time{}
		}
		return *toks[0].LastUsed
	}
	if !lastUsed().IsZero() {
		t.Fatal("a fresh token was used")
	}
	first := e.clock()
	e.expect(http.StatusOK, req{method: "GET", path: "/v1/me", token: alice.token})
	if got := lastUsed(); !got.Equal(first) {
		t.Fatalf("last used %v, want %v", got, first)
	}
	e.advance(30 * time.Second)
	e.expect(http.StatusOK, req{method: "GET", path: "/v1/me", token: alice.token})
	if got := lastUsed(); !got.Equal(first) {
		t.Errorf("last used written again within a minute: %v", got)
	}
	e.advance(31 * time.Second)
	e.expect(http.StatusOK, req{method: "GET", path: "/v1/me", token: alice.token})
	if got := lastUsed(); !got.Equal(e.clock()) {
		t.Errorf("last used %v after a minute, want %v", got, e.clock())
	}
}

func TestTokens(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice@acme.test", 0, "", false)
	bob := e.user("bob@other.test", 0, "", false)

	var created struct {
		platform.Token
		Plain string `json:"token"`
	}
	e.expect(http.StatusCreated, req{method: "POST", path: "/v1/tokens", token: alice.token,
		json: map[string]any{"name": "ci", "expires_in_days": 30}}).decode(t, &created)
	if !strings.HasPrefix(created.Plain, "eco_") || !strings.HasPrefix(created.Plain, created.Prefix) || created.ExpiresAt == nil ||
		!created.ExpiresAt.Equal(e.clock().Add(30*24*time.Hour)) {
		t.Fatalf("created %+v", created)
	}
	e.expect(http.StatusOK, req{method: "GET", path: "/v1/me", token: created.Plain})

	var list page[platform.Token]
	e.expect(http.StatusOK, req{method: "GET", path: "/v1/tokens", token: created.Plain}).decode(t, &list)
	if len(list.Items) != 2 {
		t.Errorf("alice has %d tokens, want 2", len(list.Items))
	}
	// Bob cannot revoke or see Alice's token.
	e.expect(http.StatusNotFound, req{method: "DELETE", path: fmt.Sprintf("/v1/tokens/%d", created.ID), token: bob.token})
	e.expect(http.StatusOK, req{method: "GET", path: "/v1/tokens", token: bob.token}).decode(t, &list)
	if len(list.Items) != 1 {
		t.Errorf("bob sees %d tokens", len(list.Items))
	}
	e.expect(http.StatusOK, req{method: "GET", path: "/v1/me", token: created.Plain})

	e.expect(http.StatusNoContent, req{method: "DELETE", path: fmt.Sprintf("/v1/tokens/%d", created.ID), token: alice.token})
	e.expect(http.StatusUnauthorized, req{method: "GET", path: "/v1/me", token: created.Plain})

	e.expect(http.StatusUnprocessableEntity, req{method: "POST", path: "/v1/tokens", token: alice.token, json: map[string]any{"name": ""}})
	e.expect(http.StatusUnprocessableEntity, req{method: "POST", path: "/v1/tokens", token: alice.token, json: map[string]any{"name": "x", "expires_in_days": 5000}})

	// The plain token appears in the creation answer only.
	e.mu.Lock()
	n := 0
	for _, b := range e.answers {
		if strings.Contains(string(b), created.Plain) {
			n++
		}
	}
	e.mu.Unlock()
	if n != 1 {
		t.Errorf("the token appears in %d answers, want 1", n)
	}
}

func TestOrgs(t *testing.T) {
	e := newEnv(t)
	sec := e.user("sec@marketplace.test", 0, "", true)
	stranger := e.user("nobody@x.test", 0, "", false)

	var org platform.Org
	e.expect(http.StatusCreated, req{method: "POST", path: "/v1/orgs", token: sec.token,
		json: OrgInput{Name: "Acme", AdminEmail: "boss@acme.test"}}).decode(t, &org)
	e.expect(http.StatusConflict, req{method: "POST", path: "/v1/orgs", token: sec.token, json: OrgInput{Name: "Acme"}})
	e.expect(http.StatusForbidden, req{method: "POST", path: "/v1/orgs", token: stranger.token, json: OrgInput{Name: "Mine"}})
	e.expect(http.StatusUnprocessableEntity, req{method: "POST", path: "/v1/orgs", token: sec.token, json: OrgInput{Name: "B", AdminEmail: "not an address"}})

	boss, err := e.st.UserByEmail(context.Background(), "boss@acme.test")
	if err != nil {
		t.Fatalf("the admin was not created: %v", err)
	}
	ms, err := e.st.MembershipsOf(context.Background(), boss.ID)
	if err != nil || len(ms) != 1 || ms[0].Org != org.ID || ms[0].Role != platform.RoleAdmin {
		t.Fatalf("boss's memberships %+v %v", ms, err)
	}
	bossToken := e.token(boss.ID, nil)

	other := e.org("Other")
	var orgs page[platform.Org]
	e.expect(http.StatusOK, req{method: "GET", path: "/v1/orgs", token: sec.token}).decode(t, &orgs)
	if len(orgs.Items) != 2 {
		t.Errorf("the platform team sees %d orgs, want 2", len(orgs.Items))
	}
	e.expect(http.StatusOK, req{method: "GET", path: "/v1/orgs", token: bossToken}).decode(t, &orgs)
	if len(orgs.Items) != 1 || orgs.Items[0].ID != org.ID {
		t.Errorf("boss sees %+v", orgs.Items)
	}
	e.expect(http.StatusOK, req{method: "GET", path: "/v1/orgs", token: stranger.token}).decode(t, &orgs)
	if len(orgs.Items) != 0 {
		t.Errorf("a stranger sees %+v", orgs.Items)
	}
	e.expect(http.StatusOK, req{method: "GET", path: fmt.Sprintf("/v1/orgs/%d", org.ID), token: bossToken})
	e.expect(http.StatusOK, req{method: "GET", path: fmt.Sprintf("/v1/orgs/%d", other), token: sec.token})
	e.expect(http.StatusNotFound, req{method: "GET", path: fmt.Sprintf("/v1/orgs/%d", other), token: bossToken})
	e.expect(http.StatusNotFound, req{method: "GET", path: "/v1/orgs/999999", token: sec.token})
	e.expect(http.StatusNotFound, req{method: "GET", path: "/v1/orgs/999999", token: bossToken})
	e.expect(http.StatusNotFound, req{method: "GET", path: "/v1/orgs/acme", token: bossToken})
}

func TestMembers(t *testing.T) {
	e := newEnv(t)
	org := e.org("acme")
	admin := e.user("admin@acme.test", org, platform.RoleAdmin, false)
	member := e.user("member@acme.test", org, platform.RoleMember, false)
	base := fmt.Sprintf("/v1/orgs/%d/members", org)

	var m platform.Membership
	e.expect(http.StatusOK, req{method: "PUT", path: base + "/carol@acme.test", token: admin.token,
		json: MemberInput{Role: platform.RoleViewer, Name: "Carol"}}).decode(t, &m)
	if m.Role != platform.RoleViewer || m.Email != "carol@acme.test" || m.Org != org {
		t.Errorf("carol: %+v", m)
	}
	carol, err := e.st.UserByEmail(context.Background(), "carol@acme.test")
	if err != nil || carol.Name != "Carol" {
		t.Fatalf("carol was not created: %+v %v", carol, err)
	}
	e.expect(http.StatusOK, req{method: "PUT", path: fmt.Sprintf("%s/%d", base, carol.ID), token: admin.token,
		json: MemberInput{Role: platform.RoleMember}}).decode(t, &m)
	if m.Role != platform.RoleMember {
		t.Errorf("role change: %+v", m)
	}
	var list page[platform.Membership]
	e.expect(http.StatusOK, req{method: "GET", path: base, token: admin.token}).decode(t, &list)
	if len(list.Items) != 3 {
		t.Errorf("%d members, want 3", len(list.Items))
	}

	// Members and viewers do not manage members.
	e.expect(http.StatusForbidden, req{method: "GET", path: base, token: member.token})
	e.expect(http.StatusForbidden, req{method: "PUT", path: base + "/eve@x.test", token: member.token, json: MemberInput{Role: platform.RoleAdmin}})
	e.expect(http.StatusForbidden, req{method: "DELETE", path: fmt.Sprintf("%s/%d", base, carol.ID), token: member.token})

	// A user id that is not a member names nobody (no adding strangers by id).
	stranger := e.user("stranger@x.test", 0, "", false)
	e.expect(http.StatusNotFound, req{method: "PUT", path: fmt.Sprintf("%s/%d", base, stranger.user.ID), token: admin.token, json: MemberInput{Role: platform.RoleViewer}})
	e.expect(http.StatusUnprocessableEntity, req{method: "PUT", path: base + "/dave@acme.test", token: admin.token, json: MemberInput{Role: "owner"}})

	// The last admin stays.
	e.expect(http.StatusConflict, req{method: "PUT", path: fmt.Sprintf("%s/%d", base, admin.user.ID), token: admin.token, json: MemberInput{Role: platform.RoleMember}})
	e.expect(http.StatusConflict, req{method: "DELETE", path: fmt.Sprintf("%s/%d", base, admin.user.ID), token: admin.token})

	e.expect(http.StatusNoContent, req{method: "DELETE", path: base + "/carol@acme.test", token: admin.token})
	e.expect(http.StatusNotFound, req{method: "DELETE", path: base + "/carol@acme.test", token: admin.token})
	e.expect(http.StatusOK, req{method: "GET", path: base, token: admin.token}).decode(t, &list)
	if len(list.Items) != 2 {
		t.Errorf("%d members after removal, want 2", len(list.Items))
	}
}

func TestRateLimit(t *testing.T) {
	// The clock stands still, so the buckets never refill.
	e := newEnv(t, withRate(rate.Every(time.Minute), 2))
	alice := e.user("alice@acme.test", 0, "", false)
	bob := e.user("bob@acme.test", 0, "", false)
	for range 2 {
		e.expect(http.StatusOK, req{method: "GET", path: "/v1/me", token: alice.token})
	}
	a := e.expect(http.StatusTooManyRequests, req{method: "GET", path: "/v1/me", token: alice.token})
	if ra := a.header.Get("Retry-After"); ra != "60" {
		t.Errorf("Retry-After %q, want 60", ra)
	}
	if code, _, _ := a.errorCode(t); code != "rate_limited" {
		t.Errorf("code %q", code)
	}
	// Bob's bucket is his own.
	e.expect(http.StatusOK, req{method: "GET", path: "/v1/me", token: bob.token})

	// Requests without a valid token are limited by remote address.
	for range 2 {
		e.expect(http.StatusUnauthorized, req{method: "GET", path: "/v1/me", token: "eco_wrong"})
	}
	e.expect(http.StatusTooManyRequests, req{method: "GET", path: "/v1/me"})
	// Health checks are never limited.
	for range 5 {
		e.expect(http.StatusOK, req{method: "GET", path: "/healthz"})
	}
	e.advance(time.Minute)
	e.expect(http.StatusOK, req{method: "GET", path: "/v1/me", token: alice.token})
}

func TestLimitersForgetIdleKeys(t *testing.T) {
	l := newLimiters(rate.Every(time.Second), 2)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 100 {
		l.allow(fmt.Sprint(i), now)
	}
	if l.size() != 100 {
		t.Fatalf("%d limiters", l.size())
	}
	if ok, _ := l.allow("0", now.Add(30*time.Second)); !ok {
		t.Fatal("refused after refilling")
	}
	l.allow("1", now.Add(70*time.Second))
	if l.size() != 2 {
		t.Errorf("%d limiters after the sweep, want the 2 recently used", l.size())
	}
}

func TestAccessLogHoldsNoToken(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice@acme.test", 0, "", false)
	e.expect(http.StatusOK, req{method: "GET", path: "/v1/me", token: alice.token})
	e.expect(http.StatusUnauthorized, req{method: "GET", path: "/v1/me?x=1", token: alice.token + "x"})
	logs := e.logs.String()
	if strings.Contains(logs, alice.token[len("eco_"):len("eco_")+12]) {
		t.Errorf("the access log holds the token: %s", logs)
	}
	lines := strings.Split(strings.TrimSpace(logs), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d log lines, want 2:\n%s", len(lines), logs)
	}
	var entry map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &entry); err != nil {
		t.Fatalf("log line is not JSON: %v", err)
	}
	if entry["path"] != "/v1/me" || entry["status"] != float64(200) || entry["user_id"] != float64(alice.user.ID) {
		t.Errorf("log entry %v", entry)
	}
}

// panicStore fails the way a bug would.
type panicStore struct{ platform.Store }

func (panicStore) Ping(context.Context) error { panic("bug in the store") }

func TestPanicAnswers500(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Store = panicStore{c.Store} })
	a := e.expect(http.StatusInternalServerError, req{method: "GET", path: "/readyz"})
	if code, msg, _ := a.errorCode(t); code != "internal" || strings.Contains(msg, "bug") {
		t.Errorf("answer %s %q", code, msg)
	}
	if logs := e.logs.String(); !strings.Contains(logs, `"level":"ERROR"`) || !strings.Contains(logs, "bug in the store") {
		t.Errorf("the panic is not in the log: %s", logs)
	}
	e.expect(http.StatusOK, req{method: "GET", path: "/healthz"})
}
