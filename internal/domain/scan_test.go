package domain

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecoscan/ecoscan/internal/finding"
)

// dnsWorld is the scripted DNS of TestScanDNS: one host name per case.
func dnsWorld(t *testing.T) *world {
	w := newWorld(t)
	w.zone(t, "example.test.")
	w.zone(t, "elsewhere.test.")
	w.zone(t, "azurewebsites.net.")
	w.zone(t, "lame.test.", "ns-refused.test.", "ns-servfail.test.", "ns-ok.test.")
	w.add(t, "gone-dns.test. NS ns-refused.test.", "gone-dns.test. NS ns-silent.test.")
	w.failing = []string{"gone-dns.test."}
	w.add(t,
		"healthy.example.test. A 192.0.2.10",
		"chain.example.test. CNAME hop1.example.test.",
		"hop1.example.test. CNAME healthy.example.test.",
		"takeover.example.test. CNAME gone-app.azurewebsites.net.",
		"dangling.example.test. CNAME missing.elsewhere.test.",
		"loop.example.test. CNAME loop2.example.test.",
		"loop2.example.test. CNAME loop.example.test.",
		"big.example.test. A 192.0.2.11",
		"big.example.test. AAAA 2001:db8::11",
		"www.lame.test. A 192.0.2.12",
	)
	for i := range 12 {
		w.add(t, fmt.Sprintf("l%d.example.test. CNAME l%d.example.test.", i, i+1))
	}
	w.add(t, "l12.example.test. A 192.0.2.13")
	w.special["big.example.test."] = "truncate"
	w.special["slow.example.test."] = "slow"
	w.special["malformed.example.test."] = "malformed"
	return w
}

func TestScanDNS(t *testing.T) {
	port := startDNS(t, dnsWorld(t))
	rdap := healthyRDAP(t)
	hosts := []string{
		"healthy.example.test", "https://chain.example.test/path", "takeover.example.test:8443",
		"dangling.example.test", "loop.example.test", "l0.example.test", "big.example.test",
		"slow.example.test", "malformed.example.test", "www.lame.test", "www.gone-dns.test",
		"HEALTHY.example.test.", // the same host again
	}
	r := Scan(context.Background(), hosts, testConfig(port, rdap.URL))

	host := func(name string) Host {
		for _, h := range r.Hosts {
			if h.Name == name {
				return h
			}
		}
		t.Fatalf("no host %s in %v", name, r.Hosts)
		return Host{}
	}
	if len(r.Hosts) != 11 {
		t.Errorf("%d hosts, want 11 (the repeated one dropped)", len(r.Hosts))
	}

	t.Run("healthy", func(t *testing.T) {
		h := host("healthy.example.test")
		if h.End != Resolved || h.Err != "" || len(h.Chain) != 1 || !slices.Equal(h.Chain[0].Addrs, []string{"192.0.2.10"}) {
			t.Errorf("healthy: %+v", h)
		}
	})
	t.Run("chain to a healthy name", func(t *testing.T) {
		h := host("chain.example.test")
		if h.End != Resolved || len(h.Chain) != 3 || h.Chain[0].CNAME != "hop1.example.test" || h.Chain[1].CNAME != "healthy.example.test" {
			t.Errorf("chain: %+v", h)
		}
		for _, hop := range h.Chain {
			if hop.Rcode != "NOERROR" {
				t.Errorf("hop %v: rcode %s, want each hop's own NOERROR", hop.Name, hop.Rcode)
			}
		}
	})
	t.Run("dangling CNAME into a takeover service", func(t *testing.T) {
		h := host("takeover.example.test")
		if h.End != NXDomain || h.Takeover == nil || h.Takeover.Service != "Microsoft Azure" || h.Takeover.Name != "gone-app.azurewebsites.net" {
			t.Fatalf("takeover: %+v (takeover %+v)", h, h.Takeover)
		}
		if got := h.Chain[len(h.Chain)-1].Rcode; got != "NXDOMAIN" {
			t.Errorf("last hop rcode %s", got)
		}
		f := findingOf(t, r, "domain/dangling-cname", "takeover.example.test:8443")
		if f.Severity != finding.Critical || f.CVSS != 9.1 || f.Requirement != "6.3" || f.NeedsReview {
			t.Errorf("finding: %+v", f)
		}
		if !strings.Contains(f.Message, "gone-app.azurewebsites.net does not exist (NXDOMAIN)") {
			t.Errorf("message: %s", f.Message)
		}
	})
	t.Run("dangling CNAME into another domain", func(t *testing.T) {
		h := host("dangling.example.test")
		if h.End != NXDomain || h.Takeover != nil || len(h.Chain) != 2 {
			t.Errorf("dangling: %+v", h)
		}
		if row := rowOf(t, r, "6.3"); !strings.Contains(row.Detail, "dangling.example.test -> missing.elsewhere.test (NXDOMAIN)") {
			t.Errorf("6.3 row does not report the chain: %s", row.Detail)
		}
	})
	t.Run("loop", func(t *testing.T) {
		h := host("loop.example.test")
		if h.End != Failed || !strings.Contains(h.Err, "CNAME loop") || len(h.Chain) != 2 {
			t.Errorf("loop: %+v", h)
		}
		errorOf(t, r, "loop.example.test", "CNAME loop")
	})
	t.Run("chain of 12 hops", func(t *testing.T) {
		h := host("l0.example.test")
		if h.End != Failed || !strings.Contains(h.Err, "longer than 10 hops") || len(h.Chain) != maxHops+1 {
			t.Errorf("long chain: end %s, %d hops, err %q", h.End, len(h.Chain), h.Err)
		}
	})
	t.Run("truncated answer retried over TCP", func(t *testing.T) {
		h := host("big.example.test")
		if h.End != Resolved || h.Err != "" || !h.Chain[0].TCP || !slices.Equal(h.Chain[0].Addrs, []string{"192.0.2.11"}) {
			t.Errorf("big: %+v", h)
		}
	})
	t.Run("slow server", func(t *testing.T) {
		h := host("slow.example.test")
		if h.End != Failed || !strings.Contains(h.Err, "no answer within 300ms") {
			t.Errorf("slow: %+v", h)
		}
	})
	t.Run("malformed answer", func(t *testing.T) {
		h := host("malformed.example.test")
		if h.End != Failed || !strings.Contains(h.Err, "malformed DNS answer") {
			t.Errorf("malformed: %+v", h)
		}
	})
	t.Run("lame delegation", func(t *testing.T) {
		f := findingOf(t, r, "domain/lame-delegation", "lame.test:53")
		if f.Severity != finding.High || f.Requirement != "6.1" || !strings.HasPrefix(f.Message, "2 of the 3 name servers asked do not serve lame.test") {
			t.Errorf("finding: %+v", f)
		}
		ev := strings.Join(f.Evidence, "\n")
		for _, want := range []string{"ns-refused.test (127.0.0.2): answered REFUSED", "ns-servfail.test (127.0.0.3): answered SERVFAIL", "ns-ok.test (127.0.0.4): answers with the zone's SOA"} {
			if !strings.Contains(ev, want) {
				t.Errorf("evidence lacks %q:\n%s", want, ev)
			}
		}
	})
	t.Run("lame delegation the resolver cannot resolve", func(t *testing.T) {
		if h := host("www.gone-dns.test"); !strings.Contains(h.Err, "SERVFAIL") {
			t.Errorf("www.gone-dns.test: %+v", h)
		}
		f := findingOf(t, r, "domain/lame-delegation", "gone-dns.test:53")
		ev := strings.Join(f.Evidence, "\n")
		for _, want := range []string{"answered REFUSED", "ns-silent.test (127.0.0.5): does not answer", "read from the parent zone's servers"} {
			if !strings.Contains(ev, want) {
				t.Errorf("evidence lacks %q:\n%s", want, ev)
			}
		}
	})

	var got []string
	for _, f := range r.Findings() {
		got = append(got, f.Rule+" "+f.Location.Key())
		if err := f.Location.Validate(); err != nil {
			t.Errorf("finding %s: %v", f.Rule, err)
		}
	}
	slices.Sort(got)
	want := []string{"domain/dangling-cname takeover.example.test:8443", "domain/lame-delegation gone-dns.test:53", "domain/lame-delegation lame.test:53"}
	if !slices.Equal(got, want) {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for req, status := range map[string]finding.Status{"6.1": finding.Fail, "6.2": finding.Pass, "6.3": finding.Fail} {
		if row := rowOf(t, r, req); row.Status != status {
			t.Errorf("row %s: %s (%s), want %s", req, row.Status, row.Detail, status)
		}
	}
	if row := rowOf(t, r, "6.3"); !strings.HasPrefix(row.Detail, "1 of 11 hosts point at an unclaimed resource") || !strings.Contains(row.Detail, "5 could not be judged") {
		t.Errorf("6.3 detail: %s", row.Detail)
	}
	for _, scope := range []string{"l0.example.test", "slow.example.test", "malformed.example.test", "www.gone-dns.test"} {
		errorOf(t, r, scope, "")
	}
}

func TestScanNotApplicable(t *testing.T) {
	r := Scan(context.Background(), []string{"10.0.0.1", "[2001:db8::1]:8080", "localhost:3000", "app.localhost", "intranet"}, Config{Resolver: "127.0.0.1:1"})
	for _, row := range r.Rows() {
		if row.Status != finding.NotApplicable || !strings.Contains(row.Detail, "10.0.0.1 (an IP address)") || !strings.Contains(row.Detail, "localhost (localhost)") {
			t.Errorf("row %+v", row)
		}
	}
	if len(r.Findings()) != 0 || len(r.Errors()) != 0 {
		t.Errorf("findings %v, errors %v", r.Findings(), r.Errors())
	}
	r = Scan(context.Background(), nil, Config{})
	if rows := r.Rows(); len(rows) != 3 || rows[0].Requirement != "6.1" || rows[1].Requirement != "6.2" || rows[2].Requirement != "6.3" || rows[2].Status != finding.NotApplicable {
		t.Errorf("rows without hosts: %+v", rows)
	}
}

func TestScanBadHost(t *testing.T) {
	r := Scan(context.Background(), []string{"bad host name", "exa mple.com:99999"}, Config{Resolver: "127.0.0.1:1"})
	if errs := r.Errors(); len(errs) != 2 || errs[0].Scope != "bad host name" {
		t.Errorf("errors: %+v", errs)
	}
}

func TestScanCancelled(t *testing.T) {
	w := newWorld(t)
	w.special["slow.example.test."] = "slow"
	port := startDNS(t, w)
	cfg := testConfig(port, healthyRDAP(t).URL)
	cfg.QueryTimeout = time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	r := Scan(ctx, []string{"slow.example.test"}, cfg)
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("a cancelled scan took %s", d)
	}
	if h := r.Hosts[0]; h.End != Failed || !strings.Contains(h.Err, "deadline") {
		t.Errorf("host: %+v", h)
	}
}

func TestResolverAddr(t *testing.T) {
	for _, tc := range []struct{ configured, want string }{
		{"192.0.2.53:5353", "192.0.2.53:5353"},
		{"192.0.2.53", "192.0.2.53:53"},
		{"2001:db8::53", "[2001:db8::53]:53"},
		{"[2001:db8::53]:5300", "[2001:db8::53]:5300"},
		{"", "192.0.2.1:53"},
	} {
		got, err := resolverAddr(tc.configured, "testdata/resolv.conf")
		if err != nil || got != tc.want {
			t.Errorf("resolverAddr(%q) = %q, %v; want %q", tc.configured, got, err, tc.want)
		}
	}
	if _, err := resolverAddr("", "testdata/no-such-file"); err == nil {
		t.Error("a missing resolv.conf is not an error")
	}
}

func TestConfigFromEnv(t *testing.T) {
	t.Setenv(EnvResolver, " 127.0.0.1:5353 ")
	t.Setenv(EnvRDAPURL, "http://127.0.0.1:8080/rdap/")
	c := ConfigFromEnv()
	if c.Resolver != "127.0.0.1:5353" || c.RDAPBase != "http://127.0.0.1:8080/rdap/" {
		t.Errorf("%+v", c)
	}
}

func TestRules(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules() {
		if !strings.HasPrefix(r.ID, "domain/") || seen[r.ID] || r.Title == "" || r.Doc == "" || r.Remediation == "" || r.CVSS == 0 {
			t.Errorf("rule %+v", r)
		}
		seen[r.ID] = true
	}
	if len(seen) != 5 {
		t.Errorf("%d rules", len(seen))
	}
}

func TestRegistrable(t *testing.T) {
	for name, want := range map[string]string{
		"app.example.com":                "example.com",
		"example.com":                    "example.com",
		"a.b.example.co.uk":              "example.co.uk",
		"ecoscan-demo.github.io":         "github.io",
		"bucket.s3.amazonaws.com":        "amazonaws.com",
		"x.y.herokuapp.com":              "herokuapp.com",
		"app.example.test":               "example.test",
		"gone.eastus.cloudapp.azure.com": "azure.com",
	} {
		if got, err := registrable(name); err != nil || got != want {
			t.Errorf("registrable(%s) = %s, %v; want %s", name, got, err, want)
		}
	}
	for _, name := range []string{"com", "co.uk", `a\.b.com`} {
		if got, err := registrable(name); err == nil {
			t.Errorf("registrable(%s) = %s, want an error", name, got)
		}
	}
	if got := zoneCandidates("a.b.example.com."); !slices.Equal(got, []string{"example.com.", "b.example.com.", "a.b.example.com."}) {
		t.Errorf("zoneCandidates: %v", got)
	}
}

func findingOf(t *testing.T, r *Result, rule, key string) finding.Finding {
	t.Helper()
	for _, f := range r.Findings() {
		if f.Rule == rule && f.Location.Key() == key {
			return f
		}
	}
	t.Fatalf("no %s finding at %s in %+v", rule, key, r.Findings())
	return finding.Finding{}
}

func rowOf(t *testing.T, r *Result, req string) finding.Check {
	t.Helper()
	for _, row := range r.Rows() {
		if row.Requirement == req {
			return row
		}
	}
	t.Fatalf("no row %s", req)
	return finding.Check{}
}

func errorOf(t *testing.T, r *Result, scope, contains string) {
	t.Helper()
	for _, e := range r.Errors() {
		if e.Scope == scope && strings.Contains(e.Message, contains) {
			return
		}
	}
	t.Errorf("no error for %s containing %q in %+v", scope, contains, r.Errors())
}

// TestLameNSHostGone: an NS host whose name does not exist makes its server
// lame (whoever registers its domain answers for the zone).
func TestLameNSHostGone(t *testing.T) {
	w := newWorld(t)
	w.zone(t, "orphan.test.", "ns-ok.test.", "ns1.expired-dns.test.")
	w.add(t, "www.orphan.test. A 192.0.2.50")
	port := startDNS(t, w)
	r := Scan(context.Background(), []string{"www.orphan.test"}, testConfig(port, healthyRDAP(t).URL))
	f := findingOf(t, r, "domain/lame-delegation", "orphan.test:53")
	if !strings.Contains(f.Message, "1 of the 2 name servers asked do not serve orphan.test: ns1.expired-dns.test: the name server's name does not exist (NXDOMAIN)") {
		t.Errorf("message: %s", f.Message)
	}
	if len(r.Errors()) != 0 {
		t.Errorf("errors: %v", r.Errors())
	}
}

func TestRDAPBaseWithPath(t *testing.T) {
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = append(asked, r.URL.Path)
		fmt.Fprintf(w, `{"objectClassName":"domain","events":[{"eventAction":"expiration","eventDate":"2099-01-01T00:00:00Z"}]}`)
	}))
	defer srv.Close()
	r := Scan(context.Background(), []string{"app.example.com"}, Config{Resolver: "127.0.0.1:1", QueryTimeout: 100 * time.Millisecond, RDAPBase: srv.URL + "/rdap"})
	if row := rowOf(t, r, "6.2"); row.Status != finding.Pass || !slices.Equal(asked, []string{"/rdap/domain/example.com"}) {
		t.Errorf("row %+v, asked %v", row, asked)
	}
}
