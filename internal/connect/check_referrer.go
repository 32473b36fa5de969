package connect

import (
	"fmt"

	"github.com/ecoscan/ecoscan/internal/finding"
)

var ruleReferrerPolicy = finding.Rule{
	ID: "connect/referrer-policy-unsafe", Requirement: "7.2", CVSS: 5.3,
	Title:       "Pages lack a safe Referrer-Policy",
	Remediation: "Send Referrer-Policy: strict-origin-when-cross-origin (or stricter: same-origin, no-referrer) on every page, so that tokens in page URLs never leak to other sites.",
	Doc:         "Judged on every HTML answer of the app's endpoints, refused ones included (a protected app's headers are judged too): the header's last recognised value, overridden by <meta name=\"referrer\">. Missing, unsafe-url and no-referrer-when-downgrade fail. One finding per host, naming the pages.",
}

// referrerCheck is requirement 7.2: a Referrer-Policy that does not leak URLs.
var referrerCheck = check{
	requirement: "7.2",
	rules:       []finding.Rule{ruleReferrerPolicy},
	run: func(p *pass) finding.Check {
		n := tally{noun: "host"}
		type bad struct {
			t       *Target
			x       *Exchange
			problem string
		}
		pages := map[string]int{}
		failing := map[string][]bad{}
		for _, t := range p.probed() {
			host := hostKey(t.URL)
			var first *bad
			judged := false
			for _, x := range t.Exchanges {
				if x.outcome() == failed || !x.isHTML() {
					continue
				}
				judged = true
				if !x.Referrer.OK && first == nil {
					first = &bad{t, x, x.Referrer.Problem}
				}
			}
			if judged {
				pages[host]++
			}
			if first != nil {
				failing[host] = append(failing[host], *first)
			}
		}
		for _, host := range sortedKeys(pages) {
			n.judged++
			bads := failing[host]
			if len(bads) == 0 {
				continue
			}
			n.failed++
			var ev []string
			for i, b := range bads {
				if i == 5 {
					ev = append(ev, fmt.Sprintf("... and %d more pages", len(bads)-i))
					break
				}
				ev = append(ev, fmt.Sprintf("%s: %s", b.x.describe(b.t.path()), b.problem))
			}
			name, port := hostPortOf(bads[0].t.URL)
			p.add(ruleReferrerPolicy.New(finding.Host(name, port),
				fmt.Sprintf("%d of %d endpoints with HTML pages on %s lack a safe Referrer-Policy (first: %s %s: %s).", len(bads), pages[host], host, bads[0].t.Method, bads[0].t.path(), bads[0].problem),
				ev...))
		}
		return n.row(finding.Skipped, "no HTML answer to judge")
	},
}

// hostKey is host:port of a URL.
func hostKey(raw string) string {
	h, port := hostPortOf(raw)
	return fmt.Sprintf("%s:%d", h, port)
}
