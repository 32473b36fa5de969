package tlsprobe

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecoscan/ecoscan/internal/finding"
	"github.com/ecoscan/ecoscan/internal/service/egress"
)

// probe runs Probe against a loopback port with the test CA trusted.
func probe(t testing.TB, port int, cfg Config) *Result {
	t.Helper()
	ca, _ := cas(t)
	if cfg.RootCAs == nil {
		cfg.RootCAs = ca.pool
	}
	if cfg.ServerName == "" {
		cfg.ServerName = "localhost"
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 3 * time.Second
	}
	if cfg.Now.IsZero() {
		cfg.Now = testNow
	}
	res, err := Probe(context.Background(), "127.0.0.1", port, cfg)
	if err != nil {
		t.Fatalf("Probe: %v", err)
	}
	return res
}

// wantStates asserts the state of every version: the versions listed are
// supported, the others not supported.
func wantStates(t *testing.T, r *Result, supported ...Version) {
	t.Helper()
	for _, p := range r.Protocols {
		want := NotSupported
		if slices.Contains(supported, p.Version) {
			want = Supported
		}
		if p.State != want {
			t.Errorf("%s: state %s (%s), want %s", p.Version, p.State, p.Detail, want)
		}
	}
}

// wantRules asserts the exact set of rules that found something.
func wantRules(t *testing.T, r *Result, ids ...string) []finding.Finding {
	t.Helper()
	fs := r.Findings()
	var got []string
	for _, f := range fs {
		got = append(got, f.Rule)
		if err := f.Location.Validate(); err != nil || f.Location.Host != "127.0.0.1" {
			t.Errorf("finding %s at %+v: %v", f.Rule, f.Location, err)
		}
	}
	sort.Strings(got)
	sort.Strings(ids)
	if !slices.Equal(got, ids) {
		t.Errorf("rules found %v, want %v", got, ids)
		for _, f := range fs {
			t.Logf("%s: %s %v", f.Rule, f.Message, f.Evidence)
		}
	}
	return fs
}

// wantRows asserts the status of the rows of requirements 3 and 6.2.
func wantRows(t *testing.T, r *Result, req3, req62 finding.Status) {
	t.Helper()
	rows := r.Checks()
	if len(rows) != 2 || rows[0].Requirement != "3" || rows[1].Requirement != "6.2" {
		t.Fatalf("rows %+v, want requirements 3 and 6.2", rows)
	}
	if rows[0].Status != req3 || rows[1].Status != req62 {
		t.Errorf("rows %+v, want 3 %s and 6.2 %s", rows, req3, req62)
	}
}

func evidenceOf(fs []finding.Finding, rule string) string {
	for _, f := range fs {
		if f.Rule == rule {
			return strings.Join(f.Evidence, "\n")
		}
	}
	return ""
}

func suiteIDs(p Protocol) []uint32 {
	var ids []uint32
	for _, s := range p.Suites {
		ids = append(ids, s.ID)
	}
	return ids
}

func sameSet(a, b []uint32) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func ids16(ids ...uint16) []uint32 {
	out := make([]uint32, len(ids))
	for i, id := range ids {
		out[i] = uint32(id)
	}
	return out
}

func TestModernGoServer(t *testing.T) {
	t.Parallel()
	port := goServer(t, &tls.Config{Certificates: []tls.Certificate{leaf(t, leafOpts{})}})
	r := probe(t, port, Config{})
	wantStates(t, r, TLS12, TLS13)
	p12, _ := r.Protocol(TLS12)
	if len(p12.Suites) == 0 || p12.SuitesError != "" {
		t.Errorf("TLS 1.2 suites %v, error %q", p12.Suites, p12.SuitesError)
	}
	for _, s := range p12.Suites {
		if !s.ForwardSecrecy || s.Weak() {
			t.Errorf("modern server accepted %s", s)
		}
	}
	p13, _ := r.Protocol(TLS13)
	if want := ids16(tls.TLS_AES_128_GCM_SHA256, tls.TLS_AES_256_GCM_SHA384, tls.TLS_CHACHA20_POLY1305_SHA256); !sameSet(suiteIDs(p13), want) {
		t.Errorf("TLS 1.3 suites %v, want %v", p13.Suites, want)
	}
	wantRules(t, r)
	wantRows(t, r, finding.Pass, finding.Pass)
	if len(r.Errors) != 0 {
		t.Errorf("errors %v", r.Errors)
	}
	if c := r.Certificate; c == nil || !c.Trusted || !c.NameMatches || c.Version != TLS13 {
		t.Errorf("certificate %+v", c)
	}
	if r.Elapsed > 3*time.Second {
		t.Errorf("probe took %s", r.Elapsed)
	}
}

func TestOldVersionsGoServer(t *testing.T) {
	t.Parallel()
	port := goServer(t, &tls.Config{Certificates: []tls.Certificate{leaf(t, leafOpts{})}, MinVersion: tls.VersionTLS10})
	r := probe(t, port, Config{})
	wantStates(t, r, TLS10, TLS11, TLS12, TLS13)
	fs := wantRules(t, r, "tls/protocol-below-1.2")
	ev := evidenceOf(fs, "tls/protocol-below-1.2")
	if !strings.Contains(ev, "TLS 1.0: accepted") || !strings.Contains(ev, "TLS 1.1: accepted") || strings.Contains(ev, "TLS 1.2") {
		t.Errorf("evidence %q", ev)
	}
	wantRows(t, r, finding.Fail, finding.Pass)
}

func TestStaticRSAGoServer(t *testing.T) {
	t.Parallel()
	suites := []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_AES_256_GCM_SHA384, tls.TLS_RSA_WITH_AES_128_CBC_SHA}
	port := goServer(t, &tls.Config{
		Certificates: []tls.Certificate{leaf(t, leafOpts{rsaBits: 2048})},
		CipherSuites: suites,
		MaxVersion:   tls.VersionTLS12,
	})
	r := probe(t, port, Config{})
	wantStates(t, r, TLS12)
	p12, _ := r.Protocol(TLS12)
	if !sameSet(suiteIDs(p12), ids16(suites...)) {
		t.Errorf("TLS 1.2 suites %v, want %v", p12.Suites, suites)
	}
	fs := wantRules(t, r, "tls/no-forward-secrecy")
	ev := evidenceOf(fs, "tls/no-forward-secrecy")
	for _, name := range []string{"TLS_RSA_WITH_AES_128_GCM_SHA256", "TLS_RSA_WITH_AES_256_GCM_SHA384", "TLS_RSA_WITH_AES_128_CBC_SHA"} {
		if !strings.Contains(ev, name) {
			t.Errorf("evidence %q lacks %s", ev, name)
		}
	}
	wantRows(t, r, finding.Fail, finding.Pass)
}

func TestWeakSuitesGoServer(t *testing.T) {
	t.Parallel()
	suites := []uint16{
		tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA,
		tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA,
		tls.TLS_ECDHE_RSA_WITH_RC4_128_SHA,
	}
	port := goServer(t, &tls.Config{
		Certificates: []tls.Certificate{leaf(t, leafOpts{rsaBits: 2048})},
		CipherSuites: suites,
		MaxVersion:   tls.VersionTLS12,
	})
	r := probe(t, port, Config{})
	wantStates(t, r, TLS12)
	p12, _ := r.Protocol(TLS12)
	if !sameSet(suiteIDs(p12), ids16(suites...)) {
		t.Errorf("TLS 1.2 suites %v, want %v", p12.Suites, suites)
	}
	fs := wantRules(t, r, "tls/weak-cipher", "tls/no-forward-secrecy")
	ev := evidenceOf(fs, "tls/weak-cipher")
	for _, want := range []string{"TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA (0xC012): 3DES", "TLS_RSA_WITH_3DES_EDE_CBC_SHA (0x000A): 3DES", "TLS_ECDHE_RSA_WITH_RC4_128_SHA (0xC011): RC4"} {
		if !strings.Contains(ev, want) {
			t.Errorf("weak-cipher evidence %q lacks %q", ev, want)
		}
	}
	if strings.Contains(ev, "AES_128_GCM") {
		t.Errorf("weak-cipher evidence %q names a strong suite", ev)
	}
	if ev := evidenceOf(fs, "tls/no-forward-secrecy"); !strings.Contains(ev, "TLS_RSA_WITH_3DES_EDE_CBC_SHA") || strings.Contains(ev, "ECDHE") {
		t.Errorf("no-forward-secrecy evidence %q", ev)
	}
	wantRows(t, r, finding.Fail, finding.Pass)
}

func TestCertificateProblems(t *testing.T) {
	t.Parallel()
	_, stranger := cas(t)
	day := 24 * time.Hour
	cases := []struct {
		name       string
		opts       leafOpts
		serverName string // empty: "localhost"; "-": the IP address
		rules      []string
		trustError string
	}{
		{name: "good"},
		{name: "expired", opts: leafOpts{notBefore: testNow.Add(-100 * day), notAfter: testNow.Add(-day)}, rules: []string{"tls/cert-expired"}},
		{name: "not yet valid", opts: leafOpts{notBefore: testNow.Add(day), notAfter: testNow.Add(100 * day)}, rules: []string{"tls/cert-not-yet-valid"}},
		{name: "expiring soon", opts: leafOpts{notAfter: testNow.Add(10 * day)}, rules: []string{"tls/cert-expiring-soon"}},
		{name: "wrong name", opts: leafOpts{names: []string{"other.example"}}, rules: []string{"tls/cert-name-mismatch"}},
		{name: "self-signed", opts: leafOpts{selfSigned: true}, rules: []string{"tls/cert-untrusted"}, trustError: "self-signed certificate"},
		{name: "unknown authority", opts: leafOpts{issuer: stranger}, rules: []string{"tls/cert-untrusted"}, trustError: "unknown authority"},
		{name: "1024-bit RSA", opts: leafOpts{rsaBits: 1024}, rules: []string{"tls/cert-weak-key"}},
		{name: "SHA-1 signature", opts: leafOpts{sigAlg: x509.SHA1WithRSA}, rules: []string{"tls/cert-untrusted", "tls/cert-sha1-signature"}, trustError: "SHA1-RSA"},
		{name: "IP SAN", serverName: "-"},
		{name: "IP SAN mismatch", opts: leafOpts{ips: []net.IP{net.IPv4(10, 0, 0, 1)}}, serverName: "-", rules: []string{"tls/cert-name-mismatch"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cert := leaf(t, tc.opts)
			var (
				mu   sync.Mutex
				snis = map[string]bool{}
			)
			port := goServer(t, &tls.Config{GetCertificate: func(hi *tls.ClientHelloInfo) (*tls.Certificate, error) {
				mu.Lock()
				snis[hi.ServerName] = true
				mu.Unlock()
				return &cert, nil
			}})
			cfg, wantSNI := Config{}, "localhost"
			if tc.serverName == "-" {
				cfg.ServerName, wantSNI = "127.0.0.1", ""
			}
			r := probe(t, port, cfg)
			wantStates(t, r, TLS12, TLS13)
			wantRules(t, r, tc.rules...)
			status := finding.Pass
			if len(tc.rules) > 0 {
				status = finding.Fail
			}
			wantRows(t, r, finding.Pass, status)
			if r.Certificate == nil {
				t.Fatalf("no certificate: %s", r.CertificateError)
			}
			if !strings.Contains(r.Certificate.TrustError, tc.trustError) {
				t.Errorf("trust error %q, want %q", r.Certificate.TrustError, tc.trustError)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(snis) != 1 || !snis[wantSNI] {
				t.Errorf("server names sent %v, want only %q", snis, wantSNI)
			}
		})
	}
}

func TestOpenSSLDHEOnly(t *testing.T) {
	t.Parallel()
	// testdata/ffdhe2048.pem is the ffdhe2048 group of RFC 7919, written by
	// "openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048".
	port := opensslServer(t, leaf(t, leafOpts{rsaBits: 2048}),
		"-cipher", "DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0", "-dhparam", "testdata/ffdhe2048.pem", "-no_tls1_3")
	r := probe(t, port, Config{})
	wantStates(t, r, TLS12)
	p12, _ := r.Protocol(TLS12)
	if got := suiteIDs(p12); !slices.Equal(got, []uint32{0x009E}) || p12.Suites[0].KeyExchange != "DHE" {
		t.Errorf("TLS 1.2 suites %v, want only TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", p12.Suites)
	}
	wantRules(t, r)
	wantRows(t, r, finding.Pass, finding.Pass)
	// crypto/tls cannot speak DHE: the chain came from a hand-built handshake.
	if c := r.Certificate; c == nil || c.Version != TLS12 || !c.Trusted || len(c.Chain) != 1 {
		t.Errorf("certificate %+v (%s)", c, r.CertificateError)
	}
}

func TestOpenSSLTLS10(t *testing.T) {
	t.Parallel()
	port := opensslServer(t, leaf(t, leafOpts{rsaBits: 2048}), "-tls1", "-cipher", "ALL:@SECLEVEL=0")
	r := probe(t, port, Config{})
	wantStates(t, r, TLS10)
	p10, _ := r.Protocol(TLS10)
	for _, id := range []uint32{0x002F, 0x0033, 0xC013, 0x0034, 0xC018} { // RSA, DHE, ECDHE, DH_anon, ECDH_anon
		if !slices.Contains(suiteIDs(p10), id) {
			t.Errorf("TLS 1.0 suites %v lack 0x%04X", p10.Suites, id)
		}
	}
	fs := wantRules(t, r, "tls/protocol-below-1.2", "tls/weak-cipher")
	if ev := evidenceOf(fs, "tls/protocol-below-1.2"); !strings.HasPrefix(ev, "TLS 1.0: accepted") || strings.Contains(ev, "TLS 1.1") {
		t.Errorf("protocol evidence %q", ev)
	}
	if ev := evidenceOf(fs, "tls/weak-cipher"); !strings.Contains(ev, "TLS 1.0: TLS_DH_anon_WITH_AES_128_CBC_SHA (0x0034): anon") {
		t.Errorf("weak-cipher evidence %q", ev)
	}
	wantRows(t, r, finding.Fail, finding.Pass)
	if c := r.Certificate; c == nil || c.Version != TLS10 || !c.Trusted {
		t.Errorf("certificate %+v (%s)", c, r.CertificateError)
	}
}

// TestLegacySSLServer probes a scripted server that speaks SSLv2 and SSLv3
// (no stack in Debian still does): it answers an SSLv2 CLIENT-HELLO with a
// SERVER-HELLO, and any TLS ClientHello with an SSLv3 ServerHello and its
// certificate, choosing by its own preference.
func TestLegacySSLServer(t *testing.T) {
	t.Parallel()
	cert := leaf(t, leafOpts{rsaBits: 2048})
	preference := []uint32{0x0005, 0x000A, 0x0004} // RC4_128_SHA, 3DES_EDE_CBC_SHA, RC4_128_MD5
	port := serve(t, func(c net.Conn) {
		ch, ok := readClientHello(c)
		if !ok {
			return
		}
		if ch.ssl2 {
			_, _ = c.Write(ssl2ServerHelloRecord(uint16(SSL2), cert.Certificate[0], 0x0700C0, 0x010080))
			return
		}
		for _, id := range preference {
			if slices.Contains(ch.suites, id) {
				flight := append(serverHello(uint16(SSL3), uint16(id), 0, nil, true), certificateMsg(cert.Certificate[0])...)
				_, _ = c.Write(record(recordHandshake, uint16(SSL3), flight))
				drain(c)
				return
			}
		}
		_, _ = c.Write(alertRecord(2, 40))
	})
	r := probe(t, port, Config{})
	wantStates(t, r, SSL2, SSL3)
	p2, _ := r.Protocol(SSL2)
	if got := suiteIDs(p2); !slices.Equal(got, []uint32{0x0700C0, 0x010080}) {
		t.Errorf("SSLv2 cipher specs %v", p2.Suites)
	}
	p3, _ := r.Protocol(SSL3)
	if got := suiteIDs(p3); !slices.Equal(got, preference) {
		t.Errorf("SSLv3 suites %v, want the server's order %v", p3.Suites, preference)
	}
	p10, _ := r.Protocol(TLS10)
	if p10.Detail != "the server chose SSLv3 instead" {
		t.Errorf("TLS 1.0 detail %q", p10.Detail)
	}
	fs := wantRules(t, r, "tls/protocol-below-1.2", "tls/weak-cipher")
	if ev := evidenceOf(fs, "tls/protocol-below-1.2"); !strings.Contains(ev, "SSLv2: accepted") || !strings.Contains(ev, "SSLv3: accepted") {
		t.Errorf("protocol evidence %q", ev)
	}
	if ev := evidenceOf(fs, "tls/weak-cipher"); !strings.Contains(ev, "SSLv2: SSL_CK_DES_192_EDE3_CBC_WITH_MD5 (0x0700C0): 3DES") ||
		!strings.Contains(ev, "SSLv3: TLS_RSA_WITH_RC4_128_MD5 (0x0004): RC4") {
		t.Errorf("weak-cipher evidence %q", ev)
	}
	wantRows(t, r, finding.Fail, finding.Pass)
	if c := r.Certificate; c == nil || c.Version != SSL3 || !c.Trusted {
		t.Errorf("certificate %+v (%s)", c, r.CertificateError)
	}
}

// replay is a connection whose first bytes were already read.
type replay struct {
	net.Conn
	r io.Reader
}

func (c replay) Read(b []byte) (int, error) { return c.r.Read(b) }

// TestVersionErrorIsNotRefusal: a server that answers TLS 1.2 and 1.3 but
// stalls on a TLS 1.0 ClientHello has TLS 1.0 in error, not "not
// supported", and requirement 3 is not a pass.
func TestVersionErrorIsNotRefusal(t *testing.T) {
	t.Parallel()
	cfg := &tls.Config{Certificates: []tls.Certificate{leaf(t, leafOpts{})}}
	port := serve(t, func(c net.Conn) {
		head := make([]byte, 11)
		if _, err := io.ReadFull(c, head); err != nil {
			return
		}
		if head[9] == 3 && head[10] == 1 { // client_version TLS 1.0
			drain(c)
			return
		}
		_ = tls.Server(replay{c, io.MultiReader(bytes.NewReader(head), c)}, cfg).Handshake()
	})
	r := probe(t, port, Config{Timeout: 300 * time.Millisecond})
	p10, _ := r.Protocol(TLS10)
	if p10.State != Errored || !strings.Contains(p10.Detail, "no answer") {
		t.Errorf("TLS 1.0 %s (%s), want an error", p10.State, p10.Detail)
	}
	wantRules(t, r)
	wantRows(t, r, finding.Errored, finding.Pass)
	if len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, "TLS 1.0") || r.Errors[0].Scope != r.Addr() {
		t.Errorf("errors %v", r.Errors)
	}
}

// TestBrokenHosts: hosts that refuse, close at once, never answer, stall
// mid-handshake or answer garbage are errors of the host:port, bounded by
// the timeout, never a pass and never a finding.
func TestBrokenHosts(t *testing.T) {
	t.Parallel()
	closedPort := func(t *testing.T) int {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		return port
	}
	cases := []struct {
		name   string
		port   func(t *testing.T) int
		detail string
	}{
		{"refused", closedPort, "connect to"},
		{"closes at once", func(t *testing.T) int { return serve(t, func(c net.Conn) {}) }, "closed the connection without answering"},
		{"never answers", func(t *testing.T) int { return serve(t, drain) }, "no answer from"},
		{"stalls mid-handshake", func(t *testing.T) int {
			return serve(t, func(c net.Conn) {
				if _, ok := readClientHello(c); ok {
					_, _ = c.Write([]byte{22, 3, 3, 0, 80, 2, 0, 0, 76, 3, 3})
				}
				drain(c)
			})
		}, "stalled after 11 bytes"},
		{"answers garbage", func(t *testing.T) int {
			return serve(t, func(c net.Conn) {
				if _, ok := readClientHello(c); ok {
					_, _ = c.Write([]byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"))
				}
			})
		}, "not a TLS answer"},
		{"closes mid-answer", func(t *testing.T) int {
			return serve(t, func(c net.Conn) {
				if _, ok := readClientHello(c); ok {
					_, _ = c.Write([]byte{22, 3, 3, 0, 80, 2, 0})
				}
			})
		}, "incomplete answer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			r := probe(t, tc.port(t), Config{Timeout: 300 * time.Millisecond})
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("probe took %s", took)
			}
			for _, p := range r.Protocols {
				if p.State != Errored || !strings.Contains(p.Detail, tc.detail) {
					t.Errorf("%s: %s (%s), want an error saying %q", p.Version, p.State, p.Detail, tc.detail)
				}
			}
			wantRules(t, r)
			wantRows(t, r, finding.Errored, finding.Errored)
			if r.Certificate != nil || len(r.Errors) != 1 || r.Errors[0].Scope != r.Addr() || !strings.Contains(r.Errors[0].Message, tc.detail) {
				t.Errorf("certificate %v, errors %v", r.Certificate, r.Errors)
			}
		})
	}
}

func TestProbeArguments(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		host string
		port int
	}{{"", 443}, {"example.com", 0}, {"example.com", 70000}} {
		if _, err := Probe(context.Background(), c.host, c.port, Config{}); err == nil {
			t.Errorf("Probe(%q, %d) succeeded", c.host, c.port)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	port := goServer(t, &tls.Config{Certificates: []tls.Certificate{leaf(t, leafOpts{})}})
	if _, err := Probe(ctx, "127.0.0.1", port, Config{}); err == nil {
		t.Error("Probe with a cancelled context succeeded")
	}
}

func TestRules(t *testing.T) {
	want := map[string]float64{
		"tls/protocol-below-1.2": 7.4, "tls/no-forward-secrecy": 5.9, "tls/weak-cipher": 7.4,
		"tls/cert-untrusted": 8.1, "tls/cert-name-mismatch": 8.1, "tls/cert-expired": 8.1,
		"tls/cert-not-yet-valid": 8.1, "tls/cert-expiring-soon": 3.1, "tls/cert-weak-key": 5.9,
		"tls/cert-sha1-signature": 5.9,
	}
	rules := Rules()
	if len(rules) != len(want) {
		t.Errorf("%d rules, want %d", len(rules), len(want))
	}
	for _, r := range rules {
		cvss, ok := want[r.ID]
		if !ok || r.CVSS != cvss {
			t.Errorf("rule %s CVSS %v, want %v (known %v)", r.ID, r.CVSS, cvss, ok)
		}
		wantReq := "6.2"
		if !strings.HasPrefix(r.ID, "tls/cert-") {
			wantReq = "3"
		}
		if r.Requirement != wantReq || r.Title == "" || r.Doc == "" || r.Remediation == "" {
			t.Errorf("rule %+v", r)
		}
		delete(want, r.ID)
	}
}

// BenchmarkProbeLoopback is a full probe of a Go server that accepts TLS 1.0
// to 1.3 and every suite crypto/tls implements.
func BenchmarkProbeLoopback(b *testing.B) {
	var suites []uint16
	for _, s := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		suites = append(suites, s.ID)
	}
	port := goServer(b, &tls.Config{
		Certificates: []tls.Certificate{leaf(b, leafOpts{rsaBits: 2048})},
		MinVersion:   tls.VersionTLS10,
		CipherSuites: suites,
	})
	for b.Loop() {
		r := probe(b, port, Config{})
		if p, _ := r.Protocol(TLS12); len(p.Suites) < 10 || len(r.Errors) > 0 {
			b.Fatalf("TLS 1.2 suites %v, errors %v", p.Suites, r.Errors)
		}
	}
}

// TestRows judges made-up results: a failure names what could not be tested
// too, and a host that refuses every version or shows no certificate is
// never a pass.
func TestRows(t *testing.T) {
	protocols := func(states ...State) []Protocol {
		var ps []Protocol
		for i, v := range Versions {
			ps = append(ps, Protocol{Version: v, State: states[i], Detail: "why"})
		}
		return ps
	}
	cases := []struct {
		name         string
		r            Result
		req3, req62  finding.Status
		detail3, d62 string
	}{
		{
			name: "old version and an untested one",
			r:    Result{Host: "h", Port: 443, Protocols: protocols(NotSupported, NotSupported, Supported, Errored, Supported, Supported), CertificateError: "x"},
			req3: finding.Fail, detail3: "h:443: accepts TLS 1.0; could not test TLS 1.1 (why)",
			req62: finding.Errored, d62: "h:443: certificate not read: x",
		},
		{
			name: "every version refused",
			r:    Result{Host: "h", Port: 443, Protocols: protocols(NotSupported, NotSupported, NotSupported, NotSupported, NotSupported, NotSupported)},
			req3: finding.Errored, detail3: "h:443: accepts no protocol version",
			req62: finding.Errored,
		},
		{
			name: "suites untested",
			r: Result{Host: "h", Port: 443, Protocols: func() []Protocol {
				ps := protocols(NotSupported, NotSupported, NotSupported, NotSupported, Supported, Supported)
				ps[4].SuitesError = "reset"
				return ps
			}()},
			req3: finding.Errored, detail3: "h:443: could not test TLS 1.2 suites (reset)",
			req62: finding.Errored,
		},
	}
	for _, tc := range cases {
		rows := tc.r.Checks()
		if rows[0].Status != tc.req3 || rows[0].Detail != tc.detail3 || rows[1].Status != tc.req62 || (tc.d62 != "" && rows[1].Detail != tc.d62) {
			t.Errorf("%s: rows %+v", tc.name, rows)
		}
	}
}

// TestControl: with the service's egress guard, no connection of the probe
// reaches a refused address: every protocol is an error of the host, never a
// "not supported" that would read as a pass.
func TestControl(t *testing.T) {
	t.Parallel()
	port := goServer(t, &tls.Config{Certificates: []tls.Certificate{leaf(t, leafOpts{})}})
	r := probe(t, port, Config{Control: egress.Guard(nil)})
	if r.Certificate != nil {
		t.Errorf("a certificate was read past the guard: %+v", r.Certificate)
	}
	for _, p := range r.Protocols {
		if p.State == Supported {
			t.Errorf("%v supported past the guard", p.Version)
		}
	}
	if len(r.Errors) == 0 || !strings.Contains(fmt.Sprint(r.Errors), "egress refused") {
		t.Errorf("errors %v, want the egress refusal", r.Errors)
	}
	allowed := probe(t, port, Config{Control: egress.Guard([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")})})
	wantStates(t, allowed, TLS12, TLS13)
}
