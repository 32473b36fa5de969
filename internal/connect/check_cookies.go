package connect

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ecoscan/ecoscan/internal/connect/headers"
	"github.com/ecoscan/ecoscan/internal/finding"
)

var ruleSessionCookie = finding.Rule{
	ID: "connect/session-cookie-insecure", Requirement: "7.4", CVSS: 5.3,
	Title:       "Session cookie without Secure or HttpOnly",
	Remediation: "Set session cookies with Secure and HttpOnly (and SameSite=Lax or Strict; SameSite=None only with Secure).",
	Doc:         "Every Set-Cookie of every answer, refused ones included, is parsed (attribute names in any case). Session cookies are known session names (connect.sid, JSESSIONID, names with sess, ...) and any cookie set by an authenticated answer. One finding per host and cookie name.",
}

// cookieCheck is requirement 7.4: session cookies are Secure and HttpOnly.
var cookieCheck = check{
	requirement: "7.4",
	rules:       []finding.Rule{ruleSessionCookie},
	run: func(p *pass) finding.Check {
		n := tally{noun: "session cookie"}
		type seen struct {
			t        *Target
			x        *Exchange
			problems []string
		}
		cookies := map[string]*seen{} // host + " " + name
		var order []string
		for _, t := range p.probed() {
			for _, x := range t.Exchanges {
				if x.Err != nil || x.Header == nil {
					continue
				}
				authenticated := x.Probe.recipe == validToken || (x.Probe.recipe != noToken && t.accepted(x) != notAccepted)
				parsed, _ := headers.CookiesOf(x.Header) // a line that is no cookie sets nothing in a browser either
				for _, c := range parsed {
					verdicts := headers.JudgeCookie(c, authenticated, p.report.StartedAt)
					if verdicts == nil {
						continue
					}
					key := hostKey(t.URL) + " " + c.Name
					s, ok := cookies[key]
					if !ok {
						s = &seen{t: t, x: x}
						cookies[key] = s
						order = append(order, key)
					}
					for _, v := range verdicts {
						if !v.OK && !slices.Contains(s.problems, v.Problem) {
							s.problems = append(s.problems, v.Problem)
							s.t, s.x = t, x
						}
					}
				}
			}
		}
		for _, key := range order {
			s := cookies[key]
			n.judged++
			if len(s.problems) == 0 {
				continue
			}
			n.failed++
			name := key[strings.Index(key, " ")+1:]
			host, port := hostPortOf(s.t.URL)
			f := ruleSessionCookie.New(finding.Host(host, port),
				fmt.Sprintf("Cookie %s set by %s %s: %s.", name, s.t.Method, s.t.path(), strings.Join(s.problems, "; ")),
				s.x.describe(s.t.path()))
			f.Fingerprint = finding.Fingerprint(ruleSessionCookie.ID, f.Location.Key(), name)
			p.add(f)
		}
		return n.row(finding.Pass, "no session cookie was set")
	},
}
