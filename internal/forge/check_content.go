package forge

import (
	"fmt"
	"strings"

	"github.com/ecoscan/ecoscan/internal/finding"
)

// Requirement 7: no unsafe-inline or unsafe-eval in the content security
// permissions of the manifest.

var unsafeContentRule = finding.Rule{
	ID:          "forge/content-unsafe",
	Requirement: "7",
	Title:       "Content permissions allow unsafe-inline or unsafe-eval",
	CVSS:        5.4,
	Remediation: "Remove unsafe-inline and unsafe-eval from permissions.content; move inline scripts and styles into files of the resource, and replace eval-like code.",
	Doc:         "permissions.content.scripts and .styles relax the Content-Security-Policy of the app's Custom UI. unsafe-inline and unsafe-eval give an injected script a way to run.",
}

var contentCheck = check{requirement: "7", rules: []finding.Rule{unsafeContentRule}, run: runContent}

func runContent(p *pass) finding.Check {
	n := 0
	for _, c := range p.man.Content {
		v := strings.ToLower(strings.Trim(c.Value, `'" `))
		if v != "unsafe-inline" && v != "unsafe-eval" {
			continue
		}
		n++
		msg := fmt.Sprintf("permissions.content.%s allows %s.", c.Kind, v)
		p.add(unsafeContentRule.New(p.manifestAt(c.Pos), msg, fmt.Sprintf("%s:%d:%d: permissions.content.%s: %s", p.man.Path, c.Pos.Line, c.Pos.Column, c.Kind, c.Value)))
	}
	if n > 0 {
		return finding.Check{Status: finding.Fail, Detail: fmt.Sprintf("%d unsafe content permissions", n)}
	}
	return finding.Check{Status: finding.Pass, Detail: fmt.Sprintf("%d content permissions, none unsafe", len(p.man.Content))}
}
