package forge

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ecoscan/ecoscan/internal/finding"
	"github.com/ecoscan/ecoscan/internal/forge/analysis"
)

// Requirement 1.1 for Forge: a webtrigger is a public URL; it must verify
// each request against a secret before it does anything.

var webtriggerRule = finding.Rule{
	ID:          "forge/webtrigger-unverified",
	Requirement: "1.1",
	Title:       "Webtrigger acts before verifying the request against a secret",
	CVSS:        7.5,
	Remediation: "Verify every request first: compare a signature or token from the request with one derived from a secret kept in an encrypted environment variable or secret storage, in constant time (crypto.timingSafeEqual), and stop when it does not match.",
	Doc: "Webtrigger URLs have no built-in authentication. A side effect (a product call, a storage write, an SQL statement, a request to another host, a queue push) must be decided by a verification: a comparison of a value from the request with a secret (process.env, getSecret) or a signature verification (jwt.verify and the like) whose failure stops the handler. " +
		"Reading a secret is not verifying (FSRT counts any environment read as authentication).",
}

var timingRule = finding.Rule{
	ID:          "forge/webtrigger-timing-unsafe-compare",
	Requirement: "1.1",
	Title:       "Request verified against a secret with a comparison that is not constant-time",
	CVSS:        3.7,
	Remediation: "Compare with crypto.timingSafeEqual on equal-length buffers.",
	Doc:         "=== and == stop at the first differing character, so the time they take tells an attacker how much of a guessed signature was right.",
}

var webtriggerCheck = check{requirement: "1.1", rules: []finding.Rule{webtriggerRule, timingRule}, run: runWebtrigger}

// sideEffects are the events that a webtrigger must not reach unverified.
var sideEffects = []analysis.EventKind{analysis.ProductCall, analysis.StorageWrite, analysis.SQL, analysis.Fetch, analysis.QueuePush, analysis.ChildProcess}

func runWebtrigger(p *pass) finding.Check {
	type trigger struct {
		first   *analysis.Event
		effects []string
	}
	byEntry := map[*analysis.EntryPoint]*trigger{}
	for _, e := range p.events(sideEffects...) {
		if e.Entry == nil || e.Entry.Kind != analysis.WebTrigger || e.Verified {
			continue
		}
		t := byEntry[e.Entry]
		if t == nil {
			t = &trigger{first: e}
			byEntry[e.Entry] = t
		}
		if len(t.effects) < 5 {
			t.effects = append(t.effects, effectText(e)+" at "+e.Where())
		}
	}
	entries := make([]*analysis.EntryPoint, 0, len(byEntry))
	for ep := range byEntry {
		entries = append(entries, ep)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Label() < entries[j].Label() })
	for _, ep := range entries {
		t := byEntry[ep]
		msg := fmt.Sprintf("%s is a public URL, and %s runs before the request is verified against a secret.", ep.Label(), effectText(t.first))
		evidence := []string{callPath(t.first), "unverified side effects: " + strings.Join(t.effects, "; ")}
		p.add(webtriggerRule.New(at(t.first), msg, evidence...))
	}
	timing := 0
	for _, e := range p.events(analysis.Comparison) {
		if e.Entry == nil || e.Entry.Kind != analysis.WebTrigger {
			continue
		}
		timing++
		msg := fmt.Sprintf("%s compares a value from the request with a secret using %s, which is not constant-time.", e.Entry.Label(), e.Detail)
		p.add(timingRule.New(at(e), msg, callPath(e)))
	}
	n := p.entries(analysis.WebTrigger)
	switch {
	case len(byEntry) > 0 || timing > 0:
		return finding.Check{Status: finding.Fail, Detail: fmt.Sprintf("%d of %d webtriggers act before verifying; %d comparisons not constant-time", len(byEntry), n, timing)}
	case n == 0:
		return finding.Check{Status: finding.NotApplicable, Detail: "no webtriggers"}
	}
	return finding.Check{Status: finding.Pass, Detail: fmt.Sprintf("%d webtriggers verify the request before any side effect", n)}
}

// effectText names a side effect.
func effectText(e *analysis.Event) string {
	switch e.Kind {
	case analysis.ProductCall, analysis.Fetch:
		return callText(e)
	case analysis.StorageWrite:
		return "storage " + e.Detail
	case analysis.SQL:
		return "Forge SQL " + e.Detail
	case analysis.QueuePush:
		return "a queue push"
	}
	return e.Detail
}
