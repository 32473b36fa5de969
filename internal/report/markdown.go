package report

import (
	"errors"
	"fmt"
	"html"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ecoscan/ecoscan/internal/finding"
)

// markdownFormat is the compact GitHub-flavoured Markdown report for pull
// request comments: a summary by requirement and severity, the findings
// grouped by requirement (each folded in a <details> block with its
// evidence), the suppressed findings, the errors and the checks table.
//
// Every string of the report may come from the scanned app, so none reaches
// the comment as markup: prose is cleaned of control characters and has its
// Markdown punctuation backslash-escaped, places and ids are code spans,
// evidence is in fenced blocks longer than any backtick run it holds, text in
// HTML elements is entity-escaped, and "@" and "#" before a word get a zero
// width space so that hostile text can neither mention people nor link
// issues. The comment stays under GitHub's limit of 65,536 characters: what
// does not fit is left out with a note saying how much.
type markdownFormat struct{}

// Name is "markdown", the value of --format.
func (markdownFormat) Name() string { return "markdown" }

// Limits of the Markdown report.
const (
	// markdownLimit is GitHub's limit on a comment, in characters; the
	// report counts bytes, which are never fewer.
	markdownLimit = 65536
	// markdownNoteRoom is the room kept for the note on what was left out.
	markdownNoteRoom = 600
	// maxCellRunes bounds the text of one table cell or one line of prose.
	maxCellRunes = 300
	// maxProseRunes bounds a finding's message and remediation.
	maxProseRunes = 2000
	// maxEvidenceItems and maxEvidenceRunes bound a finding's evidence.
	maxEvidenceItems = 10
	maxEvidenceRunes = 1000
	// maxSummaryRows and maxCheckRows bound the tables that are always
	// written; maxTextBytes and maxCellBytes bound escaped text (escaping
	// can make one character nine bytes). With them the parts that are
	// always written stay well under the limit, whatever the report holds.
	maxSummaryRows = 30
	maxCheckRows   = 40
	maxTextBytes   = 1200
	maxCellBytes   = 300
)

// Write writes r as a Markdown comment; opts do not apply.
func (markdownFormat) Write(w io.Writer, r *finding.Report, _ Options) error {
	if r == nil {
		return errors.New("write markdown report: no report")
	}
	if _, err := io.WriteString(w, markdownReport(r, markdownLimit)); err != nil {
		return fmt.Errorf("write markdown report: %w", err)
	}
	return nil
}

// Sections of the Markdown report other than the findings', which are
// numbered from 0 by requirement.
const (
	sectionWarnings   = -2
	sectionSuppressed = -3
	sectionErrors     = -4
)

// mdPiece is a part of the report that may be left out when the comment
// would be too long: one warning, finding, suppressed finding or error.
type mdPiece struct {
	section int    // pieces of one section are consecutive
	intro   string // the section's heading, written before its first piece
	outro   string // what ends the section, written after its last piece
	text    string
	what    string // "warning", "finding", "suppressed finding" or "error", for the note
}

// markdownReport renders r in at most limit bytes.
func markdownReport(r *finding.Report, limit int) string {
	var head, tail strings.Builder
	mdHeader(&head, r)
	mdSummary(&head, r)
	mdChecks(&tail, r.Checks)
	tail.WriteString("<sub>ecoscan " + mdText(r.Tool.Version) + " · ecoscan.report/v1 · `--format json` or `--format html` for the full report</sub>\n")

	pieces := mdWarningPieces(r.Warnings)
	pieces = append(pieces, mdFindingPieces(r)...)
	pieces = append(pieces, mdSuppressedPieces(r)...)
	pieces = append(pieces, mdErrorPieces(r.Errors)...)

	var body strings.Builder
	budget := limit - head.Len() - tail.Len() - markdownNoteRoom
	section, outro := -1, ""
	left := map[string]int{}
	var order []string
	for _, p := range pieces {
		text := p.text
		if p.section != section {
			text = outro + p.intro + text // the end of the section before, the start of this one
		}
		if len(left) > 0 || body.Len()+len(text)+len(p.outro) > budget {
			if left[p.what] == 0 {
				order = append(order, p.what)
			}
			left[p.what]++
			continue
		}
		body.WriteString(text)
		section, outro = p.section, p.outro
	}
	body.WriteString(outro)
	if len(left) > 0 {
		var parts []string
		for _, what := range order {
			parts = append(parts, plural(left[what], what))
		}
		fmt.Fprintf(&body, "> [!NOTE]\n> %s left out: the comment would be longer than GitHub's limit of 65,536 characters. The JSON and HTML reports have everything.\n\n",
			strings.Join(parts, ", "))
	}
	return head.String() + body.String() + tail.String()
}

// mdHeader writes the title and the counts.
func mdHeader(b *strings.Builder, r *finding.Report) {
	target := strings.TrimSpace(mdText(r.Target.Kind) + " " + mdCode(r.Target.Ref))
	if target == "" {
		target = "scan"
	}
	b.WriteString("## ecoscan: " + target + "\n\n")

	var counts []string
	if n := r.Active(); n == 0 {
		counts = append(counts, "**No findings**")
	} else {
		c := r.Count()
		var bySeverity []string
		for _, s := range severitiesWorstFirst {
			if c[s] > 0 {
				bySeverity = append(bySeverity, strconv.Itoa(c[s])+" "+s.String())
			}
		}
		counts = append(counts, "**"+plural(n, "finding")+"** ("+strings.Join(bySeverity, ", ")+")")
	}
	if n := r.Suppressed(); n > 0 {
		counts = append(counts, strconv.Itoa(n)+" suppressed")
	}
	if bl := r.Baseline; bl != nil {
		counts = append(counts, strconv.Itoa(bl.Known)+" known from the baseline "+mdCode(bl.File))
	}
	if len(r.Warnings) > 0 {
		counts = append(counts, plural(len(r.Warnings), "warning"))
	}
	if len(r.Errors) > 0 {
		counts = append(counts, plural(len(r.Errors), "error"))
	}
	b.WriteString(strings.Join(counts, " · ") + "\n\n")

	var about []string
	switch name, key := mdText(r.Target.AppName), mdCode(r.Target.AppKey); {
	case name != "" && key != "":
		about = append(about, "app "+name+" ("+key+")")
	case name != "" || key != "":
		about = append(about, "app "+name+key)
	}
	if !r.StartedAt.IsZero() {
		about = append(about, r.StartedAt.UTC().Format("2006-01-02 15:04 UTC"))
	}
	if !r.StartedAt.IsZero() && !r.FinishedAt.IsZero() && !r.FinishedAt.Before(r.StartedAt) {
		about = append(about, "took "+r.FinishedAt.Sub(r.StartedAt).Round(time.Millisecond).String())
	}
	if len(about) > 0 {
		b.WriteString(strings.Join(about, " · ") + "\n\n")
	}
}

// mdSummary writes the table of findings by requirement and severity.
func mdSummary(b *strings.Builder, r *finding.Report) {
	groups := groupByRequirement(r.Findings)
	if len(groups) == 0 {
		return
	}
	b.WriteString("| Requirement | Critical | High | Medium | Low | Total |\n|:--|--:|--:|--:|--:|--:|\n")
	total := map[finding.Severity]int{}
	other := map[finding.Severity]int{}
	for i, g := range groups {
		n := 0
		for _, s := range severitiesWorstFirst {
			total[s] += g.Count[s]
			n += g.Count[s]
		}
		if i >= maxSummaryRows {
			for _, s := range severitiesWorstFirst {
				other[s] += g.Count[s]
			}
			continue
		}
		b.WriteString("| " + mdRequirement(g.ID, g.Title))
		for _, s := range severitiesWorstFirst {
			b.WriteString(" | " + strconv.Itoa(g.Count[s]))
		}
		b.WriteString(" | " + strconv.Itoa(n) + " |\n")
	}
	row := func(label string, counts map[finding.Severity]int, bold bool) {
		mark := ""
		if bold {
			mark = "**"
		}
		b.WriteString("| " + mark + label + mark)
		n := 0
		for _, s := range severitiesWorstFirst {
			b.WriteString(" | " + mark + strconv.Itoa(counts[s]) + mark)
			n += counts[s]
		}
		b.WriteString(" | " + mark + strconv.Itoa(n) + mark + " |\n")
	}
	if len(groups) > maxSummaryRows {
		row(plural(len(groups)-maxSummaryRows, "other requirement"), other, false)
	}
	row("All", total, true)
	b.WriteString("\n")
}

// mdRequirement is a requirement's number and title, for a table cell or a
// heading.
func mdRequirement(id, title string) string {
	text := mdText(truncate(id, 40))
	if text == "" {
		text = "(none)"
	}
	if title != "" {
		text += " " + mdText(title)
	}
	return text
}

// mdWarningPieces are the report's warnings, which come first: an expired
// suppression is news.
func mdWarningPieces(warnings []finding.Warning) []mdPiece {
	var pieces []mdPiece
	for i, w := range warnings {
		p := mdPiece{section: sectionWarnings, outro: "\n", what: "warning",
			text: "> - " + mdCode(w.Scope) + " " + mdCell(w.Message) + "\n"}
		if i == 0 {
			p.intro = "> [!WARNING]\n"
		}
		pieces = append(pieces, p)
	}
	return pieces
}

// mdFindingPieces are the findings that count, grouped by requirement.
func mdFindingPieces(r *finding.Report) []mdPiece {
	var pieces []mdPiece
	for i, g := range groupByRequirement(r.Findings) {
		intro := "#### " + mdRequirement(g.ID, g.Title) + " (" + strconv.Itoa(len(g.Findings)) + ")\n\n"
		if i == 0 {
			intro = "### Findings\n\n" + intro
		}
		for j, f := range g.Findings {
			p := mdPiece{section: i, text: mdFinding(f), what: "finding"}
			if j == 0 {
				p.intro = intro
			}
			pieces = append(pieces, p)
		}
	}
	return pieces
}

// mdFinding is one finding, folded: its severity, title and place show; its
// message, evidence, remediation and ids unfold.
func mdFinding(f finding.Finding) string {
	var b strings.Builder
	b.WriteString("<details>\n<summary><b>" + htmlText(strings.ToUpper(f.Severity.String())) + "</b> " + htmlText(truncate(f.Title, maxCellRunes)))
	if loc := f.Location.String(); loc != "" {
		b.WriteString(" · <code>" + htmlText(truncate(loc, maxCellRunes)) + "</code>")
	}
	if f.NeedsReview {
		b.WriteString(" · <i>needs review</i>")
	}
	b.WriteString("</summary>\n\n")
	if f.Message != "" {
		b.WriteString(mdProse(truncate(f.Message, maxProseRunes)) + "\n\n")
	}
	if len(f.Evidence) > 0 {
		var lines []string
		for i, e := range f.Evidence {
			if i == maxEvidenceItems {
				lines = append(lines, "… and "+plural(len(f.Evidence)-i, "more item"))
				break
			}
			lines = append(lines, cleanLines(truncate(e, maxEvidenceRunes))...)
		}
		b.WriteString(mdFence(lines) + "\n")
	}
	if pkg := f.Package; pkg != nil {
		b.WriteString("Package " + mdCode(strings.Join(nonEmpty(pkg.Ecosystem, pkg.Name, pkg.Version), " ")))
		if adv := f.Advisory; adv != nil {
			b.WriteString(", advisory " + mdCode(adv.ID))
			for _, a := range adv.Aliases {
				b.WriteString(" " + mdCode(a))
			}
			if adv.Fixed != "" {
				b.WriteString(", fixed in " + mdCode(adv.Fixed))
			}
		}
		b.WriteString("\n\n")
	}
	if f.Remediation != "" {
		b.WriteString("**Fix:** " + mdProse(truncate(f.Remediation, maxProseRunes)) + "\n\n")
	}
	ids := []string{mdCode(f.Rule), "CVSS " + strconv.FormatFloat(f.CVSS, 'f', 1, 64)}
	if f.Due != "" {
		ids = append(ids, "due "+mdText(f.Due))
	}
	ids = append(ids, "fingerprint "+mdCode(f.Fingerprint))
	b.WriteString(strings.Join(ids, " · ") + "\n\n</details>\n\n")
	return b.String()
}

// mdSuppressedPieces are the rows of the table of suppressed findings, which
// is folded.
func mdSuppressedPieces(r *finding.Report) []mdPiece {
	list := suppressedFindings(r.Findings)
	intro := "### Suppressed (" + strconv.Itoa(len(list)) + ")\n\n<details>\n<summary>" + plural(len(list), "finding") +
		" accepted by the scan's configuration: they do not count</summary>\n\n" +
		"| Severity | Rule | Location | Reason | Expires | Fingerprint |\n|:--|:--|:--|:--|:--|:--|\n"
	var pieces []mdPiece
	for i, f := range list {
		s := f.Suppression
		reason := mdCell(s.Reason)
		if s.Source != "" {
			reason += " (" + mdCodeCell(s.Source) + ")"
		}
		row := "| " + strings.ToUpper(f.Severity.String()) + " | " + mdCodeCell(f.Rule) +
			" | " + mdCodeCell(f.Location.String()) + " | " + reason +
			" | " + mdCell(s.Expires) + " | " + mdCodeCell(f.Fingerprint) + " |\n"
		p := mdPiece{section: sectionSuppressed, text: row, outro: "\n</details>\n\n", what: "suppressed finding"}
		if i == 0 {
			p.intro = intro
		}
		pieces = append(pieces, p)
	}
	return pieces
}

// mdErrorPieces are the rows of the errors table.
func mdErrorPieces(errs []finding.Error) []mdPiece {
	intro := "### Errors (" + strconv.Itoa(len(errs)) + ")\n\n| Scope | Message |\n|:--|:--|\n"
	var pieces []mdPiece
	for i, e := range errs {
		p := mdPiece{section: sectionErrors, text: "| " + mdCodeCell(e.Scope) + " | " + mdCell(e.Message) + " |\n", outro: "\n", what: "error"}
		if i == 0 {
			p.intro = intro
		}
		pieces = append(pieces, p)
	}
	return pieces
}

// mdChecks writes the checks table.
func mdChecks(b *strings.Builder, checks []finding.Check) {
	b.WriteString("### Checks\n\n")
	if len(checks) == 0 {
		b.WriteString("No checks reported.\n\n")
		return
	}
	b.WriteString("| Requirement | Status | Detail |\n|:--|:--|:--|\n")
	for i, c := range checks {
		if i == maxCheckRows {
			b.WriteString("| … | | " + plural(len(checks)-i, "more row") + " in the full report |\n")
			break
		}
		b.WriteString("| " + mdTextCap(c.Requirement, 100) + " | " + mdTextCap(string(c.Status), 100) + " | " + mdCell(c.Detail) + " |\n")
	}
	b.WriteString("\n")
}

// mdCell is text for a table cell: one line, cut to maxCellRunes and
// maxCellBytes, escaped.
func mdCell(s string) string {
	return mdTextCap(truncate(s, maxCellRunes), maxCellBytes)
}

// mdProse is text of several lines: each line trimmed and escaped, blank
// lines dropped, the lines joined by hard line breaks within one paragraph.
func mdProse(s string) string {
	var lines []string
	for _, line := range cleanLines(s) {
		if line = strings.TrimSpace(line); line != "" {
			lines = append(lines, mdEscape(line, maxTextBytes))
		}
	}
	return strings.Join(lines, "\\\n")
}

// mdText is s as inline Markdown text on one line: cleaned of control
// characters, its lines joined by spaces, escaped, cut to maxTextBytes.
func mdText(s string) string { return mdTextCap(s, maxTextBytes) }

// mdTextCap is mdText cut to maxBytes.
func mdTextCap(s string, maxBytes int) string {
	return mdEscape(strings.TrimSpace(strings.Join(cleanLines(s), " ")), maxBytes)
}

// mdEscape backslash-escapes the ASCII punctuation that Markdown, GitHub's
// extensions (tables, strikethrough, autolinks, math, emoji) or HTML could
// read as markup, and breaks "@name" and "#123" with a zero width space. The
// few punctuation characters left alone can start no markup in the middle of
// a line, and a "-" at the start of the text is escaped too. The result is
// cut, between escapes, to maxBytes, an ellipsis marking the cut.
func mdEscape(s string, maxBytes int) string {
	var b strings.Builder
	mdEscapeUnits(s, func(unit string) bool {
		b.WriteString(unit)
		return true
	})
	if b.Len() <= maxBytes {
		return b.String()
	}
	b.Reset()
	mdEscapeUnits(s, func(unit string) bool {
		if b.Len()+len(unit) > maxBytes-len("…") {
			return false
		}
		b.WriteString(unit)
		return true
	})
	return b.String() + "…"
}

// mdEscapeUnits calls emit with the escaped form of each character of s, in
// order, until emit returns false.
func mdEscapeUnits(s string, emit func(unit string) bool) {
	for i, r := range s {
		var unit string
		switch {
		case r == '@' || r == '#':
			unit = string(r)
			if r == '#' {
				unit = `\#`
			}
			if wordNext(s[i+1:]) {
				unit += "&#8203;"
			}
		case r == '-' && i == 0:
			unit = `\-`
		case r < utf8.RuneSelf && (unicode.IsPunct(r) || unicode.IsSymbol(r)) && !strings.ContainsRune(`,;'"?/%-`, r):
			unit = `\` + string(r)
		default:
			unit = string(r)
		}
		if !emit(unit) {
			return
		}
	}
}

// mdCode is s as a code span on one line, cut to maxCellRunes ("" for an
// empty s).
func mdCode(s string) string {
	s = strings.Join(cleanLines(truncate(s, maxCellRunes)), " ")
	if strings.TrimSpace(s) == "" {
		return ""
	}
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") || (strings.HasPrefix(s, " ") && strings.HasSuffix(s, " ")) {
		s = " " + s + " "
	}
	return fence + s + fence
}

// mdCodeCell is s as a code span in a table cell, cut to maxCellRunes. A
// pipe splits a row even inside a code span, and a backslash before an
// escaped pipe would undo the escape, so text with either is escaped text
// instead.
func mdCodeCell(s string) string {
	s = truncate(s, maxCellRunes)
	if strings.ContainsAny(s, `|\`) {
		return mdText(s)
	}
	return mdCode(s)
}

// mdFence is lines as a fenced code block whose fence is longer than any
// run of backticks in them, so that no line can close it.
func mdFence(lines []string) string {
	longest := 0
	for _, line := range lines {
		longest = max(longest, longestRun(line, '`'))
	}
	fence := strings.Repeat("`", max(3, longest+1))
	return fence + "text\n" + strings.Join(lines, "\n") + "\n" + fence + "\n"
}

// htmlText is s as text inside an HTML element of the comment: cleaned,
// on one line, entity-escaped, with "@name" and "#123" broken.
func htmlText(s string) string {
	s = strings.Join(cleanLines(s), " ")
	var b strings.Builder
	for i, r := range s {
		b.WriteString(html.EscapeString(string(r)))
		if (r == '@' || r == '#') && wordNext(s[i+1:]) {
			b.WriteString("&#8203;")
		}
	}
	return b.String()
}

// wordNext reports whether s begins with a letter or digit.
func wordNext(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// longestRun is the length of the longest run of c in s.
func longestRun(s string, c byte) int {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}

// truncate cuts s to n runes, the last of them an ellipsis that marks the
// cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	count := 0
	for i := range s {
		if count == n-1 {
			return s[:i] + "…"
		}
		count++
	}
	return s
}
