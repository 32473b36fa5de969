package forge

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ecoscan/ecoscan/internal/finding"
	"github.com/ecoscan/ecoscan/internal/forge/analysis"
)

// Requirement 4: least privilege. Declared scopes that no call needs, and
// egress open to every host.

var unusedScopeRule = finding.Rule{
	ID:          "forge/unused-scope",
	Requirement: "4",
	Title:       "Declared scope that no product call of the app needs",
	CVSS:        3.1,
	Remediation: "Remove the scope from permissions.scopes (and redeploy; installations are asked to consent to the smaller set).",
	Doc: "Which scopes a product call needs comes from the OAuth scopes of Atlassian's OpenAPI specs (x-atlassian-oauth2-scopes; `ecoscan update` refreshes the tables, an embedded copy works offline). A declared scope is unused when the tables know it and no alternative of any call of the app (back end and Custom UI front end) lists it. " +
		"When a call's path or method cannot be known statically, or the tables do not know a call, the scopes of that product are not judged: the check prefers a missed scope to a false alarm.",
}

var egressRule = finding.Rule{
	ID:          "forge/egress-wildcard",
	Requirement: "4",
	Title:       "Egress allowed to every host",
	CVSS:        3.1,
	Remediation: "List the hosts the app talks to in permissions.external instead of *.",
	Doc:         "A * in permissions.external lets the app (and anyone who subverts it) send data anywhere; Atlassian strongly discourages it.",
}

var scopesCheck = check{requirement: "4", rules: []finding.Rule{unusedScopeRule, egressRule}, run: runScopes}

// family is the product family a scope or call belongs to, for deciding
// which scopes a call of unknown needs leaves unjudged.
func family(s string) string {
	s = strings.ToLower(s)
	switch {
	case strings.Contains(s, "confluence"):
		return "confluence"
	case strings.Contains(s, "jira"), strings.Contains(s, "servicedesk"), strings.Contains(s, "service-management"):
		return "jira"
	case strings.Contains(s, "bitbucket"):
		return "bitbucket"
	}
	return "other"
}

func runScopes(p *pass) finding.Check {
	row := p.egress()
	if p.scopesErr != nil || p.scopes == nil {
		return finding.MergeChecks("4", row, finding.Check{Status: finding.Skipped, Detail: fmt.Sprintf("no scope tables: %v (run ecoscan update)", p.scopesErr)})
	}
	if len(p.man.Scopes) == 0 {
		return finding.MergeChecks("4", row, finding.Check{Status: finding.Pass, Detail: "no scopes declared"})
	}
	used := map[string]bool{}
	unjudged := map[string]string{} // family -> why
	calls := 0
	seen := map[string]bool{}
	for _, e := range p.events(analysis.ProductCall) {
		key := e.Where() + " " + e.Method
		if seen[key] {
			continue
		}
		seen[key] = true
		calls++
		fam := e.Product
		if fam == "graph" {
			unjudged["jira"] = "a GraphQL call at " + e.Where()
			unjudged["confluence"] = unjudged["jira"]
			continue
		}
		path, ok := concretePath(e)
		if !ok || e.Method == "" {
			unjudged[fam] = fmt.Sprintf("%s at %s", callText(e), e.Where())
			continue
		}
		alts, ok := p.scopes.Lookup(e.Method, path)
		if !ok || len(alts) == 0 {
			unjudged[fam] = fmt.Sprintf("%s at %s is not in the scope tables", callText(e), e.Where())
			continue
		}
		for _, alt := range alts {
			for _, s := range alt {
				used[s] = true
			}
		}
	}
	unused, notJudged := 0, 0
	var notes []string
	for _, s := range p.man.Scopes {
		if used[s.Value] || !p.scopes.Known(s.Value) {
			continue
		}
		if why, ok := unjudged[family(s.Value)]; ok {
			notJudged++
			if len(notes) < 3 {
				notes = append(notes, fmt.Sprintf("%s not judged (%s)", s.Value, why))
			}
			continue
		}
		unused++
		msg := fmt.Sprintf("The app declares %s, but none of its %d product calls needs it.", s.Value, calls)
		p.add(unusedScopeRule.New(p.manifestAt(s.Pos), msg, fmt.Sprintf("%s:%d: permissions.scopes: %s", p.man.Path, s.Pos.Line, s.Value), "scopes the calls need: "+strings.Join(sortedKeys(used), ", ")))
	}
	detail := fmt.Sprintf("%d scopes declared, %d product calls", len(p.man.Scopes), calls)
	status := finding.Pass
	if unused > 0 {
		status = finding.Fail
		detail += fmt.Sprintf(", %d scopes unused", unused)
	}
	if notJudged > 0 {
		detail += fmt.Sprintf(", %d scopes not judged: %s", notJudged, strings.Join(notes, "; "))
		if status == finding.Pass {
			status = finding.Skipped
		}
	}
	return finding.MergeChecks("4", row, finding.Check{Status: status, Detail: detail})
}

// concretePath turns a call's path pattern into a path the scope tables can
// match: the query goes, and each unknown part stands for one segment's value.
// ok is false when the path is not known well enough (it starts with an
// unknown part).
func concretePath(e *analysis.Event) (string, bool) {
	if !e.URLKnown || !strings.HasPrefix(e.URL, "/") {
		return "", false
	}
	path, _, _ := strings.Cut(e.URL, "?")
	path, _, _ = strings.Cut(path, "#")
	return strings.ReplaceAll(path, analysis.Hole, "1"), true
}

// egress is the row of the egress part of requirement 4.
func (p *pass) egress() finding.Check {
	n := 0
	for _, eg := range p.man.Egress {
		a := strings.TrimSpace(eg.Address)
		if a != "*" && a != "*://*" && a != "https://*" && a != "http://*" && a != "*.*" {
			continue
		}
		n++
		msg := fmt.Sprintf("permissions.external.%s allows every host (%s).", eg.Kind, a)
		p.add(egressRule.New(p.manifestAt(eg.Pos), msg, fmt.Sprintf("%s:%d: permissions.external.%s: %s", p.man.Path, eg.Pos.Line, eg.Kind, a)))
	}
	if n > 0 {
		return finding.Check{Status: finding.Fail, Detail: fmt.Sprintf("%d egress permissions allow every host", n)}
	}
	return finding.Check{Status: finding.Pass, Detail: fmt.Sprintf("%d egress permissions, none a wildcard", len(p.man.Egress))}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
