package report

import (
	"regexp"
	"strings"
	"testing"

	"github.com/ecoscan/ecoscan/internal/finding"
)

// sgr matches the colour sequences the text format may write.
var sgr = regexp.MustCompile(`\x1b\[[0-9;]*m`)

func TestTextColor(t *testing.T) {
	tests := []struct {
		name      string
		color     bool
		wantColor bool
	}{
		{"plain", false, false},
		{"colour", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := string(render(t, "text", sampleReport(), Options{Color: tt.color}))
			if got := sgr.MatchString(out); got != tt.wantColor {
				t.Errorf("colour sequences present = %v, want %v", got, tt.wantColor)
			}
			if strings.Contains(sgr.ReplaceAllString(out, ""), "\x1b") {
				t.Error("output has escape sequences other than colours")
			}
			if plain := string(render(t, "text", sampleReport(), Options{})); sgr.ReplaceAllString(out, "") != plain {
				t.Error("the coloured output says something other than the plain one")
			}
		})
	}
}

func TestTextSeverityOrder(t *testing.T) {
	out := string(render(t, "text", sampleReport(), Options{}))
	rank := map[string]int{"CRITICAL": 4, "HIGH": 3, "MEDIUM": 2, "LOW": 1}
	var seen []string
	last := 5
	for _, line := range strings.Split(out, "\n") {
		label, _, _ := strings.Cut(line, " ")
		r, ok := rank[label]
		if !ok {
			continue
		}
		seen = append(seen, label)
		if r > last {
			t.Errorf("%s after a less severe finding: %v", label, seen)
		}
		last = r
	}
	if len(seen) != len(sampleReport().Findings) {
		t.Errorf("saw %d findings (%v), want %d", len(seen), seen, len(sampleReport().Findings))
	}
	// Within a rule, by location: /installed sorts before /panel.
	if strings.Index(out, "POST https://app.example.com/installed") > strings.Index(out, "GET https://app.example.com/panel") {
		t.Error("findings of one rule are not ordered by location")
	}
}

func TestTextContent(t *testing.T) {
	out := string(render(t, "text", sampleReport(), Options{}))
	for _, want := range []string{
		"connect https://app.example.com/atlassian-connect.json", // target
		"app Example (com.example.app)",
		"took 4s",
		"requirement 1.1",
		"Endpoint accepts a JWT signed with the wrong key",
		"  evidence     POST /installed (no token) -> 401\n               POST /installed (HS256, random key) -> 204\n",
		"[NEEDS REVIEW]",
		"npm lodash 4.17.15",
		"GHSA-p6mc-m468-83gw (CVE-2020-8203), fixed in 4.17.19",
		"fingerprint  " + sampleReport().Findings[0].Fingerprint,
		"  REQUIREMENT  STATUS          DETAIL\n  1.1          fail            2 of 41 endpoints\n",
		"  11           not-applicable  needs the app's ticket history\n",
		"https://app.example.com/slow: timed out after 30s",
		"Summary: 8 findings (1 critical, 5 high, 1 medium, 1 low), 2 errors",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "[NEEDS REVIEW]") != 1 {
		t.Error("the needs-review marker is not on exactly the one finding that needs review")
	}
}

// TestTextHostileInput checks that text from the scanned app cannot drive the
// terminal: control sequences, bidirectional overrides and stray bytes are
// shown escaped, in every field and with colour on or off.
func TestTextHostileInput(t *testing.T) {
	const hostile = "a\x1b[2J\x1b]0;owned\x07b\u202ec\xff\x9bd\r"
	r := &finding.Report{
		Target: finding.Target{Kind: "connect", Ref: "https://x/" + hostile, AppName: hostile, AppKey: hostile},
		Findings: []finding.Finding{{
			Rule: hostile, Requirement: hostile, Severity: finding.High, Title: hostile, Message: hostile + "\nline 2",
			Location: finding.Endpoint(hostile, hostile), Evidence: []string{hostile}, Remediation: hostile,
			Fingerprint: hostile, Due: hostile,
			Package:  &finding.Package{Ecosystem: hostile, Name: hostile, Version: hostile},
			Advisory: &finding.Advisory{ID: hostile, Aliases: []string{hostile}, Fixed: hostile},
		}},
		Checks: []finding.Check{{Requirement: hostile, Status: finding.Status(hostile), Detail: hostile}},
		Errors: []finding.Error{{Scope: hostile, Message: hostile}},
	}
	for _, color := range []bool{false, true} {
		out := sgr.ReplaceAllString(string(render(t, "text", r, Options{Color: color})), "")
		for _, bad := range []string{"\x1b", "\x07", "\u202e", "\xff", "\x9b", "\r"} {
			if strings.Contains(out, bad) {
				t.Errorf("color %v: output has %q:\n%s", color, bad, out)
			}
		}
		if want := `a\x1b[2J\x1b]0;owned\ab\u202ec\xff\x9bd\r`; !strings.Contains(out, want) {
			t.Errorf("color %v: output does not show the escaped text %s:\n%s", color, want, out)
		}
	}
}

func TestClean(t *testing.T) {
	tests := map[string]string{
		"plain text":        "plain text",
		"tab\tstays":        "tab\tstays",
		"ünïcødé ✓":         "ünïcødé ✓",
		"esc\x1b[31m":       `esc\x1b[31m`,
		"nl\nand cr\r":      `nl\nand cr\r`,
		"bidi\u202e\u2066":  `bidi\u202e\u2066`,
		"c1\u0085 del\x7f":  `c1\u0085 del\x7f`,
		"bad\xffutf8\xc3":   `bad\xffutf8\xc3`,
		"real \ufffd stays": "real \ufffd stays",
	}
	for in, want := range tests {
		if got := clean(in); got != want {
			t.Errorf("clean(%q) = %q, want %q", in, got, want)
		}
	}
}
