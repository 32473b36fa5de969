package domain

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
)

const (
	ednsSize = 1232 // the UDP answer size advertised (the DNS flag day 2020 value)
	udpTries = 2    // a UDP question that gets no answer is sent once more
)

// Errors that the DNS layer wraps, so that callers can tell the failures apart.
var (
	errMalformed = errors.New("malformed DNS answer")
	errNoAnswer  = errors.New("no answer")
)

// question is one DNS question: a fully qualified, lower-case name and a type.
type question struct {
	name  string
	qtype uint16
}

func (q question) String() string {
	t, ok := dns.TypeToString[q.qtype]
	if !ok {
		t = "TYPE" + strconv.Itoa(int(q.qtype))
	}
	return q.name + " " + t
}

// answer is what one DNS response says about its question's name. Records
// owned by other names (the rest of a chain a resolver followed) are not
// read: every hop is asked about on its own.
type answer struct {
	rcode     int
	truncated bool
	tcp       bool                // the answer came over TCP
	cname     string              // the target of the name's CNAME, canonical
	addrs     []string            // the name's A and AAAA addresses
	ns        []string            // the name's NS hosts, from the answer or, in a referral, the authority section
	glue      map[string][]string // IPv4 addresses of those NS hosts from the additional section
	soa       bool                // an SOA record of the name is in the answer section
}

// parseAnswer reads a DNS message as received for q. A message that does not
// unpack, is not a response to a query, answers another question or gives
// the name two different CNAMEs is malformed.
func parseAnswer(raw []byte, q question) (answer, error) {
	var m dns.Msg
	if err := m.Unpack(raw); err != nil {
		return answer{}, fmt.Errorf("%w: %v", errMalformed, err)
	}
	if !m.Response || m.Opcode != dns.OpcodeQuery {
		return answer{}, fmt.Errorf("%w: not a response to a query", errMalformed)
	}
	switch {
	case len(m.Question) > 1:
		return answer{}, fmt.Errorf("%w: %d questions", errMalformed, len(m.Question))
	case len(m.Question) == 1:
		got := m.Question[0]
		if !sameName(got.Name, q.name) || got.Qtype != q.qtype || got.Qclass != dns.ClassINET {
			return answer{}, fmt.Errorf("%w: answers %s, not %s", errMalformed, question{dns.CanonicalName(got.Name), got.Qtype}, q)
		}
	case (m.Rcode == dns.RcodeSuccess || m.Rcode == dns.RcodeNameError) && !m.Truncated:
		// Servers may leave the question out of an error, never out of an answer.
		return answer{}, fmt.Errorf("%w: no question section", errMalformed)
	}
	a := answer{rcode: m.Rcode, truncated: m.Truncated}
	if m.Truncated {
		return a, nil
	}
	for _, rr := range m.Answer {
		h := rr.Header()
		if h.Class != dns.ClassINET || !sameName(h.Name, q.name) {
			continue
		}
		switch v := rr.(type) {
		case *dns.CNAME:
			target := dns.CanonicalName(v.Target)
			if a.cname != "" && a.cname != target {
				return answer{}, fmt.Errorf("%w: %s has two CNAMEs, %s and %s", errMalformed, q.name, a.cname, target)
			}
			a.cname = target
		case *dns.A:
			if ip := v.A.To4(); ip != nil {
				a.addrs = append(a.addrs, ip.String())
			}
		case *dns.AAAA:
			if len(v.AAAA) == net.IPv6len {
				a.addrs = append(a.addrs, v.AAAA.String())
			}
		case *dns.NS:
			a.ns = append(a.ns, dns.CanonicalName(v.Ns))
		case *dns.SOA:
			a.soa = true
		}
	}
	if len(a.ns) == 0 {
		for _, rr := range m.Ns {
			if v, ok := rr.(*dns.NS); ok && v.Hdr.Class == dns.ClassINET && sameName(v.Hdr.Name, q.name) {
				a.ns = append(a.ns, dns.CanonicalName(v.Ns))
			}
		}
	}
	slices.Sort(a.ns)
	a.ns = slices.Compact(a.ns)
	for _, rr := range m.Extra {
		v, ok := rr.(*dns.A)
		if !ok || v.A.To4() == nil {
			continue
		}
		owner := dns.CanonicalName(v.Hdr.Name)
		if _, isNS := slices.BinarySearch(a.ns, owner); isNS {
			if a.glue == nil {
				a.glue = map[string][]string{}
			}
			a.glue[owner] = append(a.glue[owner], v.A.To4().String())
		}
	}
	return a, nil
}

// sameName compares two domain names as DNS does: without regard to ASCII case.
func sameName(a, b string) bool { return dns.CanonicalName(a) == dns.CanonicalName(b) }

// rcodeName is an rcode's name, such as NOERROR or NXDOMAIN.
func rcodeName(rcode int) string {
	if s, ok := dns.RcodeToString[rcode]; ok {
		return s
	}
	return "RCODE" + strconv.Itoa(rcode)
}

// dnsClient asks DNS servers questions, each within a time limit.
type dnsClient struct {
	timeout time.Duration // one exchange, over UDP or TCP
}

// ask sends q to server (host:port) and reads the answer: over UDP, once
// more when no answer comes, and over TCP when the UDP answer is truncated.
// recurse sets the RD flag: a resolver is asked to recurse, a zone's own
// servers are not.
func (c dnsClient) ask(ctx context.Context, server string, q question, recurse bool) (answer, error) {
	var err error
	for try := 0; try < udpTries; try++ {
		var a answer
		a, err = c.exchange(ctx, "udp", server, q, recurse)
		if err == nil && !a.truncated {
			return a, nil
		}
		if err == nil {
			a, err = c.exchange(ctx, "tcp", server, q, recurse)
			if err == nil && a.truncated {
				err = fmt.Errorf("%w: truncated over TCP too", errMalformed)
			}
			if err != nil {
				return answer{}, fmt.Errorf("ask %s about %s over TCP (the UDP answer was truncated): %w", server, q, err)
			}
			a.tcp = true
			return a, nil
		}
		if !errors.Is(err, errNoAnswer) || ctx.Err() != nil {
			break
		}
	}
	return answer{}, fmt.Errorf("ask %s about %s: %w", server, q, err)
}

// exchange sends one question over network ("udp" or "tcp") and reads its
// answer. Over UDP, datagrams that do not carry the question's id are
// ignored (they may be spoofed or late); the wait ends at the time limit.
func (c dnsClient) exchange(ctx context.Context, network, server string, q question, recurse bool) (answer, error) {
	m := new(dns.Msg)
	m.SetQuestion(q.name, q.qtype)
	m.RecursionDesired = recurse
	m.SetEdns0(ednsSize, false)

	// The wait ends at the time limit or at the caller's deadline,
	// whichever comes first; explain says which it was.
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var d net.Dialer
	nc, err := d.DialContext(ctx, network, server)
	if err != nil {
		return answer{}, c.explain(parent, fmt.Errorf("connect over %s: %w", network, err))
	}
	defer nc.Close()
	if deadline, ok := ctx.Deadline(); ok {
		if err := nc.SetDeadline(deadline); err != nil {
			return answer{}, fmt.Errorf("set the deadline: %w", err)
		}
	}
	// A cancelled context ends a wait at once.
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	co := &dns.Conn{Conn: nc, UDPSize: dns.MaxMsgSize}
	if err := co.WriteMsg(m); err != nil {
		return answer{}, c.explain(parent, fmt.Errorf("send over %s: %w", network, err))
	}
	for {
		raw, err := co.ReadMsgHeader(nil)
		if network == "udp" && errors.Is(err, dns.ErrShortRead) {
			continue // too short to be anyone's answer
		}
		if err != nil {
			return answer{}, c.explain(parent, fmt.Errorf("read over %s: %w", network, err))
		}
		if id := binary.BigEndian.Uint16(raw); id != m.Id {
			if network == "udp" {
				continue
			}
			return answer{}, fmt.Errorf("%w: id %d answers question %d", errMalformed, id, m.Id)
		}
		return parseAnswer(raw, q)
	}
}

// explain turns a network error into errNoAnswer when the time limit (not
// the caller) ended the wait, and into the caller's error when the caller did.
func (c dnsClient) explain(parent context.Context, err error) error {
	if parent.Err() != nil {
		return parent.Err()
	}
	var ne net.Error
	if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		// The socket's deadline may pass a moment before the caller's
		// context says so.
		if dl, ok := parent.Deadline(); ok && !time.Now().Before(dl) {
			return context.DeadlineExceeded
		}
		return fmt.Errorf("%w within %s", errNoAnswer, c.timeout)
	}
	return err
}

// trimDot is a name as people write it: without the final dot.
func trimDot(name string) string {
	if name == "." {
		return name
	}
	return strings.TrimSuffix(name, ".")
}
