// Package finding is the spine every part of ecoscan shares: the Rule a check
// enforces, the Finding it reports, where a finding is (Location), and the
// Report that carries findings, the status of every requirement and the errors
// of a scan to the outputs and the service. The JSON form of a Report is the
// "ecoscan.report/v1" contract of REPORT-CONTRACT.md.
package finding

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/ecoscan/ecoscan/internal/requirement"
)

// Severity is the severity scale of requirement, re-exported for the model's users.
type Severity = requirement.Severity

// The severities.
const (
	Low      = requirement.Low
	Medium   = requirement.Medium
	High     = requirement.High
	Critical = requirement.Critical
)

// Rule describes one kind of problem a check reports. Rule ids are namespaced
// by engine and stable: "connect/...", "tls/...", "forge/..." and so on.
type Rule struct {
	ID          string  // stable id, such as "connect/authn-forged-jwt-accepted"
	Requirement string  // Atlassian's requirement number, such as "1.1"
	Title       string  // one line that names the problem
	CVSS        float64 // the default CVSS v3 base score of a finding of this rule
	Remediation string  // what to do about it
	Doc         string  // what the rule tests and how it judges, for people and SARIF help
}

// Severity is the default severity of the rule's findings.
func (r Rule) Severity() Severity { return requirement.FromCVSS(r.CVSS) }

// New makes a finding of this rule at loc. The fingerprint is derived from the
// rule and the location; the due date is set when the finding joins a Report.
func (r Rule) New(loc Location, message string, evidence ...string) Finding {
	return Finding{
		Rule:        r.ID,
		Requirement: r.Requirement,
		Severity:    r.Severity(),
		CVSS:        r.CVSS,
		Title:       r.Title,
		Message:     message,
		Location:    loc,
		Evidence:    evidence,
		Remediation: r.Remediation,
		Fingerprint: Fingerprint(r.ID, loc.Key()),
	}
}

// Finding is one problem found at one place, with the evidence that shows it.
type Finding struct {
	Rule        string    `json:"rule"`
	Requirement string    `json:"requirement"`
	Severity    Severity  `json:"severity"`
	CVSS        float64   `json:"cvss"`
	Title       string    `json:"title"`
	Message     string    `json:"message"`
	Location    Location  `json:"location"`
	Evidence    []string  `json:"evidence"`
	Remediation string    `json:"remediation"`
	Fingerprint string    `json:"fingerprint"`
	Due         string    `json:"due"`
	NeedsReview bool      `json:"needs_review,omitempty"` // the evidence cannot settle it alone: a person should confirm
	Package     *Package  `json:"package,omitempty"`
	Advisory    *Advisory `json:"advisory,omitempty"`
	// Suppression is set when a suppression of the scan's configuration
	// matched the finding: it stays in the report, shown as suppressed, and
	// counts neither in the summary nor for the exit code.
	Suppression *Suppression `json:"suppression,omitempty"`
}

// Suppressed reports whether a suppression applies to the finding.
func (f Finding) Suppressed() bool { return f.Suppression != nil }

// How a suppression matched a finding (Suppression.By).
const (
	ByFingerprint = "fingerprint" // the finding's fingerprint was listed
	ByRule        = "rule"        // the finding's rule, and its location if one was given
)

// Suppression records why a finding does not count: the entry of the
// configuration (.ecoscan.yml or --config) that matched it and had not expired.
type Suppression struct {
	By      string `json:"by"`               // ByFingerprint or ByRule
	Reason  string `json:"reason"`           // why the finding is accepted, as the config says
	Expires string `json:"expires"`          // the last day (YYYY-MM-DD, UTC) the suppression applies
	Source  string `json:"source,omitempty"` // the config file and line of the entry, "path:line"
}

// Package names a third-party component (dependency findings).
type Package struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	Version   string `json:"version"`
}

// Advisory names the advisory a dependency finding matched.
type Advisory struct {
	ID      string   `json:"id"`
	Aliases []string `json:"aliases,omitempty"`
	Fixed   string   `json:"fixed,omitempty"`
}

// String is the advisory in one line for people: "GHSA-x (CVE-y), fixed in 1.2.3".
func (a Advisory) String() string {
	text := a.ID
	if len(a.Aliases) > 0 {
		text += " (" + strings.Join(a.Aliases, ", ") + ")"
	}
	if a.Fixed != "" {
		text += ", fixed in " + a.Fixed
	}
	return text
}

// Location is where a finding is: exactly one of an endpoint (URL and Method),
// a host (Host and Port) or a source position (File, Line, Column; the path
// relative to the scanned directory, lines and columns counted from 1).
type Location struct {
	URL    string `json:"url,omitempty"`
	Method string `json:"method,omitempty"`
	Host   string `json:"host,omitempty"`
	Port   int    `json:"port,omitempty"`
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
}

// Endpoint is the location of a request: the full URL that was requested.
func Endpoint(method, url string) Location { return Location{URL: url, Method: method} }

// Host is the location of a host:port.
func Host(host string, port int) Location { return Location{Host: host, Port: port} }

// Source is the location of a position in a file of the scanned tree.
func Source(file string, line, column int) Location {
	return Location{File: file, Line: line, Column: column}
}

// Key is a stable text that names the place, used in fingerprints.
func (l Location) Key() string {
	switch {
	case l.URL != "":
		return l.Method + " " + l.URL
	case l.Host != "":
		return net.JoinHostPort(l.Host, strconv.Itoa(l.Port))
	default:
		return l.File + ":" + strconv.Itoa(l.Line) + ":" + strconv.Itoa(l.Column)
	}
}

// String is the place as people read it.
func (l Location) String() string {
	switch {
	case l.URL != "":
		return l.Method + " " + l.URL
	case l.Host != "":
		return net.JoinHostPort(l.Host, strconv.Itoa(l.Port))
	case l.Column > 0:
		return fmt.Sprintf("%s:%d:%d", l.File, l.Line, l.Column)
	case l.Line > 0:
		return fmt.Sprintf("%s:%d", l.File, l.Line)
	default:
		return l.File
	}
}

// Validate reports whether the location has exactly one of its three shapes.
func (l Location) Validate() error {
	shapes := 0
	if l.URL != "" || l.Method != "" {
		shapes++
		if l.URL == "" || l.Method == "" {
			return fmt.Errorf("endpoint location needs both url and method: %+v", l)
		}
	}
	if l.Host != "" || l.Port != 0 {
		shapes++
		if l.Host == "" || l.Port <= 0 {
			return fmt.Errorf("host location needs both host and port: %+v", l)
		}
	}
	if l.File != "" || l.Line != 0 || l.Column != 0 {
		shapes++
		if l.File == "" {
			return fmt.Errorf("source location needs a file: %+v", l)
		}
	}
	if shapes != 1 {
		return fmt.Errorf("location must have exactly one shape, has %d: %+v", shapes, l)
	}
	return nil
}

// Fingerprint is a stable 16-hex-digit id of a problem at a place, made from
// the rule id and parts that name the place (never from anything that changes
// from run to run, such as times or random tokens).
func Fingerprint(rule string, parts ...string) string {
	h := sha256.New()
	h.Write([]byte(rule))
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// Status is the outcome of one requirement in a scan.
type Status string

// The statuses of the checks table. "Nothing found" (pass) and "nothing
// checked" (skipped, not-applicable) are never the same.
const (
	Pass          Status = "pass"
	Fail          Status = "fail"
	Errored       Status = "error"
	Skipped       Status = "skipped"
	NotApplicable Status = "not-applicable"
)

// Check is one row of the checks table: a requirement and what became of it.
type Check struct {
	Requirement string `json:"requirement"`
	Status      Status `json:"status"`
	Detail      string `json:"detail"`
}

// Error is something the scan could not do: an endpoint that timed out, a host
// that reset, a file that did not parse. Scope names what failed: the full URL
// of an endpoint, host:port of a host, or the file path.
type Error struct {
	Scope   string `json:"scope"`
	Message string `json:"message"`
}

// Tool names the program that made a report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Target is what was scanned.
type Target struct {
	Kind    string `json:"kind"` // "connect", "forge", "deps", "host"
	Ref     string `json:"ref"`  // the descriptor URL, directory or host
	AppKey  string `json:"app_key,omitempty"`
	AppName string `json:"app_name,omitempty"`
}

// Baseline records that a baseline report was applied: the findings whose
// fingerprints it lists were left out of this report as already known.
type Baseline struct {
	File  string `json:"file"`  // the baseline report, as given
	Known int    `json:"known"` // findings left out because the baseline has them
}

// Warning is something about the scan's configuration that the reader should
// act on, such as a suppression that expired. Scope names where it is (the
// config file and line); the message says what is wrong.
type Warning struct {
	Scope   string `json:"scope"`
	Message string `json:"message"`
}

// Schema is the value of Report.Schema for this version of the report.
const Schema = "ecoscan.report/v1"

// Report is the result of one scan.
type Report struct {
	Schema     string    `json:"schema"`
	Tool       Tool      `json:"tool"`
	Target     Target    `json:"target"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	Findings   []Finding `json:"findings"`
	Checks     []Check   `json:"checks"`
	Errors     []Error   `json:"errors"`
	Baseline   *Baseline `json:"baseline,omitempty"` // set when --baseline left known findings out
	Warnings   []Warning `json:"warnings,omitempty"` // expired suppressions and the like
}

// Finish completes a report: it sets the finish time, gives every finding its
// due date counted from the scan's start, sorts nothing away, and makes the
// lists non-nil so that JSON shows [] rather than null.
func (r *Report) Finish(at time.Time) {
	r.Schema = Schema
	r.FinishedAt = at.UTC().Truncate(time.Second)
	r.StartedAt = r.StartedAt.UTC().Truncate(time.Second)
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.Due == "" {
			f.Due = requirement.Due(f.Severity, r.StartedAt)
		}
		if f.Evidence == nil {
			f.Evidence = []string{}
		}
	}
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	if r.Checks == nil {
		r.Checks = []Check{}
	}
	if r.Errors == nil {
		r.Errors = []Error{}
	}
}

// Count returns the number of findings of each severity that count: the
// suppressed ones are left out (see Suppressed).
func (r *Report) Count() map[Severity]int {
	n := map[Severity]int{}
	for _, f := range r.Findings {
		if !f.Suppressed() {
			n[f.Severity]++
		}
	}
	return n
}

// Active returns the number of findings that count: those not suppressed.
func (r *Report) Active() int { return len(r.Findings) - r.Suppressed() }

// Suppressed returns the number of suppressed findings.
func (r *Report) Suppressed() int {
	n := 0
	for _, f := range r.Findings {
		if f.Suppressed() {
			n++
		}
	}
	return n
}

// FailOn is the lowest severity that fails a scan; FailNone never fails.
type FailOn struct {
	none bool
	min  Severity
}

// FailNone is the threshold that no finding reaches.
var FailNone = FailOn{none: true}

// ParseFailOn reads the --fail-on flag: none, low, medium, high or critical.
func ParseFailOn(s string) (FailOn, error) {
	if strings.EqualFold(s, "none") {
		return FailNone, nil
	}
	sev, err := requirement.ParseSeverity(s)
	if err != nil {
		return FailOn{}, fmt.Errorf("--fail-on: %w (or none)", err)
	}
	return FailOn{min: sev}, nil
}

// Exit codes of every ecoscan command (REPORT-CONTRACT.md).
const (
	ExitClean    = 0 // the scan completed and found nothing at or above --fail-on
	ExitFindings = 1 // the scan completed and found something at or above --fail-on
	ExitError    = 2 // usage error, or the scan could not be completed
)

// ExitCode is the one place that decides a completed scan's exit code.
// Suppressed findings never fail a scan.
func (r *Report) ExitCode(threshold FailOn) int {
	if threshold.none {
		return ExitClean
	}
	for _, f := range r.Findings {
		if !f.Suppressed() && f.Severity >= threshold.min {
			return ExitFindings
		}
	}
	return ExitClean
}

// statusRank orders statuses for MergeChecks: a failure outweighs an error,
// an error a skip, and a skip a pass: a requirement of which a part was not
// checked never reads as passed.
var statusRank = map[Status]int{NotApplicable: 0, Pass: 1, Skipped: 2, Errored: 3, Fail: 4}

// MergeChecks combines the rows that several checks give one requirement
// (for example the TLS protocols and HSTS parts of requirement 3): the worst
// status wins and the details are joined. Rows that are not applicable add
// nothing when another row applies.
func MergeChecks(requirement string, rows ...Check) Check {
	out := Check{Requirement: requirement, Status: NotApplicable}
	var details []string
	applies := false
	for _, r := range rows {
		applies = applies || r.Status != NotApplicable
	}
	for _, r := range rows {
		if applies && r.Status == NotApplicable {
			continue
		}
		if statusRank[r.Status] > statusRank[out.Status] {
			out.Status = r.Status
		}
		if r.Detail != "" {
			details = append(details, r.Detail)
		}
	}
	out.Detail = strings.Join(details, "; ")
	return out
}
