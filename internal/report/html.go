package report

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/ecoscan/ecoscan/internal/finding"
	"github.com/ecoscan/ecoscan/internal/requirement"
)

// htmlFormat is the report as one self-contained HTML page that works
// offline: the summary with charts of the findings by severity and by
// requirement (inline SVG), every finding folded in a <details> element with
// its evidence, the suppressed findings, the errors and the checks table.
//
// The page loads nothing and runs no script. Its Content-Security-Policy
// (default-src 'none') allows only its own stylesheet, by hash, so that even
// a value that escaped escaping could not load or run anything; html/template
// escapes every value, and control and bidirectional-override characters are
// shown as escapes as in the text format. Severity is carried by text (and
// by a hatch pattern in the charts), never by colour alone.
type htmlFormat struct{}

// Name is "html", the value of --format.
func (htmlFormat) Name() string { return "html" }

//go:embed html.css
var htmlCSS string

//go:embed html.tmpl
var htmlTemplateText string

// htmlTemplate is the page's template, parsed once.
var htmlTemplate = template.Must(template.New("report").Parse(htmlTemplateText))

// htmlCSP is the page's Content-Security-Policy: nothing may load, the one
// inline stylesheet applies by its SHA-256 hash.
var htmlCSP = func() string {
	sum := sha256.Sum256([]byte(htmlCSS))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; base-uri 'none'; form-action 'none'"
}()

// Write writes r as an HTML page; opts do not apply.
func (htmlFormat) Write(w io.Writer, r *finding.Report, _ Options) error {
	if r == nil {
		return errors.New("write html report: no report")
	}
	var buf bytes.Buffer
	if err := htmlTemplate.Execute(&buf, newHTMLView(r)); err != nil {
		return fmt.Errorf("write html report: render: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write html report: %w", err)
	}
	return nil
}

// htmlView is what the template shows, every string already cleaned.
type htmlView struct {
	CSP        string
	CSS        template.CSS
	Tool       string
	Target     string
	Meta       []string
	Active     int
	ActiveText string   // "8 findings (1 critical, ...)"
	Totals     []string // "2 suppressed", "2 errors", ...
	AllCounts  []int    // findings that count, by severity, worst first
	Baseline   string
	Warnings   []finding.Warning
	Groups     []htmlGroup
	Suppressed []htmlFinding
	Errors     []finding.Error
	Checks     []htmlCheck

	SeverityChart    *htmlChart
	RequirementChart *htmlChart
}

// htmlGroup is the findings of one requirement.
type htmlGroup struct {
	ID, Title string
	Counts    []int // by severity, worst first
	Total     int
	Findings  []htmlFinding
}

// htmlFinding is one finding as the page shows it.
type htmlFinding struct {
	Severity, Class                           string
	Title, Location, Message, Evidence        string
	Package, Advisory, Remediation            string
	Rule, Requirement, CVSS, Due, Fingerprint string
	NeedsReview                               bool
	Suppression                               *finding.Suppression
}

// htmlCheck is one row of the checks table.
type htmlCheck struct {
	Requirement, Title, Status, Class, Detail string
}

// htmlChart is a horizontal bar chart in SVG units.
type htmlChart struct {
	Width, Height int
	Desc          string // the chart's numbers in words, for screen readers
	Rows          []htmlBar
	Legend        []htmlLegend
}

// htmlBar is one row of a chart: a label, stacked segments and the total.
type htmlBar struct {
	Label         string
	TextY, TotalX int
	Total         int
	Segments      []htmlSegment
}

// htmlSegment is one coloured (and, but for critical, hatched) rectangle.
type htmlSegment struct {
	Class      string
	X, Y, W, H int
	Hatch      bool
	Title      string
}

// htmlLegend is one entry of a chart's legend.
type htmlLegend struct {
	Class              string
	Label              string
	X, Y, TextX, TextY int
	Hatch              bool
}

// Chart geometry, in SVG units (CSS pixels).
const (
	chartLabelWidth = 64  // room for the row labels
	chartBarWidth   = 260 // the longest bar
	chartRowHeight  = 24
	chartBarHeight  = 16
	chartMaxRows    = 30 // requirement rows; the rest are summed into one
)

// severityClass is the CSS class (and pattern) suffix of each severity.
var severityClass = map[finding.Severity]string{
	finding.Critical: "critical",
	finding.High:     "high",
	finding.Medium:   "medium",
	finding.Low:      "low",
}

// sevClass is the class of s, "unknown" for an invalid severity.
func sevClass(s finding.Severity) string {
	if c, ok := severityClass[s]; ok {
		return c
	}
	return "unknown"
}

// statusClass is the CSS class suffix of each check status.
var statusClass = map[finding.Status]string{
	finding.Pass:          "pass",
	finding.Fail:          "fail",
	finding.Errored:       "error",
	finding.Skipped:       "skipped",
	finding.NotApplicable: "not-applicable",
}

func newHTMLView(r *finding.Report) *htmlView {
	v := &htmlView{
		CSP:    htmlCSP,
		CSS:    template.CSS(htmlCSS), // our own embedded stylesheet, hashed into the CSP
		Tool:   strings.TrimSpace(clean(cmp.Or(r.Tool.Name, "ecoscan")) + " " + clean(r.Tool.Version)),
		Target: cmp.Or(strings.TrimSpace(clean(r.Target.Kind)+" "+clean(r.Target.Ref)), "scan"),
		Active: r.Active(),
	}
	switch name, key := clean(r.Target.AppName), clean(r.Target.AppKey); {
	case name != "" && key != "":
		v.Meta = append(v.Meta, "app "+name+" ("+key+")")
	case name != "" || key != "":
		v.Meta = append(v.Meta, "app "+name+key)
	}
	if !r.StartedAt.IsZero() {
		v.Meta = append(v.Meta, "started "+r.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	if !r.StartedAt.IsZero() && !r.FinishedAt.IsZero() && !r.FinishedAt.Before(r.StartedAt) {
		v.Meta = append(v.Meta, "took "+r.FinishedAt.Sub(r.StartedAt).Round(time.Millisecond).String())
	}
	v.Meta = append(v.Meta, v.Tool)

	counts := r.Count()
	var bySeverity []string
	for _, s := range severitiesWorstFirst {
		v.AllCounts = append(v.AllCounts, counts[s])
		bySeverity = append(bySeverity, strconv.Itoa(counts[s])+" "+s.String())
	}
	v.ActiveText = plural(v.Active, "finding") + " (" + strings.Join(bySeverity, ", ") + ")"
	if n := r.Suppressed(); n > 0 {
		v.Totals = append(v.Totals, strconv.Itoa(n)+" suppressed")
	}
	if b := r.Baseline; b != nil {
		v.Totals = append(v.Totals, strconv.Itoa(b.Known)+" known from the baseline")
		v.Baseline = "The baseline " + clean(b.File) + " knew " + plural(b.Known, "finding") + " of this scan; they are left out, and what is listed is new."
	}
	if len(r.Warnings) > 0 {
		v.Totals = append(v.Totals, plural(len(r.Warnings), "warning"))
	}
	v.Totals = append(v.Totals, plural(len(r.Errors), "error"))

	for _, w := range r.Warnings {
		v.Warnings = append(v.Warnings, finding.Warning{Scope: clean(w.Scope), Message: cleanText(w.Message)})
	}
	for _, e := range r.Errors {
		v.Errors = append(v.Errors, finding.Error{Scope: clean(e.Scope), Message: cleanText(e.Message)})
	}
	for _, g := range groupByRequirement(r.Findings) {
		hg := htmlGroup{ID: clean(g.ID), Title: clean(g.Title)}
		for _, s := range severitiesWorstFirst {
			hg.Counts = append(hg.Counts, g.Count[s])
			hg.Total += g.Count[s]
		}
		for _, f := range g.Findings {
			hg.Findings = append(hg.Findings, newHTMLFinding(f))
		}
		v.Groups = append(v.Groups, hg)
	}
	for _, f := range suppressedFindings(r.Findings) {
		v.Suppressed = append(v.Suppressed, newHTMLFinding(f))
	}
	for _, c := range r.Checks {
		hc := htmlCheck{Requirement: clean(c.Requirement), Status: clean(string(c.Status)), Class: statusClass[c.Status], Detail: cleanText(c.Detail)}
		if req, ok := requirement.Lookup(c.Requirement); ok {
			hc.Title = req.Title
		}
		v.Checks = append(v.Checks, hc)
	}
	if len(v.Groups) > 0 {
		v.SeverityChart = severityChart(counts)
		v.RequirementChart = requirementChart(v.Groups)
	}
	return v
}

func newHTMLFinding(f finding.Finding) htmlFinding {
	h := htmlFinding{
		Severity:    strings.ToUpper(f.Severity.String()),
		Class:       sevClass(f.Severity),
		Title:       clean(f.Title),
		Location:    clean(f.Location.String()),
		Message:     cleanText(f.Message),
		Remediation: cleanText(f.Remediation),
		Rule:        clean(f.Rule),
		Requirement: clean(f.Requirement),
		CVSS:        strconv.FormatFloat(f.CVSS, 'f', 1, 64),
		Due:         clean(f.Due),
		Fingerprint: clean(f.Fingerprint),
		NeedsReview: f.NeedsReview,
	}
	var evidence []string
	for _, e := range f.Evidence {
		evidence = append(evidence, cleanLines(e)...)
	}
	h.Evidence = strings.Join(evidence, "\n")
	if pkg := f.Package; pkg != nil {
		h.Package = clean(strings.Join(nonEmpty(pkg.Ecosystem, pkg.Name, pkg.Version), " "))
	}
	if adv := f.Advisory; adv != nil {
		h.Advisory = clean(adv.String())
	}
	if s := f.Suppression; s != nil {
		h.Suppression = &finding.Suppression{By: clean(s.By), Reason: cleanText(s.Reason), Expires: clean(s.Expires), Source: clean(s.Source)}
	}
	return h
}

// severityChart is one bar per severity.
func severityChart(counts map[finding.Severity]int) *htmlChart {
	most := 0
	for _, s := range severitiesWorstFirst {
		most = max(most, counts[s])
	}
	c := &htmlChart{Width: chartLabelWidth + chartBarWidth + 48, Height: len(severitiesWorstFirst) * chartRowHeight}
	var words []string
	for i, s := range severitiesWorstFirst {
		n := counts[s]
		words = append(words, strconv.Itoa(n)+" "+s.String())
		y := i * chartRowHeight
		bar := htmlBar{Label: s.String(), TextY: y + 16, Total: n}
		w := barWidth(n, most)
		if w > 0 {
			bar.Segments = []htmlSegment{{Class: severityClass[s], X: chartLabelWidth, Y: y + 4, W: w, H: chartBarHeight, Hatch: s != finding.Critical, Title: strconv.Itoa(n) + " " + s.String()}}
		}
		bar.TotalX = chartLabelWidth + w + 6
		c.Rows = append(c.Rows, bar)
	}
	c.Desc = "Findings by severity: " + strings.Join(words, ", ") + "."
	return c
}

// requirementChart is one stacked bar per requirement, its segments the
// severities, with a legend below.
func requirementChart(groups []htmlGroup) *htmlChart {
	rows := groups
	var rest *htmlGroup
	if len(groups) > chartMaxRows {
		rows = groups[:chartMaxRows-1]
		rest = &htmlGroup{ID: strconv.Itoa(len(groups)-chartMaxRows+1) + " more", Counts: make([]int, len(severitiesWorstFirst))}
		for _, g := range groups[chartMaxRows-1:] {
			for i, n := range g.Counts {
				rest.Counts[i] += n
			}
			rest.Total += g.Total
		}
		rows = append(rows[:len(rows):len(rows)], *rest)
	}
	most := 0
	for _, g := range rows {
		most = max(most, g.Total)
	}
	c := &htmlChart{Width: chartLabelWidth + chartBarWidth + 48}
	var words []string
	for i, g := range rows {
		y := i * chartRowHeight
		bar := htmlBar{Label: truncate(g.ID, 9), TextY: y + 16, Total: g.Total}
		x := chartLabelWidth
		var parts []string
		for j, s := range severitiesWorstFirst {
			n := g.Counts[j]
			if n == 0 {
				continue
			}
			parts = append(parts, strconv.Itoa(n)+" "+s.String())
			w := barWidth(n, most)
			bar.Segments = append(bar.Segments, htmlSegment{Class: severityClass[s], X: x, Y: y + 4, W: w, H: chartBarHeight, Hatch: s != finding.Critical,
				Title: g.ID + ": " + strconv.Itoa(n) + " " + s.String()})
			x += w
		}
		bar.TotalX = x + 6
		words = append(words, g.ID+": "+strings.Join(parts, ", "))
		c.Rows = append(c.Rows, bar)
	}
	legendY := len(rows)*chartRowHeight + 8
	x := 0
	for _, s := range severitiesWorstFirst {
		c.Legend = append(c.Legend, htmlLegend{Class: severityClass[s], Label: s.String(), X: x, Y: legendY, TextX: x + 16, TextY: legendY + 10, Hatch: s != finding.Critical})
		x += 16 + 7*len(s.String()) + 14
	}
	c.Height = legendY + 16
	c.Desc = "Findings by requirement: " + strings.Join(words, "; ") + "."
	return c
}

// barWidth is the length of a bar of n when the longest is of most: at least
// 2 units for any n > 0, so that no count disappears.
func barWidth(n, most int) int {
	if n <= 0 || most <= 0 {
		return 0
	}
	return max(2, chartBarWidth*n/most)
}

// cleanText cleans text of several lines, keeping its line breaks.
func cleanText(s string) string {
	if s == "" {
		return ""
	}
	return strings.Join(cleanLines(s), "\n")
}
