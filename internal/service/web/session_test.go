package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ecoscan/ecoscan/internal/service/auth"
	"github.com/ecoscan/ecoscan/internal/service/platform"
)

func TestSignInAndOut(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	b := f.browser()

	// Signed out, a page sends the browser to the sign-in form, which
	// comes back to it afterwards.
	tickets := "/orgs/" + itoa(f.acme.ID) + "/tickets?state=all"
	r := b.get(tickets)
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/signin?next="+url.QueryEscape(tickets) {
		t.Fatalf("signed out: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	form := b.get(r.Header.Get("Location"))
	if !strings.Contains(form.body, `name="next" value="`+strings.ReplaceAll(tickets, "&", "&amp;")+`"`) {
		t.Fatalf("the form does not carry next:\n%s", form.body)
	}

	for _, tc := range []struct{ email, password string }{
		{f.alice.Email, "wrong password, long enough"},
		{"nobody@acme.test", testPassword},
	} {
		r := b.trySignIn(tc.email, tc.password)
		if r.StatusCode != http.StatusUnauthorized || !strings.Contains(r.body, "The e-mail address or the password is wrong.") {
			t.Errorf("sign in %s: %d", tc.email, r.StatusCode)
		}
		if c := sessionCookieOf(r); c != "" {
			t.Errorf("a failed sign-in set a session cookie")
		}
	}

	token := b.csrf("/signin")
	r = b.post("/signin", url.Values{"csrf": {token}, "email": {strings.ToUpper(f.alice.Email)}, "password": {testPassword}, "next": {tickets}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != tickets {
		t.Fatalf("sign in: %d %q\n%s", r.StatusCode, r.Header.Get("Location"), r.body)
	}
	plain := sessionCookieOf(r)
	if plain == "" {
		t.Fatal("no session cookie")
	}
	// The store keeps the hash, never the id itself.
	sess, err := f.store.SessionByHash(context.Background(), auth.HashToken(plain), f.clock.Now())
	if err != nil || sess.User != f.alice.ID || sess.CSRF == "" {
		t.Fatalf("stored session: %+v %v", sess, err)
	}
	if page := b.get(tickets); page.StatusCode != http.StatusOK || !strings.Contains(page.body, f.alice.Email) {
		t.Fatalf("signed in: %d", page.StatusCode)
	}

	// Signing out deletes the session: the old cookie is worth nothing.
	if r := b.post("/signout", url.Values{"csrf": {sess.CSRF}}); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/signin" {
		t.Fatalf("sign out: %d", r.StatusCode)
	}
	if _, err := f.store.SessionByHash(context.Background(), auth.HashToken(plain), f.clock.Now()); err == nil {
		t.Fatal("the session outlived sign-out")
	}
	replay := f.browser()
	replay.setCookie(sessionCookie, plain)
	if r := replay.get("/"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("the old session id still works: %d", r.StatusCode)
	}
}

func (b *browser) setCookie(name, value string) {
	u, _ := url.Parse(b.f.server.URL)
	b.client.Jar.SetCookies(u, []*http.Cookie{{Name: b.f.cookieName(name), Value: value, Path: "/"}})
}

func (f *fixture) cookieName(name string) string {
	if strings.HasPrefix(f.server.URL, "https:") {
		return hostPrefix + name
	}
	return name
}

// sessionCookieOf is the session id a response sets, "" when none.
func sessionCookieOf(r response) string {
	for _, c := range r.Cookies() {
		if strings.HasSuffix(c.Name, sessionCookie) && c.MaxAge > 0 {
			return c.Value
		}
	}
	return ""
}

func TestSessionExpires(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	b := f.browser()
	b.signIn(f.alice.Email)
	f.clock.Add(DefaultSessionTTL - time.Minute)
	if r := b.get("/"); r.StatusCode != http.StatusOK {
		t.Fatalf("before the end: %d", r.StatusCode)
	}
	f.clock.Add(2 * time.Minute)
	if r := b.get("/"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("after the end: %d", r.StatusCode)
	}
	// A removed member loses access at once, session or not.
	b.signIn(f.vic.Email)
	if err := f.store.RemoveMember(context.Background(), platform.OrgScope(f.acme.ID), f.acme.ID, f.vic.ID); err != nil {
		t.Fatal(err)
	}
	if r := b.get(f.appPath(f.acmeApp)); r.StatusCode != http.StatusNotFound {
		t.Fatalf("removed member: %d", r.StatusCode)
	}
}

// TestSignInLimits checks that failed sign-ins are limited per e-mail
// address and per client address, that a limited sign-in is refused even
// with the right password, and that time lifts the limit.
func TestSignInLimits(t *testing.T) {
	f := newFixture(t, fixtureOptions{limits: SignInLimits{PerEmail: 2, PerIP: 4, Refill: 10 * time.Minute}})
	b := f.browser()
	for range 2 {
		if r := b.trySignIn(f.alice.Email, "wrong password, long enough"); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password: %d", r.StatusCode)
		}
	}
	r := b.trySignIn(f.alice.Email, testPassword)
	if r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" || !strings.Contains(r.body, "Too many failed sign-ins") {
		t.Fatalf("limited sign-in with the right password: %d %q", r.StatusCode, r.Header.Get("Retry-After"))
	}
	if sessionCookieOf(r) != "" {
		t.Fatal("a limited sign-in set a session")
	}
	// Another address from the same client still may, until the client
	// has failed PerIP times.
	f.browser().signIn(f.vic.Email)
	for _, email := range []string{"a@acme.test", "b@acme.test"} {
		if r := b.trySignIn(email, "wrong password, long enough"); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password for %s: %d", email, r.StatusCode)
		}
	}
	if r := b.trySignIn(f.gina.Email, testPassword); r.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("client limit: %d", r.StatusCode)
	}
	f.clock.Add(10 * time.Minute)
	b.signIn(f.alice.Email)
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"":                        "/",
		"/":                       "/",
		"/orgs/1/tickets?state=a": "/orgs/1/tickets?state=a",
		"//evil.example":          "/",
		"/\\evil.example":         "/",
		"https://evil.example/":   "/",
		"evil":                    "/",
		"/signin":                 "/",
		"/ok\x00":                 "/",
		"/a b":                    "/",
		"/%2F%2Fevil":             "/%2F%2Fevil",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzSafeNext checks that no input makes safeNext return a place on
// another host.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/", "//x", "/\\x", "/\t/x", "https://x", "/a?b=//c", "/%5cx", "\\\\x", "/\u3000/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := safeNext(in)
		if got != "/" && got != in {
			t.Fatalf("safeNext(%q) = %q: neither the input nor /", in, got)
		}
		u, err := url.Parse(got)
		if err != nil {
			t.Fatalf("safeNext(%q) = %q does not parse: %v", in, got, err)
		}
		if u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(got, "/") ||
			strings.HasPrefix(got, "//") || strings.ContainsAny(got, "\\\t\r\n") {
			t.Fatalf("safeNext(%q) = %q leaves the site", in, got)
		}
	})
}
