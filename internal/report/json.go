package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/ecoscan/ecoscan/internal/finding"
)

// jsonFormat is the "ecoscan.report/v1" JSON report of REPORT-CONTRACT.md:
// the Report as its struct tags spell it, indented, with a trailing newline.
type jsonFormat struct{}

// Name is "json", the value of --format.
func (jsonFormat) Name() string { return "json" }

// Write writes r as the contract's JSON; opts do not apply.
func (jsonFormat) Write(w io.Writer, r *finding.Report, _ Options) error {
	if r == nil {
		return errors.New("write json report: no report")
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // evidence is full of <, > and &; the report is not embedded in HTML
	if err := enc.Encode(contractShape(r)); err != nil {
		return fmt.Errorf("write json report: %w", err)
	}
	return nil
}

// contractShape returns a copy of r that keeps the contract even if r was not
// finished: the schema is set and every list is [] rather than null. r itself
// is not changed.
func contractShape(r *finding.Report) *finding.Report {
	c := *r
	if c.Schema == "" {
		c.Schema = finding.Schema
	}
	c.Findings = make([]finding.Finding, len(r.Findings))
	copy(c.Findings, r.Findings)
	for i := range c.Findings {
		if c.Findings[i].Evidence == nil {
			c.Findings[i].Evidence = []string{}
		}
	}
	if c.Checks == nil {
		c.Checks = []finding.Check{}
	}
	if c.Errors == nil {
		c.Errors = []finding.Error{}
	}
	return &c
}
