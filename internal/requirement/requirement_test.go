package requirement

import (
	"testing"
	"time"
)

func TestFromCVSS(t *testing.T) {
	cases := []struct {
		score float64
		want  Severity
	}{{10, Critical}, {9.0, Critical}, {8.9, High}, {7.0, High}, {6.9, Medium}, {4.0, Medium}, {3.9, Low}, {0, Low}}
	for _, c := range cases {
		if got := FromCVSS(c.score); got != c.want {
			t.Errorf("FromCVSS(%v) = %s, want %s", c.score, got, c.want)
		}
	}
}

func TestDueFollowsTheFixPolicy(t *testing.T) {
	reported := time.Date(2026, 11, 22, 23, 30, 0, 0, time.FixedZone("far east", 14*3600))
	// 23:30 at UTC+14 is 09:30 UTC the same day: the due date counts in UTC.
	want := map[Severity]string{Critical: "2026-12-20", High: "2027-01-03", Medium: "2027-01-17", Low: "2027-05-16"}
	for s, d := range want {
		if got := Due(s, reported); got != d {
			t.Errorf("Due(%s) = %s, want %s", s, got, d)
		}
	}
}

func TestSeverityText(t *testing.T) {
	for _, s := range []Severity{Low, Medium, High, Critical} {
		b, err := s.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back Severity
		if err := back.UnmarshalText([]byte(string(b))); err != nil || back != s {
			t.Errorf("%s does not round-trip: %v", s, err)
		}
	}
	if _, err := ParseSeverity("Medium"); err != nil {
		t.Error("severity names are case-insensitive on input")
	}
	if _, err := Severity(0).MarshalText(); err == nil {
		t.Error("the zero severity must not marshal")
	}
}

func TestCatalog(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range All() {
		if seen[r.ID] || r.Title == "" || r.Category == "" {
			t.Errorf("bad or duplicate entry %+v", r)
		}
		seen[r.ID] = true
		if got, ok := Lookup(r.ID); !ok || got != r {
			t.Errorf("Lookup(%s) = %+v, %v", r.ID, got, ok)
		}
	}
	for _, id := range []string{"1.1", "1.2", "1.4", "3", "6.2", "7.2", "7.3", "7.4", "8.1", "9", "11"} {
		if !seen[id] {
			t.Errorf("requirement %s missing", id)
		}
	}
	if r, _ := Lookup("3"); r.Severity() != High {
		t.Errorf("TLS below 1.2 is high (7.4), got %s", r.Severity())
	}
}
