package forge

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ecoscan/ecoscan/internal/finding"
)

// Requirement 9 (2026 revision): no end-of-life Node.js runtime. The
// vulnerable-dependency half of 9 comes from the source scan (package supply).

var runtimeRule = finding.Rule{
	ID:          "forge/runtime-end-of-life",
	Requirement: "9",
	Title:       "The app runs on an end-of-life runtime",
	CVSS:        5.3,
	Remediation: "Move app.runtime.name to a supported Node.js runtime (nodejs22.x or later) and redeploy.",
	Doc:         "A runtime past its end of life gets no security fixes. The table of runtimes and their end-of-life dates is runtimes.json, each with its source.",
}

var runtimeCheck = check{requirement: "9", rules: []finding.Rule{runtimeRule}, run: runRuntime}

// runtime is an entry of runtimes.json.
type runtime struct {
	Name   string `json:"name"`
	EOL    string `json:"eol"`
	Source string `json:"source"`
}

//go:embed runtimes.json
var runtimesJSON []byte

var runtimes = func() map[string]runtime {
	var rs []runtime
	if err := json.Unmarshal(runtimesJSON, &rs); err != nil {
		panic("forge: runtimes.json: " + err.Error())
	}
	m := map[string]runtime{}
	for _, r := range rs {
		if _, err := time.Parse(time.DateOnly, r.EOL); err != nil {
			panic("forge: runtimes.json: " + r.Name + ": " + err.Error())
		}
		m[r.Name] = r
	}
	return m
}()

func runRuntime(p *pass) finding.Check {
	name := p.man.Runtime.Value
	if name == "" {
		return finding.Check{Status: finding.Skipped, Detail: "app.runtime.name is not set: the runtime cannot be judged"}
	}
	r, ok := runtimes[name]
	if !ok {
		return finding.Check{Status: finding.Skipped, Detail: fmt.Sprintf("runtime %q is not in ecoscan's table of runtimes", name)}
	}
	eol, _ := time.Parse(time.DateOnly, r.EOL)
	if p.now.Before(eol) {
		return finding.Check{Status: finding.Pass, Detail: fmt.Sprintf("runtime %s is supported until %s", name, r.EOL)}
	}
	msg := fmt.Sprintf("app.runtime.name is %s, which reached its end of life on %s.", name, r.EOL)
	p.add(runtimeRule.New(p.manifestAt(p.man.Runtime.Pos), msg, fmt.Sprintf("%s:%d: app.runtime.name: %s", p.man.Path, p.man.Runtime.Pos.Line, name), "end of life: "+r.EOL+" ("+r.Source+")"))
	return finding.Check{Status: finding.Fail, Detail: fmt.Sprintf("runtime %s is past its end of life (%s)", name, r.EOL)}
}
