package domain

import (
	"fmt"
	"strings"

	"github.com/ecoscan/ecoscan/internal/finding"
)

// check is one requirement's check: the rules it reports and the function
// that judges what the scan saw, adds its findings to the Result and gives
// the checks-table row. Adding a check is one file with its rules and judge
// function, and one line in checks.
type check struct {
	requirement string
	rules       []finding.Rule
	judge       func(r *Result) finding.Check
}

// checks is the one list of the domain checks, in requirement order.
var checks = []check{
	delegationCheck,   // 6.1
	registrationCheck, // 6.2, the registration part
	takeoverCheck,     // 6.3
}

// tally counts a check's verdicts and makes its row: a failure outweighs an
// error, an error a skip, a skip a pass.
type tally struct {
	noun                             string // what was counted: "host", "zone", "domain"
	judged, failed, errored, skipped int
	notes                            []string // added to the detail
}

func (t tally) row(failedWhat string) finding.Check {
	total := t.judged + t.failed + t.errored + t.skipped
	var row finding.Check
	switch {
	case t.failed > 0:
		row = finding.Check{Status: finding.Fail, Detail: fmt.Sprintf("%d of %s %s", t.failed, plural(total, t.noun), failedWhat)}
	case t.errored > 0:
		row = finding.Check{Status: finding.Errored, Detail: fmt.Sprintf("%d of %s could not be judged", t.errored, plural(total, t.noun))}
	case t.skipped > 0:
		row = finding.Check{Status: finding.Skipped, Detail: fmt.Sprintf("%d of %s could not be checked", t.skipped, plural(total, t.noun))}
	default:
		row = finding.Check{Status: finding.Pass, Detail: plural(t.judged, t.noun) + " judged"}
	}
	if t.failed > 0 && t.errored+t.skipped > 0 {
		row.Detail += fmt.Sprintf("; %d could not be judged", t.errored+t.skipped)
	}
	for _, n := range t.notes {
		if n != "" {
			row.Detail += "; " + n
		}
	}
	return row
}

// notApplicable gives the row of a check that has no host to judge, or nil
// when there are hosts. DNS problems are the caller's: RDAP works without
// the resolver.
func notApplicable(r *Result) *finding.Check {
	hosts, skipped := r.applicable()
	switch {
	case len(r.Hosts) == 0:
		return &finding.Check{Status: finding.NotApplicable, Detail: "no host names given"}
	case len(hosts) == 0:
		return &finding.Check{Status: finding.NotApplicable, Detail: skipped}
	}
	return nil
}

// chainText is a chain as people read it: "a -> b -> c (NXDOMAIN)".
func chainText(h Host) string {
	var names []string
	for _, hop := range h.Chain {
		names = append(names, hop.Name)
	}
	end := string(h.End)
	if n := len(h.Chain); n > 0 {
		end = h.Chain[n-1].Rcode
		if h.End == NoData {
			end += ", no data"
		}
	}
	return strings.Join(names, " -> ") + " (" + end + ")"
}
