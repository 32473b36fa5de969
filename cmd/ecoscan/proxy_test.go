package main

import (
	"bufio"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"testing"

	"github.com/ecoscan/ecoscan/internal/finding"
)

// tunnelProxy is an HTTPS forward proxy on loopback that answers every
// CONNECT with a tunnel to one address, whatever host was asked, and records
// the hosts asked. Go never proxies requests to loopback, so the scan is sent
// to a name and the proxy takes it to the fixture app.
type tunnelProxy struct {
	ln     net.Listener
	target string // host:port every tunnel leads to
	wg     sync.WaitGroup

	mu     sync.Mutex
	asked  []string
	conns  map[net.Conn]bool
	closed bool
}

// startProxy starts a proxy to target that stops, its tunnels closed, when
// the test ends.
func startProxy(t *testing.T, target string) *tunnelProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tunnelProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	p.wg.Go(p.serve)
	t.Cleanup(p.close)
	return p
}

func (p *tunnelProxy) serve() {
	for {
		conn, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		p.wg.Go(func() { p.tunnel(conn) })
	}
}

// track registers a connection for close, or closes it when the proxy is
// closing; it reports whether the connection may be used.
func (p *tunnelProxy) track(conn net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		conn.Close()
		return false
	}
	p.conns[conn] = true
	return true
}

// tunnel serves one client connection: a CONNECT, then bytes both ways until
// either side closes.
func (p *tunnelProxy) tunnel(client net.Conn) {
	if !p.track(client) {
		return
	}
	defer client.Close()
	br := bufio.NewReader(client)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	if req.Method != http.MethodConnect {
		io.WriteString(client, "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
		return
	}
	p.mu.Lock()
	p.asked = append(p.asked, req.Host)
	p.mu.Unlock()
	upstream, err := net.Dial("tcp", p.target)
	if err != nil {
		io.WriteString(client, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
		return
	}
	if !p.track(upstream) {
		return
	}
	defer upstream.Close()
	if _, err := io.WriteString(client, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		return
	}
	var both sync.WaitGroup
	both.Go(func() {
		io.Copy(upstream, br) // br: bytes the client sent after its CONNECT may be buffered there
		upstream.Close()
		client.Close()
	})
	io.Copy(client, upstream)
	client.Close()
	upstream.Close()
	both.Wait()
}

func (p *tunnelProxy) close() {
	p.ln.Close()
	p.mu.Lock()
	p.closed = true
	for conn := range p.conns {
		conn.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// hosts are the host:ports the proxy was asked to CONNECT to.
func (p *tunnelProxy) hosts() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.asked)
}

func TestHTTPSProxy(t *testing.T) {
	app := start(t)
	block, _ := pem.Decode(app.CertPEM)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	const name = "example.com"
	if err := cert.VerifyHostname(name); err != nil {
		t.Fatalf("the fixture's certificate must cover %s: %v", name, err)
	}
	base, err := url.Parse(app.BaseURL)
	if err != nil {
		t.Fatal(err)
	}
	asked := net.JoinHostPort(name, base.Port())
	descriptorURL := "https://" + asked + "/atlassian-connect.json"

	proxy := startProxy(t, base.Host)
	// Both spellings, so that the environment the tests run in decides nothing.
	env := []string{"HTTPS_PROXY=http://" + proxy.ln.Addr().String(), "https_proxy=", "NO_PROXY=", "no_proxy="}
	// --skip-hosts: the transport and domain checks would dial example.com and
	// ask DNS about it themselves, and tests talk to nothing but loopback.
	r := ecoscan(t, app, env, "connect", descriptorURL, "--quiet", "--timeout=5s", "--skip-hosts")
	if r.code != finding.ExitClean {
		t.Fatalf("exit %d, want 0\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	// The app's pages are on its baseUrl, 127.0.0.1, which is never proxied:
	// the proxy sees the descriptor's host alone.
	hosts := proxy.hosts()
	if len(hosts) == 0 || slices.ContainsFunc(hosts, func(h string) bool { return h != asked }) {
		t.Errorf("the proxy was asked for %q, want CONNECT %s", hosts, asked)
	}
	if rep := decode(t, r.stdout); rep.Target.AppKey != "com.example.ecoscan-fixture" {
		t.Errorf("scanned app %q, want the fixture's descriptor", rep.Target.AppKey)
	}
}
