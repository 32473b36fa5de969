package report

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ecoscan/ecoscan/internal/finding"
)

// hostileText tries every way text could break out of its place in a
// Markdown comment or an HTML page: table pipes, line breaks, backtick fences,
// HTML tags that close ours, links and images to other hosts, emphasis,
// math, emoji, mentions, issue references, entities, autolinks, terminal
// escapes and a bidirectional override.
const hostileText = "x|y\\|z\n`a``b```c\n<script>alert(1)</script></details></summary></code><img src=https://evil.example/p.png>\n" +
	"[link](https://evil.example) ![i](https://evil.example/i.png) **bold** _it_ ~~s~~ $x^2$ :smile: " +
	"@octocat org/repo#123 #45 &amp; &#x3C;b&#x3E; https://evil.example/x www.evil.example\x1b[31m\u202e\xff\n" +
	"# heading\n1. list\n- item\n> quote\n    indented\n===\n---\n| a | b |\n|---|---|"

// hostileReport carries hostileText in every field a format shows.
func hostileReport() *finding.Report {
	h := hostileText
	sev := []finding.Severity{finding.Critical, finding.High, finding.Medium, finding.Low}
	r := &finding.Report{
		Tool:      finding.Tool{Name: h, Version: h},
		Target:    finding.Target{Kind: h, Ref: h, AppKey: h, AppName: h},
		StartedAt: sampleStart,
		Baseline:  &finding.Baseline{File: h, Known: 2},
		Warnings:  []finding.Warning{{Scope: h, Message: h}},
		Checks:    []finding.Check{{Requirement: h, Status: finding.Status(h), Detail: h}, {Requirement: "1.1", Status: finding.Fail, Detail: h}},
		Errors:    []finding.Error{{Scope: h, Message: h}},
	}
	for i, s := range sev {
		f := finding.Finding{
			Rule: h, Requirement: h, Severity: s, CVSS: 5, Title: h, Message: h,
			Location: finding.Location{File: h, Line: i + 1}, Evidence: []string{h, "```", "````\n`````"},
			Remediation: h, Fingerprint: h, Due: h, NeedsReview: i == 0,
			Package:  &finding.Package{Ecosystem: h, Name: h, Version: h},
			Advisory: &finding.Advisory{ID: h, Aliases: []string{h}, Fixed: h},
		}
		if i == 3 {
			f.Location = finding.Endpoint(h, h)
			f.Suppression = &finding.Suppression{By: h, Reason: h, Expires: h, Source: h}
		}
		r.Findings = append(r.Findings, f)
	}
	r.Finish(sampleStart.Add(time.Second))
	return r
}

// mdAllowedTag matches the HTML tags the Markdown format writes itself.
var mdAllowedTag = regexp.MustCompile(`^</?(details|summary|b|code|i|sub)>`)

// checkMarkdownStructure checks what hostile text must never do to the
// comment: open a tag of its own, leave its table cell, close a fence early,
// or leave markup characters unescaped outside code. Lines of Markdown and
// the <summary> lines (raw HTML) are held to the rules of their context.
func checkMarkdownStructure(t *testing.T, md string) {
	t.Helper()
	lines := strings.Split(md, "\n")
	fence := ""
	tableCols := 0
	opened, closed := 0, 0
	for n, line := range lines {
		if fence != "" {
			if line == fence {
				fence = ""
			} else if strings.HasPrefix(line, fence) && strings.Trim(line, "`") == "" {
				t.Errorf("line %d: a longer backtick run %q closes the fence %q", n+1, line, fence)
			}
			continue
		}
		if m := regexp.MustCompile("^(```+)text$").FindStringSubmatch(line); m != nil {
			fence = m[1]
			continue
		}
		switch line {
		case "<details>":
			opened++
			continue
		case "</details>":
			closed++
			continue
		}
		// Table rows: every row has as many unescaped pipes as the header.
		if strings.HasPrefix(line, "|") {
			pipes := unescapedPipes(line)
			if tableCols == 0 {
				tableCols = pipes
			} else if pipes != tableCols {
				t.Errorf("line %d: %d cell separators, the table has %d: %q", n+1, pipes, tableCols, line)
			}
		} else {
			tableCols = 0
		}
		html := strings.HasPrefix(line, "<summary>")
		text := line
		if !html {
			text = stripCodeSpans(line)
		}
		for i := 0; i < len(text); i++ {
			c := text[i]
			escaped := !html && i > 0 && text[i-1] == '\\' && !(i > 1 && text[i-2] == '\\')
			switch {
			case c == '<' && !mdAllowedTag.MatchString(text[i:]) && !escaped:
				t.Errorf("line %d: a tag the format did not write: %q", n+1, text[i:min(len(text), i+30)])
			case c == '&' && !escaped && !ownEntity.MatchString(text[i:]):
				t.Errorf("line %d: an entity the format did not write: %q", n+1, text[i:min(len(text), i+12)])
			case !html && strings.ContainsRune("[]*_~$!", rune(c)) && !escaped && !isOwnMarkup(text, i):
				t.Errorf("line %d: unescaped %q outside code: %q", n+1, c, text)
			case !html && strings.HasPrefix(text[i:], "://") && !escaped:
				t.Errorf("line %d: an autolink outside code: %q", n+1, text)
			}
		}
		for _, bad := range []string{"@octocat", "#123", "#45", "\x1b", "\u202e", "\xff"} {
			if strings.Contains(text, bad) {
				t.Errorf("line %d: %q outside code: %q", n+1, bad, line)
			}
		}
		if strings.HasPrefix(line, "#") && !regexp.MustCompile(`^(## ecoscan: |### |#### )`).MatchString(line) {
			t.Errorf("line %d: a heading the format did not write: %q", n+1, line)
		}
	}
	if fence != "" {
		t.Errorf("fence %q never closed", fence)
	}
	if opened != closed {
		t.Errorf("%d <details> and %d </details>", opened, closed)
	}
}

// ownEntity matches the character references the format writes: the zero
// width space, and html.EscapeString's.
var ownEntity = regexp.MustCompile(`^&(#8203|amp|lt|gt|#39|#34);`)

// isOwnMarkup reports whether the character at i of text is markup the
// format writes itself: bold (**) and the alert syntax ([!NOTE],
// [!WARNING]).
func isOwnMarkup(text string, i int) bool {
	return strings.HasPrefix(text[i:], "**") || (i > 0 && text[i-1:i+1] == "**") || (strings.HasPrefix(text, "> [!") && i < 4+len("WARNING]"))
}

// unescapedPipes counts the pipes of a table row that split cells: those
// not preceded by an odd number of backslashes.
func unescapedPipes(line string) int {
	n := 0
	for i := 0; i < len(line); i++ {
		if line[i] != '|' {
			continue
		}
		slashes := 0
		for j := i - 1; j >= 0 && line[j] == '\\'; j-- {
			slashes++
		}
		if slashes%2 == 0 {
			n++
		}
	}
	return n
}

// stripCodeSpans removes the code spans of one line (CommonMark: a run of
// n backticks up to the next run of exactly n).
func stripCodeSpans(line string) string {
	var b strings.Builder
	for i := 0; i < len(line); {
		if line[i] != '`' || (i > 0 && line[i-1] == '\\') {
			b.WriteByte(line[i])
			i++
			continue
		}
		n := 0
		for i+n < len(line) && line[i+n] == '`' {
			n++
		}
		end := -1
		for j := i + n; j < len(line); {
			if line[j] != '`' {
				j++
				continue
			}
			m := 0
			for j+m < len(line) && line[j+m] == '`' {
				m++
			}
			if m == n {
				end = j
				break
			}
			j += m
		}
		if end < 0 {
			b.WriteString(line[i : i+n])
			i += n
			continue
		}
		i = end + n
	}
	return b.String()
}

func TestMarkdownHostileInput(t *testing.T) {
	md := string(render(t, "markdown", hostileReport(), Options{}))
	checkMarkdownStructure(t, md)
	if n := strings.Count(md, "\n<summary><b>"); n != 3 {
		t.Errorf("%d folded findings, want the 3 that count", n)
	}
	for _, want := range []string{
		"@&#8203;octocat", `\#&#8203;45`, "&lt;script&gt;", `\<script\>`, `\\x1b\[31m\\u202e\\xff`,
		"### Suppressed (1)", "### Errors (1)", "### Checks",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

// TestMarkdownSampleStructure runs the structure checks on the sample too,
// so that they are known to accept what the format writes.
func TestMarkdownSampleStructure(t *testing.T) {
	for name, r := range map[string]*finding.Report{"sample": sampleReport(), "policy": policyReport(), "empty": emptyReport()} {
		t.Run(name, func(t *testing.T) {
			checkMarkdownStructure(t, string(render(t, "markdown", r, Options{})))
		})
	}
}

// bigReport is the sample with n more findings of long evidence, every
// tenth suppressed, and errors findings can't hide.
func bigReport(n, errs int) *finding.Report {
	big := sampleReport()
	evidence := strings.Repeat("GET /x -> 200 ", 60)
	for i := range n {
		f := ruleForgedJWT.New(finding.Endpoint("GET", fmt.Sprintf("https://app.example.com/e%d", i)), "answered 200 to a forged token", evidence, evidence)
		if i%10 == 0 {
			f.Suppression = &finding.Suppression{By: finding.ByRule, Reason: "accepted", Expires: "2027-01-31"}
		}
		big.Findings = append(big.Findings, f)
	}
	for i := range errs {
		big.Errors = append(big.Errors, finding.Error{Scope: fmt.Sprintf("https://app.example.com/slow%d", i), Message: "timed out"})
	}
	big.Finish(sampleStart.Add(time.Second))
	return big
}

func TestMarkdownSizeCap(t *testing.T) {
	big := bigReport(3000, 500)
	md := string(render(t, "markdown", big, Options{}))
	if len(md) > markdownLimit {
		t.Fatalf("%d bytes, over GitHub's limit of %d", len(md), markdownLimit)
	}
	if len(md) < markdownLimit/2 {
		t.Errorf("only %d bytes used of %d", len(md), markdownLimit)
	}
	shown := strings.Count(md, "<summary><b>")
	note := regexp.MustCompile(`> (\d+) findings, 300 suppressed findings, 502 errors left out: the comment would be longer than GitHub's limit`).FindStringSubmatch(md)
	if note == nil {
		t.Fatalf("no note on what was left out:\n%s", md[len(md)-3000:])
	}
	if want := fmt.Sprint(big.Active() - shown); note[1] != want {
		t.Errorf("the note says %s findings left out; %d of %d are shown", note[1], shown, big.Active())
	}
	for _, want := range []string{"## ecoscan: ", "| **All** | **1** | **2705** |", "### Checks\n\n| Requirement | Status | Detail |", "| 11 | not-applicable |"} {
		if !strings.Contains(md, want) {
			t.Errorf("the capped comment lacks %q", want)
		}
	}
	checkMarkdownStructure(t, md)
}

func TestMarkdownNoFindings(t *testing.T) {
	md := string(render(t, "markdown", emptyReport(), Options{}))
	for _, want := range []string{"**No findings**", "| 9 | pass | 0 vulnerable packages of 12 |"} {
		if !strings.Contains(md, want) {
			t.Errorf("output lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "| Critical |") || strings.Contains(md, "### Findings") {
		t.Errorf("a report without findings has a summary table or findings:\n%s", md)
	}
}

func TestMdEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text, with a comma; and 'quotes' \"too\"?", "plain text, with a comma; and 'quotes' \"too\"?"},
		{"a|b", `a\|b`},
		{"**x** _y_ ~z~", `\*\*x\*\* \_y\_ \~z\~`},
		{"[t](https://e.example)", `\[t\]\(https\://e\.example\)`},
		{"<b>&amp;", `\<b\>\&amp;`},
		{"back\\slash `tick`", "back\\\\slash \\`tick\\`"},
		{"@user and @ alone", "@&#8203;user and @ alone"},
		{"#12 and C# and #", `\#&#8203;12 and C\# and \#`},
		{"- item", `\- item`},
		{"a - b", "a - b"},
		{"$x$ :e: x=y ^", `\$x\$ \:e\: x\=y \^`},
		{"ünïcødé", "ünïcødé"},
	}
	for _, tt := range tests {
		if got := mdEscape(tt.in, maxTextBytes); got != tt.want {
			t.Errorf("mdEscape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestMdEscapeCap checks that escaped text is cut between escapes: never a
// lone backslash or half a character reference at the cut.
func TestMdEscapeCap(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"#1#1#1#1", 20, `\#&#8203;1…`},
		{"a|b|c|d", 7, `a\|b…`},
		{"short", 5, "short"},
		{"@u@u", 100, "@&#8203;u@&#8203;u"},
	}
	for _, tt := range tests {
		got := mdEscape(tt.in, tt.max)
		if got != tt.want {
			t.Errorf("mdEscape(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
		if len(got) > tt.max {
			t.Errorf("mdEscape(%q, %d) is %d bytes", tt.in, tt.max, len(got))
		}
	}
}

// TestMarkdownWorstCaseSize fills every part of the report that is always
// written (header, summary, checks) and the warnings with the text that
// escapes to the most bytes, and checks the comment still fits.
func TestMarkdownWorstCaseSize(t *testing.T) {
	worst := strings.Repeat("#1\x1b\u202e@a|", 2000)
	r := &finding.Report{
		Tool:     finding.Tool{Name: worst, Version: worst},
		Target:   finding.Target{Kind: worst, Ref: worst, AppKey: worst, AppName: worst},
		Baseline: &finding.Baseline{File: worst, Known: 1},
	}
	for i := range 200 {
		id := fmt.Sprint(i) + worst
		r.Findings = append(r.Findings, finding.Finding{Rule: worst, Requirement: id, Severity: finding.High, Title: worst, Message: worst,
			Location: finding.Location{File: worst, Line: 1}, Evidence: []string{worst}, Fingerprint: worst, Due: worst, Remediation: worst})
		r.Checks = append(r.Checks, finding.Check{Requirement: id, Status: finding.Status(worst), Detail: worst})
		r.Warnings = append(r.Warnings, finding.Warning{Scope: worst, Message: worst})
		r.Errors = append(r.Errors, finding.Error{Scope: worst, Message: worst})
	}
	md := string(render(t, "markdown", r, Options{}))
	if len(md) > markdownLimit {
		t.Fatalf("%d bytes, over the limit of %d", len(md), markdownLimit)
	}
	for _, want := range []string{"## ecoscan: ", "| **All** |", "### Checks", "left out: the comment would be longer"} {
		if !strings.Contains(md, want) {
			t.Errorf("the comment lacks %q", want)
		}
	}
	checkMarkdownStructure(t, md)
}

func TestMdCode(t *testing.T) {
	tests := []struct{ in, want, wantCell string }{
		{"src/a.ts:3", "`src/a.ts:3`", "`src/a.ts:3`"},
		{"a`b", "``a`b``", "``a`b``"},
		{"`start", "`` `start ``", "`` `start ``"},
		{"x```y``z", "````x```y``z````", "````x```y``z````"},
		{"two\nlines", "`two lines`", "`two lines`"},
		{"a|b", "`a|b`", `a\|b`},
		{`a\b`, "`a\\b`", `a\\b`},
		{"", "", ""},
		{" ", "", ""},
	}
	for _, tt := range tests {
		if got := mdCode(tt.in); got != tt.want {
			t.Errorf("mdCode(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := mdCodeCell(tt.in); got != tt.wantCell {
			t.Errorf("mdCodeCell(%q) = %q, want %q", tt.in, got, tt.wantCell)
		}
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"eleven char", 10, "eleven ch…"},
		{"ünïcødé text", 5, "ünïc…"},
	}
	for _, tt := range tests {
		if got := truncate(tt.in, tt.n); got != tt.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

// FuzzMarkdownEscaping checks, for any text, the promises the Markdown
// format's escapers make: one line, no cell separator, no fence closer, no
// raw tag.
func FuzzMarkdownEscaping(f *testing.F) {
	for _, s := range []string{hostileText, "a|b", "``", "x\\|y", "@a #1", "- x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for name, out := range map[string]string{"mdText": mdText(s), "mdCell": mdCell(s), "mdCodeCell": mdCodeCell(s), "htmlText": htmlText(s), "mdCode": mdCode(s)} {
			if strings.ContainsAny(out, "\n\r") {
				t.Errorf("%s(%q) = %q spans lines", name, s, out)
			}
		}
		if n := unescapedPipes("| " + mdCell(s) + " | " + mdCodeCell(s) + " |"); n != 3 {
			t.Errorf("cells of %q split the row into %d", s, n-1)
		}
		if h := htmlText(s); strings.ContainsAny(h, `<>"'`) {
			t.Errorf("htmlText(%q) = %q has markup characters", s, h)
		}
		if stripped := stripCodeSpans(mdCode(s)); stripped != "" {
			t.Errorf("mdCode(%q) = %q is not one code span (left %q)", s, mdCode(s), stripped)
		}
		fenced := mdFence(cleanLines(s))
		lines := strings.Split(strings.TrimSuffix(fenced, "\n"), "\n")
		closer := lines[len(lines)-1]
		for _, line := range lines[1 : len(lines)-1] {
			if strings.HasPrefix(strings.TrimLeft(line, " "), closer) {
				t.Errorf("line %q of %q closes the fence %q", line, s, closer)
			}
		}
	})
}

// BenchmarkMarkdown renders a report of 3,000 findings, capped.
func BenchmarkMarkdown(b *testing.B) {
	benchmarkFormat(b, "markdown", bigReport(3000, 50))
}

// BenchmarkHTML renders a report of 3,000 findings.
func BenchmarkHTML(b *testing.B) {
	benchmarkFormat(b, "html", bigReport(3000, 50))
}

func benchmarkFormat(b *testing.B, name string, r *finding.Report) {
	f, err := Lookup(name)
	if err != nil {
		b.Fatal(err)
	}
	var size int
	for b.Loop() {
		var buf strings.Builder
		if err := f.Write(&buf, r, Options{}); err != nil {
			b.Fatal(err)
		}
		size = buf.Len()
	}
	b.ReportMetric(float64(size), "bytes")
}
