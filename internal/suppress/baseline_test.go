package suppress

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecoscan/ecoscan/internal/finding"
	"github.com/ecoscan/ecoscan/internal/report"
)

// jsonReport is r as --format json writes it.
func jsonReport(t *testing.T, r *finding.Report) []byte {
	t.Helper()
	f, err := report.Lookup("json")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf, r, report.Options{}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestBaselineApply(t *testing.T) {
	old := &finding.Report{
		Target:    finding.Target{Kind: "forge", Ref: "./app"},
		StartedAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		Findings:  []finding.Finding{asappIndex, asappAdmin, tlsMain},
	}
	old.Finish(old.StartedAt)
	old.Findings[2].Suppression = &finding.Suppression{By: finding.ByRule, Reason: "r", Expires: "2027-01-31"}
	path := filepath.Join(t.TempDir(), "old.json")
	if err := os.WriteFile(path, jsonReport(t, old), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := LoadBaseline(path)
	if err != nil {
		t.Fatal(err)
	}
	if b.Len() != 3 || b.Target != old.Target || b.Path != path {
		t.Fatalf("baseline %+v", b)
	}

	r := testReport()
	b.Apply(r)
	var left []string
	for _, f := range r.Findings {
		left = append(left, f.Fingerprint)
	}
	want := []string{asappTest.Fingerprint, cacheStat.Fingerprint, cachePanel.Fingerprint, tlsLegacy.Fingerprint}
	if !slices.Equal(left, want) {
		t.Errorf("findings left %q, want %q (the new ones, in order)", left, want)
	}
	if r.Baseline == nil || *r.Baseline != (finding.Baseline{File: path, Known: 3}) {
		t.Errorf("report baseline %+v, want %s with 3 known", r.Baseline, path)
	}
	if len(r.Warnings) != 0 {
		t.Errorf("warnings %+v", r.Warnings)
	}
	details := map[string]string{}
	for _, c := range r.Checks {
		details[c.Requirement] = c.Detail
	}
	if details["1.2"] != "3 calls; 2 findings known from the baseline" || details["3"] != "1 finding known from the baseline" || details["7.3"] != "2 endpoints" {
		t.Errorf("check details %v", details)
	}

	// A baseline of another kind of scan still applies, with a warning.
	r = testReport()
	r.Target.Kind = "deps"
	b.Apply(r)
	if len(r.Findings) != 4 || len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0].Message, "a forge scan and this is a deps scan") {
		t.Errorf("other kind: %d findings, warnings %+v", len(r.Findings), r.Warnings)
	}

	// Applying the report's own baseline leaves nothing, and the exit is clean.
	r = testReport()
	same, err := ParseBaseline("same.json", jsonReport(t, r))
	if err != nil {
		t.Fatal(err)
	}
	same.Apply(r)
	if th, _ := finding.ParseFailOn("low"); len(r.Findings) != 0 || r.Baseline.Known != 7 || r.ExitCode(th) != finding.ExitClean {
		t.Errorf("own baseline: %d findings left, %+v", len(r.Findings), r.Baseline)
	}
}

func TestParseBaselineErrors(t *testing.T) {
	valid := `{"schema": "ecoscan.report/v1", "target": {"kind": "forge", "ref": "."}, "findings": [{"fingerprint": "5f1c0a9e2b7d4c31"}]}`
	tests := []struct {
		name, doc, want string
	}{
		{"empty", "", "baseline b.json is not an ecoscan JSON report: EOF"},
		{"truncated", valid[:40], "baseline b.json is not an ecoscan JSON report: unexpected EOF"},
		{"syntax error", "{\n  \"schema\": \"ecoscan.report/v1\",\n  \"findings\": [}\n", "baseline b.json is not an ecoscan JSON report: line 3, column 16: invalid character '}'"},
		{"two documents", valid + valid, "more than one JSON value"},
		{"an array", "[]", "baseline b.json is not an ecoscan JSON report: line 1, column 1: json: cannot unmarshal array"},
		{"no schema", `{"findings": []}`, `baseline b.json is not an ecoscan JSON report (no "schema"; write one with --format json)`},
		{"SARIF", `{"version": "2.1.0", "$schema": "https://json.schemastore.org/sarif-2.1.0.json", "runs": []}`, `no "schema"`},
		{"other schema", `{"schema": "ecoscan.report/v2", "findings": []}`, `baseline b.json is a "ecoscan.report/v2" report; this ecoscan reads "ecoscan.report/v1"`},
		{"no findings", `{"schema": "ecoscan.report/v1"}`, `baseline b.json has no "findings" list`},
		{"null findings", `{"schema": "ecoscan.report/v1", "findings": null}`, `has no "findings" list`},
		{"finding without fingerprint", `{"schema": "ecoscan.report/v1", "findings": [{"rule": "forge/x"}]}`, "baseline b.json: finding 0 has no valid fingerprint"},
		{"bad fingerprint", `{"schema": "ecoscan.report/v1", "findings": [{"fingerprint": "5f1c0a9e2b7d4c31"}, {"fingerprint": "5F1C0A9E2B7D4C31"}]}`, "finding 1 has no valid fingerprint"},
		{"fingerprint a number", `{"schema": "ecoscan.report/v1", "findings": [{"fingerprint": 5}]}`, "cannot unmarshal number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := ParseBaseline("b.json", []byte(tt.doc))
			if err == nil {
				t.Fatalf("accepted: %+v", b)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want one with %q", err, tt.want)
			}
		})
	}
	if _, err := ParseBaseline("b.json", []byte(valid)); err != nil {
		t.Errorf("valid baseline: %v", err)
	}
	if _, err := LoadBaseline(filepath.Join(t.TempDir(), "missing.json")); err == nil || !strings.Contains(err.Error(), "read baseline") {
		t.Errorf("missing baseline file: %v", err)
	}
}
