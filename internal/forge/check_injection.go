package forge

import (
	"fmt"
	"strings"

	"github.com/ecoscan/ecoscan/internal/finding"
	"github.com/ecoscan/ecoscan/internal/forge/analysis"
)

// Requirement 8: validate untrusted input. Input that reaches a query, a
// command, a route that skips Forge's path guard, a request's host or an
// object's prototype is injection.

var sqlInjectionRule = finding.Rule{
	ID:          "forge/sql-injection",
	Requirement: "8",
	Title:       "Forge SQL query built from untrusted input",
	CVSS:        8.8,
	Remediation: "Use sql.prepare(query).bindParams(...) with placeholders; never build the query text from input.",
	Doc:         "A query handed to Forge SQL (executeRaw, prepare, executeDDL) whose text contains a resolver payload, a webtrigger request or an event's payload lets the caller change the query.",
}

var trustedRouteRule = finding.Rule{
	ID:          "forge/trusted-route-injection",
	Requirement: "8",
	Title:       "Untrusted input passed to assumeTrustedRoute",
	CVSS:        7.5,
	Remediation: "Build product paths with the route tagged template, which escapes each value; validate any input that must become part of a path.",
	Doc:         "assumeTrustedRoute skips the route tag's guard against path manipulation, so input in it can redirect the call to another API (../ and the like).",
}

var childProcessRule = finding.Rule{
	ID:          "forge/child-process",
	Requirement: "8",
	Title:       "child_process used",
	CVSS:        5.3,
	Remediation: "Remove child_process: Forge functions must not start processes; do the work in JavaScript or in a Forge remote.",
	Doc:         "Atlassian's 2026 requirements forbid child_process in Forge apps: a process started with input is command injection waiting to happen.",
}

var commandInjectionRule = finding.Rule{
	ID:          "forge/command-injection",
	Requirement: "8",
	Title:       "Untrusted input reaches a child_process call",
	CVSS:        9.8,
	Remediation: "Remove child_process; never build a command from input.",
	Doc:         "Input that reaches exec, spawn and the like runs commands of the caller's choosing.",
}

var pollutionRule = finding.Rule{
	ID:          "forge/prototype-pollution",
	Requirement: "8",
	Title:       "Prototype pollution from untrusted input",
	CVSS:        7.3,
	Remediation: "Reject the keys __proto__, constructor and prototype (or use Map, or objects made with Object.create(null)) when copying or merging input.",
	Doc:         "A write obj[a][b] = v where both keys come from the input (typically a recursive merge of the payload) can set properties on Object.prototype for the whole runtime.",
}

var ssrfRule = finding.Rule{
	ID:          "forge/ssrf",
	Requirement: "8",
	Title:       "Request sent to a host chosen by untrusted input",
	CVSS:        7.5,
	Remediation: "Send requests only to fixed hosts; choose among them with the input rather than taking a URL from it.",
	Doc:         "fetch(url) where the scheme or host of url comes from the input lets the caller make the app send requests where they like (SSRF).",
}

var injectionCheck = check{requirement: "8", rules: []finding.Rule{sqlInjectionRule, trustedRouteRule, childProcessRule, commandInjectionRule, pollutionRule, ssrfRule}, run: runInjection}

func runInjection(p *pass) finding.Check {
	n := 0
	report := func(r finding.Rule, e *analysis.Event, msg string) {
		n++
		p.add(r.New(at(e), msg, callPath(e)))
	}
	for _, e := range p.res.Events {
		switch e.Kind {
		case analysis.SQL:
			if e.Arg.HasLabel(analysis.Tainted) {
				report(sqlInjectionRule, e, fmt.Sprintf("Forge SQL %s receives a query built from %s.", e.Detail, inputs(e.Arg)))
			}
		case analysis.TrustedRoute:
			if e.Arg.HasLabel(analysis.Tainted) {
				report(trustedRouteRule, e, fmt.Sprintf("assumeTrustedRoute receives %s.", inputs(e.Arg)))
			}
		case analysis.ChildProcess:
			tainted := false
			for _, a := range e.Args {
				tainted = tainted || a.HasLabel(analysis.Tainted)
			}
			if tainted {
				report(commandInjectionRule, e, fmt.Sprintf("%s runs with untrusted input.", e.Detail))
			} else if e.Detail == "import of child_process" {
				report(childProcessRule, e, "The app imports child_process.")
			}
		case analysis.ProtoPollution:
			report(pollutionRule, e, fmt.Sprintf("A property named by %s is written into an object that was itself chosen by the input: a key __proto__ reaches Object.prototype.", inputs(e.Arg)))
		case analysis.Fetch:
			if e.Arg.HasLabel(analysis.Tainted) && hostFromInput(e) {
				report(ssrfRule, e, fmt.Sprintf("%s sends a request whose host comes from %s.", callText(e), inputs(e.Arg)))
			}
		}
	}
	if n > 0 {
		return finding.Check{Status: finding.Fail, Detail: fmt.Sprintf("%d places where untrusted input reaches a sink", n)}
	}
	return finding.Check{Status: finding.Pass, Detail: "no untrusted input reaches SQL, child_process, assumeTrustedRoute, a request's host or a prototype"}
}

// inputs names the input fields a value comes from.
func inputs(v *analysis.Value) string {
	o := v.Origins()
	if len(o) == 0 {
		return "untrusted input"
	}
	return "input (" + strings.Join(o, ", ") + ")"
}

// hostFromInput reports whether a request's scheme or host is unknown: the
// URL is all input, or a hole comes before the host ends.
func hostFromInput(e *analysis.Event) bool {
	if !e.URLKnown {
		return true
	}
	u := e.URL
	rest := u
	if i := strings.Index(u, "://"); i >= 0 {
		if strings.Contains(u[:i], analysis.Hole) {
			return true
		}
		rest = u[i+3:]
	} else if !strings.HasPrefix(u, "/") {
		return strings.HasPrefix(u, analysis.Hole)
	} else {
		return false
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	return strings.Contains(rest[:end], analysis.Hole) && !fixedSuffix(rest[:end])
}

// fixedSuffix reports whether a host pattern with a hole still names a fixed
// domain: "\x00.example.com" is a subdomain of example.com, chosen by the input
// but within one registrable domain.
func fixedSuffix(host string) bool {
	i := strings.LastIndex(host, analysis.Hole)
	return strings.Count(host[i+1:], ".") >= 2
}
