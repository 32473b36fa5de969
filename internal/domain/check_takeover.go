package domain

import (
	"fmt"
	"strings"

	"github.com/ecoscan/ecoscan/internal/finding"
)

var ruleDanglingCNAME = finding.Rule{
	ID: "domain/dangling-cname", Requirement: "6.3", CVSS: 9.1,
	Title:       "Host name points at an unclaimed resource of a third-party service (subdomain takeover)",
	Remediation: "Remove the DNS record that points at the service (and the app's use of the host), or claim the resource on the service again before someone else does.",
	Doc: "The host's CNAME chain, followed one name at a time, ends at a name of a third-party service that does not exist (NXDOMAIN or no data) where the service lets anyone create that name, " +
		"or resolves into a service whose page for the host says the resource behind it is missing (such as S3's NoSuchBucket). Whoever claims the resource serves content, scripts and cookies on the app's host name. " +
		"The services and their signals are data (fingerprints.json), each with its public source; a finding of a service that can block the takeover in ways not visible from outside is marked for review.",
}

// takeoverCheck is requirement 6.3: no dangling DNS records.
var takeoverCheck = check{
	requirement: "6.3",
	rules:       []finding.Rule{ruleDanglingCNAME},
	judge: func(r *Result) finding.Check {
		if row := notApplicable(r); row != nil {
			return *row
		}
		hosts, skipped := r.applicable()
		if r.dnsErr != nil {
			return finding.Check{Status: finding.Errored, Detail: "DNS checks not run: " + r.dnsErr.Error()}
		}
		t := tally{noun: "host"}
		var dangling []string
		for _, h := range hosts {
			switch {
			case h.Takeover != nil:
				t.failed++
				r.add(danglingFinding(h))
			case h.Err != "":
				t.errored++
			default:
				t.judged++
				if (h.End == NXDomain || h.End == NoData) && len(h.Chain) > 1 {
					dangling = append(dangling, chainText(h))
				}
			}
		}
		if len(dangling) > 0 {
			t.notes = append(t.notes, "dangling CNAME into a domain no takeover fingerprint covers (its registration is checked under 6.2): "+strings.Join(dangling, ", "))
		}
		t.notes = append(t.notes, skipped)
		return t.row("point at an unclaimed resource of a third-party service")
	},
}

func danglingFinding(h Host) finding.Finding {
	t := h.Takeover
	var evidence []string
	for _, hop := range h.Chain {
		evidence = append(evidence, hop.String())
	}
	if h.End == Resolved {
		evidence = append(evidence, t.Signal) // the chain's last hop shows an NXDOMAIN itself
	}
	evidence = append(evidence, "fingerprint: "+t.Service+" ("+t.Source+")")
	f := ruleDanglingCNAME.New(finding.Host(h.Name, h.Port),
		fmt.Sprintf("%s points into %s at %s: %s, and %s.", h.Name, t.Service, t.Name, t.Signal, t.Claim),
		evidence...)
	f.NeedsReview = t.NeedsReview
	return f
}
