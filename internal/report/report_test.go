package report

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecoscan/ecoscan/internal/finding"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// sampleStart is the start of the sample scan; fixed so that due dates and
// the golden files do not move.
var sampleStart = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// Rules of the sample report.
var (
	ruleForgedJWT = finding.Rule{
		ID:          "connect/authn-forged-jwt-accepted",
		Requirement: "1.1",
		Title:       "Endpoint accepts a JWT signed with the wrong key",
		CVSS:        8.8,
		Remediation: "Verify every JWT's signature with the installation's shared secret before using it.",
	}
	ruleOldTLS = finding.Rule{
		ID:          "tls/protocol-below-1.2",
		Requirement: "3",
		Title:       "Host accepts TLS below 1.2",
		CVSS:        7.4,
		Remediation: "Turn off TLS 1.0 and 1.1 on the server or load balancer.",
	}
	ruleHSTS = finding.Rule{
		ID:          "tls/hsts-max-age",
		Requirement: "3",
		Title:       "HSTS max-age shorter than one year",
		CVSS:        4.8,
		Remediation: "Send Strict-Transport-Security: max-age=31536000 or more.",
	}
	ruleSecret = finding.Rule{
		ID:          "secrets/generic-api-key",
		Requirement: "5",
		Title:       "API key in source",
		CVSS:        7.5,
		Remediation: "Revoke the key and read it from a Forge environment variable.",
	}
	ruleVulnDep = finding.Rule{
		ID:          "deps/known-vulnerability",
		Requirement: "9",
		Title:       "Dependency with a known vulnerability",
		CVSS:        7.4,
		Remediation: "Upgrade the package to a fixed version.",
	}
	ruleScope = finding.Rule{
		ID:          "forge/scope-unused",
		Requirement: "4",
		Title:       "Scope the app never uses",
		CVSS:        3.1,
		Remediation: "Remove the scope from manifest.yml.",
	}
)

// sampleReport is a finished report with a finding of every location shape
// (endpoint, host, source, and a dependency finding with its package and
// advisory), in no particular order, with checks and errors.
func sampleReport() *finding.Report {
	vulnLow := ruleVulnDep.New(finding.Source("package-lock.json", 120, 0),
		"lodash 4.17.15 is affected by GHSA-p6mc-m468-83gw (prototype pollution in zipObjectDeep).",
		"package-lock.json: node_modules/lodash 4.17.15")
	vulnLow.Package = &finding.Package{Ecosystem: "npm", Name: "lodash", Version: "4.17.15"}
	vulnLow.Advisory = &finding.Advisory{ID: "GHSA-p6mc-m468-83gw", Aliases: []string{"CVE-2020-8203"}, Fixed: "4.17.19"}

	vulnCritical := ruleVulnDep.New(finding.Source("package-lock.json", 88, 0),
		"minimist 1.2.5 is affected by GHSA-xvch-5gv4-984h (prototype pollution).",
		"package-lock.json: node_modules/minimist 1.2.5")
	vulnCritical.CVSS = 9.8
	vulnCritical.Severity = finding.Critical
	vulnCritical.Package = &finding.Package{Ecosystem: "npm", Name: "minimist", Version: "1.2.5"}
	vulnCritical.Advisory = &finding.Advisory{ID: "GHSA-xvch-5gv4-984h", Aliases: []string{"CVE-2021-44906"}, Fixed: "1.2.6"}

	scope := ruleScope.New(finding.Source("manifest.yml", 7, 5),
		"The manifest asks for write:jira-work, but no code path calls an API that needs it.")
	scope.NeedsReview = true

	r := &finding.Report{
		Tool:      finding.Tool{Name: "ecoscan", Version: "0.1.0"},
		Target:    finding.Target{Kind: "connect", Ref: "https://app.example.com/atlassian-connect.json", AppKey: "com.example.app", AppName: "Example"},
		StartedAt: sampleStart,
		Findings: []finding.Finding{
			scope,
			ruleHSTS.New(finding.Host("app.example.com", 443),
				"Strict-Transport-Security has max-age=86400 (one day).",
				"GET https://app.example.com/ -> 200, Strict-Transport-Security: max-age=86400"),
			vulnLow,
			ruleForgedJWT.New(finding.Endpoint("POST", "https://app.example.com/installed"),
				"POST /installed answered 204 to an HS256 token signed with a random key.",
				"POST /installed (no token) -> 401",
				"POST /installed (HS256, random key) -> 204"),
			ruleSecret.New(finding.Source("src/index.ts", 12, 5),
				"A string that looks like an API key is assigned to apiKey.",
				`const apiKey = "sk_live_****************"`),
			ruleForgedJWT.New(finding.Endpoint("GET", "https://app.example.com/panel?issueKey=TEST-1"),
				"GET /panel answered 200 to an HS256 token signed with a random key; without a token it answered 401.",
				"GET /panel (no token) -> 401",
				"GET /panel (HS256, random key) -> 200 text/html 5120 bytes <html><title>Panel</title>"),
			vulnCritical,
			ruleOldTLS.New(finding.Host("api.example.com", 8443),
				"The host completed a TLS 1.0 handshake.",
				"TLS 1.0: TLS_RSA_WITH_AES_128_CBC_SHA accepted"),
		},
		Checks: []finding.Check{
			{Requirement: "1.1", Status: finding.Fail, Detail: "2 of 41 endpoints"},
			{Requirement: "3", Status: finding.Fail, Detail: "2 hosts"},
			{Requirement: "4", Status: finding.Fail, Detail: "1 of 6 scopes unused"},
			{Requirement: "5", Status: finding.Fail, Detail: "1 secret in 212 files"},
			{Requirement: "6.3", Status: finding.Errored, Detail: "DNS lookup of cdn.example.com failed"},
			{Requirement: "7.4", Status: finding.Skipped, Detail: "no session cookies seen"},
			{Requirement: "9", Status: finding.Fail, Detail: "2 vulnerable packages of 480"},
			{Requirement: "10", Status: finding.Pass, Detail: ""},
			{Requirement: "11", Status: finding.NotApplicable, Detail: "needs the app's ticket history"},
		},
		Errors: []finding.Error{
			{Scope: "https://app.example.com/slow", Message: "timed out after 30s"},
			{Scope: "cdn.example.com:443", Message: "connection reset by peer"},
		},
	}
	r.Finish(sampleStart.Add(4 * time.Second))
	return r
}

// emptyReport is a finished report of a scan that found nothing.
func emptyReport() *finding.Report {
	r := &finding.Report{
		Tool:      finding.Tool{Name: "ecoscan", Version: "0.1.0"},
		Target:    finding.Target{Kind: "deps", Ref: "./app"},
		StartedAt: sampleStart,
		Checks:    []finding.Check{{Requirement: "9", Status: finding.Pass, Detail: "0 vulnerable packages of 12"}},
	}
	r.Finish(sampleStart.Add(time.Second))
	return r
}

// render writes r in the named format.
func render(t *testing.T, format string, r *finding.Report, opts Options) []byte {
	t.Helper()
	f, err := Lookup(format)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf, r, opts); err != nil {
		t.Fatalf("%s: %v", format, err)
	}
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	tests := []struct {
		golden string
		format string
		report *finding.Report
		opts   Options
	}{
		{"sample.txt", "text", sampleReport(), Options{}},
		{"sample-color.txt", "text", sampleReport(), Options{Color: true}},
		{"sample.json", "json", sampleReport(), Options{}},
		{"sample.sarif", "sarif", sampleReport(), Options{}},
		{"empty.txt", "text", emptyReport(), Options{}},
		{"empty.json", "json", emptyReport(), Options{}},
		{"empty.sarif", "sarif", emptyReport(), Options{}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			got := render(t, tt.format, tt.report, tt.opts)
			path := filepath.Join("testdata", tt.golden)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to write it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s output differs from %s (run go test -update to rewrite it):\n%s", tt.format, path, got)
			}
		})
	}
}

func TestLookup(t *testing.T) {
	for _, name := range []string{"text", "json", "sarif", "markdown", "html"} {
		f, err := Lookup(name)
		if err != nil {
			t.Errorf("Lookup(%q): %v", name, err)
			continue
		}
		if f.Name() != name {
			t.Errorf("Lookup(%q).Name() = %q", name, f.Name())
		}
	}
	for _, name := range []string{"", "xml", "JSON", "text "} {
		if _, err := Lookup(name); err == nil {
			t.Errorf("Lookup(%q) did not fail", name)
		} else if !strings.Contains(err.Error(), "text, json, sarif") {
			t.Errorf("Lookup(%q) error %q does not list the formats", name, err)
		}
	}
	if got, want := Names(), []string{"text", "json", "sarif", "markdown", "html"}; !slices.Equal(got, want) {
		t.Errorf("Names() = %v, want %v", got, want)
	}
}

// TestEmptyReport renders reports without findings in every format: a
// finished one, and the zero Report that nobody finished.
func TestEmptyReport(t *testing.T) {
	reports := map[string]func() *finding.Report{
		"finished":   emptyReport,
		"unfinished": func() *finding.Report { return &finding.Report{} },
	}
	for _, name := range Names() {
		for kind, report := range reports {
			t.Run(name+"/"+kind, func(t *testing.T) {
				out := render(t, name, report(), Options{Color: true})
				if len(out) == 0 {
					t.Fatal("no output")
				}
				switch name {
				case "text":
					if !strings.Contains(string(out), "No findings.") {
						t.Errorf("text output does not say there are no findings:\n%s", out)
					}
				case "json":
					if bytes.Contains(out, []byte("null")) {
						t.Errorf("json output has null:\n%s", out)
					}
				case "sarif":
					validateSARIF(t, out)
				}
			})
		}
	}
}

func TestNilReport(t *testing.T) {
	for _, name := range Names() {
		f, _ := Lookup(name)
		if err := f.Write(&bytes.Buffer{}, nil, Options{}); err == nil {
			t.Errorf("%s: writing a nil report did not fail", name)
		}
	}
}

// failingWriter fails every write.
type failingWriter struct{}

var errDiskFull = errors.New("disk full")

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestWriteError(t *testing.T) {
	for _, name := range Names() {
		f, _ := Lookup(name)
		err := f.Write(failingWriter{}, sampleReport(), Options{})
		if !errors.Is(err, errDiskFull) {
			t.Errorf("%s: error = %v, want one that wraps %v", name, err, errDiskFull)
		}
	}
}

// TestInvalidSeverity checks that a finding without a valid severity is an
// error in the machine formats (whose readers would misjudge it) and is shown,
// not hidden, in the text format.
func TestInvalidSeverity(t *testing.T) {
	r := sampleReport()
	r.Findings[0].Severity = 0
	for _, name := range []string{"json", "sarif"} {
		f, _ := Lookup(name)
		if err := f.Write(&bytes.Buffer{}, r, Options{}); err == nil {
			t.Errorf("%s: a finding of severity 0 did not fail", name)
		}
	}
	if out := render(t, "text", r, Options{}); !strings.Contains(string(out), "SEVERITY(0)") {
		t.Errorf("text output does not show the invalid severity:\n%s", out)
	}
}

func TestWorstFirst(t *testing.T) {
	at := func(rule string, sev finding.Severity, loc finding.Location) finding.Finding {
		return finding.Finding{Rule: rule, Severity: sev, Location: loc, Fingerprint: finding.Fingerprint(rule, loc.Key())}
	}
	tests := []struct {
		name string
		in   []finding.Finding
		want []string // Rule and Location.String() of each, in order
	}{
		{
			name: "severity first",
			in: []finding.Finding{
				at("a/low", finding.Low, finding.Source("x.ts", 1, 1)),
				at("z/critical", finding.Critical, finding.Source("x.ts", 1, 1)),
				at("m/medium", finding.Medium, finding.Source("x.ts", 1, 1)),
				at("b/high", finding.High, finding.Source("x.ts", 1, 1)),
			},
			want: []string{"z/critical x.ts:1:1", "b/high x.ts:1:1", "m/medium x.ts:1:1", "a/low x.ts:1:1"},
		},
		{
			name: "then rule",
			in: []finding.Finding{
				at("tls/b", finding.High, finding.Host("h", 443)),
				at("connect/a", finding.High, finding.Host("h", 443)),
			},
			want: []string{"connect/a h:443", "tls/b h:443"},
		},
		{
			name: "then location, lines as numbers",
			in: []finding.Finding{
				at("r", finding.Low, finding.Source("b.ts", 1, 1)),
				at("r", finding.Low, finding.Source("a.ts", 10, 1)),
				at("r", finding.Low, finding.Source("a.ts", 9, 4)),
				at("r", finding.Low, finding.Source("a.ts", 9, 2)),
			},
			want: []string{"r a.ts:9:2", "r a.ts:9:4", "r a.ts:10:1", "r b.ts:1:1"},
		},
		{name: "none", in: nil, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.in)
			var got []string
			for _, f := range worstFirst(in) {
				got = append(got, f.Rule+" "+f.Location.String())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("order = %q, want %q", got, tt.want)
			}
			if !slices.EqualFunc(in, tt.in, func(a, b finding.Finding) bool { return a.Fingerprint == b.Fingerprint }) {
				t.Error("worstFirst reordered its argument")
			}
		})
	}
}
