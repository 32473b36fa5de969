package forge

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ecoscan/ecoscan/internal/data"
	"github.com/ecoscan/ecoscan/internal/finding"
	"github.com/ecoscan/ecoscan/internal/forge/analysis"
	"github.com/ecoscan/ecoscan/internal/forge/manifest"
	"github.com/ecoscan/ecoscan/internal/requirement"
)

// check is one requirement's check of the Forge scan: its rules and the
// function that judges the analysis. Adding a check is one file with its
// rules and run function, and one line in checks.
type check struct {
	requirement string
	rules       []finding.Rule
	run         func(p *pass) finding.Check
}

// checks is the one list of the Forge scan's checks.
var checks = []check{
	webtriggerCheck,  // 1.1
	authzCheck,       // 1.2
	moduleStateCheck, // 2
	scopesCheck,      // 4
	secretsCheck,     // 5
	contentCheck,     // 7
	injectionCheck,   // 8
	runtimeCheck,     // 9
	credentialsCheck, // 10
}

// notScanned gives the checks-table rows of the requirements that no check of
// the Forge scan tests, with the reason.
var notScanned = map[string]finding.Check{
	"1.4": {Status: finding.NotApplicable, Detail: "Forge handles installation; no lifecycle endpoints"},
	"3":   {Status: finding.NotApplicable, Detail: "Forge hosts the app; for Forge remotes and egress hosts run `ecoscan host`"},
	"6.1": {Status: finding.NotApplicable, Detail: "domains are tested from outside: run `ecoscan host` on remotes"},
	"6.2": {Status: finding.NotApplicable, Detail: "certificates and registration are tested from outside: run `ecoscan host` on remotes"},
	"6.3": {Status: finding.NotApplicable, Detail: "DNS takeover is tested from outside: run `ecoscan host` on remotes"},
	"7.2": {Status: finding.NotApplicable, Detail: "response headers of a Forge app are set by the platform"},
	"7.3": {Status: finding.NotApplicable, Detail: "response headers of a Forge app are set by the platform"},
	"7.4": {Status: finding.NotApplicable, Detail: "Forge apps set no session cookies"},
	"8.1": {Status: finding.NotApplicable, Detail: "Forge verifies its own invocation tokens"},
	"11":  {Status: finding.NotApplicable, Detail: "a process requirement: every finding carries its fix-by date"},
}

// pass is what a check sees.
type pass struct {
	man       *manifest.Manifest
	res       *analysis.Result
	scopes    *data.ScopeTable
	scopesErr error
	now       time.Time
	report    *finding.Report
	seen      map[string]bool // fingerprints already reported
}

// add adds a finding once per fingerprint.
func (p *pass) add(f finding.Finding) {
	if p.seen[f.Fingerprint] {
		return
	}
	p.seen[f.Fingerprint] = true
	p.report.Findings = append(p.report.Findings, f)
}

// events lists the analysis's events of the kinds given.
func (p *pass) events(kinds ...analysis.EventKind) []*analysis.Event {
	var out []*analysis.Event
	for _, e := range p.res.Events {
		for _, k := range kinds {
			if e.Kind == k {
				out = append(out, e)
				break
			}
		}
	}
	return out
}

// entries counts the entry points of a kind.
func (p *pass) entries(kind analysis.EntryKind) int {
	n := 0
	for _, ep := range p.res.EntryPoints {
		if ep.Kind == kind {
			n++
		}
	}
	return n
}

// manifestAt is the location of a position in the manifest.
func (p *pass) manifestAt(pos manifest.Pos) finding.Location {
	return finding.Source(p.man.Path, pos.Line, pos.Column)
}

// at is the location of an event.
func at(e *analysis.Event) finding.Location {
	return finding.Source(e.File, e.Pos.Line, e.Pos.Col)
}

// callPath is the evidence line that shows how an entry point reaches an
// event: the entry point, then each call.
func callPath(e *analysis.Event) string {
	var b strings.Builder
	if e.Entry != nil {
		fmt.Fprintf(&b, "entry: %s (%s)", e.Entry.Label(), e.Entry.Where)
	} else {
		b.WriteString("entry: none (code that no entry point reaches, analysed on its own)")
	}
	for i, f := range e.Path {
		if i == 0 {
			fmt.Fprintf(&b, " -> %s (%s:%d)", f.Name, f.File, f.Pos.Line)
			continue
		}
		fmt.Fprintf(&b, " -> %s (called at %s:%d)", f.Name, f.File, f.Pos.Line)
	}
	fmt.Fprintf(&b, " -> %s", e.Where())
	return b.String()
}

// callText describes a product call or fetch: "asApp().requestJira PUT /rest/api/3/issue/{}".
func callText(e *analysis.Event) string {
	method := e.Method
	if method == "" {
		method = "(method not known statically)"
	}
	target := "(a path not known statically)"
	if e.URLKnown {
		target = analysis.Display(e.URL)
	}
	switch e.Kind {
	case analysis.ProductCall:
		if e.Client {
			return fmt.Sprintf("@forge/bridge request%s %s %s", title(e.Product), method, target)
		}
		return fmt.Sprintf("as%s().request%s %s %s", title(e.As), title(e.Product), method, target)
	}
	return fmt.Sprintf("fetch %s %s", method, target)
}

func title(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// runChecks runs every check and fills the checks table with a row for every
// requirement of the catalog; rows of the source scan (dependencies,
// committed secrets) are merged into the rows of the same requirement.
func runChecks(p *pass, extra []finding.Check) {
	rows := map[string][]finding.Check{}
	for _, c := range extra {
		rows[c.Requirement] = append(rows[c.Requirement], c)
	}
	for _, c := range checks {
		row := c.run(p)
		row.Requirement = c.requirement
		rows[c.requirement] = append(rows[c.requirement], row)
	}
	ids := requirementIDs()
	for _, id := range ids {
		rs, ok := rows[id]
		if !ok {
			row := notScanned[id]
			row.Requirement = id
			if row.Status == "" {
				row.Status, row.Detail = finding.NotApplicable, "not tested by the Forge scan"
			}
			p.report.Checks = append(p.report.Checks, row)
			continue
		}
		p.report.Checks = append(p.report.Checks, finding.MergeChecks(id, rs...))
	}
	sort.SliceStable(p.report.Findings, func(i, j int) bool {
		a, b := p.report.Findings[i].Location, p.report.Findings[j].Location
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
}

// requirementIDs lists the catalog's requirement ids in order.
func requirementIDs() []string {
	var ids []string
	for _, r := range requirement.All() {
		ids = append(ids, r.ID)
	}
	return ids
}
