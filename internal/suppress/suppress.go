// Package suppress applies the user's decisions to a finished report: the
// suppressions of a configuration file (.ecoscan.yml at the root of the
// scanned tree, or the file given with --config), each with a reason and an
// expiry date, and a baseline report whose findings are already known.
//
// A suppressed finding stays in the report with its Suppression set, so that
// every reader sees what was accepted and why; it only stops counting for the
// summary and the exit code. A suppression past its expiry date stops
// applying, and the report says so in a warning: nothing expires silently.
// A baseline, by contrast, removes the findings it knows and records how
// many it removed, so that a report shows what is new.
package suppress

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ecoscan/ecoscan/internal/finding"
)

// ConfigFile is the name of the configuration file at the root of a
// scanned tree.
const ConfigFile = ".ecoscan.yml"

// Config is a parsed configuration file.
type Config struct {
	Path         string        // the file, as given; it names the source of every suppression
	Suppressions []Suppression // in the file's order; the first that matches a finding applies
}

// Suppression is one entry of a configuration's suppressions: a finding's
// fingerprint, or a rule with an optional location, accepted for a reason
// until a date.
type Suppression struct {
	Fingerprint string    // 16 lower-case hex digits; or
	Rule        string    // a rule id, such as "forge/asapp-without-authorization"
	Location    *Location // with Rule only: where; nil matches the rule anywhere
	Reason      string    // why the finding is accepted (required)
	Expires     time.Time // the last day the suppression applies, at 00:00 UTC
	Line        int       // the line of the entry in the configuration file
}

// Location narrows a rule's suppression to a place: exactly one of a source
// file (a glob, and a line), an endpoint (a URL pattern, and a method) or a
// host (and a port).
type Location struct {
	File   string // a slash-separated glob relative to the scanned tree: * ? [..] in a segment, ** for any number of directories
	Line   int    // 0: any line
	URL    string // a URL, where * stands for any run of characters
	Method string // upper case; "": any method
	Host   string // lower case
	Port   int    // 0: any port
}

// by is the finding.Suppression.By of a suppression.
func (s *Suppression) by() string {
	if s.Fingerprint != "" {
		return finding.ByFingerprint
	}
	return finding.ByRule
}

// expired reports whether the suppression no longer applies at now: it
// applies through the whole of its expiry day (UTC).
func (s *Suppression) expired(now time.Time) bool {
	return !now.UTC().Before(s.Expires.AddDate(0, 0, 1))
}

// what names the suppression for people: its fingerprint, or its rule and
// location.
func (s *Suppression) what() string {
	if s.Fingerprint != "" {
		return "fingerprint " + s.Fingerprint
	}
	text := "rule " + s.Rule
	if l := s.Location; l != nil {
		switch {
		case l.File != "" && l.Line > 0:
			text += " at " + l.File + ":" + strconv.Itoa(l.Line)
		case l.File != "":
			text += " in " + l.File
		case l.URL != "":
			text += " at " + strings.TrimSpace(l.Method+" "+l.URL)
		case l.Port > 0:
			text += " on " + l.Host + ":" + strconv.Itoa(l.Port)
		default:
			text += " on " + l.Host
		}
	}
	return text
}

// matches reports whether the suppression names finding f.
func (s *Suppression) matches(f *finding.Finding) bool {
	if s.Fingerprint != "" {
		return f.Fingerprint == s.Fingerprint
	}
	if f.Rule != s.Rule {
		return false
	}
	l := s.Location
	if l == nil {
		return true
	}
	at := f.Location
	switch {
	case l.File != "":
		return at.File != "" && matchPath(l.File, at.File) && (l.Line == 0 || l.Line == at.Line)
	case l.URL != "":
		return at.URL != "" && matchWildcard(l.URL, at.URL) && (l.Method == "" || strings.EqualFold(l.Method, at.Method))
	default:
		return at.Host != "" && strings.EqualFold(l.Host, at.Host) && (l.Port == 0 || l.Port == at.Port)
	}
}

// Apply marks every finding of r that an unexpired suppression matches (the
// first such suppression in the file's order), and adds to r a warning for
// every suppression that has expired at now, with the number of findings it
// would have matched. The checks table's rows say how many of their findings
// are suppressed. A finding that is already suppressed is left as it is.
func (c *Config) Apply(r *finding.Report, now time.Time) {
	// The suppressions that can match a finding, by its fingerprint and by
	// its rule, so that the work grows with the findings, not with their
	// product with the suppressions.
	byFingerprint, byRule := map[string][]int{}, map[string][]int{}
	for j, s := range c.Suppressions {
		if s.Fingerprint != "" {
			byFingerprint[s.Fingerprint] = append(byFingerprint[s.Fingerprint], j)
		} else {
			byRule[s.Rule] = append(byRule[s.Rule], j)
		}
	}
	expiredHits := make([]int, len(c.Suppressions))
	suppressed := map[string]int{} // by requirement
	var candidates []int
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.Suppressed() {
			continue
		}
		candidates = append(append(candidates[:0], byFingerprint[f.Fingerprint]...), byRule[f.Rule]...)
		slices.Sort(candidates) // the file's order: the first that applies wins
		for _, j := range candidates {
			s := &c.Suppressions[j]
			if !s.matches(f) {
				continue
			}
			if s.expired(now) {
				expiredHits[j]++
				continue
			}
			f.Suppression = &finding.Suppression{
				By:      s.by(),
				Reason:  s.Reason,
				Expires: s.Expires.Format(time.DateOnly),
				Source:  c.Path + ":" + strconv.Itoa(s.Line),
			}
			suppressed[f.Requirement]++
			break
		}
	}
	for j := range c.Suppressions {
		s := &c.Suppressions[j]
		if !s.expired(now) {
			continue
		}
		r.Warnings = append(r.Warnings, finding.Warning{
			Scope: c.Path + ":" + strconv.Itoa(s.Line),
			Message: fmt.Sprintf("the suppression of %s expired on %s and no longer applies (it matches %s)",
				s.what(), s.Expires.Format(time.DateOnly), plural(expiredHits[j], "finding")),
		})
	}
	annotateChecks(r, suppressed, "suppressed")
}

// annotateChecks adds to the detail of every check row whose requirement
// has findings in counts that number and what became of them, so that a
// failed requirement whose findings are all suppressed or known says so.
func annotateChecks(r *finding.Report, counts map[string]int, what string) {
	for i := range r.Checks {
		c := &r.Checks[i]
		n := counts[c.Requirement]
		if n == 0 {
			continue
		}
		note := plural(n, "finding") + " " + what
		if c.Detail == "" {
			c.Detail = note
		} else {
			c.Detail += "; " + note
		}
	}
}

// plural is "1 finding" or "2 findings".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
