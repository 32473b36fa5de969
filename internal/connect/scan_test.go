package connect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecoscan/ecoscan/internal/connect/connecttest"
	"github.com/ecoscan/ecoscan/internal/connect/token"
	"github.com/ecoscan/ecoscan/internal/finding"
	"github.com/ecoscan/ecoscan/internal/hostscan"
	"github.com/ecoscan/ecoscan/internal/httpx"
	"github.com/ecoscan/ecoscan/internal/report/schema"
)

// mode is what the scan is given besides the descriptor URL.
type mode int

const (
	outsider     mode = iota // the descriptor URL alone
	installation             // a test installation and a non-admin user's token
)

func (m mode) String() string { return [...]string{"outsider", "installation"}[m] }

// scanApp starts app with flaw and scans it.
func scanApp(t *testing.T, flaw connecttest.Flaw, m mode, timeout time.Duration) (*finding.Report, *connecttest.App) {
	t.Helper()
	app, err := connecttest.Start(flaw)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.Close)
	return scan(t, app, m, timeout), app
}

func scan(t *testing.T, app *connecttest.App, m mode, timeout time.Duration) *finding.Report {
	t.Helper()
	opts := Options{HTTP: httpx.Config{RootCAs: app.Pool, Timeout: timeout}, Version: "test"}
	if m == installation {
		opts.ClientKey = app.ClientKey
		opts.SharedSecret = token.Secret(app.SharedSecret)
		opts.UserJWT = token.Secret(app.UserJWT)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := Scan(ctx, app.DescriptorURL, opts)
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	return rep
}

func checkStatus(rep *finding.Report, req string) finding.Check {
	for _, c := range rep.Checks {
		if c.Requirement == req {
			return c
		}
	}
	return finding.Check{}
}

func TestCorrectAppIsClean(t *testing.T) {
	for _, m := range []mode{outsider, installation} {
		t.Run(m.String(), func(t *testing.T) {
			rep, _ := scanApp(t, connecttest.Correct, m, 5*time.Second)
			for _, f := range rep.Findings {
				t.Errorf("unexpected finding %s at %s: %s", f.Rule, f.Location, f.Message)
			}
			for _, e := range rep.Errors {
				t.Errorf("unexpected error %s: %s", e.Scope, e.Message)
			}
			want := map[string]finding.Status{"1.1": finding.Pass, "1.4": finding.Pass, "7.2": finding.Pass, "7.4": finding.Pass,
				"1.2": finding.Skipped, "8.1": finding.Skipped, "7.3": finding.Skipped, "9": finding.NotApplicable,
				"3": finding.Pass, "6.2": finding.Pass, "6.1": finding.NotApplicable, "6.3": finding.NotApplicable}
			if m == installation {
				want["1.2"], want["8.1"], want["7.3"] = finding.Pass, finding.Pass, finding.Pass
			}
			for req, status := range want {
				if got := checkStatus(rep, req); got.Status != status {
					t.Errorf("requirement %s: status %q (%s), want %q", req, got.Status, got.Detail, status)
				}
			}
		})
	}
}

// expectation is the one finding a flaw must give in a mode (rule "" means none).
type expectation struct {
	rule        string
	where       string // a substring of the location's URL, or the host
	needsReview bool
}

func TestEachFlawGivesExactlyItsFinding(t *testing.T) {
	host := "127.0.0.1"
	none := expectation{}
	cases := []struct {
		flaw                connecttest.Flaw
		outsider, installed expectation
	}{
		{connecttest.ForgedAccepted, expectation{"connect/authn-forged-jwt-accepted", "/panel/", false}, expectation{"connect/authn-forged-jwt-accepted", "/panel/", false}},
		{connecttest.AlgNoneAccepted, expectation{"connect/authn-alg-none-accepted", "/page?", false}, expectation{"connect/authn-alg-none-accepted", "/page?", false}},
		{connecttest.OpenPage, expectation{"connect/authn-missing", "/page?", true}, expectation{"connect/authn-missing", "/page?", false}},
		{connecttest.OpenWebhook, expectation{"connect/authn-missing", "/webhook/issue-created", false}, expectation{"connect/authn-missing", "/webhook/issue-created", false}},
		{connecttest.ForgedInstall, expectation{"connect/lifecycle-forged-install-accepted", "/installed", false}, expectation{"connect/lifecycle-forged-install-accepted", "/installed", false}},
		{connecttest.UnsignedInstall, expectation{"connect/lifecycle-unauthenticated", "/installed", false}, expectation{"connect/lifecycle-unauthenticated", "/installed", false}},
		{connecttest.SignedInstallOff, expectation{"connect/lifecycle-signed-install-off", "/installed", false}, expectation{"connect/lifecycle-signed-install-off", "/installed", false}},
		{connecttest.AdminOpenToUser, none, expectation{"connect/authz-admin-open-to-user", "/admin", false}},
		{connecttest.ReportOpenToUser, none, expectation{"connect/authz-admin-open-to-user", "/admin-report", false}},
		{connecttest.ExpiredAccepted, none, expectation{"connect/jwt-expired-accepted", "/page?", false}},
		{connecttest.IssuerNotVerified, none, expectation{"connect/jwt-issuer-not-verified", "/page?", false}},
		{connecttest.QSHIgnored, none, expectation{"connect/qsh-not-verified", "/page?", false}},
		{connecttest.ContextQSHAccepted, none, expectation{"connect/context-token-accepted", "/page?", false}},
		{connecttest.CachePrivate, none, expectation{"connect/cache-control-missing-no-store", "/page?", false}},
		{connecttest.ReferrerUnsafe, expectation{"connect/referrer-policy-unsafe", host, false}, expectation{"connect/referrer-policy-unsafe", host, false}},
		{connecttest.ReferrerMetaUnsafe, none, expectation{"connect/referrer-policy-unsafe", host, false}},
		{connecttest.CookieInsecure, expectation{"connect/session-cookie-insecure", host, false}, expectation{"connect/session-cookie-insecure", host, false}},
		{connecttest.HSTSShort, expectation{"tls/hsts-max-age", host, false}, expectation{"tls/hsts-max-age", host, false}},
		{connecttest.CacheableForged, expectation{"connect/authn-forged-jwt-accepted", "/glance", true}, expectation{"connect/authn-forged-jwt-accepted", "/glance", false}},
	}
	covered := map[connecttest.Flaw]bool{}
	for _, c := range cases {
		covered[c.flaw] = true
		for _, m := range []mode{outsider, installation} {
			want := c.outsider
			if m == installation {
				want = c.installed
			}
			t.Run(fmt.Sprintf("%s/%s", c.flaw, m), func(t *testing.T) {
				t.Parallel()
				rep, app := scanApp(t, c.flaw, m, 5*time.Second)
				for _, e := range rep.Errors {
					t.Errorf("unexpected error %s: %s", e.Scope, e.Message)
				}
				if want.rule == "" {
					for _, f := range rep.Findings {
						t.Errorf("unexpected finding %s at %s", f.Rule, f.Location)
					}
					return
				}
				if len(rep.Findings) != 1 {
					for _, f := range rep.Findings {
						t.Logf("finding %s at %s: %s", f.Rule, f.Location, f.Message)
					}
					t.Fatalf("got %d findings, want exactly one %s", len(rep.Findings), want.rule)
				}
				f := rep.Findings[0]
				if f.Rule != want.rule || !strings.Contains(f.Location.URL+f.Location.Host, want.where) {
					t.Errorf("got %s at %s, want %s at %s", f.Rule, f.Location, want.rule, want.where)
				}
				if !declared(f.Rule) && !slices.ContainsFunc(hostscan.Rules(), func(r finding.Rule) bool { return r.ID == f.Rule }) {
					t.Errorf("rule %s is not declared by any check", f.Rule)
				}
				if f.NeedsReview != want.needsReview {
					t.Errorf("needs_review %v, want %v (%s)", f.NeedsReview, want.needsReview, f.Message)
				}
				if err := f.Location.Validate(); err != nil {
					t.Error(err)
				}
				if len(f.Evidence) == 0 || f.Due == "" || len(f.Fingerprint) != 16 || f.Message == "" {
					t.Errorf("finding lacks evidence, due date, fingerprint or message: %+v", f)
				}
				if got := checkStatus(rep, f.Requirement); got.Status != finding.Fail {
					t.Errorf("requirement %s has status %q with a finding", f.Requirement, got.Status)
				}
				assertNoSecrets(t, rep, app)
			})
		}
	}
	for _, f := range connecttest.Flaws {
		if !covered[f] {
			t.Errorf("flaw %s has no case", f)
		}
	}
}

// assertNoSecrets fails when a token or secret appears anywhere in the
// report, or the report does not validate against the report schema.
func assertNoSecrets(t *testing.T, rep *finding.Report, app *connecttest.App) {
	t.Helper()
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(b); err != nil {
		t.Errorf("report does not validate: %v", err)
	}
	for _, secret := range []string{app.SharedSecret, app.UserJWT, "eyJ"} {
		if strings.Contains(string(b), secret) {
			t.Errorf("report contains %q", secret[:min(len(secret), 12)])
		}
	}
}

func TestFingerprintsAreStable(t *testing.T) {
	app, err := connecttest.Start(connecttest.ForgedAccepted)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	a, b := scan(t, app, outsider, 5*time.Second), scan(t, app, outsider, 5*time.Second)
	if len(a.Findings) != 1 || len(b.Findings) != 1 || a.Findings[0].Fingerprint != b.Findings[0].Fingerprint {
		t.Fatalf("fingerprints differ between runs: %+v %+v", a.Findings, b.Findings)
	}
}

func TestHostileAppIsBoundedAndReported(t *testing.T) {
	rep, app := scanApp(t, connecttest.Hostile, outsider, 3*time.Second)
	errs := map[string]string{}
	for _, e := range rep.Errors {
		errs[strings.TrimPrefix(e.Scope, app.BaseURL)] = e.Message
	}
	want := map[string]string{
		"/hang":    "timed out",
		"/loop":    "redirect loop",
		"/stream":  "too large",
		"/bomb":    "too large",
		"/reset":   "reset",
		"/garbage": "malformed HTTP",
		"/fail":    "500",
	}
	for path, text := range want {
		if !strings.Contains(errs[path], text) {
			t.Errorf("error of %s = %q, want it to say %q", path, errs[path], text)
		}
	}
	if msg := errs["https://127.0.0.2:9/page"]; !strings.Contains(msg, "not probed") {
		t.Errorf("off-host endpoint: error %q, want 'not probed'", msg)
	}
	for _, f := range rep.Findings {
		t.Errorf("unexpected finding %s at %s", f.Rule, f.Location)
	}
	c := checkStatus(rep, "1.1")
	if c.Status != finding.Errored || !strings.Contains(c.Detail, "7 of") {
		t.Errorf("1.1 row %+v: want error with 7 endpoints not judged", c)
	}
	for _, e := range rep.Errors {
		if strings.Contains(e.Message, "eyJ") {
			t.Errorf("error leaks a token: %s", e.Message)
		}
	}
}

func TestDescriptorProblemsStopTheScan(t *testing.T) {
	big := strings.Repeat(" ", 50<<20)
	cases := []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"not found", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }, "404"},
		{"invalid JSON", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "{\n  \"key\": \"a\",\n  \"name\": }")
		}, "line 3"},
		{"missing fields", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"name": "x"}`) }, "key"},
		{"plain http baseUrl", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"key": "k", "name": "n", "baseUrl": "http://127.0.0.1:1"}`)
		}, "https"},
		{"50 MB", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"key": "k",`+big+`}`) }, "too large"},
		{"redirect loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, r.URL.Path, http.StatusFound) }, "redirect"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewTLSServer(c.handler)
			defer srv.Close()
			pool := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
			_, err := Scan(context.Background(), srv.URL+"/atlassian-connect.json", Options{HTTP: httpx.Config{RootCAs: pool, Timeout: 10 * time.Second}})
			if !errors.Is(err, ErrDescriptor) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want a descriptor error saying %q", err, c.want)
			}
		})
	}
	t.Run("unreachable", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		_, err = Scan(context.Background(), "https://"+addr+"/atlassian-connect.json", Options{HTTP: httpx.Config{Timeout: 5 * time.Second}})
		if !errors.Is(err, ErrDescriptor) || !strings.Contains(err.Error(), "refused") {
			t.Fatalf("error %v, want connection refused", err)
		}
	})
	t.Run("not a URL", func(t *testing.T) {
		if _, err := Scan(context.Background(), "ftp://x", Options{}); !errors.Is(err, ErrDescriptor) {
			t.Fatalf("error %v, want a descriptor error", err)
		}
	})
}

// Every rule of every check is unique, belongs to the check's requirement and
// is documented.
func TestRulesAreDeclared(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range checks {
		for _, r := range c.rules {
			if seen[r.ID] {
				t.Errorf("rule %s declared twice", r.ID)
			}
			seen[r.ID] = true
			if r.Requirement != c.requirement || !strings.HasPrefix(r.ID, "connect/") || r.Title == "" || r.Remediation == "" || r.Doc == "" || r.CVSS <= 0 {
				t.Errorf("rule %+v is incomplete or not of requirement %s", r, c.requirement)
			}
		}
	}
}

// declared reports whether a rule id belongs to a check.
func declared(rule string) bool {
	return slices.ContainsFunc(checks, func(c check) bool {
		return slices.ContainsFunc(c.rules, func(r finding.Rule) bool { return r.ID == rule })
	})
}

// The known weaknesses of Atlassian's CSRT (REFERENCE section 9) that are not
// already a flaw case above, each as a regression test. (The flaw cases cover:
// headers judged on 4xx answers (referrer-unsafe, cookie-insecure found
// without a test installation), connect.sid and lower-case attributes
// (cookie-insecure; the correct app's "secure; httponly"), the last
// Referrer-Policy value (the correct app's "unsafe-url, strict-origin-when-
// cross-origin"; referrer-unsafe), cacheable modules still probed
// (cacheable-forged), and admin decided per module entry (report-open-to-user
// while /help and /page of the same module type are not admin).)
func TestCSRTWeaknesses(t *testing.T) {
	rep, app := scanApp(t, connecttest.Correct, installation, 5*time.Second)

	t.Run("qsh follows the canonical rules", func(t *testing.T) {
		// The app checks every qsh: a valid token was accepted on every URL-bound
		// module, including those with query strings and filled placeholders.
		c := checkStatus(rep, "8.1")
		if c.Status != finding.Pass || !strings.Contains(c.Detail, "8 endpoints judged") {
			t.Errorf("8.1 row %+v: want pass on the 8 endpoints whose valid token is accepted", c)
		}
	})
	t.Run("every requirement is in the checks table", func(t *testing.T) {
		for _, req := range []string{"1.1", "1.2", "1.4", "2", "3", "4", "5", "6.1", "6.2", "6.3", "7.2", "7.3", "7.4", "8", "8.1", "9", "10", "11"} {
			if c := checkStatus(rep, req); c.Status == "" || c.Detail == "" {
				t.Errorf("requirement %s missing from the checks table", req)
			}
		}
	})
	t.Run("the user's token is not printed", func(t *testing.T) {
		assertNoSecrets(t, rep, app)
	})
	t.Run("the admin condition is decided per entry", func(t *testing.T) {
		// With the non-admin user's token, /page and /help (generalPages without an
		// admin condition, or with an inverted one) are not admin targets: the
		// correct app serves the user there and nothing is reported.
		for _, f := range rep.Findings {
			t.Errorf("unexpected finding %s at %s", f.Rule, f.Location)
		}
		if c := checkStatus(rep, "1.2"); !strings.Contains(c.Detail, "3 admin endpoints tried") {
			t.Errorf("1.2 row %+v: want 3 admin endpoints: /admin-report by its condition, /admin and /configure by type", c)
		}
	})
}
