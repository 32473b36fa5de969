package domain

import (
	"context"
	"fmt"
	"strings"

	"github.com/miekg/dns"
)

// maxHops is the number of CNAME records a chain may have; a longer one is
// cut and reported as an error.
const maxHops = 10

// End is how a CNAME chain ended.
type End string

// The ends of a chain.
const (
	Resolved End = "resolved" // the last name has addresses
	NXDomain End = "nxdomain" // the last name does not exist
	NoData   End = "nodata"   // the last name exists but has no A or AAAA record
	Failed   End = "failed"   // the chain could not be followed to its end
)

// Hop is one name of a CNAME chain and what the resolver said about it.
type Hop struct {
	Name  string   // the name asked about, without the final dot
	Rcode string   // the response code of the last answer about it, such as NOERROR or NXDOMAIN
	CNAME string   // the name it is an alias of; "" at the end of the chain
	Addrs []string // its addresses, at the end of a resolved chain
	TCP   bool     // an answer about it came over TCP (the UDP one was truncated)
}

// String is the hop as people read it, such as "app.example.com CNAME x.example.net (NOERROR)".
func (h Hop) String() string {
	switch {
	case h.CNAME != "":
		return fmt.Sprintf("%s CNAME %s (%s)", h.Name, h.CNAME, h.Rcode)
	case len(h.Addrs) > 0:
		return fmt.Sprintf("%s has %s (%s)", h.Name, strings.Join(h.Addrs, ", "), h.Rcode)
	default:
		return fmt.Sprintf("%s: %s", h.Name, h.Rcode)
	}
}

// decision is what one answer about a name means for its chain: follow the
// alias to its target, end the chain here, or ask the next question about
// the same name.
type decision struct {
	next string // the CNAME target to follow
	end  End    // set when the chain ends at this name
	err  error  // why the name could not be resolved (end is Failed)
}

// decide reads one answer about a name (to a CNAME, A or AAAA question).
func decide(a answer) decision {
	switch {
	case a.rcode == dns.RcodeNameError:
		return decision{end: NXDomain}
	case a.rcode != dns.RcodeSuccess:
		return decision{end: Failed, err: fmt.Errorf("the resolver answered %s", rcodeName(a.rcode))}
	case a.cname != "":
		return decision{next: a.cname}
	case len(a.addrs) > 0:
		return decision{end: Resolved}
	}
	return decision{}
}

// follow resolves host hop by hop: each name of its CNAME chain is asked
// about on its own, so that every hop's answer is its own. Loops and chains
// of more than maxHops aliases end in Failed with an error.
func (s *scanner) follow(ctx context.Context, host string) ([]Hop, End, error) {
	var hops []Hop
	name := dns.CanonicalName(host)
	seen := map[string]bool{name: true}
	for {
		hop, d, err := s.hop(ctx, name)
		hops = append(hops, hop)
		switch {
		case err != nil:
			return hops, Failed, err
		case d.err != nil:
			return hops, Failed, fmt.Errorf("resolve %s: %w", trimDot(name), d.err)
		case d.end != "":
			return hops, d.end, nil
		case seen[d.next]:
			return hops, Failed, fmt.Errorf("CNAME loop: %s points back to %s", trimDot(name), trimDot(d.next))
		case len(hops) > maxHops:
			return hops, Failed, fmt.Errorf("CNAME chain longer than %d hops: cut at %s", maxHops, trimDot(d.next))
		}
		seen[d.next] = true
		name = d.next
	}
}

// hop asks the resolver about one name: for its CNAME first, and then, at the
// end of the chain, for its A and AAAA records.
func (s *scanner) hop(ctx context.Context, name string) (Hop, decision, error) {
	hop := Hop{Name: trimDot(name)}
	for _, qtype := range []uint16{dns.TypeCNAME, dns.TypeA, dns.TypeAAAA} {
		a, err := s.dns.ask(ctx, s.resolver, question{name, qtype}, true)
		if err != nil {
			return hop, decision{}, err
		}
		hop.Rcode = rcodeName(a.rcode)
		hop.TCP = hop.TCP || a.tcp
		d := decide(a)
		if d.next != "" {
			hop.CNAME = trimDot(d.next)
		}
		if d.end == Resolved {
			hop.Addrs = a.addrs
		}
		if d.next != "" || d.end != "" {
			return hop, d, nil
		}
	}
	return hop, decision{end: NoData}, nil
}
