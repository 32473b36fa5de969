// Package requirement is the catalog of Atlassian's security requirements for
// cloud apps (2023 numbering, the one Marketplace tickets use), their default
// CVSS scores, the severity scale derived from CVSS v3, and the fix windows of
// the Security Bug Fix Policy that give every finding its due date.
package requirement

import (
	"fmt"
	"strings"
	"time"
)

// Severity is a finding's severity on the CVSS v3 qualitative scale.
// The zero value is not a valid severity.
type Severity int

// The severities, ordered so that a larger value is worse.
const (
	Low Severity = iota + 1
	Medium
	High
	Critical
)

var severityNames = map[Severity]string{Low: "low", Medium: "medium", High: "high", Critical: "critical"}

// String returns the lower-case name used in reports.
func (s Severity) String() string {
	if n, ok := severityNames[s]; ok {
		return n
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// MarshalText writes the lower-case name.
func (s Severity) MarshalText() ([]byte, error) {
	if _, ok := severityNames[s]; !ok {
		return nil, fmt.Errorf("invalid severity %d", int(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText reads a severity name in any case.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseSeverity reads "low", "medium", "high" or "critical", in any case.
func ParseSeverity(name string) (Severity, error) {
	for s, n := range severityNames {
		if strings.EqualFold(n, name) {
			return s, nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want low, medium, high or critical)", name)
}

// FromCVSS maps a CVSS v3 base score to its severity: critical >= 9.0,
// high >= 7.0, medium >= 4.0, low below.
func FromCVSS(score float64) Severity {
	switch {
	case score >= 9.0:
		return Critical
	case score >= 7.0:
		return High
	case score >= 4.0:
		return Medium
	default:
		return Low
	}
}

// FixWindow is the time the Security Bug Fix Policy for cloud apps gives to
// fix a problem of this severity, counted from the day it is reported.
func FixWindow(s Severity) time.Duration {
	const week = 7 * 24 * time.Hour
	switch s {
	case Critical:
		return 4 * week
	case High:
		return 6 * week
	case Medium:
		return 8 * week
	default:
		return 25 * week
	}
}

// Due is the fix-by date (YYYY-MM-DD, UTC) of a problem of severity s reported at t.
func Due(s Severity, reported time.Time) string {
	return reported.UTC().Add(FixWindow(s)).Format(time.DateOnly)
}

// Requirement is one entry of Atlassian's security requirements for cloud apps.
type Requirement struct {
	ID       string  // Atlassian's number, such as "1.1" or "6.2"
	Category string  // the table's category, such as "Authentication & Authorization"
	Title    string  // the requirement in short
	CVSS     float64 // default CVSS v3 base score of a failure; 0 where the requirement has none
	Network  bool    // testable from outside over the network
	Source   bool    // testable from source, manifest or descriptor
}

// Severity is the default severity of a failure of r (low where r has no score).
func (r Requirement) Severity() Severity { return FromCVSS(r.CVSS) }

var catalog = []Requirement{
	{ID: "1.1", Category: "Authentication & Authorization", Title: "Every endpoint authenticates every request", CVSS: 5.3, Network: true, Source: true},
	{ID: "1.2", Category: "Authentication & Authorization", Title: "Server-side validation of the JWT and of the user's permissions", CVSS: 8.8, Network: true, Source: true},
	{ID: "1.4", Category: "Authentication & Authorization", Title: "Install and uninstall lifecycle requests are verified (signed install)", CVSS: 8.6, Network: true},
	{ID: "2", Category: "Data protection", Title: "End-user data encrypted at rest and accessed with authentication", Source: true},
	{ID: "3", Category: "Data protection", Title: "TLS 1.2 or higher only, and HSTS with a max-age of at least one year", CVSS: 7.4, Network: true},
	{ID: "4", Category: "Data protection", Title: "Least privilege: only the scopes and egress the app uses", CVSS: 3.1, Source: true},
	{ID: "5", Category: "Data protection", Title: "Secrets stored and handled securely: none in code, repositories, URLs or logs", CVSS: 7.5, Network: true, Source: true},
	{ID: "6.1", Category: "App security", Title: "The app keeps control of every domain it uses", CVSS: 9.1, Network: true},
	{ID: "6.2", Category: "App security", Title: "Valid domain registration and valid TLS certificates", CVSS: 8.1, Network: true},
	{ID: "6.3", Category: "App security", Title: "No dangling DNS records (subdomain takeover)", CVSS: 9.1, Network: true},
	{ID: "7", Category: "App security", Title: "No unsafe-inline or unsafe-eval in content security permissions", CVSS: 5.4, Source: true},
	{ID: "7.2", Category: "App security", Title: "Referrer-Policy set, and not unsafe-url or no-referrer-when-downgrade", CVSS: 5.3, Network: true},
	{ID: "7.3", Category: "App security", Title: "Cache-Control: no-store on responses with sensitive data", CVSS: 5.3, Network: true},
	{ID: "7.4", Category: "App security", Title: "Session cookies are Secure and HttpOnly", CVSS: 5.3, Network: true},
	{ID: "8", Category: "App security", Title: "Untrusted input is validated (no injection)", CVSS: 7.5, Source: true},
	{ID: "8.1", Category: "App security", Title: "URL tampering: a token whose qsh does not match the request is rejected", CVSS: 7.5, Network: true},
	{ID: "9", Category: "App security", Title: "No third-party components with known critical or high vulnerabilities", Source: true},
	{ID: "10", Category: "Privacy", Title: "Atlassian user credentials are never collected or stored", CVSS: 9.1, Source: true},
	{ID: "11", Category: "Vulnerability management", Title: "Vulnerabilities fixed within the Security Bug Fix Policy windows"},
}

// All returns the catalog in Atlassian's order. The slice is a copy.
func All() []Requirement { return append([]Requirement(nil), catalog...) }

// Lookup returns the requirement with this id.
func Lookup(id string) (Requirement, bool) {
	for _, r := range catalog {
		if r.ID == id {
			return r, true
		}
	}
	return Requirement{}, false
}
