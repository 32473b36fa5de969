package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/ecoscan/ecoscan/internal/finding"
)

// sarifFormat is the SARIF 2.1.0 log of a report, for code-scanning tools:
// one run, one reportingDescriptor per rule, one result per finding (a
// suppressed one with an "external" suppression whose justification is the
// reason), the scan's errors as tool execution notifications and its
// warnings as tool configuration notifications.
type sarifFormat struct{}

// Name is "sarif", the value of --format.
func (sarifFormat) Name() string { return "sarif" }

// Fixed names of the SARIF log.
const (
	sarifToolName       = "ecoscan"
	sarifInformationURI = "https://github.com/ecoscan/ecoscan"
	sarifFingerprintKey = "ecoscan/v1" // the partialFingerprints key of Finding.Fingerprint
	sarifSourceRoot     = "SRCROOT"    // the uriBaseId of paths in the scanned tree
	sarifResourceKind   = "resource"   // the logicalLocation kind of endpoints and hosts
)

// Write writes r as a SARIF 2.1.0 log; opts do not apply.
func (sarifFormat) Write(w io.Writer, r *finding.Report, _ Options) error {
	if r == nil {
		return errors.New("write sarif report: no report")
	}
	doc, err := sarifLog(r)
	if err != nil {
		return fmt.Errorf("write sarif report: %w", err)
	}
	var buf bytes.Buffer
	if err := doc.PrettyWrite(&buf); err != nil {
		return fmt.Errorf("write sarif report: encode: %w", err)
	}
	buf.WriteByte('\n')
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write sarif report: %w", err)
	}
	return nil
}

// sarifLog builds the SARIF log of r.
func sarifLog(r *finding.Report) (*sarif.Report, error) {
	run := sarif.NewRunWithInformationURI(sarifToolName, sarifInformationURI)
	if r.Tool.Version != "" {
		run.Tool.Driver.WithVersion(r.Tool.Version)
	}

	findings := worstFirst(r.Findings)
	rules := sarifRules(findings)
	ruleIndex := map[string]int{}
	for i, rule := range rules {
		ruleIndex[*rule.ID] = i
	}
	run.Tool.Driver.WithRules(rules)
	for _, f := range findings {
		result, err := sarifResult(f, ruleIndex[f.Rule])
		if err != nil {
			return nil, err
		}
		if r.Baseline != nil {
			// Findings the baseline knew were left out: what is left is new.
			result.WithBaselineState("new")
		}
		run.AddResult(result)
	}

	inv := sarif.NewInvocation().WithExecutionSuccessful(true)
	if !r.StartedAt.IsZero() {
		inv.WithStartTimeUtc(r.StartedAt.UTC().Format(time.RFC3339))
	}
	if !r.FinishedAt.IsZero() {
		inv.WithEndTimeUtc(r.FinishedAt.UTC().Format(time.RFC3339))
	}
	for _, e := range r.Errors {
		inv.AddToolExecutionNotification(sarif.NewNotification().
			WithLevel(sarif.LevelError).
			WithMessage(sarif.NewTextMessage(e.Scope + ": " + e.Message)))
	}
	for _, w := range r.Warnings {
		inv.AddToolConfigurationNotification(sarif.NewNotification().
			WithLevel(sarif.LevelWarning).
			WithMessage(sarif.NewTextMessage(w.Scope + ": " + w.Message)))
	}
	run.AddInvocation(inv)

	checks := r.Checks
	if checks == nil {
		checks = []finding.Check{}
	}
	props := sarif.NewPropertyBag().Add("target", r.Target).Add("checks", checks)
	if r.Baseline != nil {
		props.Add("baseline", r.Baseline)
	}
	run.WithProperties(props)

	return sarif.NewReport().AddRun(run), nil
}

// sarifRules returns one reportingDescriptor per distinct rule id of the
// findings, in the order the rules first appear in them. A rule's severity and
// CVSS are the worst of its findings (dependency findings of one rule differ
// by advisory); its title and remediation are its first finding's.
func sarifRules(findings []finding.Finding) []*sarif.ReportingDescriptor {
	type ruleInfo struct {
		first    finding.Finding
		severity finding.Severity
		cvss     float64
	}
	var order []string
	infos := map[string]*ruleInfo{}
	for _, f := range findings {
		info, ok := infos[f.Rule]
		if !ok {
			info = &ruleInfo{first: f, severity: f.Severity, cvss: f.CVSS}
			infos[f.Rule] = info
			order = append(order, f.Rule)
		}
		info.severity = max(info.severity, f.Severity)
		info.cvss = max(info.cvss, f.CVSS)
	}

	rules := make([]*sarif.ReportingDescriptor, 0, len(order))
	for _, id := range order {
		info := infos[id]
		props := sarif.NewPropertyBag().
			Add("requirement", info.first.Requirement).
			Add("severity", info.severity.String()).
			Add("cvss", info.cvss).
			Add("security-severity", strconv.FormatFloat(info.cvss, 'f', 1, 64)).
			AddTag("security")
		if info.first.Requirement != "" {
			props.AddTag("requirement-" + info.first.Requirement)
		}
		rule := sarif.NewRule(id).WithProperties(props)
		if info.first.Title != "" {
			rule.WithShortDescription(sarif.NewMultiformatMessageString().WithText(info.first.Title))
		}
		if info.first.Remediation != "" {
			rule.WithHelp(sarif.NewMultiformatMessageString().WithText(info.first.Remediation))
		}
		rules = append(rules, rule)
	}
	return rules
}

// sarifResult is the result of one finding of the rule at ruleIndex.
func sarifResult(f finding.Finding, ruleIndex int) (*sarif.Result, error) {
	level, err := sarifLevel(f.Severity)
	if err != nil {
		return nil, fmt.Errorf("finding %s at %s: %w", f.Rule, f.Location, err)
	}
	props := sarif.NewPropertyBag().
		Add("requirement", f.Requirement).
		Add("severity", f.Severity.String()).
		Add("cvss", f.CVSS).
		Add("due", f.Due).
		Add("needs_review", f.NeedsReview)
	if f.Package != nil {
		props.Add("package", f.Package)
	}
	if f.Advisory != nil {
		props.Add("advisory", f.Advisory)
	}
	result := sarif.NewRuleResult(f.Rule).
		WithRuleIndex(ruleIndex).
		WithLevel(level).
		WithMessage(sarif.NewTextMessage(sarifMessage(f))).
		WithPartialFingerprints(map[string]string{sarifFingerprintKey: f.Fingerprint}).
		WithProperties(props)
	if loc := sarifLocation(f.Location); loc != nil {
		result.AddLocation(loc)
	}
	if s := f.Suppression; s != nil {
		sp := sarif.NewPropertyBag().Add("by", s.By).Add("expires", s.Expires)
		if s.Source != "" {
			sp.Add("source", s.Source)
		}
		result.AddSuppression(sarif.NewSuppression().
			WithKind("external").
			WithStatus("accepted").
			WithJustification(s.Reason).
			WithProperties(sp))
	}
	return result, nil
}

// sarifLevel maps a severity to a result level.
func sarifLevel(s finding.Severity) (string, error) {
	switch s {
	case finding.Critical, finding.High:
		return sarif.LevelError, nil
	case finding.Medium:
		return sarif.LevelWarning, nil
	case finding.Low:
		return sarif.LevelNote, nil
	default:
		return "", fmt.Errorf("invalid severity %d", int(s))
	}
}

// sarifMessage is the finding's message followed by its evidence, one item a
// line. A finding without a message falls back to its title.
func sarifMessage(f finding.Finding) string {
	var b strings.Builder
	b.WriteString(f.Message)
	if b.Len() == 0 {
		b.WriteString(f.Title)
	}
	if len(f.Evidence) > 0 {
		b.WriteString("\n\nEvidence:")
		for _, e := range f.Evidence {
			b.WriteString("\n- " + e)
		}
	}
	return b.String()
}

// sarifLocation is where a finding is, in SARIF terms: a file of the scanned
// tree relative to SRCROOT, the URL of an endpoint (with "METHOD URL" as a
// logical location), or a host:port as a logical location alone. It returns
// nil for a location of no shape.
func sarifLocation(l finding.Location) *sarif.Location {
	switch {
	case l.URL != "":
		return sarif.NewLocationWithPhysicalLocation(
			sarif.NewPhysicalLocation().WithArtifactLocation(sarif.NewSimpleArtifactLocation(l.URL)),
		).AddLogicalLocation(sarif.NewLogicalLocation().
			WithFullyQualifiedName(l.Method + " " + l.URL).
			WithKind(sarifResourceKind))
	case l.Host != "":
		return sarif.NewLocation().AddLogicalLocation(sarif.NewLogicalLocation().
			WithName(l.String()).
			WithFullyQualifiedName(l.String()).
			WithKind(sarifResourceKind))
	case l.File != "":
		physical := sarif.NewPhysicalLocation().WithArtifactLocation(
			sarif.NewSimpleArtifactLocation(fileURI(l.File)).WithURIBaseID(sarifSourceRoot))
		if l.Line > 0 {
			region := sarif.NewRegion().WithStartLine(l.Line)
			if l.Column > 0 {
				region.WithStartColumn(l.Column)
			}
			physical.WithRegion(region)
		}
		return sarif.NewLocationWithPhysicalLocation(physical)
	default:
		return nil
	}
}

// fileURI is a relative, slash-separated path as a URI reference: characters
// that URIs reserve are escaped, and a first segment with a colon is prefixed
// with "./" so that it does not read as a scheme.
func fileURI(path string) string {
	return (&url.URL{Path: path}).String()
}
