// Package connect is the dynamic scan of a running Atlassian Connect app: it
// fetches the app's descriptor, derives every endpoint from it, sends each
// endpoint the forged-token matrix of REFERENCE 3.4 (no token first, then
// forged, expired, tampered and foreign tokens, in the Authorization header
// and in the query), and hands the exchanges to its checks, which judge them
// into findings with evidence and fill the checks table.
//
// The flow is one way: descriptor -> inventory -> probes -> exchanges ->
// checks -> findings. Probing knows nothing of judging; checks (checks.go)
// never send a request.
package connect

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/ecoscan/ecoscan/internal/connect/descriptor"
	"github.com/ecoscan/ecoscan/internal/connect/token"
	"github.com/ecoscan/ecoscan/internal/domain"
	"github.com/ecoscan/ecoscan/internal/finding"
	"github.com/ecoscan/ecoscan/internal/hostscan"
	"github.com/ecoscan/ecoscan/internal/httpx"
	"github.com/ecoscan/ecoscan/internal/supply"
	"github.com/ecoscan/ecoscan/internal/tlsprobe"
)

// Options configure a scan.
type Options struct {
	HTTP         httpx.Config
	ClientKey    string       // a test installation's clientKey
	SharedSecret token.Secret // that installation's shared secret: signs valid tokens
	UserJWT      token.Secret // a non-admin user's token, for the admin endpoints (1.2)
	AllowHosts   []string     // host[:port] besides the app's own whose endpoints may be probed
	// SkipHosts leaves out the transport and domain checks of the hosts the
	// app uses (requirements 3, 6.1, 6.2, 6.3): their rows then say so.
	SkipHosts bool
	Domain    domain.Config // the resolver and RDAP service of the domain checks
	// Source is the app's source tree, when given: its lockfiles and
	// committed secrets are scanned too (requirements 9 and 5).
	Source       string
	SourceConfig supply.Config
	Version      string // ecoscan's version, for the report
	// Progress, when set, is told how many probes are done of how many.
	Progress func(done, total int)
	// Now is the clock (tests); time.Now when nil.
	Now func() time.Time
}

// Target is one endpoint of the inventory and the exchanges of its probes.
type Target struct {
	descriptor.Endpoint
	Probed    bool   // false when the endpoint was not probed (NotProbed says why)
	NotProbed string // why it was not probed
	Exchanges []*Exchange
}

// exchange returns the answer to probe p, or nil when p was not sent.
func (t *Target) exchange(p Probe) *Exchange {
	for _, x := range t.Exchanges {
		if x.Probe == p {
			return x
		}
	}
	return nil
}

// baseline is the no-token answer.
func (t *Target) baseline() *Exchange { return t.exchange(Probe{noToken, nowhere}) }

// path is the endpoint's URL without scheme and host, for evidence.
func (t *Target) path() string {
	u, err := url.Parse(t.URL)
	if err != nil {
		return t.URL
	}
	return u.RequestURI()
}

// scanner holds one scan's state.
type scanner struct {
	opts   Options
	client *httpx.Client
	desc   *descriptor.Descriptor
	forger *forger
	now    func() time.Time
}

// ErrDescriptor wraps every failure to obtain a usable descriptor: the scan
// cannot be completed (exit code 2).
var ErrDescriptor = errors.New("descriptor")

// Scan runs the whole Connect scan of the app whose descriptor is at
// descriptorURL. An error means the scan could not be completed (the
// descriptor is unreachable or invalid); everything that fails after that
// is reported in the report's errors and checks.
func Scan(ctx context.Context, descriptorURL string, opts Options) (*finding.Report, error) {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	rep := &finding.Report{
		Tool:      finding.Tool{Name: "ecoscan", Version: opts.Version},
		Target:    finding.Target{Kind: "connect", Ref: descriptorURL},
		StartedAt: now(),
	}
	client := httpx.New(opts.HTTP)
	defer client.Close()

	desc, err := fetchDescriptor(ctx, client, descriptorURL)
	if err != nil {
		return nil, err
	}
	rep.Target.AppKey, rep.Target.AppName = desc.Key, desc.Name
	f, err := newForger(desc.BaseURL.String(), opts, now)
	if err != nil {
		return nil, err
	}
	s := &scanner{opts: opts, client: client, desc: desc, forger: f, now: now}

	endpoints, problems := desc.Inventory()
	for _, p := range problems {
		rep.Errors = append(rep.Errors, finding.Error{Scope: descriptorURL + "#" + p.Source, Message: p.Message})
	}
	targets := s.plan(descriptorURL, endpoints)
	if err := s.probe(ctx, targets); err != nil {
		return nil, err
	}
	for _, t := range targets {
		if !t.Probed {
			rep.Errors = append(rep.Errors, finding.Error{Scope: t.URL, Message: "not probed: " + t.NotProbed})
		}
	}
	p := &pass{desc: desc, targets: targets, opts: opts, report: rep}
	if !opts.SkipHosts {
		p.hosts = s.scanHosts(ctx, descriptorURL, endpoints)
		rep.Findings = append(rep.Findings, p.hosts.Findings...)
		rep.Errors = append(rep.Errors, p.hosts.Errors...)
	}
	if opts.Source != "" {
		src, err := supply.Scan(ctx, opts.Source, opts.SourceConfig)
		if err != nil {
			return nil, fmt.Errorf("--source: %w", err)
		}
		p.source = src
		rep.Findings = append(rep.Findings, src.Findings...)
		rep.Errors = append(rep.Errors, src.Errors...)
	}
	runChecks(p)
	rep.Finish(now())
	return rep, nil
}

// scanHosts runs the transport and domain checks on every host the app uses:
// the descriptor's, the baseUrl's and every absolute URL's, each host:port once.
func (s *scanner) scanHosts(ctx context.Context, descriptorURL string, endpoints []descriptor.Endpoint) *hostscan.Result {
	urls := []string{descriptorURL, s.desc.BaseURL.String()}
	for _, e := range endpoints {
		urls = append(urls, e.URL)
	}
	return hostscan.Scan(ctx, hostscan.Targets(urls), hostscan.Config{
		HTTP:   s.client,
		TLS:    tlsprobe.Config{Timeout: s.client.Config().Timeout, RootCAs: s.client.Config().RootCAs, Control: s.client.Config().Control},
		Domain: s.opts.Domain,
	})
}

// fetchDescriptor downloads and parses the descriptor.
func fetchDescriptor(ctx context.Context, client *httpx.Client, raw string) (*descriptor.Descriptor, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("%w: %q is not an http(s) URL", ErrDescriptor, raw)
	}
	resp, err := client.Do(ctx, httpx.Request{
		Method:          http.MethodGet,
		URL:             raw,
		Header:          http.Header{"Accept": {"application/json"}},
		FollowRedirects: true,
		KeepBody:        int(client.Config().MaxBody),
	})
	if err != nil {
		return nil, fmt.Errorf("%w: fetch %s: %w", ErrDescriptor, raw, err)
	}
	if resp.Status != http.StatusOK {
		return nil, fmt.Errorf("%w: fetch %s: answered %d %s", ErrDescriptor, raw, resp.Status, http.StatusText(resp.Status))
	}
	desc, err := descriptor.Parse(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrDescriptor, raw, err)
	}
	return desc, nil
}

// plan turns the inventory into targets, deciding which may be probed: the
// app's own hosts (the baseUrl's and the descriptor's) and those the user
// allowed. A descriptor cannot make ecoscan send forged tokens to a host
// the user did not name.
func (s *scanner) plan(descriptorURL string, endpoints []descriptor.Endpoint) []*Target {
	allowed := map[string]bool{httpx.HostPort(s.desc.BaseURL): true}
	if u, err := url.Parse(descriptorURL); err == nil {
		allowed[httpx.HostPort(u)] = true
	}
	for _, h := range s.opts.AllowHosts {
		if u, err := url.Parse("https://" + h); err == nil {
			allowed[httpx.HostPort(u)] = true
			if u.Port() == "" {
				allowed[httpx.HostPort(&url.URL{Scheme: "http", Host: h})] = true
			}
		}
	}
	var targets []*Target
	for _, e := range endpoints {
		t := &Target{Endpoint: e, Probed: true}
		u, err := url.Parse(e.URL)
		switch {
		case err != nil:
			t.Probed, t.NotProbed = false, fmt.Sprintf("invalid URL: %v", err)
		case e.Kind == descriptor.Asset:
			t.Probed, t.NotProbed = false, "static asset"
		case u.Scheme != "https" && u.Scheme != "http":
			t.Probed, t.NotProbed = false, "not an http(s) URL"
		case !allowed[httpx.HostPort(u)]:
			t.Probed, t.NotProbed = false, fmt.Sprintf("host %s is not the app's (baseUrl %s); pass --allow-host %s to probe it", u.Host, s.desc.BaseURL.Host, u.Host)
		}
		if t.Kind == descriptor.Asset && !t.Probed {
			continue // icons and images: nothing to authenticate, nothing to report
		}
		targets = append(targets, t)
	}
	return targets
}

// probe sends every target its matrix: the baseline first, then the rest
// concurrently. The client's gates bound the real concurrency; the errgroup
// only bounds the goroutines waiting at them.
func (s *scanner) probe(ctx context.Context, targets []*Target) error {
	total := 0
	plans := make([][]Probe, len(targets))
	for i, t := range targets {
		if t.Probed {
			plans[i] = s.matrix(t.Endpoint)
			total += len(plans[i])
		}
	}
	var done atomic.Int64
	report := func() {
		n := done.Add(1)
		if s.opts.Progress != nil {
			s.opts.Progress(int(n), total)
		}
	}
	cfg := s.client.Config()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(cfg.Concurrency * 2)
	for i, t := range targets {
		if !t.Probed {
			continue
		}
		probes := plans[i]
		g.Go(func() error {
			t.Exchanges = make([]*Exchange, len(probes))
			t.Exchanges[0] = s.send(gctx, t, probes[0])
			report()
			var wg sync.WaitGroup
			for j := 1; j < len(probes); j++ {
				wg.Go(func() {
					t.Exchanges[j] = s.send(gctx, t, probes[j])
					report()
				})
			}
			wg.Wait()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

// send makes and sends one probe, and summarises the answer.
func (s *scanner) send(ctx context.Context, t *Target, p Probe) *Exchange {
	tok, err := s.forger.token(p.recipe, t.Method, t.URL)
	if err != nil {
		return summarise(p, t.Method, nil, fmt.Errorf("make token: %w", err))
	}
	req := httpx.Request{
		Method:          t.Method,
		URL:             t.URL,
		Header:          http.Header{},
		Body:            s.forger.body(s, t.Endpoint),
		FollowRedirects: true,
	}
	if req.Body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	switch p.where {
	case inHeader:
		req.Header.Set("Authorization", "JWT "+tok)
	case inQuery:
		if req.URL, err = withQueryToken(t.URL, tok); err != nil {
			return summarise(p, t.Method, nil, fmt.Errorf("add token to URL: %w", err))
		}
	}
	resp, err := s.client.Do(ctx, req)
	return summarise(p, t.Method, resp, err)
}

// hostPortOf is the host and port of a URL, for host locations.
func hostPortOf(raw string) (string, int) {
	u, err := url.Parse(raw)
	if err != nil {
		return raw, 0
	}
	port := 443
	if u.Scheme == "http" {
		port = 80
	}
	if p := u.Port(); p != "" {
		fmt.Sscan(p, &port)
	}
	return u.Hostname(), port
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// plural is "1 endpoint" or "3 endpoints".
func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", word)
	}
	return fmt.Sprintf("%d %ss", n, strings.TrimSuffix(word, "s"))
}
