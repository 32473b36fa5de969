package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/ecoscan/ecoscan/internal/finding"
)

// parseHTML parses a page the HTML format wrote.
func parseHTML(t *testing.T, page []byte) *html.Node {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// walk calls fn for n and every node below it.
func walk(n *html.Node, fn func(*html.Node)) {
	fn(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, fn)
	}
}

// attr is the value of n's attribute key ("" if it has none).
func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// text is the text below n.
func text(n *html.Node) string {
	var b strings.Builder
	walk(n, func(c *html.Node) {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	})
	return b.String()
}

// pageElements are the only elements the page may contain: nothing that
// loads, embeds, submits or runs anything.
var pageElements = map[string]bool{
	"html": true, "head": true, "meta": true, "title": true, "style": true, "body": true,
	"header": true, "main": true, "footer": true, "section": true, "h1": true, "h2": true, "h3": true,
	"p": true, "span": true, "strong": true, "em": true, "div": true, "ul": true, "li": true,
	"code": true, "pre": true, "table": true, "caption": true, "thead": true, "tbody": true, "tfoot": true,
	"tr": true, "th": true, "td": true, "details": true, "summary": true, "dl": true, "dt": true, "dd": true,
	"figure": true, "figcaption": true,
	"svg": true, "defs": true, "pattern": true, "line": true, "circle": true, "rect": true, "text": true, "desc": true,
}

// checkSelfContained checks that the page references nothing outside itself
// and can run nothing: only known elements, no attribute that loads (src,
// href, action, ...), no inline style or event handler, every url() a
// fragment of the page, and a CSP that allows only the page's own stylesheet.
func checkSelfContained(t *testing.T, page []byte) {
	t.Helper()
	doc := parseHTML(t, page)
	var csp, style string
	styles := 0
	walk(doc, func(n *html.Node) {
		if n.Type != html.ElementNode {
			return
		}
		if !pageElements[n.Data] {
			t.Errorf("element <%s> in the page", n.Data)
		}
		for _, a := range n.Attr {
			key := strings.ToLower(a.Key)
			switch {
			case key == "src" || key == "href" || key == "action" || key == "formaction" || key == "srcset" ||
				key == "poster" || key == "data" || key == "background" || key == "ping" || strings.HasSuffix(key, ":href") || a.Namespace != "":
				t.Errorf("<%s %s=%q> references a resource", n.Data, a.Key, a.Val)
			case strings.HasPrefix(key, "on") || key == "style":
				t.Errorf("<%s %s=%q>: inline script or style", n.Data, a.Key, a.Val)
			case strings.Contains(strings.ToLower(a.Val), "http:") || strings.Contains(strings.ToLower(a.Val), "https:"):
				if n.DataAtom != atom.Meta {
					t.Errorf("<%s %s=%q> names a URL", n.Data, a.Key, a.Val)
				}
			case strings.Contains(a.Val, "url(") && !strings.HasPrefix(a.Val, "url(#"):
				t.Errorf("<%s %s=%q> refers outside the page", n.Data, a.Key, a.Val)
			}
		}
		switch n.DataAtom {
		case atom.Meta:
			if strings.EqualFold(attr(n, "http-equiv"), "Content-Security-Policy") {
				csp = attr(n, "content")
			}
			if attr(n, "http-equiv") != "" && !strings.EqualFold(attr(n, "http-equiv"), "Content-Security-Policy") {
				t.Errorf("meta http-equiv=%q", attr(n, "http-equiv"))
			}
		case atom.Style:
			styles++
			style = text(n)
		}
	})
	if styles != 1 {
		t.Fatalf("%d style elements, want 1", styles)
	}
	if strings.Contains(style, "url(") || strings.Contains(style, "@import") {
		t.Error("the stylesheet loads something")
	}
	sum := sha256.Sum256([]byte(style))
	want := "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; base-uri 'none'; form-action 'none'"
	if csp != want {
		t.Errorf("CSP %q, want %q (the hash of the page's stylesheet)", csp, want)
	}
}

func TestHTMLSelfContained(t *testing.T) {
	for name, r := range map[string]*finding.Report{"sample": sampleReport(), "policy": policyReport(), "empty": emptyReport(), "hostile": hostileReport(), "unfinished": {}} {
		t.Run(name, func(t *testing.T) {
			checkSelfContained(t, render(t, "html", r, Options{}))
		})
	}
}

// TestHTMLHostileInput checks that hostile text is shown as text: the page
// keeps its own structure, and the text reads as it was (control characters
// shown as escapes).
func TestHTMLHostileInput(t *testing.T) {
	page := render(t, "html", hostileReport(), Options{})
	doc := parseHTML(t, page)
	counts := map[string]int{}
	walk(doc, func(n *html.Node) {
		if n.Type == html.ElementNode {
			counts[n.Data]++
		}
	})
	if counts["script"] != 0 || counts["img"] != 0 {
		t.Errorf("hostile text made elements: %v", counts)
	}
	if counts["details"] != 4 {
		t.Errorf("%d details elements, want one per finding (4)", counts["details"])
	}
	all := text(doc)
	for _, want := range []string{
		"<script>alert(1)</script></details></summary></code><img src=https://evil.example/p.png>",
		`www.evil.example\x1b[31m\u202e\xff`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("the page's text lacks %q", want)
		}
	}
	if strings.ContainsAny(all, "\x1b\u202e") {
		t.Error("control or bidirectional characters reach the page")
	}
}

// TestHTMLChart checks the charts: inline SVG labelled for screen readers,
// one bar per severity with findings, one row per requirement, and the same
// numbers in a table; and no chart when nothing was found.
func TestHTMLChart(t *testing.T) {
	doc := parseHTML(t, render(t, "html", sampleReport(), Options{}))
	var charts []*html.Node
	walk(doc, func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "svg" && attr(n, "role") == "img" {
			charts = append(charts, n)
		}
	})
	if len(charts) != 2 {
		t.Fatalf("%d charts, want 2 (by severity, by requirement)", len(charts))
	}
	tests := []struct {
		labelledBy string
		wantDesc   string
		wantTitles []string // the title of every bar segment, in order
	}{
		{"chart-severity chart-severity-desc", "Findings by severity: 1 critical, 5 high, 1 medium, 1 low.",
			[]string{"1 critical", "5 high", "1 medium", "1 low"}},
		{"chart-requirement chart-requirement-desc", "Findings by requirement: 1.1: 2 high; 3: 1 high, 1 medium; 4: 1 low; 5: 1 high; 9: 1 critical, 1 high.",
			[]string{"1.1: 2 high", "3: 1 high", "3: 1 medium", "4: 1 low", "5: 1 high", "9: 1 critical", "9: 1 high"}},
	}
	for i, tt := range tests {
		svg := charts[i]
		if got := attr(svg, "aria-labelledby"); got != tt.labelledBy {
			t.Errorf("chart %d: aria-labelledby %q, want %q", i, got, tt.labelledBy)
		}
		var desc string
		var titles []string
		walk(svg, func(n *html.Node) {
			switch {
			case n.Type == html.ElementNode && n.Data == "desc":
				desc = text(n)
			case n.Type == html.ElementNode && n.Data == "rect" && n.FirstChild != nil:
				titles = append(titles, text(n))
				if w := attr(n, "width"); w == "" || w == "0" {
					t.Errorf("chart %d: a bar of width %q", i, w)
				}
			}
		})
		if desc != tt.wantDesc {
			t.Errorf("chart %d: desc %q, want %q", i, desc, tt.wantDesc)
		}
		if strings.Join(titles, "|") != strings.Join(tt.wantTitles, "|") {
			t.Errorf("chart %d: bars %q, want %q", i, titles, tt.wantTitles)
		}
	}
	empty := string(render(t, "html", emptyReport(), Options{}))
	if strings.Contains(empty, `role="img"`) || !strings.Contains(empty, "<strong>No findings</strong>") {
		t.Error("a report without findings has a chart, or does not say it found nothing")
	}
}

// TestHTMLAccessible checks what screen readers and print rely on: a
// language, a caption and header cells on every table, severity in words.
func TestHTMLAccessible(t *testing.T) {
	doc := parseHTML(t, render(t, "html", policyReport(), Options{}))
	walk(doc, func(n *html.Node) {
		if n.Type != html.ElementNode {
			return
		}
		switch n.Data {
		case "html":
			if attr(n, "lang") != "en" {
				t.Error("no lang on html")
			}
		case "table":
			if n.FirstChild == nil || n.FirstChild.NextSibling == nil {
				t.Error("empty table")
				return
			}
			caption := false
			walk(n, func(c *html.Node) {
				caption = caption || (c.Type == html.ElementNode && c.Data == "caption")
			})
			if !caption {
				t.Error("a table without a caption")
			}
		case "th":
			if s := attr(n, "scope"); s != "col" && s != "row" {
				t.Errorf("th %q without scope", text(n))
			}
		case "span":
			if strings.HasPrefix(attr(n, "class"), "sev ") {
				if label := text(n); label != "CRITICAL" && label != "HIGH" && label != "MEDIUM" && label != "LOW" {
					t.Errorf("severity badge %q does not say the severity", label)
				}
			}
		}
	})
}

func TestHTMLFoldedEvidence(t *testing.T) {
	doc := parseHTML(t, render(t, "html", sampleReport(), Options{}))
	found := false
	walk(doc, func(n *html.Node) {
		if n.Type != html.ElementNode || n.Data != "details" {
			return
		}
		if attr(n, "open") != "" {
			t.Error("a finding is unfolded")
		}
		if strings.Contains(text(n), "GET /panel (HS256, random key) -> 200 text/html 5120 bytes <html><title>Panel</title>") {
			found = true
		}
	})
	if !found {
		t.Error("the evidence is not in a finding's details")
	}
}
