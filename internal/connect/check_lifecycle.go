package connect

import (
	"fmt"

	"github.com/ecoscan/ecoscan/internal/finding"
)

var (
	ruleForgedInstall = finding.Rule{
		ID: "connect/lifecycle-forged-install-accepted", Requirement: "1.4", CVSS: 8.6,
		Title:       "Lifecycle endpoint accepts a forged install token",
		Remediation: "Verify signed-install tokens: RS256 only, the public key fetched by the kid from Atlassian's install-keys service, aud equal to your baseUrl, iss equal to the payload's clientKey, and the qsh.",
		Doc:         "The installed or uninstalled URL refused a request without a token but accepted an RS256 token signed with a self-made key and a made-up kid (or an HS256 forgery). The forged install names a made-up clientKey, never a real installation's.",
	}
	ruleUnauthenticatedLifecycle = finding.Rule{
		ID: "connect/lifecycle-unauthenticated", Requirement: "1.4", CVSS: 8.6,
		Title:       "Lifecycle endpoint accepts requests without a token",
		Remediation: "Opt into signed install and refuse every installed/uninstalled request that does not carry a verified RS256 token.",
		Doc:         "The installed or uninstalled URL accepted a plausible lifecycle payload without any token.",
	}
	ruleSignedInstallOff = finding.Rule{
		ID: "connect/lifecycle-signed-install-off", Requirement: "1.4", CVSS: 5.9,
		Title:       "Descriptor does not opt into signed install",
		Remediation: "Set apiMigrations.signed-install to true and verify the RS256 install tokens.",
		Doc:         "The descriptor declares an installed lifecycle URL and JWT authentication but not apiMigrations.signed-install, so lifecycle requests cannot be verified with Atlassian's keys.",
	}
)

// lifecycleCheck is requirement 1.4: install and uninstall requests are verified.
var lifecycleCheck = check{
	requirement: "1.4",
	rules:       []finding.Rule{ruleForgedInstall, ruleUnauthenticatedLifecycle, ruleSignedInstallOff},
	run: func(p *pass) finding.Check {
		n := tally{noun: "lifecycle URL"}
		for _, t := range p.targets {
			if !isInstallHook(t.Endpoint) {
				continue
			}
			var found []finding.Finding
			if t.Lifecycle == "installed" && p.desc.AuthType == "jwt" && !p.desc.APIMigrations["signed-install"] {
				found = append(found, ruleSignedInstallOff.New(finding.Endpoint(t.Method, t.URL),
					"The descriptor declares lifecycle.installed and JWT authentication but apiMigrations.signed-install is not true.",
					fmt.Sprintf("apiMigrations: %v", p.desc.APIMigrations)))
			}
			b := t.baseline()
			switch {
			case !t.Probed:
			case b == nil || b.outcome() == failed:
				n.errored++
			default:
				if f, ok := forgedFinding(t, ruleForgedInstall, ruleForgedInstall); ok {
					found = append(found, f)
				} else if b.outcome() == answered {
					found = append(found, ruleUnauthenticatedLifecycle.New(finding.Endpoint(t.Method, t.URL),
						fmt.Sprintf("%s %s accepted a lifecycle payload without any token (%d).", t.Method, t.path(), b.Status),
						evidence(t, b)...))
				}
			}
			if t.Probed && (b == nil || b.outcome() == failed) && len(found) == 0 {
				continue
			}
			n.judged++
			if len(found) > 0 {
				n.failed++
				for _, f := range found {
					p.add(f)
				}
			}
		}
		return n.row(finding.NotApplicable, "the descriptor declares no installed or uninstalled URL")
	},
}
