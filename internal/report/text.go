package report

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ecoscan/ecoscan/internal/finding"
)

// textFormat is the report for people at a terminal: the findings worst
// first, the checks table, the errors and a summary line.
//
// Everything the report carries may come from the scanned app (a server's
// answer, a descriptor's name, a file's text), so every string is cleaned of
// control and bidirectional-override characters before it reaches the
// terminal; the only escape sequences in the output are the colours, and only
// when Options.Color is set.
type textFormat struct{}

// Name is "text", the value of --format.
func (textFormat) Name() string { return "text" }

// Write writes r for a terminal, in colour if opts.Color is set.
func (textFormat) Write(w io.Writer, r *finding.Report, opts Options) error {
	if r == nil {
		return errors.New("write text report: no report")
	}
	p := &textPrinter{color: opts.Color}
	p.header(r)
	p.findings(r.Findings)
	p.suppressed(r.Findings)
	p.baseline(r.Baseline)
	p.checks(r.Checks)
	p.warnings(r.Warnings)
	p.errors(r.Errors)
	p.summary(r)
	if _, err := io.WriteString(w, p.b.String()); err != nil {
		return fmt.Errorf("write text report: %w", err)
	}
	return nil
}

// ANSI SGR codes of the text format.
const (
	sgrBold    = "1"
	sgrDim     = "2"
	sgrRed     = "31"
	sgrGreen   = "32"
	sgrYellow  = "33"
	sgrCyan    = "36"
	sgrBoldRed = "1;31"
	sgrReview  = "1;33"
)

// severityColor is the colour of each severity's label and count.
var severityColor = map[finding.Severity]string{
	finding.Critical: sgrBoldRed,
	finding.High:     sgrRed,
	finding.Medium:   sgrYellow,
	finding.Low:      sgrCyan,
}

// statusColor is the colour of each status in the checks table.
var statusColor = map[finding.Status]string{
	finding.Pass:          sgrGreen,
	finding.Fail:          sgrRed,
	finding.Errored:       sgrYellow,
	finding.Skipped:       sgrDim,
	finding.NotApplicable: sgrDim,
}

// severitiesWorstFirst lists the severities in the order the summary counts them.
var severitiesWorstFirst = []finding.Severity{finding.Critical, finding.High, finding.Medium, finding.Low}

// fieldIndent is where the values of a finding's fields start.
const fieldIndent = "               "

type textPrinter struct {
	b     strings.Builder
	color bool
}

// paint wraps s in the ANSI colour code when colour is on.
func (p *textPrinter) paint(code, s string) string {
	if !p.color || code == "" || s == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (p *textPrinter) header(r *finding.Report) {
	tool := cmp.Or(clean(r.Tool.Name), "ecoscan")
	if r.Tool.Version != "" {
		tool += " " + clean(r.Tool.Version)
	}
	var parts []string
	if target := strings.TrimSpace(clean(r.Target.Kind) + " " + clean(r.Target.Ref)); target != "" {
		parts = append(parts, target)
	}
	switch name, key := clean(r.Target.AppName), clean(r.Target.AppKey); {
	case name != "" && key != "":
		parts = append(parts, "app "+name+" ("+key+")")
	case name != "" || key != "":
		parts = append(parts, "app "+name+key)
	}
	if !r.StartedAt.IsZero() && !r.FinishedAt.IsZero() && !r.FinishedAt.Before(r.StartedAt) {
		parts = append(parts, "took "+r.FinishedAt.Sub(r.StartedAt).Round(time.Millisecond).String())
	}
	p.b.WriteString(p.paint(sgrBold, tool))
	if len(parts) > 0 {
		p.b.WriteString(": " + strings.Join(parts, " | "))
	}
	p.b.WriteString("\n\n")
}

func (p *textPrinter) findings(findings []finding.Finding) {
	var active []finding.Finding
	for _, f := range worstFirst(findings) {
		if !f.Suppressed() {
			active = append(active, f)
		}
	}
	if len(active) == 0 {
		p.b.WriteString(p.paint(sgrBold, "No findings.") + "\n\n")
		return
	}
	fmt.Fprintf(&p.b, "%s\n\n", p.paint(sgrBold, fmt.Sprintf("Findings (%d)", len(active))))
	for _, f := range active {
		p.finding(f)
	}
}

// suppressed lists the suppressed findings, one line each with the
// suppression's reason, expiry and source below it, dimmed.
func (p *textPrinter) suppressed(findings []finding.Finding) {
	list := suppressedFindings(findings)
	if len(list) == 0 {
		return
	}
	fmt.Fprintf(&p.b, "%s\n", p.paint(sgrBold, fmt.Sprintf("Suppressed (%d)", len(list))))
	for _, f := range list {
		label := strings.ToUpper(f.Severity.String())
		line := "  " + label + strings.Repeat(" ", max(1, 9-len(label))) + clean(f.Rule) + "  " + clean(f.Location.String())
		p.b.WriteString(p.paint(sgrDim, line) + "\n")
		s := f.Suppression
		how := "until " + clean(s.Expires) + ", by " + clean(s.By)
		if s.Source != "" {
			how += " (" + clean(s.Source) + ")"
		}
		lines := cleanLines(s.Reason)
		p.b.WriteString(fieldIndent + how + ": " + lines[0] + "\n")
		for _, more := range lines[1:] {
			p.b.WriteString(fieldIndent + "  " + more + "\n")
		}
		p.b.WriteString(fieldIndent + "fingerprint " + clean(f.Fingerprint) + "\n")
	}
	p.b.WriteString("\n")
}

// baseline says how many findings a baseline left out.
func (p *textPrinter) baseline(b *finding.Baseline) {
	if b == nil {
		return
	}
	fmt.Fprintf(&p.b, "%s %s known from %s left out.\n\n", p.paint(sgrBold, "Baseline:"), plural(b.Known, "finding"), clean(b.File))
}

// warnings lists the report's warnings, each with its scope.
func (p *textPrinter) warnings(list []finding.Warning) {
	if len(list) == 0 {
		return
	}
	fmt.Fprintf(&p.b, "%s\n", p.paint(sgrBold, fmt.Sprintf("Warnings (%d)", len(list))))
	for _, w := range list {
		lines := cleanLines(w.Message)
		p.b.WriteString("  " + p.paint(sgrYellow, clean(w.Scope)) + ": " + lines[0] + "\n")
		for _, more := range lines[1:] {
			p.b.WriteString("    " + more + "\n")
		}
	}
	p.b.WriteString("\n")
}

func (p *textPrinter) finding(f finding.Finding) {
	label := strings.ToUpper(f.Severity.String())
	line := p.paint(severityColor[f.Severity], label) + strings.Repeat(" ", max(1, 9-len(label))) + clean(f.Rule)
	if f.Requirement != "" {
		line += "  requirement " + clean(f.Requirement)
	}
	if f.NeedsReview {
		line += "  " + p.paint(sgrReview, "[NEEDS REVIEW]")
	}
	p.b.WriteString(line + "\n")
	if f.Title != "" {
		p.b.WriteString("  " + p.paint(sgrBold, clean(f.Title)) + "\n")
	}
	p.field("location", f.Location.String())
	p.field("message", f.Message)
	for i, e := range f.Evidence {
		if i == 0 {
			p.field("evidence", e)
		} else {
			p.field("", e)
		}
	}
	if pkg := f.Package; pkg != nil {
		p.field("package", strings.Join(nonEmpty(pkg.Ecosystem, pkg.Name, pkg.Version), " "))
	}
	if adv := f.Advisory; adv != nil {
		p.field("advisory", adv.String())
	}
	p.field("remediation", f.Remediation)
	p.field("due", f.Due)
	p.field("fingerprint", f.Fingerprint)
	if f.NeedsReview {
		p.field("review", "the evidence cannot settle this alone: a person should confirm it")
	}
	p.b.WriteString("\n")
}

// field writes one labelled field of a finding; a value of several lines
// continues at the value column. Empty values are left out.
func (p *textPrinter) field(label, value string) {
	if value == "" {
		return
	}
	prefix := "  " + label + strings.Repeat(" ", max(1, len(fieldIndent)-2-len(label)))
	for _, line := range cleanLines(value) {
		p.b.WriteString(prefix + line + "\n")
		prefix = fieldIndent
	}
}

func (p *textPrinter) checks(checks []finding.Check) {
	if len(checks) == 0 {
		p.b.WriteString(p.paint(sgrBold, "No checks reported.") + "\n\n")
		return
	}
	p.b.WriteString(p.paint(sgrBold, "Checks") + "\n")
	const reqHead, statusHead = "REQUIREMENT", "STATUS"
	reqWidth, statusWidth := len(reqHead), len(statusHead)
	for _, c := range checks {
		reqWidth = max(reqWidth, utf8.RuneCountInString(clean(c.Requirement)))
		statusWidth = max(statusWidth, utf8.RuneCountInString(clean(string(c.Status))))
	}
	// gap is the space after s in a column of this width, two at least.
	gap := func(s string, width int) string {
		return strings.Repeat(" ", width-utf8.RuneCountInString(s)+2)
	}
	p.b.WriteString("  " + reqHead + gap(reqHead, reqWidth) + statusHead + gap(statusHead, statusWidth) + "DETAIL\n")
	detailIndent := strings.Repeat(" ", 2+reqWidth+2+statusWidth+2)
	for _, c := range checks {
		req, status := clean(c.Requirement), clean(string(c.Status))
		detail := cleanLines(c.Detail)
		row := "  " + req + gap(req, reqWidth) + p.paint(statusColor[c.Status], status) + gap(status, statusWidth) + detail[0]
		p.b.WriteString(strings.TrimRight(row, " ") + "\n")
		for _, more := range detail[1:] {
			p.b.WriteString(detailIndent + more + "\n")
		}
	}
	p.b.WriteString("\n")
}

func (p *textPrinter) errors(errs []finding.Error) {
	if len(errs) == 0 {
		return
	}
	fmt.Fprintf(&p.b, "%s\n", p.paint(sgrBold, fmt.Sprintf("Errors (%d)", len(errs))))
	for _, e := range errs {
		lines := cleanLines(e.Message)
		p.b.WriteString("  " + p.paint(sgrRed, clean(e.Scope)) + ": " + lines[0] + "\n")
		for _, more := range lines[1:] {
			p.b.WriteString("    " + more + "\n")
		}
	}
	p.b.WriteString("\n")
}

func (p *textPrinter) summary(r *finding.Report) {
	counts := r.Count()
	var bySeverity []string
	for _, s := range severitiesWorstFirst {
		text := strconv.Itoa(counts[s]) + " " + s.String()
		if counts[s] > 0 {
			text = p.paint(severityColor[s], text)
		}
		bySeverity = append(bySeverity, text)
	}
	parts := []string{plural(r.Active(), "finding") + " (" + strings.Join(bySeverity, ", ") + ")"}
	if n := r.Suppressed(); n > 0 {
		parts = append(parts, strconv.Itoa(n)+" suppressed")
	}
	if r.Baseline != nil {
		parts = append(parts, strconv.Itoa(r.Baseline.Known)+" known from the baseline")
	}
	if len(r.Warnings) > 0 {
		parts = append(parts, plural(len(r.Warnings), "warning"))
	}
	parts = append(parts, plural(len(r.Errors), "error"))
	fmt.Fprintf(&p.b, "%s %s\n", p.paint(sgrBold, "Summary:"), strings.Join(parts, ", "))
}

// plural is "1 finding" or "2 findings".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// nonEmpty returns the strings that are not empty.
func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// cleanLines splits s into lines (at \n or \r\n) and cleans each one. It
// returns at least one line.
func cleanLines(s string) []string {
	lines := strings.Split(strings.TrimRight(s, "\r\n"), "\n")
	for i, line := range lines {
		lines[i] = clean(strings.TrimSuffix(line, "\r"))
	}
	return lines
}

// clean makes s safe to print on a terminal: control characters (tab aside),
// bidirectional-override characters and bytes that are not UTF-8 are shown as
// Go escapes (\x1b, \u202e, \xff) instead of reaching the terminal.
func clean(s string) string {
	if utf8.ValidString(s) && !strings.ContainsFunc(s, unsafeRune) {
		return s
	}
	var b strings.Builder
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[0])
		case unsafeRune(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
		s = s[size:]
	}
	return b.String()
}

// unsafeRune reports whether r could move the cursor, change the terminal's
// state or reorder the text around it.
func unsafeRune(r rune) bool {
	return (unicode.IsControl(r) && r != '\t') || unicode.Is(unicode.Bidi_Control, r)
}
