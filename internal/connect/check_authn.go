package connect

import (
	"fmt"
	"slices"

	"github.com/ecoscan/ecoscan/internal/connect/descriptor"
	"github.com/ecoscan/ecoscan/internal/finding"
)

var (
	ruleForgedAccepted = finding.Rule{
		ID: "connect/authn-forged-jwt-accepted", Requirement: "1.1", CVSS: 8.8,
		Title:       "Endpoint accepts a JWT signed with the wrong key",
		Remediation: "Verify every JWT's signature with the installation's shared secret (HS256 only), and its exp, iss and qsh, before serving anything.",
		Doc:         "The endpoint refused a request without a token but accepted a token signed with a random key (or expired, from an unknown issuer, or a forged context token): it does not verify signatures.",
	}
	ruleAlgNone = finding.Rule{
		ID: "connect/authn-alg-none-accepted", Requirement: "1.1", CVSS: 8.8,
		Title:       "Endpoint accepts an unsigned JWT (alg none)",
		Remediation: "Pin the verification algorithm to HS256 (RS256 for signed installs); never take the algorithm from the token's header.",
		Doc:         "The endpoint refused a request without a token and a token signed with a random key, but accepted a token whose header says alg none.",
	}
	ruleNoAuthn = finding.Rule{
		ID: "connect/authn-missing", Requirement: "1.1", CVSS: 5.3,
		Title:       "Endpoint serves or accepts requests without authentication",
		Remediation: "Require a valid Connect JWT on every endpoint that serves data or changes state; only static assets and the shells of cacheable modules may be public.",
		Doc:         "The endpoint answered without any token. Static assets and the HTML shells of cacheable modules are public by design and not reported; webhooks and lifecycle URLs that accept a request without a token always are.",
	}
)

// authnCheck is requirement 1.1: every endpoint authenticates every request.
var authnCheck = check{
	requirement: "1.1",
	rules:       []finding.Rule{ruleForgedAccepted, ruleAlgNone, ruleNoAuthn},
	run: func(p *pass) finding.Check {
		var n tally
		for _, t := range p.probed() {
			if isInstallHook(t.Endpoint) {
				continue // requirement 1.4
			}
			b := t.baseline()
			if b == nil || b.outcome() == failed {
				n.errored++
				continue
			}
			n.judged++
			if f, ok := forgedFinding(t, ruleForgedAccepted, ruleAlgNone); ok {
				p.add(f)
				n.failed++
				continue
			}
			if f, ok := openFinding(t); ok {
				p.add(f)
				n.failed++
			}
		}
		return n.row(finding.NotApplicable, "the descriptor names no endpoint")
	},
}

// forgedFinding reports the forged tokens t accepted, one finding per endpoint:
// the signature rule when any token with a bad signature got in, the alg-none
// rule when only the unsigned one did.
func forgedFinding(t *Target, signature, unsigned finding.Rule) (finding.Finding, bool) {
	var got []*Exchange
	sure := false
	onlyNone := true
	for _, x := range t.Exchanges {
		if !slices.Contains(forgedRecipes, x.Probe.recipe) && x.Probe.recipe != forgedSignedInstall {
			continue
		}
		acc := t.accepted(x)
		if acc == notAccepted {
			continue
		}
		got = append(got, x)
		sure = sure || acc == acceptedSure
		onlyNone = onlyNone && x.Probe.recipe == algNone
	}
	if len(got) == 0 {
		return finding.Finding{}, false
	}
	rule := signature
	if onlyNone {
		rule = unsigned
	}
	b := t.baseline()
	msg := fmt.Sprintf("%s %s answered %d to %d forged tokens (first: %s) where without a token it answered %d.",
		t.Method, t.path(), got[0].Status, len(got), got[0].Probe.Label(), b.Status)
	if b.outcome() == answered {
		msg = fmt.Sprintf("%s %s answered differently to forged tokens (first: %s, %d) than without a token (%d): the forged token appears to reach the app's content.",
			t.Method, t.path(), got[0].Probe.Label(), got[0].Status, b.Status)
	}
	f := rule.New(finding.Endpoint(t.Method, t.URL), msg, evidence(t, append([]*Exchange{b}, got...)...)...)
	f.NeedsReview = !sure
	return f, true
}

// openWithData reports whether t served something without a token that is
// not public by design: the same answer the valid token gets when a test
// installation is known, any non-empty answer otherwise (then the finding
// needs review). Webhooks and lifecycle URLs count whenever they accept.
func (t *Target) openWithData() (open, sure bool) {
	b := t.baseline()
	if b == nil || b.outcome() != answered {
		return false, false
	}
	if t.Kind == descriptor.Webhook || t.Kind == descriptor.Lifecycle {
		return true, true
	}
	if t.publicByDesign(b) != "" || b.empty || b.Status >= 300 {
		return false, false
	}
	if c := t.control(); c != nil {
		return similar(b, c), true
	}
	return true, false
}

// openFinding reports an endpoint that serves or accepts without a token.
func openFinding(t *Target) (finding.Finding, bool) {
	open, sure := t.openWithData()
	if !open {
		return finding.Finding{}, false
	}
	b := t.baseline()
	var msg string
	switch {
	case t.Kind == descriptor.Webhook || t.Kind == descriptor.Lifecycle:
		msg = fmt.Sprintf("%s %s accepted a request without any token (%d): anyone can call it.", t.Method, t.path(), b.Status)
	case sure:
		msg = fmt.Sprintf("%s %s served without any token the same answer (%d %s, %d bytes) as with a valid token.", t.Method, t.path(), b.Status, b.ContentType, b.Size)
	default:
		msg = fmt.Sprintf("%s %s served %d %s (%d bytes) without any token, and the same to forged tokens; without a test installation (--client-key, --shared-secret) ecoscan cannot tell the app's content from a sign-in page: review it.", t.Method, t.path(), b.Status, b.ContentType, b.Size)
	}
	ev := evidence(t, b, t.control())
	f := ruleNoAuthn.New(finding.Endpoint(t.Method, t.URL), msg, ev...)
	f.NeedsReview = !sure
	return f, true
}

// forgedAccepted reports whether any forged token got into t (the root cause
// that the other token checks then leave alone).
func (t *Target) forgedAccepted() bool {
	for _, x := range t.Exchanges {
		if (slices.Contains(forgedRecipes, x.Probe.recipe) || x.Probe.recipe == forgedSignedInstall) && t.accepted(x) != notAccepted {
			return true
		}
	}
	return false
}
