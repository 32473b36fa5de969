package forge

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/ecoscan/ecoscan/internal/finding"
	"github.com/ecoscan/ecoscan/internal/forge/analysis"
)

// Requirement 10: an app never collects or uses Atlassian user credentials.

var credentialsRule = finding.Rule{
	ID:          "forge/atlassian-credentials",
	Requirement: "10",
	Title:       "Basic or Bearer credentials sent to an Atlassian host or admin API",
	CVSS:        9.1,
	Remediation: "Call product APIs through @forge/api (asUser/asApp) and never ask users for passwords or API tokens; organisation admin APIs are not for apps.",
	Doc:         "A request to *.atlassian.net, api.atlassian.com, *.atlassian.com or *.jira.com (or to an /admin/ API) with a Basic or Bearer Authorization header means the app holds an Atlassian user's credentials (an email and API token, or a personal token).",
}

var credentialsCheck = check{requirement: "10", rules: []finding.Rule{credentialsRule}, run: runCredentials}

// atlassianURL matches a URL pattern whose host is Atlassian's (holes are
// unknown parts: \x00.atlassian.net is a site).
var atlassianURL = regexp.MustCompile(`(?i)^(?:https?:)?//(?:[^/?#]*\.)?(?:atlassian\.net|atlassian\.com|jira\.com|atlassian-dev\.net)(?::\d+)?(?:[/?#]|$)`)

// authScheme matches an Authorization value that sends credentials.
var authScheme = regexp.MustCompile(`(?i)^\s*(basic|bearer)\b`)

func runCredentials(p *pass) finding.Check {
	n := 0
	for _, e := range p.events(analysis.Fetch, analysis.ProductCall) {
		if e.Headers == nil {
			continue
		}
		auth := headerValue(e.Headers, "authorization")
		if auth == nil {
			continue
		}
		pattern, ok := auth.Pattern()
		if !ok {
			continue
		}
		m := authScheme.FindStringSubmatch(pattern)
		if m == nil {
			continue
		}
		target := ""
		switch {
		case e.Kind == analysis.ProductCall && !e.Client:
			target = "a product API"
		case e.URLKnown && atlassianURL.MatchString(e.URL):
			target = "Atlassian host " + analysis.Display(e.URL)
		case e.URLKnown && strings.Contains(e.URL, "/admin/"):
			target = "admin API " + analysis.Display(e.URL)
		default:
			continue
		}
		n++
		msg := fmt.Sprintf("%s sends %s credentials to %s: the app holds an Atlassian user's credentials.", callText(e), title(strings.ToLower(m[1])), target)
		p.add(credentialsRule.New(at(e), msg, callPath(e)))
	}
	if n > 0 {
		return finding.Check{Status: finding.Fail, Detail: fmt.Sprintf("%d requests send Basic or Bearer credentials to Atlassian", n)}
	}
	return finding.Check{Status: finding.Pass, Detail: "no request sends Basic or Bearer credentials to Atlassian hosts or admin APIs"}
}

// headerValue finds a header by name (case-insensitive) in a headers object.
func headerValue(headers *analysis.Value, name string) *analysis.Value {
	var found *analysis.Value
	for _, k := range headers.Keys() {
		if strings.EqualFold(k, name) {
			found = headers.Prop(k)
		}
	}
	return found
}
