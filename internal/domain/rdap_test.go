package domain

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecoscan/ecoscan/internal/finding"
)

var rdapNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func domainDoc(name string, expiration time.Time, status ...string) string {
	st := `[]`
	if len(status) > 0 {
		st = `["` + strings.Join(status, `","`) + `"]`
	}
	return fmt.Sprintf(`{"rdapConformance":["rdap_level_0"],"objectClassName":"domain","ldhName":%q,"status":%s,
		"events":[{"eventAction":"registration","eventDate":"2001-01-01T00:00:00Z"},{"eventAction":"expiration","eventDate":%q}]}`,
		strings.ToUpper(name), st, expiration.Format(time.RFC3339))
}

const rdapNotFound = `{"rdapConformance":["rdap_level_0"],"errorCode":404,"title":"Not Found","description":["The object does not exist."]}`

// rdapServer is an RDAP server with one scripted answer per domain.
func rdapServer(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	doc := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/rdap+json")
			io.WriteString(w, body)
		}
	}
	status := func(code int, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/rdap+json")
			w.WriteHeader(code)
			io.WriteString(w, body)
		}
	}
	mux.Handle("/domain/expired.test", doc(domainDoc("expired.test", rdapNow.AddDate(0, 0, -3))))
	mux.Handle("/domain/soon.test", doc(domainDoc("soon.test", rdapNow.AddDate(0, 0, 10))))
	mux.Handle("/domain/healthy.test", doc(domainDoc("healthy.test", rdapNow.AddDate(1, 0, 0), "client transfer prohibited")))
	mux.Handle("/domain/redemption.test", doc(domainDoc("redemption.test", rdapNow.AddDate(0, 2, 0), "Redemption Period")))
	mux.Handle("/domain/noexp.test", doc(`{"objectClassName":"domain","ldhName":"noexp.test","events":[]}`))
	mux.Handle("/domain/missing.test", status(http.StatusNotFound, rdapNotFound))
	mux.Handle("/domain/indns.test", status(http.StatusNotFound, rdapNotFound))
	mux.Handle("/domain/bare404.test", status(http.StatusNotFound, "not found"))
	mux.Handle("/domain/malformed.test", doc(`{"objectClassName":"domain","events":[{"eventAction":"expiration",`))
	mux.Handle("/domain/wrongname.test", doc(domainDoc("other.test", rdapNow.AddDate(1, 0, 0))))
	mux.Handle("/domain/baddate.test", doc(`{"objectClassName":"domain","events":[{"eventAction":"expiration","eventDate":"next year"}]}`))
	mux.Handle("/domain/error500.test", status(http.StatusInternalServerError, "oops"))
	mux.Handle("/domain/huge.test", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rdap+json")
		io.WriteString(w, `{"objectClassName":"domain","remarks":["`)
		chunk := strings.Repeat("x", 64<<10)
		for range 64 { // 4 MiB
			if _, err := io.WriteString(w, chunk); err != nil {
				return
			}
		}
		io.WriteString(w, `"]}`)
	}))
	mux.Handle("/domain/slow.test", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	mux.Handle("/domain/moved.test", http.RedirectHandler("/registry/domain/moved.test", http.StatusFound))
	mux.Handle("/registry/domain/moved.test", doc(domainDoc("moved.test", rdapNow.AddDate(2, 0, 0))))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestRegistration(t *testing.T) {
	domains := []string{"expired.test", "soon.test", "healthy.test", "redemption.test", "noexp.test", "missing.test",
		"indns.test", "bare404.test", "malformed.test", "wrongname.test", "baddate.test", "error500.test", "huge.test", "slow.test", "moved.test"}
	w := newWorld(t)
	var hosts []string
	for _, d := range domains {
		hosts = append(hosts, "www."+d)
		if d == "missing.test" {
			continue // not registered: not in DNS either
		}
		w.zone(t, d+".")
		w.add(t, "www."+d+". A 192.0.2.40")
	}
	port := startDNS(t, w)
	cfg := testConfig(port, rdapServer(t).URL)
	cfg.RDAPTimeout = time.Second
	cfg.Now = func() time.Time { return rdapNow }
	r := Scan(context.Background(), hosts, cfg)

	var got []string
	for _, f := range r.Findings() {
		got = append(got, f.Rule+" "+f.Location.Key())
	}
	slices.Sort(got)
	want := []string{
		"domain/registration-available missing.test:443",
		"domain/registration-expired expired.test:443",
		"domain/registration-expired redemption.test:443",
		"domain/registration-expiring soon.test:443",
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	f := findingOf(t, r, "domain/registration-expiring", "soon.test:443")
	if f.Severity != finding.Medium || f.CVSS != 5.3 || f.Requirement != "6.2" || !strings.Contains(f.Message, "in 10 days") {
		t.Errorf("expiring: %+v", f)
	}
	f = findingOf(t, r, "domain/registration-available", "missing.test:443")
	if f.Severity != finding.Critical || f.CVSS != 9.0 || !strings.Contains(f.Message, "used by www.missing.test") {
		t.Errorf("available: %+v", f)
	}
	f = findingOf(t, r, "domain/registration-expired", "expired.test:443")
	if f.Severity != finding.Critical || !strings.Contains(f.Message, "expired on 2026-02-26") {
		t.Errorf("expired: %+v", f)
	}

	for domain, why := range map[string]string{
		"indns.test":     "DNS does not confirm",
		"bare404.test":   "404 without an RDAP error body",
		"malformed.test": "read the RDAP answer",
		"wrongname.test": `about "OTHER.TEST"`,
		"baddate.test":   `"next year" is not RFC 3339`,
		"error500.test":  "500 Internal Server Error",
		"huge.test":      "larger than 1048576 bytes",
		"slow.test":      "deadline exceeded",
	} {
		errorOf(t, r, domain, why)
	}
	row := rowOf(t, r, "6.2")
	if row.Status != finding.Fail || !strings.HasPrefix(row.Detail, "4 of 15 registrable domains expired, expiring or not registered; 9 could not be judged") ||
		!strings.Contains(row.Detail, "noexp.test: RDAP gives no expiration date") || !strings.Contains(row.Detail, "the earliest expiration is healthy.test's, 2027-03-01") {
		t.Errorf("row: %+v", row)
	}
	for _, d := range r.Domains {
		if d.Domain == "moved.test" && (d.Skipped != "" || !strings.HasSuffix(d.URL, "/registry/domain/moved.test")) {
			t.Errorf("redirected lookup: %+v", d)
		}
	}
}

// TestRegistrationNeverPassesUnchecked: a domain RDAP could not answer for
// makes the row skipped, not pass, even when the others are healthy.
func TestRegistrationNeverPassesUnchecked(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	for _, tc := range []struct {
		name, base string
		hosts      []string
		why        string
	}{
		{"one malformed", "", []string{"www.healthy.test", "www.malformed.test"}, "malformed.test: read the RDAP answer"},
		{"unreachable", closed.URL + "/", []string{"www.healthy.test"}, "connection refused"},
		{"bad base URL", "ftp://rdap.example/", []string{"www.healthy.test"}, "want an http or https URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{Resolver: "127.0.0.1:1", QueryTimeout: 100 * time.Millisecond, RDAPBase: tc.base, RDAPTimeout: time.Second, Now: func() time.Time { return rdapNow }}
			if tc.base == "" {
				cfg.RDAPBase = rdapServer(t).URL + "/"
			}
			r := Scan(context.Background(), tc.hosts, cfg)
			row := rowOf(t, r, "6.2")
			if row.Status != finding.Skipped || !strings.Contains(row.Detail, tc.why) {
				t.Errorf("row %+v", row)
			}
			if len(r.Errors()) == 0 {
				t.Error("no error listed")
			}
		})
	}
}

// roundTripper answers every request itself.
type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestRegistrationBootstrap404: the bootstrap service's own 404 (it knows no
// RDAP server for the TLD) does not say the domain is free.
func TestRegistrationBootstrap404(t *testing.T) {
	base, _ := url.Parse(DefaultRDAPBase)
	s := &scanner{
		cfg:      Config{RDAPTimeout: time.Second, RDAPMaxBody: 1 << 20},
		rdapBase: base,
		rdap: &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: http.StatusNotFound, Status: "404 Not Found", Request: r,
				Header: http.Header{}, Body: io.NopCloser(strings.NewReader(rdapNotFound))}, nil
		})},
	}
	reg, err := s.lookupRDAP(context.Background(), "example.invalid")
	if err == nil || reg.NotFound || !strings.Contains(reg.Skipped, "rdap.org knows no RDAP server") {
		t.Errorf("%+v, %v", reg, err)
	}
}

func TestParseRDAP(t *testing.T) {
	doc, err := parseRDAP([]byte(`{"objectClassName":"domain","ldhName":"example.com.","status":[" Active "],"events":[
		{"eventAction":"expiration","eventDate":"2027-01-01T00:00:00.5+02:00"},
		{"eventAction":"EXPIRATION","eventDate":"2028-06-30T10:00:00"}]}`), "example.com")
	if err != nil || !doc.expiration.Equal(time.Date(2028, 6, 30, 10, 0, 0, 0, time.UTC)) || !slices.Equal(doc.status, []string{"active"}) {
		t.Errorf("%+v, %v", doc, err)
	}
	for _, bad := range []string{`[]`, `{"objectClassName":"entity"}`, `{"objectClassName":"domain","events":{}}`, `null`} {
		if _, err := parseRDAP([]byte(bad), "example.com"); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
	if isRDAPNotFound([]byte(`{"errorCode":"404"}`)) || isRDAPNotFound([]byte(`{"errorCode":500}`)) || !isRDAPNotFound([]byte(rdapNotFound)) {
		t.Error("isRDAPNotFound")
	}
}
