package connect

import (
	"fmt"
	"strings"

	"github.com/ecoscan/ecoscan/internal/connect/descriptor"
	"github.com/ecoscan/ecoscan/internal/finding"
	"github.com/ecoscan/ecoscan/internal/hostscan"
	"github.com/ecoscan/ecoscan/internal/requirement"
	"github.com/ecoscan/ecoscan/internal/supply"
)

// check is one requirement's check: the rules it reports and the function
// that judges the scan's exchanges. Adding a check is one file with its rules
// and run function, and one line in checks.
type check struct {
	requirement string
	rules       []finding.Rule
	run         func(p *pass) finding.Check // the checks-table row; findings go to p.report
}

// checks is the one list of the Connect scan's checks.
var checks = []check{
	authnCheck,      // 1.1
	validationCheck, // 1.2
	lifecycleCheck,  // 1.4
	referrerCheck,   // 7.2
	cacheCheck,      // 7.3
	cookieCheck,     // 7.4
	qshCheck,        // 8.1
}

// notScanned gives the checks-table row of every requirement that no check
// of this scan tests, with the reason, so that "nothing checked" is never
// read as "nothing found".
var notScanned = map[string]finding.Check{
	"2":   {Status: finding.NotApplicable, Detail: "encryption at rest cannot be tested from outside"},
	"3":   {Status: finding.Skipped, Detail: "transport checks skipped (--skip-hosts)"},
	"4":   {Status: finding.NotApplicable, Detail: "least privilege needs the app's source"},
	"5":   {Status: finding.NotApplicable, Detail: "no source tree given (--source)"},
	"6.1": {Status: finding.Skipped, Detail: "domain checks skipped (--skip-hosts)"},
	"6.2": {Status: finding.Skipped, Detail: "certificate and registration checks skipped (--skip-hosts)"},
	"6.3": {Status: finding.Skipped, Detail: "DNS takeover checks skipped (--skip-hosts)"},
	"7":   {Status: finding.NotApplicable, Detail: "content security permissions are a Forge manifest item"},
	"8":   {Status: finding.NotApplicable, Detail: "input validation needs the app's source"},
	"9":   {Status: finding.NotApplicable, Detail: "no source tree given (--source)"},
	"10":  {Status: finding.NotApplicable, Detail: "credential handling needs the app's source"},
	"11":  {Status: finding.NotApplicable, Detail: "a process requirement: every finding carries its fix-by date"},
}

// pass is what a check sees: the descriptor, the targets with their
// exchanges, the options, and the report to add findings to.
type pass struct {
	desc    *descriptor.Descriptor
	targets []*Target
	opts    Options
	report  *finding.Report
	hosts   *hostscan.Result // the transport and domain checks; nil when skipped
	source  *supply.Result   // the source tree's dependencies and secrets; nil without --source
}

// report adds a finding.
func (p *pass) add(f finding.Finding) { p.report.Findings = append(p.report.Findings, f) }

// probed lists the targets that were probed and whose baseline answered
// (refused or served); the others are counted as errors by errored.
func (p *pass) probed() []*Target {
	var out []*Target
	for _, t := range p.targets {
		if t.Probed {
			out = append(out, t)
		}
	}
	return out
}

// runChecks records the endpoints that failed, runs every check and fills
// the checks table with a row for every requirement of the catalog.
func runChecks(p *pass) {
	for _, t := range p.probed() {
		if fails := t.failures(); len(fails) > 0 {
			p.report.Errors = append(p.report.Errors, finding.Error{Scope: t.URL, Message: failureSummary(t, fails)})
		}
	}
	rows := map[string]finding.Check{}
	if p.hosts != nil {
		for _, c := range p.hosts.Checks {
			rows[c.Requirement] = c
		}
	}
	if p.source != nil {
		for _, c := range p.source.Checks {
			rows[c.Requirement] = c
		}
	}
	for _, c := range checks {
		row := c.run(p)
		row.Requirement = c.requirement
		rows[c.requirement] = row
	}
	for _, r := range requirement.All() {
		row, ok := rows[r.ID]
		if !ok {
			row = notScanned[r.ID]
			row.Requirement = r.ID
			if row.Status == "" {
				row.Status, row.Detail = finding.NotApplicable, "not tested by the Connect scan"
			}
		}
		p.report.Checks = append(p.report.Checks, row)
	}
}

// failureSummary says which probes of t got no usable answer, grouping the
// probes that failed the same way.
func failureSummary(t *Target, fails []*Exchange) string {
	byProblem := map[string][]string{}
	var order []string
	for _, x := range fails {
		pr := x.problem()
		if _, ok := byProblem[pr]; !ok {
			order = append(order, pr)
		}
		byProblem[pr] = append(byProblem[pr], x.Probe.Label())
	}
	head := fmt.Sprintf("%s %s: no usable answer to %d of %d probes", t.Method, t.path(), len(fails), len(t.Exchanges))
	if len(order) == 1 {
		return head + ": " + order[0]
	}
	var parts []string
	for _, pr := range order {
		parts = append(parts, fmt.Sprintf("%s (%s)", pr, strings.Join(byProblem[pr], "; ")))
	}
	return head + ": " + strings.Join(parts, "; ")
}

// tally counts a check's verdicts over endpoints and makes its row.
type tally struct {
	judged, failed, errored, inconclusive int
	noun                                  string // what was counted: "endpoint", "host", ...
	inconclusiveWhy                       string
}

func (t tally) row(emptyStatus finding.Status, emptyDetail string) finding.Check {
	total := t.judged + t.errored + t.inconclusive
	noun := t.noun
	if noun == "" {
		noun = "endpoint"
	}
	var row finding.Check
	switch {
	case total == 0:
		return finding.Check{Status: emptyStatus, Detail: emptyDetail}
	case t.failed > 0:
		row = finding.Check{Status: finding.Fail, Detail: fmt.Sprintf("%d of %s", t.failed, plural(total, noun))}
	case t.errored > 0:
		row = finding.Check{Status: finding.Errored, Detail: fmt.Sprintf("%d of %s could not be judged", t.errored, plural(total, noun))}
	case t.judged == 0:
		return finding.Check{Status: finding.Skipped, Detail: fmt.Sprintf("%s inconclusive: %s", plural(t.inconclusive, noun), t.inconclusiveWhy)}
	default:
		row = finding.Check{Status: finding.Pass, Detail: plural(t.judged, noun) + " judged"}
	}
	if t.errored > 0 && t.failed > 0 {
		row.Detail += fmt.Sprintf("; %d could not be judged", t.errored)
	}
	if t.inconclusive > 0 {
		row.Detail += fmt.Sprintf("; %d inconclusive (%s)", t.inconclusive, t.inconclusiveWhy)
	}
	return row
}

// evidence lists the baseline and up to max further exchanges.
func evidence(t *Target, xs ...*Exchange) []string {
	const max = 6
	var out []string
	for i, x := range xs {
		if x == nil {
			continue
		}
		if i > max {
			out = append(out, fmt.Sprintf("... and %d more", len(xs)-i))
			break
		}
		out = append(out, x.describe(t.path()))
	}
	return out
}
