package suppress

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecoscan/ecoscan/internal/finding"
)

// Rules and findings of the tests.
var (
	ruleASApp  = finding.Rule{ID: "forge/asapp-without-authorization", Requirement: "1.2", CVSS: 8.8, Title: "asApp() without a permission check"}
	ruleCache  = finding.Rule{ID: "connect/cache-control-missing", Requirement: "7.3", CVSS: 5.3, Title: "No Cache-Control: no-store"}
	ruleOldTLS = finding.Rule{ID: "tls/protocol-below-1.2", Requirement: "3", CVSS: 7.4, Title: "TLS below 1.2"}

	asappIndex = ruleASApp.New(finding.Source("src/index.ts", 3, 5), "asApp() in resolver getIssues")
	asappAdmin = ruleASApp.New(finding.Source("src/admin/page.ts", 40, 1), "asApp() in resolver setConfig")
	asappTest  = ruleASApp.New(finding.Source("test/fixtures/app.ts", 3, 1), "asApp() in a fixture")
	cacheStat  = ruleCache.New(finding.Endpoint("GET", "https://app.example.com/static/app.js"), "no Cache-Control")
	cachePanel = ruleCache.New(finding.Endpoint("POST", "https://app.example.com/panel"), "no Cache-Control")
	tlsLegacy  = ruleOldTLS.New(finding.Host("legacy.example.com", 8443), "TLS 1.0 accepted")
	tlsMain    = ruleOldTLS.New(finding.Host("app.example.com", 443), "TLS 1.0 accepted")
)

// testReport is a report of every test finding, with a checks table.
func testReport() *finding.Report {
	r := &finding.Report{
		Target:   finding.Target{Kind: "forge", Ref: "./app"},
		Findings: []finding.Finding{asappIndex, asappAdmin, asappTest, cacheStat, cachePanel, tlsLegacy, tlsMain},
		Checks: []finding.Check{
			{Requirement: "1.2", Status: finding.Fail, Detail: "3 calls"},
			{Requirement: "3", Status: finding.Fail, Detail: ""},
			{Requirement: "7.3", Status: finding.Fail, Detail: "2 endpoints"},
			{Requirement: "9", Status: finding.Pass, Detail: "0 of 12"},
		},
	}
	return r
}

func TestApply(t *testing.T) {
	const yml = "version: 1\nsuppressions:\n"
	now := time.Date(2027, 1, 31, 23, 59, 0, 0, time.UTC) // the last minute of 2027-01-31
	tests := []struct {
		name         string
		config       string
		want         map[string]string // fingerprint of each suppressed finding: the source of its suppression and how it matched
		wantWarnings []string
		wantChecks   map[string]string // requirement: detail
	}{
		{
			name:   "by fingerprint",
			config: yml + "  - {fingerprint: " + asappAdmin.Fingerprint + ", reason: admin only, expires: 2027-01-31}\n",
			want:   map[string]string{asappAdmin.Fingerprint: "c.yml:3 fingerprint"},
			wantChecks: map[string]string{
				"1.2": "3 calls; 1 finding suppressed", "3": "", "7.3": "2 endpoints", "9": "0 of 12",
			},
		},
		{
			name:   "by rule anywhere",
			config: yml + "  - {rule: forge/asapp-without-authorization, reason: r, expires: 2027-01-31}\n",
			want:   map[string]string{asappIndex.Fingerprint: "c.yml:3 rule", asappAdmin.Fingerprint: "c.yml:3 rule", asappTest.Fingerprint: "c.yml:3 rule"},
			wantChecks: map[string]string{
				"1.2": "3 calls; 3 findings suppressed", "3": "", "7.3": "2 endpoints", "9": "0 of 12",
			},
		},
		{
			name:   "by rule and file glob",
			config: yml + "  - rule: forge/asapp-without-authorization\n    location: {file: 'test/**'}\n    reason: fixtures\n    expires: 2027-01-31\n",
			want:   map[string]string{asappTest.Fingerprint: "c.yml:3 rule"},
		},
		{
			name:   "by rule, file and line",
			config: yml + "  - {rule: forge/asapp-without-authorization, location: {file: 'src/**/*.ts', line: 40}, reason: r, expires: 2027-01-31}\n",
			want:   map[string]string{asappAdmin.Fingerprint: "c.yml:3 rule"},
		},
		{
			name:   "by rule and a line no finding is on",
			config: yml + "  - {rule: forge/asapp-without-authorization, location: {file: 'src/index.ts', line: 4}, reason: r, expires: 2027-01-31}\n",
			want:   map[string]string{},
		},
		{
			name:   "by rule and url",
			config: yml + "  - {rule: connect/cache-control-missing, location: {url: 'https://app.example.com/static/*'}, reason: public files, expires: 2027-01-31}\n",
			want:   map[string]string{cacheStat.Fingerprint: "c.yml:3 rule"},
		},
		{
			name:   "by rule, url and another method",
			config: yml + "  - {rule: connect/cache-control-missing, location: {url: 'https://app.example.com/*', method: PUT}, reason: r, expires: 2027-01-31}\n",
			want:   map[string]string{},
		},
		{
			name:   "by rule, url and method",
			config: yml + "  - {rule: connect/cache-control-missing, location: {url: 'https://app.example.com/*', method: post}, reason: r, expires: 2027-01-31}\n",
			want:   map[string]string{cachePanel.Fingerprint: "c.yml:3 rule"},
		},
		{
			name:   "by rule and host",
			config: yml + "  - {rule: tls/protocol-below-1.2, location: {host: LEGACY.example.com}, reason: r, expires: 2027-01-31}\n",
			want:   map[string]string{tlsLegacy.Fingerprint: "c.yml:3 rule"},
		},
		{
			name:   "by rule, host and another port",
			config: yml + "  - {rule: tls/protocol-below-1.2, location: {host: legacy.example.com, port: 443}, reason: r, expires: 2027-01-31}\n",
			want:   map[string]string{},
		},
		{
			name:   "a file location never matches an endpoint",
			config: yml + "  - {rule: connect/cache-control-missing, location: {file: '**'}, reason: r, expires: 2027-01-31}\n",
			want:   map[string]string{},
		},
		{
			name:         "expired the day before",
			config:       yml + "  - {fingerprint: " + asappAdmin.Fingerprint + ", reason: r, expires: 2027-01-30}\n",
			want:         map[string]string{},
			wantWarnings: []string{"c.yml:3: the suppression of fingerprint " + asappAdmin.Fingerprint + " expired on 2027-01-30 and no longer applies (it matches 1 finding)"},
			wantChecks: map[string]string{
				"1.2": "3 calls", "3": "", "7.3": "2 endpoints", "9": "0 of 12",
			},
		},
		{
			name: "an expired and a valid suppression of one finding",
			config: yml + "  - {rule: tls/protocol-below-1.2, reason: old, expires: 2026-06-30}\n" +
				"  - {rule: tls/protocol-below-1.2, location: {host: legacy.example.com, port: 8443}, reason: r, expires: 2027-06-30}\n",
			want:         map[string]string{tlsLegacy.Fingerprint: "c.yml:4 rule"},
			wantWarnings: []string{"c.yml:3: the suppression of rule tls/protocol-below-1.2 expired on 2026-06-30 and no longer applies (it matches 2 findings)"},
			wantChecks: map[string]string{
				"1.2": "3 calls", "3": "1 finding suppressed", "7.3": "2 endpoints", "9": "0 of 12",
			},
		},
		{
			name: "the first match applies",
			config: yml + "  - {rule: forge/asapp-without-authorization, location: {file: 'src/index.ts'}, reason: first, expires: 2027-01-31}\n" +
				"  - {fingerprint: " + asappIndex.Fingerprint + ", reason: second, expires: 2027-01-31}\n",
			want: map[string]string{asappIndex.Fingerprint: "c.yml:3 rule"},
		},
		{
			name:         "an expired suppression that matches nothing",
			config:       yml + "  - {rule: forge/x, location: {file: a.ts, line: 3}, reason: r, expires: 2020-01-01}\n",
			want:         map[string]string{},
			wantWarnings: []string{"c.yml:3: the suppression of rule forge/x at a.ts:3 expired on 2020-01-01 and no longer applies (it matches 0 findings)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseConfig("c.yml", []byte(tt.config))
			if err != nil {
				t.Fatal(err)
			}
			r := testReport()
			cfg.Apply(r, now)
			if len(r.Findings) != len(testReport().Findings) {
				t.Fatalf("%d findings after Apply, want all %d: suppressed findings stay in the report", len(r.Findings), len(testReport().Findings))
			}
			got := map[string]string{}
			for _, f := range r.Findings {
				if s := f.Suppression; s != nil {
					got[f.Fingerprint] = s.Source + " " + s.By
					if s.Reason == "" || s.Expires == "" || (s.By != finding.ByRule && s.By != finding.ByFingerprint) {
						t.Errorf("incomplete suppression %+v", s)
					}
				}
			}
			if len(got) != len(tt.want) {
				t.Errorf("suppressed %v, want %v", got, tt.want)
			}
			for fp, src := range tt.want {
				if got[fp] != src {
					t.Errorf("finding %s: suppression from %q, want %q", fp, got[fp], src)
				}
			}
			var warnings []string
			for _, w := range r.Warnings {
				warnings = append(warnings, w.Scope+": "+w.Message)
			}
			if !slices.Equal(warnings, tt.wantWarnings) {
				t.Errorf("warnings\n got %q\nwant %q", warnings, tt.wantWarnings)
			}
			for _, c := range r.Checks {
				if want, ok := tt.wantChecks[c.Requirement]; ok && c.Detail != want {
					t.Errorf("check %s: detail %q, want %q", c.Requirement, c.Detail, want)
				}
			}
			if n := r.Suppressed(); n != len(tt.want) {
				t.Errorf("Suppressed() = %d, want %d", n, len(tt.want))
			}
		})
	}
}

// TestApplyExpiryDay checks the edge of the expiry date: the suppression
// applies through the whole of its day (UTC), and not a second after.
func TestApplyExpiryDay(t *testing.T) {
	cfg, err := ParseConfig("c.yml", []byte("version: 1\nsuppressions:\n  - {fingerprint: "+tlsMain.Fingerprint+", reason: r, expires: 2027-01-31}\n"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		now        time.Time
		suppressed bool
	}{
		{time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), true},
		{time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC), true},
		{time.Date(2027, 1, 31, 23, 59, 59, 0, time.UTC), true},
		{time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC), false},
		{time.Date(2027, 2, 1, 0, 30, 0, 0, time.FixedZone("CET", 3600)), true}, // 2027-01-31 23:30 UTC
		{time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC), false},
	}
	for _, tt := range tests {
		r := &finding.Report{Findings: []finding.Finding{tlsMain}}
		cfg.Apply(r, tt.now)
		if got := r.Findings[0].Suppressed(); got != tt.suppressed {
			t.Errorf("at %s: suppressed %v, want %v", tt.now, got, tt.suppressed)
		}
		if expired := len(r.Warnings) == 1; expired == tt.suppressed {
			t.Errorf("at %s: warnings %+v", tt.now, r.Warnings)
		}
		if th, _ := finding.ParseFailOn("low"); (r.ExitCode(th) == finding.ExitClean) != tt.suppressed {
			t.Errorf("at %s: exit %d", tt.now, r.ExitCode(th))
		}
	}
}

func TestApplyKeepsEarlierSuppressions(t *testing.T) {
	earlier := &finding.Suppression{By: finding.ByFingerprint, Reason: "earlier", Expires: "2027-01-31", Source: "a.yml:3"}
	f := tlsMain
	f.Suppression = earlier
	r := &finding.Report{Findings: []finding.Finding{f}}
	cfg, err := ParseConfig("b.yml", []byte("version: 1\nsuppressions:\n  - {rule: tls/protocol-below-1.2, reason: later, expires: 2027-01-31}\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Apply(r, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	if r.Findings[0].Suppression != earlier {
		t.Errorf("suppression replaced: %+v", r.Findings[0].Suppression)
	}
}

// BenchmarkApply applies the largest configuration accepted (suppressions
// of every kind) to a report of 10,000 findings.
func BenchmarkApply(b *testing.B) {
	var cfg strings.Builder
	cfg.WriteString("version: 1\nsuppressions:\n")
	for i := 0; cfg.Len() < MaxConfigSize-300; i++ {
		switch i % 3 {
		case 0:
			fmt.Fprintf(&cfg, "  - {fingerprint: %016x, reason: r, expires: 2027-01-31}\n", i)
		case 1:
			fmt.Fprintf(&cfg, "  - {rule: forge/rule-%d, location: {file: 'src/**/f%d.ts'}, reason: r, expires: 2027-01-31}\n", i%50, i)
		default:
			fmt.Fprintf(&cfg, "  - {rule: connect/rule-%d, location: {url: 'https://a.example/p%d/*'}, reason: r, expires: 2026-01-31}\n", i%50, i)
		}
	}
	config, err := ParseConfig("c.yml", []byte(cfg.String()))
	if err != nil {
		b.Fatal(err)
	}
	findings := make([]finding.Finding, 10000)
	for i := range findings {
		rule := finding.Rule{ID: fmt.Sprintf("forge/rule-%d", i%50), Requirement: "1.2", CVSS: 5}
		findings[i] = rule.New(finding.Source(fmt.Sprintf("src/a/b/f%d.ts", i), 1, 1), "m")
	}
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	b.ResetTimer()
	for b.Loop() {
		r := &finding.Report{Findings: slices.Clone(findings)}
		config.Apply(r, now)
	}
	b.ReportMetric(float64(len(config.Suppressions)), "suppressions")
}
