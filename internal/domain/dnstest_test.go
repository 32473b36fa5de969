package domain

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// The test DNS servers share one port on several loopback addresses; each
// address plays a part.
const (
	ipResolver = "127.0.0.1" // a recursive resolver over the scripted records
	ipRefused  = "127.0.0.2" // a name server that refuses everything
	ipServfail = "127.0.0.3" // a name server that fails everything
	ipAuth     = "127.0.0.4" // a name server that serves every scripted zone
	ipSilent   = "127.0.0.5" // a name server that never answers
)

// world is a scripted DNS: records by owner, and what the resolver does
// with some names instead of answering.
type world struct {
	rrs     map[string][]dns.RR
	special map[string]string // name -> "slow", "malformed" or "truncate"
	failing []string          // the resolver answers SERVFAIL at and under these names
}

// newWorld starts a world with the name servers of the test parts and the
// zone "test." they are under.
func newWorld(t *testing.T) *world {
	w := &world{rrs: map[string][]dns.RR{}, special: map[string]string{}}
	w.add(t,
		"ns-ok.test. A "+ipAuth,
		"ns-refused.test. A "+ipRefused,
		"ns-servfail.test. A "+ipServfail,
		"ns-silent.test. A "+ipSilent,
		"test. NS ns-ok.test.",
	)
	return w
}

// add adds records written as in a zone file (TTL and class may be left out).
func (w *world) add(t *testing.T, lines ...string) {
	t.Helper()
	for _, l := range lines {
		rr, err := dns.NewRR(l)
		if err != nil {
			t.Fatalf("record %q: %v", l, err)
		}
		owner := dns.CanonicalName(rr.Header().Name)
		w.rrs[owner] = append(w.rrs[owner], rr)
	}
}

// zone makes name a zone served by the given NS hosts (ns-ok.test. when none).
func (w *world) zone(t *testing.T, name string, ns ...string) {
	t.Helper()
	if len(ns) == 0 {
		ns = []string{"ns-ok.test."}
	}
	w.add(t, name+" SOA ns-ok.test. hostmaster.test. 1 3600 600 86400 300")
	for _, n := range ns {
		w.add(t, name+" NS "+n)
	}
}

// exists reports whether a name has records or names below it.
func (w *world) exists(name string) bool {
	if len(w.rrs[name]) > 0 {
		return true
	}
	for owner := range w.rrs {
		if strings.HasSuffix(owner, "."+name) {
			return true
		}
	}
	return false
}

func (w *world) failingName(name string) bool {
	for _, f := range w.failing {
		if name == f || strings.HasSuffix(name, "."+f) {
			return true
		}
	}
	return false
}

// records lists the records of name of type qtype.
func (w *world) records(name string, qtype uint16) []dns.RR {
	var out []dns.RR
	for _, rr := range w.rrs[name] {
		if rr.Header().Rrtype == qtype {
			out = append(out, rr)
		}
	}
	return out
}

// recurse answers as a resolver does: it follows CNAMEs itself (the code
// under test must ignore that) and gives the rcode of the chain's end.
func (w *world) recurse(m *dns.Msg, name string, qtype uint16) {
	for range 16 {
		if rrs := w.records(name, qtype); len(rrs) > 0 {
			m.Answer = append(m.Answer, rrs...)
			return
		}
		if c := w.records(name, dns.TypeCNAME); len(c) > 0 {
			m.Answer = append(m.Answer, c...)
			name = dns.CanonicalName(c[0].(*dns.CNAME).Target)
			continue
		}
		if !w.exists(name) {
			m.Rcode = dns.RcodeNameError
		}
		return
	}
	m.Rcode = dns.RcodeServerFailure // a loop
}

// authority answers as a zone's own server does: the records of the name,
// with glue for NS answers.
func (w *world) authority(m *dns.Msg, name string, qtype uint16) {
	m.Authoritative = true
	m.Answer = w.records(name, qtype)
	for _, rr := range m.Answer {
		if ns, ok := rr.(*dns.NS); ok {
			m.Extra = append(m.Extra, w.records(dns.CanonicalName(ns.Ns), dns.TypeA)...)
		}
	}
	if len(m.Answer) == 0 && !w.exists(name) {
		m.Rcode = dns.RcodeNameError
	}
}

func (w *world) ServeDNS(rw dns.ResponseWriter, req *dns.Msg) {
	if len(req.Question) != 1 {
		return
	}
	q := req.Question[0]
	name := dns.CanonicalName(q.Name)
	m := new(dns.Msg)
	m.SetReply(req)
	host, _, _ := net.SplitHostPort(rw.LocalAddr().String())
	tcp := rw.LocalAddr().Network() == "tcp"
	switch host {
	case ipResolver:
		m.RecursionAvailable = true
		switch w.special[name] {
		case "slow":
			return
		case "malformed":
			_, _ = rw.Write(garbage(req.Id))
			return
		case "truncate":
			if !tcp {
				m.Truncated = true
				_ = rw.WriteMsg(m)
				return
			}
		}
		if w.failingName(name) {
			m.Rcode = dns.RcodeServerFailure
		} else {
			w.recurse(m, name, q.Qtype)
		}
	case ipRefused:
		m.Rcode = dns.RcodeRefused
	case ipServfail:
		m.Rcode = dns.RcodeServerFailure
	case ipAuth:
		w.authority(m, name, q.Qtype)
	default:
		return
	}
	_ = rw.WriteMsg(m)
}

// garbage is a DNS header with the right id that promises a question and an
// answer, followed by bytes that are neither.
func garbage(id uint16) []byte {
	b := make([]byte, 12, 20)
	binary.BigEndian.PutUint16(b[0:], id)
	b[2], b[3] = 0x81, 0x80 // a response, recursion desired and available
	binary.BigEndian.PutUint16(b[4:], 1)
	binary.BigEndian.PutUint16(b[6:], 1)
	return append(b, 0xff, 0xff, 0x00, 0x01, 0x02)
}

// startDNS serves w over UDP and TCP on every test address, all on one
// random port, and returns the port.
func startDNS(t *testing.T, w *world) int {
	t.Helper()
	for range 20 {
		if port, ok := tryStartDNS(t, w); ok {
			return port
		}
	}
	t.Fatal("no free port shared by the loopback addresses")
	return 0
}

func tryStartDNS(t *testing.T, w *world) (int, bool) {
	first, err := net.ListenPacket("udp", ipResolver+":0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	port := first.LocalAddr().(*net.UDPAddr).Port
	var servers []*dns.Server
	closeAll := func() {
		for _, s := range servers {
			if s.PacketConn != nil {
				s.PacketConn.Close()
			}
			if s.Listener != nil {
				s.Listener.Close()
			}
		}
	}
	servers = append(servers, &dns.Server{PacketConn: first, Handler: w})
	for _, ip := range []string{ipResolver, ipRefused, ipServfail, ipAuth, ipSilent} {
		addr := net.JoinHostPort(ip, strconv.Itoa(port))
		if ip != ipResolver {
			pc, err := net.ListenPacket("udp", addr)
			if err != nil {
				closeAll()
				return 0, false
			}
			servers = append(servers, &dns.Server{PacketConn: pc, Handler: w})
		}
		l, err := net.Listen("tcp", addr)
		if err != nil {
			closeAll()
			return 0, false
		}
		servers = append(servers, &dns.Server{Listener: l, Handler: w})
	}
	var started sync.WaitGroup
	for _, s := range servers {
		started.Add(1)
		s.NotifyStartedFunc = started.Done
		go func() { _ = s.ActivateAndServe() }()
	}
	started.Wait()
	t.Cleanup(func() {
		for _, s := range servers {
			_ = s.Shutdown()
		}
	})
	return port, true
}

// healthyRDAP serves every domain as registered until far in the future.
func healthyRDAP(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/domain/")
		w.Header().Set("Content-Type", "application/rdap+json")
		fmt.Fprintf(w, `{"objectClassName":"domain","ldhName":%q,"events":[{"eventAction":"expiration","eventDate":"2099-01-01T00:00:00Z"}]}`, name)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// testConfig asks the world's servers, with short time limits.
func testConfig(port int, rdapURL string) Config {
	return Config{
		Resolver:     net.JoinHostPort(ipResolver, strconv.Itoa(port)),
		NSPort:       port,
		QueryTimeout: 300 * time.Millisecond,
		RDAPBase:     rdapURL + "/",
		RDAPTimeout:  5 * time.Second,
		HTTPGet: func(_ context.Context, u string) (int, []byte, error) {
			return 0, nil, fmt.Errorf("no HTTP in this test: %s", u)
		},
	}
}
