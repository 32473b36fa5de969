// Package tlsprobe is the TLS half of requirement 3 and the certificate half
// of requirement 6.2: for one host:port it finds which protocol versions the
// server accepts (SSLv2 to TLS 1.3), which cipher suites it accepts under each
// and in what order it prefers them, and what is wrong with its certificate,
// and judges the result as findings and rows of the checks table.
//
// Versions and suites are tested with hand-built ClientHellos that offer one
// version at a time and read the answer up to the ServerHello, so that what
// crypto/tls cannot speak (SSLv2, SSLv3, DHE, export, NULL and anonymous
// suites) is seen too. The certificate chain is read with crypto/tls (or,
// when crypto/tls cannot complete a handshake, from a hand-built one) and
// verified with crypto/x509.
//
// A host that cannot be reached, stalls, closes at once or answers something
// that is not TLS is an error of that host:port: never a pass and never a
// finding.
package tlsprobe

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/ecoscan/ecoscan/internal/finding"
)

// Version is a protocol version as the wire spells it (SSLv2 as 0x0002).
type Version uint16

// The protocol versions a probe tests.
const (
	SSL2  Version = 0x0002
	SSL3  Version = 0x0300
	TLS10 Version = 0x0301
	TLS11 Version = 0x0302
	TLS12 Version = 0x0303
	TLS13 Version = 0x0304
)

// Versions are the versions a probe tests, oldest first.
var Versions = []Version{SSL2, SSL3, TLS10, TLS11, TLS12, TLS13}

// String is the version's common name: "SSLv3", "TLS 1.2".
func (v Version) String() string {
	switch v {
	case SSL2:
		return "SSLv2"
	case SSL3:
		return "SSLv3"
	case TLS10, TLS11, TLS12, TLS13:
		return "TLS 1." + strconv.Itoa(int(v-TLS10))
	}
	return fmt.Sprintf("version 0x%04X", uint16(v))
}

// MarshalText writes the common name, so that reports show "TLS 1.2".
func (v Version) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// State is what became of one protocol version.
type State string

// The states of a version. A version is not supported only when the server
// refused it (an alert, an SSLv2 error, another version chosen, or a closed
// connection from a server that answers other versions); anything else that
// kept the probe from a verdict is an error.
const (
	Supported    State = "supported"
	NotSupported State = "not-supported"
	Errored      State = "error"
)

// Protocol is the verdict on one protocol version.
type Protocol struct {
	Version Version `json:"version"`
	State   State   `json:"state"`
	Detail  string  `json:"detail,omitempty"` // how the server refused, or the error
	// Suites are the suites accepted under this version, in the order the
	// server chose them from ever shorter offers: its preference when it
	// enforces one, else the offer's order (the table's). For SSLv2 they are
	// the cipher specs of its SERVER-HELLO.
	Suites []Suite `json:"suites,omitempty"`
	// SuitesError says why the list of suites may be incomplete.
	SuitesError string `json:"suites_error,omitempty"`
}

// Config tunes a probe. The zero value is usable.
type Config struct {
	// Timeout bounds each connection: dial, ClientHello and answer. Zero
	// means 5 seconds.
	Timeout time.Duration
	// RootCAs are the trust anchors; nil means the system pool (which
	// honours SSL_CERT_FILE and SSL_CERT_DIR).
	RootCAs *x509.CertPool
	// ServerName is sent in SNI and checked against the certificate;
	// empty means the host. An IP address is sent in no SNI and checked
	// against the certificate's IP addresses.
	ServerName string
	// Now is the instant certificates are judged at; zero means the time
	// of the probe.
	Now time.Time
	// Concurrency bounds the handshakes of one host in flight at once.
	// Zero means 4.
	Concurrency int
	// Control, when set, vets each connection's address before it is made
	// (egress.Guard in the service).
	Control func(network, address string, c syscall.RawConn) error
}

// Result is everything a probe learned about one host:port.
type Result struct {
	Host       string     `json:"host"`
	Port       int        `json:"port"`
	ServerName string     `json:"server_name"`
	Protocols  []Protocol `json:"protocols"` // one per entry of Versions, in that order
	// Certificate is nil when no chain could be read, and
	// CertificateError says why.
	Certificate      *Certificate    `json:"certificate,omitempty"`
	CertificateError string          `json:"certificate_error,omitempty"`
	Errors           []finding.Error `json:"errors"`
	Elapsed          time.Duration   `json:"elapsed_ns"`
}

// Addr is the probed host:port.
func (r *Result) Addr() string { return net.JoinHostPort(r.Host, strconv.Itoa(r.Port)) }

// Protocol returns the verdict on version v.
func (r *Result) Protocol(v Version) (Protocol, bool) {
	for _, p := range r.Protocols {
		if p.Version == v {
			return p, true
		}
	}
	return Protocol{}, false
}

// prober holds what every connection of one probe shares.
type prober struct {
	control func(network, address string, c syscall.RawConn) error // vets addresses before dialing
	addr    string
	name    string // checked against the certificate
	sni     string // sent in server_name; empty for IP addresses
	timeout time.Duration
}

// Probe tests one host:port: every protocol version, the suites of every
// accepted version, and the certificate. Trouble with the host is recorded in
// the result (Errors, and states of Errored); the error is only for a bad
// argument or a cancelled context.
func Probe(ctx context.Context, host string, port int, cfg Config) (*Result, error) {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if host == "" || port <= 0 || port > 65535 {
		return nil, fmt.Errorf("probe TLS of %q port %d: need a host and a port from 1 to 65535", host, port)
	}
	start := time.Now()
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	if cfg.Now.IsZero() {
		cfg.Now = start
	}
	p := &prober{addr: net.JoinHostPort(host, strconv.Itoa(port)), name: cfg.ServerName, timeout: cfg.Timeout, control: cfg.Control}
	if p.name == "" {
		p.name = host
	}
	p.name = strings.TrimSuffix(p.name, ".")
	if net.ParseIP(p.name) == nil {
		p.sni = p.name
	}
	res := &Result{Host: host, Port: port, ServerName: p.name}

	// Phase one: every version at once (bounded), each with one ClientHello.
	outcomes := make([]outcome, len(Versions))
	g := new(errgroup.Group)
	g.SetLimit(cfg.Concurrency)
	for i, v := range Versions {
		g.Go(func() error {
			outcomes[i] = p.probeVersion(ctx, v)
			return nil
		})
	}
	_ = g.Wait() // the jobs record their errors in outcomes
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("probe TLS of %s: %w", p.addr, err)
	}
	res.Protocols = settle(outcomes)

	// Phase two: the certificate, and the suites of every accepted version
	// (the jobs only read res.Protocols).
	var (
		suites    = make([][]uint32, len(Versions))
		suiteErrs = make([]error, len(Versions))
		chain     *Certificate
		chainErr  error
	)
	g = new(errgroup.Group)
	g.SetLimit(cfg.Concurrency)
	if slices.ContainsFunc(res.Protocols, func(pr Protocol) bool { return pr.State == Supported && pr.Version != SSL2 }) {
		g.Go(func() error {
			chain, chainErr = p.certificate(ctx, res.Protocols, cfg.RootCAs, cfg.Now)
			return nil
		})
	} else {
		chainErr = errors.New("no protocol version with a certificate was accepted")
	}
	for i, pr := range res.Protocols {
		if pr.State != Supported || pr.Version == SSL2 {
			continue
		}
		g.Go(func() error {
			suites[i], suiteErrs[i] = p.enumerate(ctx, pr.Version, outcomes[i].suite)
			return nil
		})
	}
	_ = g.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("probe TLS of %s: %w", p.addr, err)
	}
	for i := range res.Protocols {
		pr := &res.Protocols[i]
		for _, id := range suites[i] {
			pr.Suites = append(pr.Suites, lookupSuite(pr.Version, id))
		}
		if suiteErrs[i] != nil {
			pr.SuitesError = suiteErrs[i].Error()
		}
	}
	res.Certificate = chain
	if chainErr != nil {
		res.CertificateError = chainErr.Error()
	}
	res.Errors = collectErrors(p.addr, res.Protocols, chainErr)
	res.Elapsed = time.Since(start)
	return res, nil
}

// collectErrors turns the probe's errors into errors of the host:port. When
// every version errored (the host is down, stalls or is no TLS server) one
// error says so instead of six.
func collectErrors(addr string, ps []Protocol, chainErr error) []finding.Error {
	var errs []finding.Error
	add := func(format string, args ...any) {
		errs = append(errs, finding.Error{Scope: addr, Message: fmt.Sprintf(format, args...)})
	}
	all := true
	for _, p := range ps {
		all = all && p.State == Errored
	}
	if all && len(ps) > 0 {
		add("TLS probe: no version could be tested: %s", ps[0].Detail)
		return errs
	}
	for _, p := range ps {
		if p.State == Errored {
			add("TLS probe of %s: %s", p.Version, p.Detail)
		}
		if p.SuitesError != "" {
			add("TLS suites of %s: %s", p.Version, p.SuitesError)
		}
	}
	if chainErr != nil {
		add("TLS certificate: %s", chainErr)
	}
	return errs
}
