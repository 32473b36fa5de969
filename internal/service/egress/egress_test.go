package egress

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

func TestReason(t *testing.T) {
	tests := []struct {
		addr string
		want string // a substring of the reason; "" means allowed
	}{
		// Public addresses go through, in every form that reaches them.
		{"8.8.8.8", ""},
		{"1.1.1.1", ""},
		{"13.107.42.14", ""},
		{"2606:4700:4700::1111", ""},
		{"::ffff:8.8.8.8", ""},
		{"64:ff9b::808:808", ""}, // NAT64 of 8.8.8.8
		{"2002:808:808::1", ""},  // 6to4 of 8.8.8.8
		// Edges of the refused IPv4 blocks.
		{"9.255.255.255", ""},
		{"11.0.0.0", ""},
		{"100.63.255.255", ""},
		{"100.128.0.0", ""},
		{"126.255.255.255", ""},
		{"128.0.0.0", ""},
		{"169.253.255.255", ""},
		{"169.255.0.0", ""},
		{"172.15.255.255", ""},
		{"172.32.0.0", ""},
		{"192.167.255.255", ""},
		{"192.169.0.0", ""},
		{"223.255.255.255", ""},
		// Loopback and unspecified.
		{"127.0.0.1", "loopback"},
		{"127.255.255.254", "loopback"},
		{"::1", "loopback"},
		{"0.0.0.0", "unspecified"},
		{"0.1.2.3", "unspecified"},
		{"::", "unspecified"},
		// Private and unique local.
		{"10.0.0.1", "private"},
		{"10.255.255.255", "private"},
		{"172.16.0.1", "private"},
		{"172.31.255.255", "private"},
		{"192.168.0.1", "private"},
		{"fc00::1", "unique local"},
		{"fd12:3456:789a::1", "unique local"},
		// Link-local, CGNAT, multicast, broadcast, reserved.
		{"169.254.0.1", "link-local"},
		{"fe80::1", "link-local"},
		{"fe80::1%eth0", "link-local"},
		{"100.64.0.1", "CGNAT"},
		{"100.127.255.255", "CGNAT"},
		{"224.0.0.1", "multicast"},
		{"239.255.255.250", "multicast"},
		{"ff02::1", "multicast"},
		{"ff0e::1", "multicast"},
		{"255.255.255.255", "broadcast"},
		{"240.0.0.1", "reserved"},
		{"198.18.0.1", "benchmarking"},
		{"192.0.2.1", "documentation"},
		{"2001:db8::1", "documentation"},
		{"192.0.0.8", "IETF"},
		{"2001::1", "Teredo"},
		{"fec0::1", "site-local"},
		{"100::1", "discard"},
		{"4000::1", "outside 2000::/3"},
		{"e000::1", "outside 2000::/3"},
		// Cloud metadata.
		{"169.254.169.254", "cloud metadata"},
		{"169.254.170.2", "cloud metadata (AWS ECS"},
		{"fd00:ec2::254", "cloud metadata (AWS, IPv6)"},
		{"100.100.100.200", "cloud metadata (Alibaba"},
		{"168.63.129.16", "Azure"},
		{"192.0.0.192", "Oracle"},
		// IPv4-mapped IPv6 forms.
		{"::ffff:127.0.0.1", "loopback in IPv4-mapped"},
		{"::ffff:10.1.2.3", "private (RFC 1918) in IPv4-mapped"},
		{"::ffff:169.254.169.254", "cloud metadata"},
		{"::ffff:100.64.0.1", "CGNAT"},
		{"::ffff:0.0.0.0", "unspecified"},
		{"::ffff:255.255.255.255", "broadcast"},
		// NAT64 well-known prefix embedding them.
		{"64:ff9b::7f00:1", "loopback in NAT64 form 127.0.0.1"},
		{"64:ff9b::a9fe:a9fe", "cloud metadata (AWS, GCP, Azure, OpenStack, Oracle, DigitalOcean) in NAT64"},
		{"64:ff9b::a00:1", "private (RFC 1918) in NAT64"},
		{"64:ff9b::c0a8:101", "private (RFC 1918) in NAT64"},
		{"64:ff9b::6464:64c8", "Alibaba"},
		{"64:ff9b:1::a00:1", "local-use NAT64"},
		// Other embeddings.
		{"2002:7f00:1::", "loopback in 6to4"},
		{"2002:a9fe:a9fe::", "cloud metadata"},
		{"::127.0.0.1", "IPv4-compatible"},
		{"::8.8.8.8", "IPv4-compatible"},
		{"::ffff:0:7f00:1", "IPv4-translated"},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			a := netip.MustParseAddr(tt.addr)
			got := Reason(a)
			if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
				t.Errorf("Reason(%s) = %q, want %q", tt.addr, got, tt.want)
			}
			err := Check(a, nil)
			if (err != nil) != (tt.want != "") || err != nil && !errors.Is(err, ErrBlocked) {
				t.Errorf("Check(%s) = %v", tt.addr, err)
			}
		})
	}
	if Reason(netip.Addr{}) == "" {
		t.Errorf("Reason(invalid) = \"\"")
	}
}

func TestAllow(t *testing.T) {
	allow, err := ParseAllow([]string{"127.0.0.1", " 10.0.0.0/8 ", "::1", "169.254.0.0/16", "100.100.100.200", ""})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		addr    string
		allowed bool
	}{
		{"127.0.0.1", true},
		{"::ffff:127.0.0.1", true},
		{"127.0.0.2", false},
		{"::1", true},
		{"10.20.30.40", true},
		{"::ffff:10.20.30.40", true},
		{"192.168.1.1", false},
		{"169.254.1.1", true},
		{"169.254.169.254", false}, // metadata inside an allowed /16: still refused
		{"100.100.100.200", true},  // metadata named exactly
		{"64:ff9b::7f00:1", false}, // NAT64 of an allowed address is another host
		{"8.8.8.8", true},          // public: never refused
		{"fd00:ec2::254", false},   // metadata, not named
		{"fe80::1%lo", false},      // link-local IPv6 not allowed
		{"::ffff:169.254.169.254", false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			err := Check(netip.MustParseAddr(tt.addr), allow)
			if (err == nil) != tt.allowed {
				t.Errorf("Check(%s) = %v, want allowed=%v", tt.addr, err, tt.allowed)
			}
		})
	}
	for _, bad := range []string{"localhost", "example.com", "10.0.0.0/33", "1.2.3", "[::1]"} {
		if _, err := ParseAllow([]string{bad}); err == nil {
			t.Errorf("ParseAllow(%q) succeeded", bad)
		}
	}
	p, err := ParseAllow([]string{"10.1.2.3/8", "fe80::1%eth0"})
	if err != nil || p[0].String() != "10.0.0.0/8" || p[1].String() != "fe80::1/128" {
		t.Errorf("ParseAllow normalises to %v, %v", p, err)
	}
}

func TestGuard(t *testing.T) {
	g := Guard([]netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), {}})
	tests := []struct {
		network, address string
		reason           string // "" means allowed
	}{
		{"tcp4", "127.0.0.1:80", ""},
		{"tcp4", "8.8.8.8:443", ""},
		{"tcp6", "[2606:4700:4700::1111]:443", ""},
		{"udp4", "8.8.8.8:53", ""},
		{"tcp4", "127.0.0.2:80", "loopback"},
		{"tcp6", "[::1]:80", "loopback"},
		{"tcp6", "[fe80::1%eth0]:80", "link-local"},
		{"tcp4", "169.254.169.254:80", "cloud metadata"},
		{"udp6", "[fd00:ec2::254]:53", "cloud metadata"},
		{"unix", "/var/run/docker.sock", "not a TCP or UDP network"},
		{"ip4:icmp", "8.8.8.8", "not a TCP or UDP network"},
		{"tcp4", "localhost:80", "not an IP address and port"},
		{"tcp4", "127.0.0.1", "not an IP address and port"},
	}
	for _, tt := range tests {
		t.Run(tt.network+" "+tt.address, func(t *testing.T) {
			err := g(tt.network, tt.address, nil)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("Guard = %v, want allowed", err)
				}
				return
			}
			var be *BlockedError
			if !errors.As(err, &be) || !errors.Is(err, ErrBlocked) || !strings.Contains(be.Reason, tt.reason) {
				t.Fatalf("Guard = %v, want a BlockedError for %q", err, tt.reason)
			}
			if be.Address != tt.address || be.Network != tt.network || !strings.Contains(err.Error(), tt.address) {
				t.Errorf("BlockedError = %+v (%v)", be, err)
			}
		})
	}
}

// server is a loopback HTTP server answering "ok".
func server(t *testing.T) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(s.Close)
	return s
}

func get(t *testing.T, tr *http.Transport, target string) (string, error) {
	t.Helper()
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	resp, err := c.Get(target)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func TestLoopbackServer(t *testing.T) {
	s := server(t)
	if _, err := get(t, NewTransport(nil), s.URL); !errors.Is(err, ErrBlocked) {
		t.Fatalf("GET %s without an allow-list = %v, want ErrBlocked", s.URL, err)
	}
	allow := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	if body, err := get(t, NewTransport(allow), s.URL); err != nil || body != "ok" {
		t.Fatalf("GET %s with 127.0.0.1 allowed = %q, %v", s.URL, body, err)
	}
	// A redirect from an allowed server to a refused address is refused too:
	// every connection is judged, not the first URL.
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
	}))
	defer redirect.Close()
	_, err := get(t, NewTransport(allow), redirect.URL)
	var be *BlockedError
	if !errors.As(err, &be) || !strings.Contains(be.Reason, "cloud metadata") {
		t.Fatalf("redirect to the metadata address = %v, want refused as metadata", err)
	}
}

func TestTransportHasNoProxy(t *testing.T) {
	t.Setenv("HTTP_PROXY", "http://127.0.0.1:1")
	t.Setenv("HTTPS_PROXY", "http://127.0.0.1:1")
	tr := NewTransport(nil)
	if tr.Proxy != nil {
		u, _ := url.Parse("https://example.com/")
		p, _ := tr.Proxy(&http.Request{URL: u})
		t.Fatalf("transport proxies through %v; the guard would judge the proxy", p)
	}
	if tr.DialContext == nil || tr.DialTLSContext != nil {
		t.Fatalf("transport dials around the guard")
	}
}

func TestLocalhostRefusedAtConnect(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go acceptAll(ln)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	_, err = NewDialer(nil).DialContext(ctx, "tcp", net.JoinHostPort("localhost", port))
	if !errors.Is(err, ErrBlocked) {
		t.Fatalf("dial localhost = %v, want ErrBlocked", err)
	}
	allow := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}
	c, err := NewDialer(allow).DialContext(ctx, "tcp", net.JoinHostPort("localhost", port))
	if err != nil {
		t.Fatalf("dial localhost with loopback allowed: %v", err)
	}
	_ = c.Close()
}

// TestNameResolvedAtConnect serves a name from a fake DNS server: the dialer
// resolves it while dialling and the guard judges the address it resolved
// to, whatever the name looked like.
func TestNameResolvedAtConnect(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go acceptAll(ln)
	_, port, _ := net.SplitHostPort(ln.Addr().String())

	dns, queries := fakeDNS(t, netip.MustParseAddr("127.0.0.1"))
	dialer := func(allow []netip.Prefix) *net.Dialer {
		d := NewDialer(allow)
		d.Resolver = &net.Resolver{
			PreferGo: true,
			Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
				var plain net.Dialer // the resolver's own traffic is not the target's
				return plain.DialContext(ctx, "udp", dns)
			},
		}
		return d
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	target := net.JoinHostPort("app.rebind.test", port)

	_, err = dialer(nil).DialContext(ctx, "tcp4", target)
	var be *BlockedError
	if !errors.As(err, &be) || be.Addr != netip.MustParseAddr("127.0.0.1") {
		t.Fatalf("dial %s = %v, want refused at 127.0.0.1", target, err)
	}
	if queries.Load() == 0 {
		t.Fatalf("the name was not resolved through the fake DNS server")
	}
	c, err := dialer([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}).DialContext(ctx, "tcp4", target)
	if err != nil {
		t.Fatalf("dial %s with loopback allowed: %v", target, err)
	}
	_ = c.Close()
}

func acceptAll(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		_ = c.Close()
	}
}

// fakeDNS serves A queries for any name with answer, on a loopback UDP
// port, and counts the queries.
func fakeDNS(t *testing.T, answer netip.Addr) (string, *atomic.Int64) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	var n atomic.Int64
	go func() {
		buf := make([]byte, 1500)
		for {
			m, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			var p dnsmessage.Parser
			h, err := p.Start(buf[:m])
			if err != nil {
				continue
			}
			q, err := p.Question()
			if err != nil {
				continue
			}
			n.Add(1)
			b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true})
			_ = b.StartQuestions()
			_ = b.Question(q)
			_ = b.StartAnswers()
			if q.Type == dnsmessage.TypeA {
				_ = b.AResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 0},
					dnsmessage.AResource{A: answer.As4()})
			}
			out, err := b.Finish()
			if err != nil {
				continue
			}
			_, _ = pc.WriteTo(out, from)
		}
	}()
	return pc.LocalAddr().String(), &n
}

func BenchmarkGuard(b *testing.B) {
	g := Guard([]netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")})
	b.ReportAllocs()
	for b.Loop() {
		if err := g("tcp6", "[2606:4700:4700::1111]:443", nil); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzReason checks that every IPv4 address is judged alike in each IPv6
// form that embeds it (mapped, NAT64, 6to4), and that Check agrees with
// Reason.
func FuzzReason(f *testing.F) {
	for _, s := range []string{"127.0.0.1", "8.8.8.8", "169.254.169.254", "100.100.100.200", "10.0.0.1", "::1", "64:ff9b::a00:1", "2002:7f00:1::", "fd00:ec2::254"} {
		f.Add(netip.MustParseAddr(s).AsSlice())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		a, ok := netip.AddrFromSlice(b)
		if !ok {
			return
		}
		r := Reason(a)
		if (Check(a, nil) == nil) != (r == "") {
			t.Fatalf("Check and Reason disagree on %s (%q)", a, r)
		}
		if !a.Is4() {
			return
		}
		v4 := a.As4()
		forms := map[string]netip.Addr{
			"mapped": netip.AddrFrom16([16]byte{10: 0xff, 11: 0xff, 12: v4[0], 13: v4[1], 14: v4[2], 15: v4[3]}),
			"NAT64":  netip.AddrFrom16([16]byte{1: 0x64, 2: 0xff, 3: 0x9b, 12: v4[0], 13: v4[1], 14: v4[2], 15: v4[3]}),
			"6to4":   netip.AddrFrom16([16]byte{0: 0x20, 1: 0x02, 2: v4[0], 3: v4[1], 4: v4[2], 5: v4[3]}),
		}
		for form, addr := range forms {
			if (Reason(addr) == "") != (r == "") {
				t.Errorf("%s is %q but its %s form %s is %q", a, r, form, addr, Reason(addr))
			}
		}
	})
}
