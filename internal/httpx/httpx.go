// Package httpx is the HTTP client every network check of ecoscan uses. It is
// bounded in every way a hostile server could abuse (time per request, bytes
// read after decompression, redirects), polite to the hosts it scans (a global
// concurrency limit, a per-host limit and a per-host request rate, with
// connections reused), and honest: a response it could not read in full is an
// error, never a short answer that looks normal.
//
// It honours HTTPS_PROXY/NO_PROXY and SSL_CERT_FILE, and accepts TLS 1.0 and
// the legacy suites Go implements, so that an app that speaks only old TLS is
// still scanned (the transport checks flag its TLS separately).
package httpx

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/time/rate"
)

// Config bounds and paces a Client. Zero fields take the defaults below.
type Config struct {
	Timeout      time.Duration // one request sent (each redirect hop its own), from when it may go; default 30s
	MaxBody      int64         // bytes read from one answer, after decompression; default 4 MiB
	KeepBody     int           // bytes of the answer kept for judging; default 64 KiB
	MaxRedirects int           // redirects followed; default 10
	Concurrency  int           // requests in flight in all; default 16
	PerHost      int           // requests in flight per host:port; default 8
	PerHostRate  float64       // requests per second per host:port; 0 means no limit
	UserAgent    string        // default "ecoscan"
	// RootCAs, when set, replaces the system roots (which honour SSL_CERT_FILE).
	RootCAs *x509.CertPool
	// Control, when set, vets every connection's address before it is made
	// (egress.Guard: the service's refusal of private and metadata
	// addresses, checked at connect time so DNS rebinding cannot get round
	// it). With Control set no proxy is used: a proxy would hide the
	// address from it.
	Control func(network, address string, c syscall.RawConn) error
}

// Defaults fills the zero fields of c.
func (c Config) withDefaults() Config {
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	if c.MaxBody <= 0 {
		c.MaxBody = 4 << 20
	}
	if c.KeepBody <= 0 {
		c.KeepBody = 64 << 10
	}
	if c.MaxRedirects <= 0 {
		c.MaxRedirects = 10
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 16
	}
	if c.PerHost <= 0 {
		c.PerHost = 8
	}
	if c.PerHost > c.Concurrency {
		c.PerHost = c.Concurrency
	}
	if c.UserAgent == "" {
		c.UserAgent = "ecoscan"
	}
	return c
}

// Client sends bounded, paced requests.
type Client struct {
	cfg    Config
	hc     *http.Client
	global chan struct{}

	mu    sync.Mutex
	hosts map[string]*hostGate
}

// hostGate paces the requests to one host:port.
type hostGate struct {
	slots   chan struct{}
	limiter *rate.Limiter
}

// New makes a client. The transport is shared by all its requests, so
// connections to a host are reused.
func New(cfg Config) *Client {
	cfg = cfg.withDefaults()
	suites := []uint16{}
	for _, s := range tls.CipherSuites() {
		suites = append(suites, s.ID)
	}
	for _, s := range tls.InsecureCipherSuites() {
		suites = append(suites, s.ID)
	}
	proxy := http.ProxyFromEnvironment
	if cfg.Control != nil {
		proxy = nil
	}
	transport := &http.Transport{
		Proxy: proxy,
		DialContext: (&net.Dialer{
			Timeout:   cfg.Timeout,
			KeepAlive: 30 * time.Second,
			Control:   cfg.Control,
		}).DialContext,
		TLSClientConfig: &tls.Config{
			MinVersion:   tls.VersionTLS10, // scan old-TLS apps too: the transport checks flag them
			CipherSuites: suites,
			RootCAs:      cfg.RootCAs,
		},
		TLSHandshakeTimeout:    cfg.Timeout,
		ResponseHeaderTimeout:  cfg.Timeout,
		MaxIdleConns:           cfg.Concurrency * 2,
		MaxIdleConnsPerHost:    cfg.PerHost,
		MaxConnsPerHost:        cfg.PerHost,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: 256 << 10,
		ForceAttemptHTTP2:      true,
	}
	return &Client{
		cfg: cfg,
		hc: &http.Client{
			Transport: transport,
			// Redirects are followed by Do itself, one paced and checked hop at a time.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		global: make(chan struct{}, cfg.Concurrency),
		hosts:  map[string]*hostGate{},
	}
}

// Config returns the client's settings, defaults filled.
func (c *Client) Config() Config { return c.cfg }

// Close drops the idle connections.
func (c *Client) Close() { c.hc.CloseIdleConnections() }

// Request is one request to send.
type Request struct {
	Method string
	URL    string
	Header http.Header
	Body   []byte
	// FollowRedirects follows redirects on the same host:port (301/302/303
	// turn the method into GET as browsers do); a redirect to another host is
	// not followed and its 3xx answer is returned.
	FollowRedirects bool
	// KeepBody overrides Config.KeepBody for this request (a descriptor is
	// kept whole; a probe's answer only in part).
	KeepBody int
}

// Response is what came back, summarised and bounded.
type Response struct {
	Status      int
	Proto       string
	Header      http.Header
	ContentType string   // media type, lower case, without parameters
	Size        int64    // bytes of the body read (after decompression)
	Body        []byte   // the first Config.KeepBody bytes of the body
	URL         string   // the URL that gave this answer (after redirects)
	Redirects   []string // the URLs redirected from, in order
	Duration    time.Duration
}

// Errors that Do wraps, so that callers can tell the failures apart.
var (
	ErrTooLarge      = errors.New("answer too large")
	ErrRedirectLoop  = errors.New("redirect loop")
	ErrTooManyHops   = errors.New("too many redirects")
	ErrTimeout       = errors.New("timed out")
	ErrReset         = errors.New("connection reset")
	ErrBadRequestURL = errors.New("invalid request URL")
)

// Do sends req and reads its answer within the client's bounds (the time
// limit applies to each request sent, from the moment it may go). Every
// failure is an error saying what happened (timed out, reset, too large,
// redirect loop, TLS failure, malformed HTTP); a partial answer is never
// returned as a success.
func (c *Client) Do(ctx context.Context, req Request) (*Response, error) {
	start := time.Now()

	method, target, body := req.Method, req.URL, req.Body
	var redirects []string
	seen := map[string]bool{}
	for hop := 0; ; hop++ {
		resp, err := c.once(ctx, method, target, req.Header, body, req.KeepBody)
		if err != nil {
			return nil, err
		}
		resp.Redirects = redirects
		resp.Duration = time.Since(start)
		next, follow := c.redirectTarget(req, resp)
		if !follow {
			return resp, nil
		}
		seen[method+" "+target] = true
		if hop >= c.cfg.MaxRedirects {
			return nil, fmt.Errorf("%w: more than %d", ErrTooManyHops, c.cfg.MaxRedirects)
		}
		if resp.Status == http.StatusMovedPermanently || resp.Status == http.StatusFound || resp.Status == http.StatusSeeOther {
			if method != http.MethodHead {
				method = http.MethodGet
			}
			body = nil
		}
		if seen[method+" "+next] {
			return nil, fmt.Errorf("%w: %s redirects back to %s", ErrRedirectLoop, pathOf(target), pathOf(next))
		}
		redirects = append(redirects, target)
		target = next
	}
}

// redirectTarget says where a redirect leads and whether to follow it.
func (c *Client) redirectTarget(req Request, resp *Response) (string, bool) {
	if !req.FollowRedirects {
		return "", false
	}
	switch resp.Status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
	default:
		return "", false
	}
	loc := resp.Header.Get("Location")
	if loc == "" {
		return "", false
	}
	base, err := url.Parse(resp.URL)
	if err != nil {
		return "", false
	}
	next, err := base.Parse(loc)
	if err != nil || (next.Scheme != "http" && next.Scheme != "https") {
		return "", false
	}
	if HostPort(next) != HostPort(base) {
		return "", false // another host: judged as the 3xx it is
	}
	next.Fragment = ""
	return next.String(), true
}

// once sends one request (no redirects) through the global and per-host gates.
func (c *Client) once(ctx context.Context, method, target string, header http.Header, body []byte, keep int) (*Response, error) {
	if keep <= 0 {
		keep = c.cfg.KeepBody
	}
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		withoutQuery, _, _ := strings.Cut(target, "?") // the query may carry a token
		return nil, fmt.Errorf("%w: %q", ErrBadRequestURL, withoutQuery)
	}
	// The host's gate first: a request waiting for a busy host must not hold
	// one of the global slots that requests to other hosts could use.
	gate := c.gate(HostPort(u))
	if err := acquire(ctx, gate.slots); err != nil {
		return nil, err
	}
	defer func() { <-gate.slots }()
	if gate.limiter != nil {
		if err := gate.limiter.Wait(ctx); err != nil {
			return nil, err
		}
	}
	if err := acquire(ctx, c.global); err != nil {
		return nil, err
	}
	defer func() { <-c.global }()
	// The time limit runs from here: waiting for a turn at the gates is not
	// the server's slowness.
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()

	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	hreq, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadRequestURL, err)
	}
	for k, vs := range header {
		hreq.Header[k] = append([]string(nil), vs...)
	}
	hreq.Header.Set("User-Agent", c.cfg.UserAgent)
	hresp, err := c.hc.Do(hreq)
	if err != nil {
		return nil, c.explain(ctx, err)
	}
	defer hresp.Body.Close()

	kept, size, err := readBounded(hresp.Body, c.cfg.MaxBody, keep)
	if err != nil {
		return nil, c.explain(ctx, err)
	}
	ct := strings.ToLower(strings.TrimSpace(strings.SplitN(hresp.Header.Get("Content-Type"), ";", 2)[0]))
	return &Response{
		Status:      hresp.StatusCode,
		Proto:       hresp.Proto,
		Header:      hresp.Header,
		ContentType: ct,
		Size:        size,
		Body:        kept,
		URL:         u.String(),
	}, nil
}

// readBuffers are readBounded's buffers, reused: a scan reads thousands of
// answers, and a fresh buffer for each was most of what it allocated.
var readBuffers = sync.Pool{New: func() any { return new([32 << 10]byte) }}

// readBounded reads r to its end, keeping the first keep bytes, and fails
// when it holds more than max bytes.
func readBounded(r io.Reader, max int64, keep int) ([]byte, int64, error) {
	var kept bytes.Buffer
	pooled := readBuffers.Get().(*[32 << 10]byte)
	defer readBuffers.Put(pooled)
	buf := pooled[:]
	var size int64
	for {
		n, err := r.Read(buf)
		if n > 0 {
			size += int64(n)
			if size > max {
				return nil, size, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, max)
			}
			if room := keep - kept.Len(); room > 0 {
				kept.Write(buf[:min(n, room)])
			}
		}
		if err == io.EOF {
			return kept.Bytes(), size, nil
		}
		if err != nil {
			return nil, size, fmt.Errorf("reading the answer after %d bytes: %w", size, err)
		}
	}
}

// gate returns the pacing of one host:port.
func (c *Client) gate(hostport string) *hostGate {
	c.mu.Lock()
	defer c.mu.Unlock()
	g, ok := c.hosts[hostport]
	if !ok {
		g = &hostGate{slots: make(chan struct{}, c.cfg.PerHost)}
		if c.cfg.PerHostRate > 0 {
			g.limiter = rate.NewLimiter(rate.Limit(c.cfg.PerHostRate), 1)
		}
		c.hosts[hostport] = g
	}
	return g
}

func acquire(ctx context.Context, slots chan struct{}) error {
	select {
	case slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// explain turns transport errors into the failures people recognise.
func (c *Client) explain(ctx context.Context, err error) error {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err // the URL may carry a token; the caller knows which URL it asked for
	}
	var netErr net.Error
	switch {
	case errors.Is(err, ErrTooLarge), errors.Is(err, ErrBadRequestURL):
		return err
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() == context.DeadlineExceeded ||
		(errors.As(err, &netErr) && netErr.Timeout()):
		return fmt.Errorf("%w after %s", ErrTimeout, c.cfg.Timeout)
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return fmt.Errorf("%w: %v", ErrReset, err)
	}
	return err
}

// HostPort is u's host:port with the scheme's default port filled in.
func HostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		switch u.Scheme {
		case "https":
			port = "443"
		default:
			port = "80"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// pathOf is a URL's path alone, for messages: its query may carry a token.
func pathOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Path == "" {
		return "/"
	}
	return u.Path
}
