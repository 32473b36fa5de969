package domain

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/miekg/dns"
	"golang.org/x/sync/errgroup"
)

const (
	maxNSHosts     = 8 // NS hosts of one zone asked for its SOA
	maxAddrsPerNS  = 2 // addresses of one NS host asked
	maxParentTries = 3 // parent zone servers asked for a delegation
	soaConcurrency = 4 // servers of one zone asked at once
)

// Zone is a delegated zone on the app's chains and what its name servers
// said when asked for its SOA.
type Zone struct {
	Name       string   // the zone, without the final dot
	Servers    []Server // its NS hosts, each with the addresses asked
	FromParent bool     // the NS set came from the parent zone's servers (the resolver could not give it)
	Err        string   // why the delegation could not be read
}

// Server is one address of one NS host and what it said.
type Server struct {
	Host  string // the NS host, without the final dot
	Addr  string // the address asked; "" when there was none to ask
	Rcode string // the response code of its SOA answer; "" when none came
	Lame  string // why it does not serve the zone; "" when it does (or could not be judged)
	Err   string // why it could not be judged
}

// String is the server and its verdict as people read them.
func (s Server) String() string {
	where := s.Host
	if s.Addr != "" {
		where += " (" + s.Addr + ")"
	}
	switch {
	case s.Lame != "":
		return where + ": " + s.Lame
	case s.Err != "":
		return where + ": not judged: " + s.Err
	default:
		return where + ": answers with the zone's SOA"
	}
}

// lame lists the servers of z that do not serve it.
func (z Zone) lame() []Server {
	var out []Server
	for _, s := range z.Servers {
		if s.Lame != "" {
			out = append(out, s)
		}
	}
	return out
}

// judged reports whether every server of z was judged.
func (z Zone) judged() bool {
	if z.Err != "" || len(z.Servers) == 0 {
		return false
	}
	for _, s := range z.Servers {
		if s.Lame == "" && s.Err != "" {
			return false
		}
	}
	return true
}

// delegation is a zone's NS set as read from the resolver or the parent.
type delegation struct {
	ns         []string
	glue       map[string][]string
	fromParent bool
}

// zoneInfo is what became of one zone candidate.
type zoneInfo struct {
	zone   *Zone // nil when the name is not a delegated zone
	absent bool  // the name does not exist (NXDOMAIN)
}

// checkZone finds out whether name is a delegated zone and, when it is, asks
// each of its name servers for its SOA.
func (s *scanner) checkZone(ctx context.Context, name string) zoneInfo {
	d, info, err := s.delegation(ctx, name)
	if err != nil {
		return zoneInfo{zone: &Zone{Name: trimDot(name), Err: err.Error()}}
	}
	if d == nil {
		return info
	}
	z := &Zone{Name: trimDot(name), FromParent: d.fromParent}
	hosts := d.ns
	if len(hosts) > maxNSHosts {
		hosts = hosts[:maxNSHosts]
	}
	type target struct{ host, addr string }
	var targets []target
	for _, host := range hosts {
		addrs, lame, err := s.nsAddrs(ctx, host, d.glue[host])
		switch {
		case lame != "":
			z.Servers = append(z.Servers, Server{Host: trimDot(host), Lame: lame})
		case err != nil:
			z.Servers = append(z.Servers, Server{Host: trimDot(host), Err: err.Error()})
		}
		for _, addr := range addrs {
			targets = append(targets, target{host, addr})
		}
	}
	// The servers are asked at once: a zone whose servers all keep silent
	// costs one time limit (and its retry), not one per server.
	asked := make([]Server, len(targets))
	var g errgroup.Group
	g.SetLimit(soaConcurrency)
	for i, t := range targets {
		g.Go(func() error { asked[i] = s.askSOA(ctx, name, t.host, t.addr); return nil })
	}
	_ = g.Wait() // each server keeps its own verdict
	z.Servers = append(z.Servers, asked...)
	slices.SortStableFunc(z.Servers, func(a, b Server) int { return strings.Compare(a.Host, b.Host) })
	return zoneInfo{zone: z}
}

// delegation reads the NS set of name from the resolver. When the resolver
// answers with an error (a lame zone makes resolvers answer SERVFAIL), the
// NS set is read from the servers of the parent zone instead; when it does
// not answer at all, nothing else can be asked. A nil delegation means name
// is not a delegated zone.
func (s *scanner) delegation(ctx context.Context, name string) (*delegation, zoneInfo, error) {
	a, err := s.dns.ask(ctx, s.resolver, question{name, dns.TypeNS}, true)
	if err != nil {
		return nil, zoneInfo{}, fmt.Errorf("read the delegation of %s: %w", trimDot(name), err)
	}
	switch {
	case a.rcode == dns.RcodeSuccess && len(a.ns) > 0:
		return &delegation{ns: a.ns}, zoneInfo{}, nil
	case a.rcode == dns.RcodeSuccess:
		return nil, zoneInfo{}, nil
	case a.rcode == dns.RcodeNameError:
		return nil, zoneInfo{absent: true}, nil
	}
	d, info, err := s.fromParent(ctx, name)
	if err != nil {
		return nil, zoneInfo{}, fmt.Errorf("read the delegation of %s: the resolver answered %s, and from the parent zone: %w", trimDot(name), rcodeName(a.rcode), err)
	}
	return d, info, nil
}

// fromParent asks the servers of the closest enclosing zone the resolver
// knows for the delegation of name (without recursion: they answer with a
// referral).
func (s *scanner) fromParent(ctx context.Context, name string) (*delegation, zoneInfo, error) {
	parent, servers, err := s.parentServers(ctx, name)
	if err != nil {
		return nil, zoneInfo{}, err
	}
	var errs []error
	tries := 0
	for _, host := range servers {
		if tries == maxParentTries {
			break
		}
		addrs, _, err := s.nsAddrs(ctx, host, nil)
		if err != nil || len(addrs) == 0 {
			continue
		}
		tries++
		server := net.JoinHostPort(addrs[0], strconv.Itoa(s.cfg.NSPort))
		a, err := s.dns.ask(ctx, server, question{name, dns.TypeNS}, false)
		switch {
		case err != nil:
			errs = append(errs, err)
		case len(a.ns) > 0:
			return &delegation{ns: a.ns, glue: a.glue, fromParent: true}, zoneInfo{}, nil
		case a.rcode == dns.RcodeNameError:
			return nil, zoneInfo{absent: true}, nil
		case a.rcode == dns.RcodeSuccess:
			return nil, zoneInfo{}, nil
		default:
			errs = append(errs, fmt.Errorf("%s (%s) answered %s", trimDot(host), server, rcodeName(a.rcode)))
		}
	}
	if len(errs) == 0 {
		return nil, zoneInfo{}, fmt.Errorf("no server of %s could be reached", trimDot(parent))
	}
	return nil, zoneInfo{}, fmt.Errorf("ask the servers of %s: %w", trimDot(parent), errors.Join(errs...))
}

// parentServers walks up from name to the first enclosing zone whose NS set
// the resolver gives (the root at the latest).
func (s *scanner) parentServers(ctx context.Context, name string) (string, []string, error) {
	for p := parentZone(name); p != ""; p = parentZone(p) {
		a, err := s.dns.ask(ctx, s.resolver, question{p, dns.TypeNS}, true)
		if err != nil {
			return "", nil, err
		}
		if a.rcode == dns.RcodeSuccess && len(a.ns) > 0 {
			return p, a.ns, nil
		}
	}
	return "", nil, fmt.Errorf("the resolver gives no NS set for any zone above %s", trimDot(name))
}

// nsAddrs gives up to maxAddrsPerNS IPv4 addresses of an NS host: its glue,
// or else what the resolver says. An NS host whose name does not exist makes
// its server lame (and its domain may be free to register); one the
// resolver cannot resolve, or that has only IPv6 addresses, is not judged.
func (s *scanner) nsAddrs(ctx context.Context, host string, glue []string) (addrs []string, lame string, err error) {
	if len(glue) > 0 {
		return glue[:min(len(glue), maxAddrsPerNS)], "", nil
	}
	a, err := s.dns.ask(ctx, s.resolver, question{host, dns.TypeA}, true)
	switch {
	case err != nil:
		return nil, "", err
	case a.rcode == dns.RcodeNameError:
		return nil, "the name server's name does not exist (NXDOMAIN)", nil
	case a.rcode != dns.RcodeSuccess:
		return nil, "", fmt.Errorf("resolve %s: the resolver answered %s", trimDot(host), rcodeName(a.rcode))
	}
	for _, ip := range a.addrs {
		if net.ParseIP(ip).To4() != nil && !slices.Contains(addrs, ip) {
			addrs = append(addrs, ip)
		}
	}
	if len(addrs) == 0 {
		return nil, "", fmt.Errorf("%s has no IPv4 address", trimDot(host))
	}
	return addrs[:min(len(addrs), maxAddrsPerNS)], "", nil
}

// askSOA asks one name server for the zone's SOA, without recursion, and
// judges it: REFUSED, SERVFAIL, no answer at all, or an answer without the
// SOA make it lame; a malformed answer leaves it not judged.
func (s *scanner) askSOA(ctx context.Context, zone, host, addr string) Server {
	srv := Server{Host: trimDot(host), Addr: addr}
	a, err := s.dns.ask(ctx, net.JoinHostPort(addr, strconv.Itoa(s.cfg.NSPort)), question{zone, dns.TypeSOA}, false)
	switch {
	case err != nil && (errors.Is(err, errMalformed) || ctx.Err() != nil):
		srv.Err = err.Error()
	case err != nil:
		srv.Lame = "does not answer: " + err.Error()
	case a.rcode == dns.RcodeRefused || a.rcode == dns.RcodeServerFailure:
		srv.Rcode = rcodeName(a.rcode)
		srv.Lame = "answered " + srv.Rcode
	case a.rcode != dns.RcodeSuccess || !a.soa:
		srv.Rcode = rcodeName(a.rcode)
		srv.Lame = "answered " + srv.Rcode + " without the zone's SOA"
	default:
		srv.Rcode = rcodeName(a.rcode)
	}
	return srv
}
