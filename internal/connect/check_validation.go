package connect

import (
	"fmt"
	"strings"

	"github.com/ecoscan/ecoscan/internal/finding"
)

var (
	ruleAdminOpenToUser = finding.Rule{
		ID: "connect/authz-admin-open-to-user", Requirement: "1.2", CVSS: 8.8,
		Title:       "Admin endpoint serves a non-admin user",
		Remediation: "Check the user's permissions on the server (for example with the product's permission API for the token's sub) before serving an admin page; conditions in the descriptor only hide links.",
		Doc:         "An endpoint guarded by an admin module type or an admin condition accepted a non-admin user's token: the URL-bound token carrying the user's claims (signed with the test installation's secret), or the user's own token.",
	}
	ruleExpiredAccepted = finding.Rule{
		ID: "connect/jwt-expired-accepted", Requirement: "1.2", CVSS: 6.5,
		Title:       "Endpoint accepts an expired JWT",
		Remediation: "Refuse tokens whose exp has passed (a small clock-skew leeway at most).",
		Doc:         "A token correctly signed with the test installation's shared secret but expired an hour ago got the same answer as a valid token.",
	}
	ruleIssuerNotVerified = finding.Rule{
		ID: "connect/jwt-issuer-not-verified", Requirement: "1.2", CVSS: 8.1,
		Title:       "Endpoint accepts a JWT whose issuer is not the installation that signed it",
		Remediation: "Look the installation up by the token's iss and verify the signature with that installation's shared secret only.",
		Doc:         "A token signed with the test installation's shared secret but naming an issuer no installation has got the same answer as a valid token.",
	}
)

// validationCheck is requirement 1.2: the JWT and the user's permissions are
// validated on the server. It needs a test installation (expiry, issuer) and a
// non-admin user's token (admin endpoints).
var validationCheck = check{
	requirement: "1.2",
	rules:       []finding.Rule{ruleAdminOpenToUser, ruleExpiredAccepted, ruleIssuerNotVerified},
	run: func(p *pass) finding.Check {
		haveSecret, haveUser := p.opts.SharedSecret != "", p.opts.UserJWT != ""
		if !haveSecret && !haveUser {
			return finding.Check{Status: finding.Skipped, Detail: "needs a test installation (--client-key, --shared-secret) and a non-admin user's token (--user-jwt)"}
		}
		n := tally{inconclusiveWhy: "the test installation's valid token was refused"}
		admins := 0
		for _, t := range p.probed() {
			b := t.baseline()
			if b == nil || b.outcome() == failed {
				n.errored++
				continue
			}
			if t.forgedAccepted() {
				n.judged++
				continue // reported as 1.1 or 1.4: the token is not verified at all
			}
			var found []finding.Finding
			if t.Admin && haveUser {
				admins++
				if f, ok := adminFinding(t); ok {
					found = append(found, f)
				}
			}
			if haveSecret {
				if t.control() == nil {
					if len(found) == 0 {
						n.inconclusive++
						continue
					}
				} else {
					for _, rc := range []struct {
						r    recipe
						rule finding.Rule
						what string
					}{{expiredValid, ruleExpiredAccepted, "an expired token"}, {unknownIssuerValid, ruleIssuerNotVerified, "a token from an unknown issuer"}} {
						if x := firstAcceptedLikeControl(t, rc.r); x != nil {
							found = append(found, rc.rule.New(finding.Endpoint(t.Method, t.URL),
								fmt.Sprintf("%s %s accepted %s signed with the shared secret, answering as to a valid token (%d).", t.Method, t.path(), rc.what, x.Status),
								evidence(t, b, t.controlFor(x), x)...))
						}
					}
				}
			}
			n.judged++
			if len(found) > 0 {
				n.failed++
				for _, f := range found {
					p.add(f)
				}
			}
		}
		row := n.row(finding.NotApplicable, "no endpoint to judge")
		var notes []string
		if haveUser {
			notes = append(notes, fmt.Sprintf("%s tried with the user's token", plural(admins, "admin endpoint")))
		} else {
			notes = append(notes, "admin endpoints not tried: no --user-jwt")
		}
		if !haveSecret {
			notes = append(notes, "expiry and issuer not tried: no test installation")
		}
		row.Detail += "; " + strings.Join(notes, "; ")
		return row
	},
}

// adminFinding reports an admin endpoint that served the non-admin user.
func adminFinding(t *Target) (finding.Finding, bool) {
	b := t.baseline()
	for _, x := range t.Exchanges {
		var ok bool
		switch x.Probe.recipe {
		case userClaims:
			ok = t.acceptedLikeControl(x)
		case userToken:
			ok = t.accepted(x) == acceptedSure
		}
		if ok {
			msg := fmt.Sprintf("%s %s (%s) answered %d to a non-admin user (%s).", t.Method, t.path(), t.AdminReason, x.Status, x.Probe.Label())
			return ruleAdminOpenToUser.New(finding.Endpoint(t.Method, t.URL), msg, evidence(t, b, t.control(), x)...), true
		}
	}
	return finding.Finding{}, false
}

// firstAcceptedLikeControl is the first exchange of recipe r that got the valid token's answer.
func firstAcceptedLikeControl(t *Target, r recipe) *Exchange {
	for _, x := range t.Exchanges {
		if x.Probe.recipe == r && t.acceptedLikeControl(x) {
			return x
		}
	}
	return nil
}
