// Package domain checks the domains an app uses (requirements 6.1, 6.2 and
// 6.3). For every host name it follows the CNAME chain hop by hop against a
// resolver; matches chains that end in a third-party service against the
// takeover fingerprints of fingerprints.json (a name that no longer exists,
// or the service's page for a missing resource); asks the name servers of
// every delegated zone on the way for the zone's SOA to find lame
// delegations; and looks up every registrable domain's expiration in RDAP.
//
// Scan does the network work and keeps what it saw in a Result; the checks
// (one per requirement, in checks.go) judge that and report the findings,
// the checks-table rows and the errors.
package domain

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ecoscan/ecoscan/internal/finding"
	"github.com/ecoscan/ecoscan/internal/httpx"
	"github.com/miekg/dns"
	"golang.org/x/sync/errgroup"
)

// The environment variables ConfigFromEnv reads.
const (
	EnvResolver = "ECOSCAN_DNS_RESOLVER" // the resolver, host:port
	EnvRDAPURL  = "ECOSCAN_RDAP_URL"     // the RDAP base URL
)

// DefaultRDAPBase is the RDAP service asked when none is configured: it
// redirects every query to the RDAP server of the domain's TLD.
const DefaultRDAPBase = "https://rdap.org/"

// resolvConf is where the default resolver is read from.
const resolvConf = "/etc/resolv.conf"

// Config says whom a scan asks and how long it waits. Zero fields take the
// defaults given.
type Config struct {
	// Resolver is the recursive resolver asked, host:port (port 53 when
	// left out); default: the first nameserver of /etc/resolv.conf.
	Resolver string
	// NSPort is the port the zones' own name servers are asked on; default 53.
	NSPort int
	// QueryTimeout bounds one DNS exchange; default 5s. A UDP question
	// without an answer is sent once more.
	QueryTimeout time.Duration
	// RDAPBase is the RDAP service: a domain is looked up at
	// {RDAPBase}domain/{name}; default DefaultRDAPBase.
	RDAPBase string
	// RDAPTimeout bounds one RDAP lookup, redirects included; default 20s.
	RDAPTimeout time.Duration
	// RDAPMaxBody bounds the size of an RDAP answer; default 1 MiB.
	RDAPMaxBody int64
	// HTTPGet fetches a host's page for the takeover fingerprints; default:
	// an httpx client (15s, 1 MiB, first 64 KiB kept).
	HTTPGet HTTPGet
	// Concurrency bounds the hosts, zones and domains checked at once; default 8.
	Concurrency int
	// Now is the clock expiration dates are judged by; default time.Now.
	Now func() time.Time
}

// ConfigFromEnv returns a Config whose Resolver and RDAPBase come from
// ECOSCAN_DNS_RESOLVER and ECOSCAN_RDAP_URL; an unset variable leaves the
// default.
func ConfigFromEnv() Config {
	return Config{
		Resolver: strings.TrimSpace(os.Getenv(EnvResolver)),
		RDAPBase: strings.TrimSpace(os.Getenv(EnvRDAPURL)),
	}
}

func (c Config) withDefaults() Config {
	if c.NSPort <= 0 {
		c.NSPort = 53
	}
	if c.QueryTimeout <= 0 {
		c.QueryTimeout = 5 * time.Second
	}
	if c.RDAPBase == "" {
		c.RDAPBase = DefaultRDAPBase
	}
	if c.RDAPTimeout <= 0 {
		c.RDAPTimeout = 20 * time.Second
	}
	if c.RDAPMaxBody <= 0 {
		c.RDAPMaxBody = 1 << 20
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 8
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// resolverAddr reads the resolver's address: the configured one, with port
// 53 when it has none, or the first nameserver of the resolv.conf file.
func resolverAddr(configured, file string) (string, error) {
	if configured != "" {
		if _, _, err := net.SplitHostPort(configured); err == nil {
			return configured, nil
		}
		return net.JoinHostPort(strings.Trim(configured, "[]"), "53"), nil
	}
	cc, err := dns.ClientConfigFromFile(file)
	if err != nil {
		return "", fmt.Errorf("read the resolver from %s: %w", file, err)
	}
	if len(cc.Servers) == 0 {
		return "", fmt.Errorf("read the resolver from %s: no nameserver", file)
	}
	return net.JoinHostPort(cc.Servers[0], cc.Port), nil
}

// Host is one host name the app uses and what became of it.
type Host struct {
	Name     string    // lower case, without port or final dot
	Port     int       // the port it was given with; 443 when none
	Skipped  string    // why DNS and RDAP do not apply (an IP address, localhost); "" when they do
	Chain    []Hop     // its CNAME chain, the host itself first
	End      End       // how the chain ended
	Takeover *Takeover // the unclaimed resource the chain points at, if any
	Err      string    // why the host could not be judged
}

// Result is what a scan saw and what its checks made of it.
type Result struct {
	Hosts   []Host         // every distinct host given, in order
	Zones   []Zone         // every delegated zone on the chains, and the candidates that could not be read
	Domains []Registration // every registrable domain on the chains

	now      time.Time       // when the scan judged
	dnsErr   error           // why no DNS question could be asked
	absent   map[string]bool // registrable domains (without final dot) that do not exist in DNS
	findings []finding.Finding
	errs     []finding.Error
	rows     []finding.Check
}

// Findings lists the problems found, in requirement order: lame zones (6.1),
// registrations (6.2), then hosts pointing at unclaimed resources (6.3).
func (r *Result) Findings() []finding.Finding { return slices.Clone(r.findings) }

// Rows gives the checks-table rows of requirements 6.1, 6.2 (the
// registration part; certificates are the TLS scan's) and 6.3.
func (r *Result) Rows() []finding.Check { return slices.Clone(r.rows) }

// Errors lists what the scan could not do, each scoped to the host name,
// zone or domain concerned.
func (r *Result) Errors() []finding.Error { return slices.Clone(r.errs) }

// Rules lists every rule the domain checks report.
func Rules() []finding.Rule {
	var out []finding.Rule
	for _, c := range checks {
		out = append(out, c.rules...)
	}
	return out
}

// scanner is one scan's settings and clients.
type scanner struct {
	cfg      Config
	dns      dnsClient
	resolver string
	services []*service
	get      HTTPGet
	rdap     *http.Client
	rdapBase *url.URL
	rdapErr  error // why no RDAP lookup can be made
}

// Scan checks the hosts an app uses: names, name:port or URLs; IP addresses
// and localhost are not applicable. Hosts, zones and domains are checked
// concurrently, at most Config.Concurrency at once; every wait has a time
// limit, and ctx ends them all.
func Scan(ctx context.Context, hosts []string, cfg Config) *Result {
	cfg = cfg.withDefaults()
	r := &Result{absent: map[string]bool{}}
	s := &scanner{cfg: cfg, dns: dnsClient{timeout: cfg.QueryTimeout}, get: cfg.HTTPGet, rdap: newRDAPClient()}
	defer s.rdap.CloseIdleConnections()
	if s.get == nil {
		hc := httpx.New(httpx.Config{Timeout: 15 * time.Second, MaxBody: 1 << 20, KeepBody: 64 << 10})
		defer hc.Close()
		s.get = func(ctx context.Context, u string) (int, []byte, error) {
			resp, err := hc.Do(ctx, httpx.Request{Method: http.MethodGet, URL: u})
			if err != nil {
				return 0, nil, err
			}
			return resp.Status, resp.Body, nil
		}
	}
	s.rdapBase, s.rdapErr = rdapBaseURL(cfg.RDAPBase)
	s.resolver, r.dnsErr = resolverAddr(cfg.Resolver, resolvConf)
	var svcErr error
	s.services, svcErr = services()
	if r.dnsErr == nil && svcErr != nil {
		r.dnsErr = svcErr
	}

	r.Hosts = r.readHosts(hosts)
	if r.dnsErr == nil {
		s.chains(ctx, r)
	}
	s.zonesAndDomains(ctx, r)
	r.now = cfg.Now()
	r.judge()
	return r
}

// readHosts parses and de-duplicates the hosts; a host that does not parse
// is an error.
func (r *Result) readHosts(hosts []string) []Host {
	var out []Host
	seen := map[string]bool{}
	for _, h := range hosts {
		name, port, skip, err := parseHost(h)
		if err != nil {
			r.errs = append(r.errs, finding.Error{Scope: h, Message: err.Error()})
			continue
		}
		if seen[name] {
			continue
		}
		seen[name] = true
		out = append(out, Host{Name: name, Port: port, Skipped: skip})
	}
	return out
}

// chains follows every applicable host's chain and judges it against the
// takeover fingerprints.
func (s *scanner) chains(ctx context.Context, r *Result) {
	var g errgroup.Group
	g.SetLimit(s.cfg.Concurrency)
	for i := range r.Hosts {
		h := &r.Hosts[i]
		if h.Skipped != "" {
			continue
		}
		g.Go(func() error {
			var err error
			h.Chain, h.End, err = s.follow(ctx, h.Name)
			if err == nil {
				h.Takeover, err = s.takeover(ctx, h)
			}
			if err != nil {
				h.Err = err.Error()
			}
			return nil
		})
	}
	_ = g.Wait() // the tasks keep their errors in their hosts
}

// zonesAndDomains checks the delegation of every zone candidate on the
// chains and looks up every registrable domain in RDAP, all at once.
func (s *scanner) zonesAndDomains(ctx context.Context, r *Result) {
	var candidates, domains []string
	names := map[string][]string{} // registrable domain -> names under it
	for _, h := range r.Hosts {
		if h.Skipped != "" {
			continue
		}
		onChain := []string{h.Name}
		for _, hop := range h.Chain {
			onChain = append(onChain, hop.Name)
		}
		for _, n := range onChain {
			if r.dnsErr == nil {
				candidates = append(candidates, zoneCandidates(n)...)
			}
			reg, err := registrable(n)
			if err != nil {
				continue
			}
			if _, ok := names[reg]; !ok {
				domains = append(domains, reg)
			}
			if !slices.Contains(names[reg], n) {
				names[reg] = append(names[reg], n)
			}
		}
	}
	candidates = unique(candidates)

	zones := make([]zoneInfo, len(candidates))
	regs := make([]Registration, len(domains))
	regErrs := make([]error, len(domains))
	var g errgroup.Group
	g.SetLimit(s.cfg.Concurrency)
	for i, c := range candidates {
		g.Go(func() error { zones[i] = s.checkZone(ctx, c); return nil })
	}
	for i, d := range domains {
		g.Go(func() error { regs[i], regErrs[i] = s.lookupRDAP(ctx, d); return nil })
	}
	_ = g.Wait() // the tasks keep their errors in their results

	for i, z := range zones {
		if z.zone != nil {
			r.Zones = append(r.Zones, *z.zone)
		}
		if z.absent {
			r.absent[trimDot(candidates[i])] = true
		}
	}
	for i := range regs {
		regs[i].Names = names[domains[i]]
		r.Domains = append(r.Domains, regs[i])
		if regErrs[i] != nil {
			r.errs = append(r.errs, finding.Error{Scope: domains[i], Message: regErrs[i].Error()})
		}
	}
}

// unique drops repeated strings, keeping the first of each.
func unique(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// judge runs every check, in requirement order, and collects the errors of
// hosts and zones.
func (r *Result) judge() {
	for _, h := range r.Hosts {
		if h.Err != "" {
			r.errs = append(r.errs, finding.Error{Scope: h.Name, Message: h.Err})
		}
	}
	for _, z := range r.Zones {
		if z.Err != "" {
			r.errs = append(r.errs, finding.Error{Scope: z.Name, Message: z.Err})
		}
		for _, s := range z.Servers {
			if s.Lame == "" && s.Err != "" {
				r.errs = append(r.errs, finding.Error{Scope: z.Name, Message: s.String()})
			}
		}
	}
	if r.dnsErr != nil {
		for _, h := range r.Hosts {
			if h.Skipped == "" {
				r.errs = append(r.errs, finding.Error{Scope: h.Name, Message: "DNS checks not run: " + r.dnsErr.Error()})
			}
		}
	}
	for _, c := range checks {
		row := c.judge(r)
		row.Requirement = c.requirement
		r.rows = append(r.rows, row)
	}
}

// add records a finding.
func (r *Result) add(f finding.Finding) { r.findings = append(r.findings, f) }

// applicable lists the hosts DNS and RDAP apply to, and says why the others were skipped.
func (r *Result) applicable() ([]Host, string) {
	var out []Host
	var skipped []string
	for _, h := range r.Hosts {
		if h.Skipped != "" {
			skipped = append(skipped, h.Name+" ("+h.Skipped+")")
			continue
		}
		out = append(out, h)
	}
	if len(skipped) == 0 {
		return out, ""
	}
	return out, "not applicable to " + strings.Join(skipped, ", ")
}

// plural is n and a noun, with an s when n is not 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
