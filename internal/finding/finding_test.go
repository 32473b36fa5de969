package finding

import (
	"encoding/json"
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
