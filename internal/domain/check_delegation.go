package domain

import (
	"fmt"
	"strings"

	"github.com/ecoscan/ecoscan/internal/finding"
)

// dnsPort is the port of a zone's location: the problem is its name servers'.
const dnsPort = 53

var ruleLameDelegation = finding.Rule{
	ID: "domain/lame-delegation", Requirement: "6.1", CVSS: 7.5,
	Title:       "Zone delegated to name servers that do not serve it (lame delegation)",
	Remediation: "Remove the name servers that do not serve the zone from its NS set (at the registrar for a registrable domain, in the parent zone otherwise), or create the zone on them again; register the domain of any NS host that no longer exists.",
	Doc: "Every registrable domain and every delegated zone on the app's CNAME chains has its name servers asked, without recursion, for the zone's SOA. " +
		"A server that answers REFUSED or SERVFAIL, does not answer, or answers without the SOA does not serve the zone, and an NS host whose name does not exist cannot: " +
		"on many DNS hosting services anyone can create the zone on such a server and answer for the app's names. When the resolver cannot resolve the zone at all, its NS set is read from the parent zone's servers.",
}

// delegationCheck is requirement 6.1: the app keeps control of every domain it uses.
var delegationCheck = check{
	requirement: "6.1",
	rules:       []finding.Rule{ruleLameDelegation},
	judge: func(r *Result) finding.Check {
		if row := notApplicable(r); row != nil {
			return *row
		}
		_, skipped := r.applicable()
		if r.dnsErr != nil {
			return finding.Check{Status: finding.Errored, Detail: "DNS checks not run: " + r.dnsErr.Error()}
		}
		t := tally{noun: "zone"}
		for _, z := range r.Zones {
			lame := z.lame()
			switch {
			case len(lame) > 0:
				t.failed++
				r.add(lameFinding(z, lame))
			case !z.judged():
				t.errored++
			default:
				t.judged++
			}
		}
		t.notes = append(t.notes, skipped)
		if len(r.Zones) == 0 {
			return finding.Check{Status: finding.Skipped, Detail: "no delegated zone found on the hosts' chains"}
		}
		return t.row("delegated to name servers that do not serve them")
	},
}

func lameFinding(z Zone, lame []Server) finding.Finding {
	var evidence []string
	for _, s := range z.Servers {
		evidence = append(evidence, s.String())
	}
	if z.FromParent {
		evidence = append(evidence, "the resolver could not resolve the zone; its NS set was read from the parent zone's servers")
	}
	var which []string
	for _, s := range lame {
		which = append(which, s.String())
	}
	return ruleLameDelegation.New(finding.Host(z.Name, dnsPort),
		fmt.Sprintf("%d of the %d name servers asked do not serve %s: %s.", len(lame), len(z.Servers), z.Name, strings.Join(which, "; ")),
		evidence...)
}
