package hostscan

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ecoscan/ecoscan/internal/domain"
	"github.com/ecoscan/ecoscan/internal/finding"
	"github.com/ecoscan/ecoscan/internal/httpx"
	"github.com/ecoscan/ecoscan/internal/tlsprobe"
)

func TestTargetsGroupByHostPort(t *testing.T) {
	got := Targets([]string{
		"https://a.example:8443/x?jwt=1", "https://a.example:8443/y", "https://a.example/z",
		"http://a.example/plain", "mailto:x@y", "https://a.example:8443/x?jwt=1", "https://[::1]:9443/",
	})
	want := []Target{
		{Host: "a.example", Port: 8443, TLS: true, URLs: []string{"https://a.example:8443/x?jwt=1", "https://a.example:8443/y"}},
		{Host: "a.example", Port: 443, TLS: true, URLs: []string{"https://a.example/z"}},
		{Host: "a.example", Port: 80, URLs: []string{"http://a.example/plain"}},
		{Host: "::1", Port: 9443, TLS: true, URLs: []string{"https://[::1]:9443/"}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i].Addr() != want[i].Addr() || got[i].TLS != want[i].TLS || strings.Join(got[i].URLs, " ") != strings.Join(want[i].URLs, " ") {
			t.Errorf("target %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

// server answers every request with the given HSTS header ("" for none)
// and, on plain HTTP, the given redirect.
func server(t *testing.T, tls bool, hsts, redirect string) (*httptest.Server, Target) {
	t.Helper()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hsts != "" {
			w.Header().Set("Strict-Transport-Security", hsts)
		}
		if redirect != "" {
			http.Redirect(w, r, redirect, http.StatusMovedPermanently)
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
	})
	var srv *httptest.Server
	if tls {
		srv = httptest.NewTLSServer(h)
	} else {
		srv = httptest.NewServer(h)
	}
	t.Cleanup(srv.Close)
	return srv, Targets([]string{srv.URL + "/page", srv.URL + "/other"})[0]
}

func scan(t *testing.T, srv *httptest.Server, target Target) *Result {
	t.Helper()
	var cfg Config
	cfg.HTTP = httpx.New(httpx.Config{Timeout: 5 * time.Second})
	if srv.TLS != nil {
		pool := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
		cfg.HTTP = httpx.New(httpx.Config{Timeout: 5 * time.Second, RootCAs: pool})
		cfg.TLS = tlsprobe.Config{Timeout: 5 * time.Second, RootCAs: pool}
	}
	// Loopback only: nothing to resolve, and no RDAP service to ask.
	cfg.Domain = domain.Config{Resolver: "127.0.0.1:9", RDAPBase: "http://127.0.0.1:9/"}
	return Scan(context.Background(), []Target{target}, cfg)
}

func rules(r *Result) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.Rule)
	}
	return out
}

func row(r *Result, req string) finding.Check {
	for _, c := range r.Checks {
		if c.Requirement == req {
			return c
		}
	}
	return finding.Check{}
}

func TestHSTSAndRedirects(t *testing.T) {
	cases := []struct {
		name     string
		tls      bool
		hsts     string
		redirect string
		want     string // the one rule expected, "" for none
	}{
		{"one year, on a refused answer too", true, "max-age=31536000", "", ""},
		{"two years with includeSubDomains", true, "max-age=63072000; includeSubDomains; preload", "", ""},
		{"missing", true, "", "", "tls/hsts-missing"},
		{"half a year (testssl.sh's threshold, not ours)", true, "max-age=15768000", "", "tls/hsts-max-age"},
		{"present but invalid", true, "max-age=abc", "", "tls/hsts-max-age"},
		{"plain HTTP redirecting to HTTPS", false, "", "https://127.0.0.1/", ""},
		{"plain HTTP redirecting to plain HTTP", false, "", "http://127.0.0.1/elsewhere", "tls/http-no-redirect"},
		{"plain HTTP serving", false, "", "", "tls/http-no-redirect"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, target := server(t, c.tls, c.hsts, c.redirect)
			r := scan(t, srv, target)
			got := rules(r)
			if (c.want == "" && len(got) != 0) || (c.want != "" && (len(got) != 1 || got[0] != c.want)) {
				t.Fatalf("findings %v, want %q; errors %+v", got, c.want, r.Errors)
			}
			status := row(r, "3").Status
			if (c.want == "") != (status == finding.Pass) {
				t.Errorf("row 3 %+v with findings %v", row(r, "3"), got)
			}
			for _, f := range r.Findings {
				if err := f.Location.Validate(); err != nil || len(f.Evidence) == 0 {
					t.Errorf("finding %+v: %v", f, err)
				}
			}
			if c.tls && row(r, "6.2").Status != finding.Pass {
				t.Errorf("the test server's certificate is trusted here: row 6.2 %+v", row(r, "6.2"))
			}
			for _, req := range []string{"6.1", "6.3"} {
				if row(r, req).Status != finding.NotApplicable {
					t.Errorf("an IP address has no domain: row %s %+v", req, row(r, req))
				}
			}
		})
	}
}

func TestUnreachableHostIsAnErrorNotAPass(t *testing.T) {
	srv, target := server(t, true, "max-age=31536000", "")
	srv.Close()
	r := scan(t, srv, target)
	if len(r.Findings) != 0 || len(r.Errors) == 0 {
		t.Fatalf("findings %v, errors %+v: want errors only", rules(r), r.Errors)
	}
	if s := row(r, "3").Status; s != finding.Errored {
		t.Errorf("row 3 status %q, want error", s)
	}
}
