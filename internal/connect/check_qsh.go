package connect

import (
	"fmt"

	"github.com/ecoscan/ecoscan/internal/finding"
)

var (
	ruleQSHNotVerified = finding.Rule{
		ID: "connect/qsh-not-verified", Requirement: "8.1", CVSS: 7.5,
		Title:       "Endpoint accepts a token whose qsh belongs to another request",
		Remediation: "Compute the qsh of every request by the canonical rules and refuse tokens whose qsh does not match it.",
		Doc:         "A token correctly signed with the test installation's shared secret, whose qsh is that of another request, got the same answer as a valid token: URLs can be tampered with.",
	}
	ruleContextTokenAccepted = finding.Rule{
		ID: "connect/context-token-accepted", Requirement: "8.1", CVSS: 7.5,
		Title:       "URL-bound endpoint accepts a context token",
		Remediation: "Accept context tokens (qsh \"context-qsh\") only on the endpoints your front end calls with AP.context.getToken(); refuse them on module, lifecycle and webhook URLs.",
		Doc:         "A token correctly signed with the test installation's shared secret whose qsh is the literal context-qsh got the same answer as a valid token on an endpoint of the descriptor, which expects URL-bound tokens.",
	}
)

// qshCheck is requirement 8.1: a token whose qsh does not match the request is refused.
var qshCheck = check{
	requirement: "8.1",
	rules:       []finding.Rule{ruleQSHNotVerified, ruleContextTokenAccepted},
	run: func(p *pass) finding.Check {
		if p.opts.SharedSecret == "" {
			return finding.Check{Status: finding.Skipped, Detail: "needs a test installation (--client-key, --shared-secret) to sign tokens with a wrong qsh"}
		}
		n := tally{inconclusiveWhy: "the test installation's valid token was refused"}
		for _, t := range p.probed() {
			b := t.baseline()
			switch {
			case b == nil || b.outcome() == failed:
				n.errored++
				continue
			case t.forgedAccepted():
				n.judged++
				continue // the token is not verified at all: reported as 1.1 or 1.4
			case t.control() == nil:
				n.inconclusive++
				continue
			}
			n.judged++
			rule, what := ruleQSHNotVerified, "a token whose qsh belongs to another request"
			x := firstAcceptedLikeControl(t, wrongQSHValid)
			if x == nil {
				rule, what = ruleContextTokenAccepted, "a context token (qsh context-qsh)"
				x = firstAcceptedLikeControl(t, contextQSHValid)
			}
			if x == nil {
				continue
			}
			n.failed++
			p.add(rule.New(finding.Endpoint(t.Method, t.URL),
				fmt.Sprintf("%s %s accepted %s, signed with the shared secret, answering as to a valid token (%d).", t.Method, t.path(), what, x.Status),
				evidence(t, b, t.controlFor(x), x)...))
		}
		return n.row(finding.NotApplicable, "no endpoint to judge")
	},
}
