package domain

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ecoscan/ecoscan/internal/finding"
)

const normalPage = "<!doctype html><html><head><title>Welcome</title></head><body><h1>It works</h1></body></html>"

// slug names an entry's test pages: its name in lower case, other characters as "-".
func slug(name string) string {
	return strings.Trim(regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(strings.ToLower(name), "-"), "-")
}

// samples lists the unclaimed-resource pages of an HTTP entry.
func samples(t *testing.T, svc *service) []string {
	files, err := filepath.Glob(filepath.Join("testdata", "takeover", slug(svc.Name)+".*"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestFingerprintData(t *testing.T) {
	all, err := services()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 {
		t.Fatal("no fingerprints")
	}
	for _, svc := range all {
		if svc.HTTP != nil && len(samples(t, svc)) == 0 {
			t.Errorf("%s: no page in testdata/takeover/%s.*", svc.Name, slug(svc.Name))
		}
		for _, suffix := range svc.CNAME {
			covered := false
			for _, e := range svc.Examples {
				covered = covered || strings.HasSuffix(e, "."+suffix)
			}
			if !covered {
				t.Errorf("%s: no example under %s", svc.Name, suffix)
			}
		}
	}
}

func TestFingerprintDataErrors(t *testing.T) {
	for _, tc := range []struct{ name, json, want string }{
		{"not json", `{`, "read the takeover fingerprints"},
		{"unknown field", `{"services":[{"nam":"x"}]}`, "unknown field"},
		{"no signal", `{"services":[{"name":"x","cname":["x.com"],"claim":"c","source":"s","examples":["a.x.com"]}]}`, "no signal"},
		{"bad example", `{"services":[{"name":"x","cname":["x.com"],"nxdomain":true,"claim":"c","source":"s","examples":["a.y.com"]}]}`, "does not match"},
		{"bad pattern", `{"services":[{"name":"x","cname":["x.com"],"pattern":"(","nxdomain":true,"claim":"c","source":"s","examples":["a.x.com"]}]}`, "pattern"},
		{"no source", `{"services":[{"name":"x","cname":["x.com"],"nxdomain":true,"claim":"c","examples":["a.x.com"]}]}`, "no source"},
		{"twice", `{"services":[{"name":"x","cname":["x.com"],"nxdomain":true,"claim":"c","source":"s","examples":["a.x.com"]},{"name":"x","cname":["x.com"],"nxdomain":true,"claim":"c","source":"s","examples":["a.x.com"]}]}`, "twice"},
		{"upper-case cname", `{"services":[{"name":"x","cname":["X.com"],"nxdomain":true,"claim":"c","source":"s","examples":["a.x.com"]}]}`, "lower-case"},
	} {
		if _, err := parseServices([]byte(tc.json)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.want)
		}
	}
}

func TestFingerprintPatterns(t *testing.T) {
	all, err := services()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*service{}
	for _, s := range all {
		byName[s.Name] = s
	}
	for _, tc := range []struct {
		service, name string
		want          bool
	}{
		{"AWS Elastic Beanstalk", "gone.elasticbeanstalk.com", false}, // no region: cannot be claimed
		{"AWS Elastic Beanstalk", "gone.us-gov-west-1.elasticbeanstalk.com", true},
		{"Amazon S3", "my-lb-1234.eu-west-1.elb.amazonaws.com", false},
		{"Amazon S3", "ec2-192-0-2-1.compute-1.amazonaws.com", false},
		{"Amazon S3", "s3x.amazonaws.com", false},
		{"Amazon S3", "bucket.s3.dualstack.us-east-1.amazonaws.com", true},
		{"Microsoft Azure", "azurewebsites.net", false}, // the service's own domain is not a resource
		{"GitHub Pages", "notgithub.io", false},
	} {
		if got := byName[tc.service].matches(tc.name); got != tc.want {
			t.Errorf("%s matches %s = %v, want %v", tc.service, tc.name, got, tc.want)
		}
	}
}

// routeTo is an HTTPGet that sends every URL's path to srv, with the URL's
// host as the Host header, as a DNS answer pointing at srv would.
func routeTo(srv *httptest.Server) HTTPGet {
	return func(ctx context.Context, u string) (int, []byte, error) {
		orig, err := url.Parse(u)
		if err != nil {
			return 0, nil, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+orig.Path, nil)
		if err != nil {
			return 0, nil, err
		}
		req.Host = orig.Host
		resp, err := srv.Client().Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return resp.StatusCode, body, err
	}
}

func pageServer(t *testing.T, status int, page []byte) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		_, _ = w.Write(page)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestFingerprintEntries tests every entry of fingerprints.json through a
// scan: an NXDOMAIN entry with a chain into each example that does not exist
// (a finding) and one that resolves (none); an HTTP entry with each of its
// unclaimed pages (a finding for a chain into each example and for the
// example used directly) and with a normal page (none).
func TestFingerprintEntries(t *testing.T) {
	all, err := services()
	if err != nil {
		t.Fatal(err)
	}
	rdap := healthyRDAP(t)
	for _, svc := range all {
		t.Run(svc.Name, func(t *testing.T) {
			if svc.NXDomain {
				testNXDomainEntry(t, svc, rdap.URL)
			}
			if svc.HTTP != nil {
				testHTTPEntry(t, svc, rdap.URL)
			}
		})
	}
}

func testNXDomainEntry(t *testing.T, svc *service, rdapURL string) {
	w := newWorld(t)
	w.zone(t, "example.test.")
	var gone, live []string
	for i, e := range svc.Examples {
		g, l := fmt.Sprintf("gone%d.example.test", i), fmt.Sprintf("live%d.example.test", i)
		w.add(t, g+". CNAME "+e+".", l+". CNAME live-"+e+".", "live-"+e+". A 192.0.2.30")
		gone, live = append(gone, g), append(live, l)
	}
	port := startDNS(t, w)
	r := Scan(context.Background(), append(gone, live...), testConfig(port, rdapURL))
	for i, h := range r.Hosts {
		wantTakeover := i < len(gone)
		switch {
		case h.Err != "":
			t.Errorf("%s: %s", h.Name, h.Err)
		case wantTakeover && (h.Takeover == nil || h.Takeover.Service != svc.Name || h.End != NXDomain):
			t.Errorf("%s -> %s: no %s takeover: %+v", h.Name, svc.Examples[i], svc.Name, h)
		case !wantTakeover && h.Takeover != nil:
			t.Errorf("%s resolves, yet a takeover: %+v", h.Name, h.Takeover)
		}
	}
	if n := countRule(r, "domain/dangling-cname"); n != len(gone) {
		t.Errorf("%d dangling-cname findings, want %d", n, len(gone))
	}
}

func testHTTPEntry(t *testing.T, svc *service, rdapURL string) {
	w := newWorld(t)
	w.zone(t, "example.test.")
	var hosts []string
	for i, e := range svc.Examples {
		h := fmt.Sprintf("h%d.example.test", i)
		w.add(t, h+". CNAME "+e+".", e+". A 192.0.2.20")
		hosts = append(hosts, h, e) // through a CNAME, and used directly
	}
	port := startDNS(t, w)
	status := svc.HTTP.Status
	if status == 0 {
		status = http.StatusNotFound
	}
	for _, file := range samples(t, svc) {
		page, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		cfg := testConfig(port, rdapURL)
		cfg.HTTPGet = routeTo(pageServer(t, status, page))
		r := Scan(context.Background(), hosts, cfg)
		if n := countRule(r, "domain/dangling-cname"); n != len(hosts) {
			t.Errorf("%s: %d findings, want %d: hosts %+v", file, n, len(hosts), r.Hosts)
		}
		for _, f := range r.Findings() {
			if f.Rule == "domain/dangling-cname" && (f.NeedsReview != svc.EdgeCase || !strings.Contains(f.Message, svc.Name)) {
				t.Errorf("%s: finding %+v", file, f)
			}
		}
	}

	cfg := testConfig(port, rdapURL)
	cfg.HTTPGet = routeTo(pageServer(t, http.StatusOK, []byte(normalPage)))
	r := Scan(context.Background(), hosts, cfg)
	if n := countRule(r, "domain/dangling-cname"); n != 0 || len(r.Errors()) != 0 {
		t.Errorf("a normal page: %d findings, errors %v", n, r.Errors())
	}
	if row := rowOf(t, r, "6.3"); row.Status != finding.Pass {
		t.Errorf("a normal page: row %+v", row)
	}
}

// TestTakeoverFetch covers the fetch itself: HTTPS after a failed HTTP,
// and an error when neither answers.
func TestTakeoverFetch(t *testing.T) {
	w := newWorld(t)
	w.zone(t, "example.test.")
	w.add(t, "app.example.test. CNAME ecoscan-demo.github.io.", "ecoscan-demo.github.io. A 192.0.2.20")
	port := startDNS(t, w)
	rdap := healthyRDAP(t)
	page, err := os.ReadFile("testdata/takeover/github-pages.html")
	if err != nil {
		t.Fatal(err)
	}
	srv := pageServer(t, http.StatusNotFound, page)

	cfg := testConfig(port, rdap.URL)
	var asked []string
	cfg.HTTPGet = func(ctx context.Context, u string) (int, []byte, error) {
		asked = append(asked, u)
		if strings.HasPrefix(u, "http:") {
			return 0, nil, errors.New("connection refused")
		}
		return routeTo(srv)(ctx, u)
	}
	r := Scan(context.Background(), []string{"app.example.test"}, cfg)
	if h := r.Hosts[0]; h.Takeover == nil || !strings.Contains(h.Takeover.Signal, "GET https://app.example.test/ answered 404") {
		t.Errorf("over HTTPS: %+v (asked %v)", h, asked)
	}
	f := findingOf(t, r, "domain/dangling-cname", "app.example.test:443")
	if !f.NeedsReview {
		t.Error("a GitHub Pages finding is not marked for review")
	}

	cfg.HTTPGet = func(context.Context, string) (int, []byte, error) { return 0, nil, errors.New("connection refused") }
	r = Scan(context.Background(), []string{"app.example.test"}, cfg)
	if row := rowOf(t, r, "6.3"); row.Status != finding.Errored {
		t.Errorf("no page at all: row %+v", row)
	}
	errorOf(t, r, "app.example.test", "GitHub Pages")
}

func countRule(r *Result, rule string) int {
	n := 0
	for _, f := range r.Findings() {
		if f.Rule == rule {
			n++
		}
	}
	return n
}
