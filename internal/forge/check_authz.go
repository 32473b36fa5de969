package forge

import (
	"fmt"
	"sort"

	"github.com/ecoscan/ecoscan/internal/finding"
	"github.com/ecoscan/ecoscan/internal/forge/analysis"
)

// Requirement 1.2 for Forge: a product call made as the app on behalf of a
// user must be decided by a permission check.

var authzRule = finding.Rule{
	ID:          "forge/asapp-without-authorization",
	Requirement: "1.2",
	Title:       "Product call as the app, reachable by users, with no permission check deciding it",
	CVSS:        8.8,
	Remediation: "Make the call as the user (asUser()) or check the user's permission for the same resource first (authorize(), or the product's permission API), and only make the call when the check allows it.",
	Doc: "An asApp() product call runs with the app's permissions, not the user's. Any user who can load a module can invoke every resolver key behind it with a payload of their choosing, so such a call must be decided by a permission check: a branch, early return or throw on the result of authorize() or of a permission API, for the same resource when both are known. " +
		"A call of authorize() whose result decides nothing does not count (FSRT counts any authorize() call).",
}

var authzAdminRule = finding.Rule{
	ID:          "forge/asapp-without-authorization-admin-only",
	Requirement: "1.2",
	Title:       "Product call as the app without a permission check, reachable only from admin modules",
	CVSS:        4.9,
	Remediation: "Check the user's permission for the resource before the call, or make it as the user: module visibility is not access control for the resolver.",
	Doc:         "As forge/asapp-without-authorization, for calls that only resolvers of administration modules (jira:adminPage, settings pages, ...) reach: a lower risk, since only administrators load those modules, but a resolver key can still be invoked directly.",
}

var authzCheck = check{requirement: "1.2", rules: []finding.Rule{authzRule, authzAdminRule}, run: runAuthz}

func runAuthz(p *pass) finding.Check {
	type site struct {
		user, admin *analysis.Event
		mismatch    string
	}
	sites := map[string]*site{}
	calls := map[string]bool{}
	for _, e := range p.events(analysis.ProductCall) {
		if e.As != "app" || e.Client || e.Entry == nil || e.Entry.Kind != analysis.Invokable || isPermissionCall(e) {
			continue
		}
		calls[e.Where()] = true
		guarded, why := e.GuardedFor()
		if guarded {
			continue
		}
		s := sites[e.Where()]
		if s == nil {
			s = &site{}
			sites[e.Where()] = s
		}
		if e.Entry.Admin {
			if s.admin == nil {
				s.admin = e
			}
		} else if s.user == nil {
			s.user = e
		}
		if why != "" {
			s.mismatch = why
		}
	}
	keys := make([]string, 0, len(sites))
	for k := range sites {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	failed := 0
	for _, k := range keys {
		s := sites[k]
		rule, e := authzRule, s.user
		reason := "no permission check decides whether it runs"
		if s.mismatch != "" {
			reason = s.mismatch
		}
		if e == nil {
			rule, e = authzAdminRule, s.admin
			reason += "; only resolvers of administration modules reach it, so the risk is lower"
		}
		failed++
		msg := fmt.Sprintf("%s runs for %s with the app's permissions: %s.", callText(e), e.Entry.Label(), reason)
		p.add(rule.New(at(e), msg, callPath(e), "sink: "+callText(e)+" at "+e.Where()))
	}
	invokable := p.entries(analysis.Invokable)
	switch {
	case failed > 0:
		return finding.Check{Status: finding.Fail, Detail: fmt.Sprintf("%d of %d asApp() calls reachable from %d invokable entry points have no permission check", failed, len(calls), invokable)}
	case invokable == 0:
		return finding.Check{Status: finding.NotApplicable, Detail: "no invokable entry points (resolvers, UI functions, Rovo actions)"}
	}
	return finding.Check{Status: finding.Pass, Detail: fmt.Sprintf("%d asApp() calls reachable from %d invokable entry points, each decided by a permission check", len(calls), invokable)}
}

// isPermissionCall reports whether a product call is itself a permission
// check (the permission APIs).
func isPermissionCall(e *analysis.Event) bool {
	return e.URLKnown && analysis.IsPermissionPath(e.URL)
}
