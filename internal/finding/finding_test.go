package finding

import (
	"encoding/json"
	"maps"
	"strings"
	"testing"
	"time"
)

func TestExitCode(t *testing.T) {
	r := &Report{Findings: []Finding{{Severity: Medium}}}
	cases := []struct {
		failOn string
		want   int
	}{{"none", ExitClean}, {"low", ExitFindings}, {"medium", ExitFindings}, {"high", ExitClean}, {"critical", ExitClean}}
	for _, c := range cases {
		th, err := ParseFailOn(c.failOn)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.ExitCode(th); got != c.want {
			t.Errorf("--fail-on %s: exit %d, want %d", c.failOn, got, c.want)
		}
	}
	if _, err := ParseFailOn("severe"); err == nil {
		t.Error("--fail-on severe accepted")
	}
	if (&Report{}).ExitCode(FailOn{min: Low}) != ExitClean {
		t.Error("an empty report must exit clean")
	}
}

func TestFinishSetsDueDatesFromTheScanStart(t *testing.T) {
	start := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	r := &Report{StartedAt: start, Findings: []Finding{{Severity: Critical}, {Severity: High}, {Severity: Medium}, {Severity: Low}}}
	r.Finish(start.Add(time.Minute))
	want := []string{"2026-12-20", "2027-01-03", "2027-01-17", "2027-05-16"}
	for i, f := range r.Findings {
		if f.Due != want[i] {
			t.Errorf("%s: due %s, want %s", f.Severity, f.Due, want[i])
		}
	}
	empty := &Report{}
	empty.Finish(start)
	b, _ := json.Marshal(empty)
	if strings.Contains(string(b), "null") || empty.Schema != Schema {
		t.Errorf("a finished report has no null lists and names its schema: %s", b)
	}
}

func TestLocationShapes(t *testing.T) {
	good := []Location{Endpoint("GET", "https://a/x"), Host("a", 443), Host("::1", 8443), Source("src/a.ts", 3, 1), Source("package-lock.json", 12, 0)}
	for _, l := range good {
		if err := l.Validate(); err != nil {
			t.Errorf("%v: %v", l, err)
		}
	}
	bad := []Location{{}, {URL: "https://a"}, {Host: "a"}, {URL: "https://a", Method: "GET", Host: "a", Port: 1}, {Line: 3}}
	for _, l := range bad {
		if l.Validate() == nil {
			t.Errorf("%+v accepted", l)
		}
	}
	if k := Host("::1", 443).Key(); k != "[::1]:443" {
		t.Errorf("IPv6 host key %q", k)
	}
	a1, a2, b := Fingerprint("r", "a"), Fingerprint("r", "a"), Fingerprint("r", "b")
	if a1 == b || a1 != a2 || len(a1) != 16 {
		t.Error("fingerprints must be stable, distinct per place, 16 hex digits")
	}
}

func TestMergeChecks(t *testing.T) {
	got := MergeChecks("3", Check{Status: Pass, Detail: "TLS 1.2+ only"}, Check{Status: Fail, Detail: "HSTS max-age 300"}, Check{Status: NotApplicable, Detail: "x"})
	if got.Status != Fail || got.Detail != "TLS 1.2+ only; HSTS max-age 300" || got.Requirement != "3" {
		t.Errorf("merge: %+v", got)
	}
	if got := MergeChecks("6.1", Check{Status: NotApplicable, Detail: "a"}, Check{Status: NotApplicable, Detail: "b"}); got.Status != NotApplicable || got.Detail != "a; b" {
		t.Errorf("merge of n/a rows: %+v", got)
	}
	if got := MergeChecks("3", Check{Status: Skipped, Detail: "s"}, Check{Status: Errored, Detail: "e"}); got.Status != Errored {
		t.Errorf("error must outweigh skipped: %+v", got)
	}
	// A certificate that passed and a registration that could not be looked up
	// is not a pass of 6.2.
	if got := MergeChecks("6.2", Check{Status: Pass, Detail: "certificate trusted"}, Check{Status: Skipped, Detail: "RDAP unreachable"}); got.Status != Skipped {
		t.Errorf("a skipped part must keep the requirement from passing: %+v", got)
	}
}

func TestSuppressedFindingsDoNotCount(t *testing.T) {
	accepted := &Suppression{By: ByRule, Reason: "accepted risk", Expires: "2027-01-31"}
	tests := []struct {
		name           string
		findings       []Finding
		failOn         string
		wantExit       int
		wantActive     int
		wantSuppressed int
		wantCount      map[Severity]int
	}{
		{
			name:           "only suppressed",
			findings:       []Finding{{Severity: Critical, Suppression: accepted}},
			failOn:         "low",
			wantExit:       ExitClean,
			wantActive:     0,
			wantSuppressed: 1,
			wantCount:      map[Severity]int{},
		},
		{
			name:           "suppressed critical, active low",
			findings:       []Finding{{Severity: Critical, Suppression: accepted}, {Severity: Low}},
			failOn:         "high",
			wantExit:       ExitClean,
			wantActive:     1,
			wantSuppressed: 1,
			wantCount:      map[Severity]int{Low: 1},
		},
		{
			name:           "active high beside a suppressed one",
			findings:       []Finding{{Severity: High, Suppression: accepted}, {Severity: High}},
			failOn:         "high",
			wantExit:       ExitFindings,
			wantActive:     1,
			wantSuppressed: 1,
			wantCount:      map[Severity]int{High: 1},
		},
		{
			name:      "nothing suppressed",
			findings:  []Finding{{Severity: Medium}, {Severity: Medium}},
			failOn:    "medium",
			wantExit:  ExitFindings,
			wantCount: map[Severity]int{Medium: 2}, wantActive: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Report{Findings: tt.findings}
			th, err := ParseFailOn(tt.failOn)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.ExitCode(th); got != tt.wantExit {
				t.Errorf("exit %d, want %d", got, tt.wantExit)
			}
			if got := r.Active(); got != tt.wantActive {
				t.Errorf("Active() = %d, want %d", got, tt.wantActive)
			}
			if got := r.Suppressed(); got != tt.wantSuppressed {
				t.Errorf("Suppressed() = %d, want %d", got, tt.wantSuppressed)
			}
			if got := r.Count(); !maps.Equal(got, tt.wantCount) {
				t.Errorf("Count() = %v, want %v", got, tt.wantCount)
			}
		})
	}
}

func TestSuppressionJSON(t *testing.T) {
	f := Finding{Severity: High, Suppression: &Suppression{By: ByFingerprint, Reason: "r", Expires: "2027-01-31", Source: ".ecoscan.yml:4"}}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	if want := `"suppression":{"by":"fingerprint","reason":"r","expires":"2027-01-31","source":".ecoscan.yml:4"}`; !strings.Contains(string(b), want) {
		t.Errorf("finding JSON %s lacks %s", b, want)
	}
	b, err = json.Marshal(Finding{Severity: High})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "suppression") {
		t.Errorf("a finding without suppression shows one: %s", b)
	}
	b, err = json.Marshal(&Report{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "baseline") || strings.Contains(string(b), "warnings") {
		t.Errorf("a report without baseline or warnings shows them: %s", b)
	}
}
