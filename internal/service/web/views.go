package web

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/ecoscan/ecoscan/internal/finding"
	"github.com/ecoscan/ecoscan/internal/requirement"
)

// findingView is one finding as the pages show it, every string cleaned.
type findingView struct {
	Severity    string // "critical", ...
	Title       string
	Location    string
	Message     string
	Evidence    string
	Remediation string
	Rule        string
	Requirement string
	CVSS        string
	Due         string
	Fingerprint string
	Package     string
	Advisory    string
	NeedsReview bool
	Suppressed  string // why and until when, when a suppression applies
	Ticket      int64  // the ticket that follows it, 0 when none
	Open        bool   // shown unfolded (the ticket page's one finding)
}

// newFindingView cleans f for display.
func newFindingView(f finding.Finding) findingView {
	v := findingView{
		Severity:    severityName(f.Severity),
		Title:       clean(f.Title),
		Location:    clean(f.Location.String()),
		Message:     clean(f.Message),
		Remediation: clean(f.Remediation),
		Rule:        clean(f.Rule),
		Requirement: clean(f.Requirement),
		CVSS:        strconv.FormatFloat(f.CVSS, 'f', 1, 64),
		Due:         clean(f.Due),
		Fingerprint: clean(f.Fingerprint),
		NeedsReview: f.NeedsReview,
	}
	v.Evidence = clean(strings.Join(f.Evidence, "\n"))
	if p := f.Package; p != nil {
		v.Package = clean(strings.TrimSpace(p.Ecosystem + " " + p.Name + " " + p.Version))
	}
	if a := f.Advisory; a != nil {
		v.Advisory = clean(a.String())
	}
	if s := f.Suppression; s != nil {
		v.Suppressed = clean(s.Reason + " (until " + s.Expires + ")")
	}
	return v
}

// severityName is the lower-case name the store and the CSS classes use,
// "unknown" for an invalid severity.
func severityName(s finding.Severity) string {
	if b, err := s.MarshalText(); err == nil {
		return string(b)
	}
	return "unknown"
}

// checkView is one row of the checks table.
type checkView struct {
	Requirement string
	Title       string
	Status      string
	Detail      string
}

// reportView is what the app page shows of a scan's report.
type reportView struct {
	Findings   []findingView // active findings, worst first as the report orders them
	Suppressed []findingView
	Checks     []checkView
	Errors     []finding.Error
	Unreadable bool // the stored report did not parse
}

// newReportView reads a stored report; tickets maps fingerprints to the
// tickets that follow them.
func newReportView(raw []byte, tickets map[string]int64) reportView {
	var r finding.Report
	if err := json.Unmarshal(raw, &r); err != nil {
		return reportView{Unreadable: true}
	}
	var v reportView
	for _, f := range r.Findings {
		fv := newFindingView(f)
		fv.Ticket = tickets[f.Fingerprint]
		if f.Suppressed() {
			v.Suppressed = append(v.Suppressed, fv)
		} else {
			v.Findings = append(v.Findings, fv)
		}
	}
	for _, c := range r.Checks {
		cv := checkView{Requirement: clean(c.Requirement), Status: clean(string(c.Status)), Detail: clean(c.Detail)}
		if req, ok := requirement.Lookup(c.Requirement); ok {
			cv.Title = req.Title
		}
		v.Checks = append(v.Checks, cv)
	}
	for _, e := range r.Errors {
		v.Errors = append(v.Errors, finding.Error{Scope: clean(e.Scope), Message: clean(e.Message)})
	}
	return v
}

// findingDetail reads the finding.Finding JSON a ticket or stored finding
// keeps; ok is false when there is none or it does not parse.
func findingDetail(raw []byte) (findingView, bool) {
	if len(raw) == 0 {
		return findingView{}, false
	}
	var f finding.Finding
	if err := json.Unmarshal(raw, &f); err != nil {
		return findingView{}, false
	}
	return newFindingView(f), true
}
