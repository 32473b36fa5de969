package connect

import (
	"fmt"

	"github.com/ecoscan/ecoscan/internal/connect/headers"
	"github.com/ecoscan/ecoscan/internal/finding"
)

var ruleCacheControl = finding.Rule{
	ID: "connect/cache-control-missing-no-store", Requirement: "7.3", CVSS: 5.3,
	Title:       "Response with data lacks Cache-Control: no-store",
	Remediation: "Send Cache-Control: no-store (Atlassian's guidance adds no-cache) on every response to an authenticated request or carrying data; private alone lets browsers keep it.",
	Doc:         "Judged on the answers the scan could authenticate (the test installation's valid token, or tokens the app wrongly accepted) and on answers that served data without a token. 401 pages, static assets and the shells of cacheable modules are not judged.",
}

// cacheCheck is requirement 7.3: responses with sensitive data are not stored.
var cacheCheck = check{
	requirement: "7.3",
	rules:       []finding.Rule{ruleCacheControl},
	run: func(p *pass) finding.Check {
		var n tally
		for _, t := range p.probed() {
			xs := t.dataAnswers()
			if len(xs) == 0 {
				continue
			}
			n.judged++
			for _, x := range xs {
				v := headers.JudgeCacheControl(x.Header)
				if v.OK {
					continue
				}
				n.failed++
				p.add(ruleCacheControl.New(finding.Endpoint(t.Method, t.URL),
					fmt.Sprintf("%s %s answered %d with data (%s): %s.", t.Method, t.path(), x.Status, x.Probe.Label(), v.Problem),
					x.describe(t.path()), v.Evidence))
				break
			}
		}
		return n.row(finding.Skipped, "no authenticated or data-carrying answer to judge: give a test installation (--client-key, --shared-secret)")
	},
}

// dataAnswers are the 2xx answers of t that carry data: the valid token's,
// those of tokens the app accepted, and the no-token answer of an endpoint
// that serves data without one.
func (t *Target) dataAnswers() []*Exchange {
	b := t.baseline()
	if b == nil || t.publicByDesign(b) != "" {
		return nil
	}
	var out []*Exchange
	for _, x := range t.Exchanges {
		if x.outcome() != answered || x.Status >= 300 || x.empty {
			continue
		}
		var data bool
		switch {
		case x == b:
			data, _ = t.openWithData()
		case x.Probe.recipe == validToken:
			data = true
		case x.Probe.recipe == userToken:
			data = t.accepted(x) != notAccepted
		default:
			data = t.accepted(x) != notAccepted || t.acceptedLikeControl(x)
		}
		if data {
			out = append(out, x)
		}
	}
	return out
}
