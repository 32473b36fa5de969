package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecoscan/ecoscan/internal/finding"
	"github.com/ecoscan/ecoscan/internal/report/schema"
)

// policyReport is the sample report after a configuration and a baseline
// were applied: two findings suppressed (by rule, by fingerprint), three left
// out as known, and a warning about an expired suppression.
func policyReport() *finding.Report {
	r := sampleReport()
	for i := range r.Findings {
		f := &r.Findings[i]
		switch f.Rule {
		case ruleHSTS.ID:
			f.Suppression = &finding.Suppression{By: finding.ByRule, Reason: "The CDN sets HSTS; the origin is never reached directly.", Expires: "2027-03-31", Source: ".ecoscan.yml:9"}
		case ruleSecret.ID:
			f.Suppression = &finding.Suppression{By: finding.ByFingerprint, Reason: "A revoked test key.\nKept for the replay tests.", Expires: "2027-01-31", Source: ".ecoscan.yml:4"}
		}
	}
	r.Baseline = &finding.Baseline{File: "old-report.json", Known: 3}
	r.Warnings = []finding.Warning{{
		Scope:   ".ecoscan.yml:14",
		Message: "the suppression of rule connect/authn-forged-jwt-accepted at GET https://app.example.com/panel* expired on 2026-10-31 and no longer applies (it matches 1 finding)",
	}}
	r.Checks[1].Detail += "; 1 finding suppressed"
	r.Checks[3].Detail += "; 1 finding suppressed"
	return r
}

// checkGolden compares got with testdata/name, rewriting it with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
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
		t.Errorf("output differs from %s (run go test -update to rewrite it):\n%s", path, got)
	}
}

// TestGoldenNewFormats holds the Markdown and HTML formats, and every format
// of a report with suppressions and a baseline, to their golden files.
func TestGoldenNewFormats(t *testing.T) {
	tests := []struct {
		golden string
		format string
		report func() *finding.Report
	}{
		{"sample.md", "markdown", sampleReport},
		{"empty.md", "markdown", emptyReport},
		{"sample.html", "html", sampleReport},
		{"empty.html", "html", emptyReport},
		{"policy.txt", "text", policyReport},
		{"policy.json", "json", policyReport},
		{"policy.sarif", "sarif", policyReport},
		{"policy.md", "markdown", policyReport},
		{"policy.html", "html", policyReport},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			checkGolden(t, tt.golden, render(t, tt.format, tt.report(), Options{}))
		})
	}
}

// TestSuppressedInEveryFormat checks that every format shows the suppressed
// findings as suppressed, with their reasons, and leaves them out of the
// counts; and that the baseline and the warnings are reported.
func TestSuppressedInEveryFormat(t *testing.T) {
	r := policyReport()
	secretFP := ""
	for _, f := range r.Findings {
		if f.Rule == ruleSecret.ID {
			secretFP = f.Fingerprint
		}
	}
	tests := []struct {
		format string
		want   []string
	}{
		{"text", []string{
			"Findings (6)", "Suppressed (2)",
			"  MEDIUM   tls/hsts-max-age  app.example.com:443\n               until 2027-03-31, by rule (.ecoscan.yml:9): The CDN sets HSTS",
			"until 2027-01-31, by fingerprint (.ecoscan.yml:4): A revoked test key.\n                 Kept for the replay tests.\n",
			"Baseline: 3 findings known from old-report.json left out.",
			"Warnings (1)\n  .ecoscan.yml:14: the suppression of rule connect/authn-forged-jwt-accepted",
			"Summary: 6 findings (1 critical, 4 high, 0 medium, 1 low), 2 suppressed, 3 known from the baseline, 1 warning, 2 errors",
		}},
		{"markdown", []string{
			"**6 findings** (1 critical, 4 high, 1 low) · 2 suppressed · 3 known from the baseline `old-report.json` · 1 warning · 2 errors",
			"### Suppressed (2)",
			"| MEDIUM | `tls/hsts-max-age` | `app.example.com:443` | The CDN sets HSTS; the origin is never reached directly\\. (`.ecoscan.yml:9`) | 2027-03-31 |",
			"A revoked test key\\. Kept for the replay tests\\.",
			"> [!WARNING]\n> - `.ecoscan.yml:14` the suppression of rule connect/authn-forged-jwt-accepted",
		}},
		{"html", []string{
			"<strong>6 findings (1 critical, 4 high, 0 medium, 1 low)</strong> · 2 suppressed · 3 known from the baseline · 1 warning · 2 errors",
			`<h2 id="suppressed">Suppressed (2)</h2>`,
			"<em>suppressed until 2027-03-31</em>",
			`<dt>Suppressed</dt><dd><span class="prose">A revoked test key.` + "\nKept for the replay tests.</span> <span class=\"meta\">(by fingerprint, .ecoscan.yml:4; until 2027-01-31)</span></dd>",
			"The baseline old-report.json knew 3 findings of this scan",
			`<li><code>.ecoscan.yml:14</code>: the suppression of rule`,
		}},
		{"json", []string{
			`"suppression": {` + "\n" + `        "by": "fingerprint",` + "\n" + `        "reason": "A revoked test key.\nKept for the replay tests.",`,
			`"baseline": {` + "\n" + `    "file": "old-report.json",` + "\n" + `    "known": 3` + "\n  }",
			`"warnings": [`,
		}},
		{"sarif", []string{
			`"suppressions": [`, `"kind": "external"`, `"status": "accepted"`, `"justification": "The CDN sets HSTS; the origin is never reached directly."`,
			`"baselineState": "new"`, `"toolConfigurationNotifications": [`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			out := string(render(t, tt.format, r, Options{}))
			for _, want := range tt.want {
				if !strings.Contains(out, want) {
					t.Errorf("%s output lacks %q:\n%s", tt.format, want, out)
				}
			}
			if !strings.Contains(out, secretFP) {
				t.Errorf("%s output does not list the suppressed finding %s", tt.format, secretFP)
			}
		})
	}
}

func TestSuppressedJSONSchema(t *testing.T) {
	out := render(t, "json", policyReport(), Options{})
	if err := schema.Validate(out); err != nil {
		t.Fatal(err)
	}
	var back finding.Report
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatal(err)
	}
	if back.Suppressed() != 2 || back.Baseline == nil || back.Baseline.Known != 3 || len(back.Warnings) != 1 {
		t.Errorf("round trip lost the policy: %d suppressed, baseline %+v, warnings %+v", back.Suppressed(), back.Baseline, back.Warnings)
	}
}

func TestSuppressedSARIF(t *testing.T) {
	out := render(t, "sarif", policyReport(), Options{})
	validateSARIF(t, out)
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID        string `json:"ruleId"`
				BaselineState string `json:"baselineState"`
				Suppressions  []struct {
					Kind, Status, Justification string
					Properties                  map[string]any
				} `json:"suppressions"`
			} `json:"results"`
			Properties map[string]any `json:"properties"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(out, &log); err != nil {
		t.Fatal(err)
	}
	suppressed := 0
	for _, res := range log.Runs[0].Results {
		if res.BaselineState != "new" {
			t.Errorf("%s: baselineState %q, want new", res.RuleID, res.BaselineState)
		}
		switch len(res.Suppressions) {
		case 0:
			if res.RuleID == ruleHSTS.ID || res.RuleID == ruleSecret.ID {
				t.Errorf("%s has no suppression", res.RuleID)
			}
		case 1:
			suppressed++
			s := res.Suppressions[0]
			if s.Kind != "external" || s.Status != "accepted" || s.Justification == "" || s.Properties["expires"] == nil || s.Properties["by"] == nil {
				t.Errorf("%s: suppression %+v", res.RuleID, s)
			}
		default:
			t.Errorf("%s: %d suppressions", res.RuleID, len(res.Suppressions))
		}
	}
	if suppressed != 2 {
		t.Errorf("%d suppressed results, want 2", suppressed)
	}
	if b, ok := log.Runs[0].Properties["baseline"].(map[string]any); !ok || b["known"] != 3.0 {
		t.Errorf("run properties lack the baseline: %v", log.Runs[0].Properties)
	}
	// Without a baseline, no result claims a baseline state.
	if strings.Contains(string(render(t, "sarif", sampleReport(), Options{})), "baselineState") {
		t.Error("a report without a baseline has baselineState")
	}
}

// TestTextHostileSuppression checks that the text format cleans the parts a
// suppression and a warning add, as it cleans the rest.
func TestTextHostileSuppression(t *testing.T) {
	out := string(render(t, "text", hostileReport(), Options{}))
	for _, bad := range []string{"\x1b", "\u202e", "\xff", "\r"} {
		if strings.Contains(out, bad) {
			t.Errorf("text output has %q", bad)
		}
	}
	for _, want := range []string{"Suppressed (1)", "Warnings (1)", "Baseline: 2 findings known from"} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q", want)
		}
	}
}
