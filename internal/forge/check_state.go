package forge

import (
	"fmt"

	"github.com/ecoscan/ecoscan/internal/finding"
	"github.com/ecoscan/ecoscan/internal/forge/analysis"
)

// Requirement 2 (tenant isolation, 2026 revision): a Forge function's
// module-level state outlives an invocation and may serve the next
// installation's.

var moduleStateRule = finding.Rule{
	ID:          "forge/module-state-shared",
	Requirement: "2",
	Title:       "Handler writes module-level state that later invocations, of any installation, may see",
	CVSS:        3.7,
	Remediation: "Keep per-invocation data in local variables, and per-installation data in Forge storage; never cache tenant data in module-level variables.",
	Doc:         "Forge may reuse a function's runtime for invocations of different installations. A module-level variable or object that a handler writes (a cache, a token, the last payload) can leak one tenant's data into another's invocation.",
}

var moduleStateCheck = check{requirement: "2", rules: []finding.Rule{moduleStateRule}, run: runModuleState}

func runModuleState(p *pass) finding.Check {
	n := 0
	for _, e := range p.events(analysis.ModuleStateWrite) {
		if e.Entry == nil {
			continue
		}
		n++
		msg := fmt.Sprintf("%s writes the module-level %q, which outlives the invocation and is shared by every installation the runtime serves.", e.Entry.Label(), e.Detail)
		p.add(moduleStateRule.New(at(e), msg, callPath(e)))
	}
	if n > 0 {
		return finding.Check{Status: finding.Fail, Detail: fmt.Sprintf("%d writes of module-level state from handlers; encryption at rest is not testable from source", n)}
	}
	return finding.Check{Status: finding.Pass, Detail: "no handler writes module-level state; encryption at rest is not testable from source"}
}
