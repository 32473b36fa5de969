// Package egress keeps the scanning service from being turned against its
// own network: a registered app's URLs are chosen by whoever registers it,
// and must not lead the service to loopback, private, link-local or other
// internal addresses, or to a cloud metadata endpoint.
//
// The check runs in a net.Dialer's Control function, on the address the
// socket is about to connect to: after DNS resolution, for every address
// tried, for every redirect hop and every new connection. A name that
// resolves to a public address when an app is registered and to 127.0.0.1
// when it is scanned (DNS rebinding) is refused at the moment it matters.
//
// Refused: loopback, unspecified, RFC 1918 private, RFC 4193 unique local,
// link-local, CGNAT shared space (100.64.0.0/10), multicast, broadcast and
// the other IANA special-purpose blocks that are not globally reachable
// (documentation, benchmarking, reserved, IETF protocol assignments),
// IPv6 outside global unicast 2000::/3, Teredo and local-use NAT64; and
// IPv4-mapped IPv6, IPv4-compatible IPv6, 6to4 and well-known-prefix NAT64
// (64:ff9b::/96) addresses whose embedded IPv4 address is one of those.
// Cloud metadata addresses are named as such in the error.
//
// An allow-list of prefixes lets chosen addresses through (tests allow their
// loopback apps). A metadata address is let through only when the list
// names it exactly (a /32 or /128), never by a wider prefix.
package egress

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"time"
)

// ErrBlocked is what every refusal wraps.
var ErrBlocked = errors.New("egress refused")

// BlockedError says which address was refused, and why.
type BlockedError struct {
	Network string     // "tcp4", "udp6", ...
	Address string     // the address being dialled, as the dialer gave it
	Addr    netip.Addr // the IP refused; invalid if Address did not parse
	Reason  string     // e.g. "loopback", "cloud metadata (AWS, GCP, Azure, ...)"
}

// Error says what was refused, e.g. "egress refused: 127.0.0.1:8080 is
// loopback".
func (e *BlockedError) Error() string {
	return fmt.Sprintf("%v: %s is %s", ErrBlocked, e.Address, e.Reason)
}

// Unwrap returns ErrBlocked.
func (e *BlockedError) Unwrap() error { return ErrBlocked }

// rule is one refused range.
type rule struct {
	prefix netip.Prefix
	reason string
}

// metadata are the cloud metadata and platform addresses: refused even when
// a wider allowed prefix holds them.
var metadata = []rule{
	{netip.MustParsePrefix("169.254.169.254/32"), "cloud metadata (AWS, GCP, Azure, OpenStack, Oracle, DigitalOcean)"},
	{netip.MustParsePrefix("169.254.170.2/32"), "cloud metadata (AWS ECS task credentials)"},
	{netip.MustParsePrefix("fd00:ec2::254/128"), "cloud metadata (AWS, IPv6)"},
	{netip.MustParsePrefix("100.100.100.200/32"), "cloud metadata (Alibaba Cloud)"},
	{netip.MustParsePrefix("168.63.129.16/32"), "cloud platform endpoint (Azure WireServer)"},
	{netip.MustParsePrefix("192.0.0.192/32"), "cloud metadata (Oracle Cloud, legacy)"},
}

// rules4 are the refused IPv4 ranges (IANA IPv4 special-purpose registry,
// the blocks not globally reachable).
var rules4 = []rule{
	{netip.MustParsePrefix("255.255.255.255/32"), "broadcast"},
	{netip.MustParsePrefix("0.0.0.0/8"), "unspecified (this network)"},
	{netip.MustParsePrefix("10.0.0.0/8"), "private (RFC 1918)"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared address space (CGNAT, RFC 6598)"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private (RFC 1918)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignments"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation (TEST-NET-1)"},
	{netip.MustParsePrefix("192.88.99.0/24"), "6to4 relay anycast (deprecated)"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private (RFC 1918)"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking (RFC 2544)"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation (TEST-NET-2)"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation (TEST-NET-3)"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},
}

// rules6 are the refused IPv6 ranges inside or beside global unicast, with
// names; everything else outside 2000::/3 is refused too.
var rules6 = []rule{
	{netip.MustParsePrefix("::/128"), "unspecified"},
	{netip.MustParsePrefix("::1/128"), "loopback"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "local-use NAT64 (RFC 8215)"},
	{netip.MustParsePrefix("100::/64"), "discard-only (RFC 6666)"},
	{netip.MustParsePrefix("2001::/32"), "Teredo tunnel"},
	{netip.MustParsePrefix("2001::/23"), "IETF protocol assignments"},
	{netip.MustParsePrefix("2001:db8::/32"), "documentation"},
	{netip.MustParsePrefix("3fff::/20"), "documentation"},
	{netip.MustParsePrefix("5f00::/16"), "segment routing (SRv6) SIDs"},
	{netip.MustParsePrefix("fc00::/7"), "private (unique local, RFC 4193)"},
	{netip.MustParsePrefix("fe80::/10"), "link-local"},
	{netip.MustParsePrefix("fec0::/10"), "site-local (deprecated)"},
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
}

var (
	globalUnicast6 = netip.MustParsePrefix("2000::/3")
	nat64          = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour      = netip.MustParsePrefix("2002::/16")
	compat4        = netip.MustParsePrefix("::/96")
	translated4    = netip.MustParsePrefix("::ffff:0:0:0/96")
)

// Reason says why addr must not be reached, "" when it may. It does not
// consult an allow-list; Check does.
func Reason(addr netip.Addr) string {
	addr = addr.WithZone("")
	for _, r := range metadata {
		if r.prefix.Contains(addr) || (addr.Is4In6() && r.prefix.Contains(addr.Unmap())) {
			return r.reason
		}
	}
	switch {
	case !addr.IsValid():
		return "not an IP address"
	case addr.Is4():
		return reason4(addr)
	case addr.Is4In6():
		return embedded(addr.Unmap(), "IPv4-mapped")
	}
	for _, r := range rules6 {
		if r.prefix.Contains(addr) {
			return r.reason
		}
	}
	a := addr.As16()
	switch {
	case nat64.Contains(addr):
		return embedded(netip.AddrFrom4([4]byte(a[12:16])), "NAT64")
	case translated4.Contains(addr):
		return "IPv4-translated (SIIT)"
	case compat4.Contains(addr):
		return "IPv4-compatible (deprecated)"
	case sixToFour.Contains(addr):
		return embedded(netip.AddrFrom4([4]byte(a[2:6])), "6to4")
	case !globalUnicast6.Contains(addr):
		return "not IPv6 global unicast (outside 2000::/3)"
	}
	return ""
}

// reason4 says why an IPv4 address must not be reached, "" when it may.
func reason4(addr netip.Addr) string {
	for _, r := range rules4 {
		if r.prefix.Contains(addr) {
			return r.reason
		}
	}
	return ""
}

// embedded judges the IPv4 address inside an IPv6 form.
func embedded(v4 netip.Addr, form string) string {
	for _, r := range metadata {
		if r.prefix.Contains(v4) {
			return r.reason + " in " + form + " form " + v4.String()
		}
	}
	if r := reason4(v4); r != "" {
		return r + " in " + form + " form " + v4.String()
	}
	return ""
}

// isMetadata reports whether addr (or the IPv4 address it maps) is a
// metadata address.
func isMetadata(addr netip.Addr) bool {
	for _, r := range metadata {
		if r.prefix.Contains(addr) || (addr.Is4In6() && r.prefix.Contains(addr.Unmap())) {
			return true
		}
	}
	return false
}

// allowed reports whether the allow-list lets addr through.
func allowed(addr netip.Addr, allow []netip.Prefix) bool {
	addr = addr.WithZone("")
	meta := isMetadata(addr)
	for _, p := range allow {
		if !p.Contains(addr) && !(addr.Is4In6() && p.Contains(addr.Unmap())) {
			continue
		}
		if meta && !p.IsSingleIP() {
			continue // a metadata address is let through by name only
		}
		return true
	}
	return false
}

// Check returns a *BlockedError if addr must not be reached and the
// allow-list does not let it through, else nil.
func Check(addr netip.Addr, allow []netip.Prefix) error {
	if allowed(addr, allow) {
		return nil
	}
	if r := Reason(addr); r != "" {
		return &BlockedError{Address: addr.String(), Addr: addr, Reason: r}
	}
	return nil
}

// Guard returns a net.Dialer Control function that refuses connections to
// the addresses this package refuses, unless allow holds them. It judges
// the address the socket connects to (after DNS resolution), and refuses
// networks other than TCP and UDP and addresses it cannot parse.
func Guard(allow []netip.Prefix) func(network, address string, c syscall.RawConn) error {
	allow = normalize(allow)
	return func(network, address string, _ syscall.RawConn) error {
		switch network {
		case "tcp", "tcp4", "tcp6", "udp", "udp4", "udp6":
		default:
			return &BlockedError{Network: network, Address: address, Reason: "not a TCP or UDP network"}
		}
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return &BlockedError{Network: network, Address: address, Reason: "not an IP address and port"}
		}
		if err := Check(ap.Addr(), allow); err != nil {
			var be *BlockedError
			if errors.As(err, &be) {
				be.Network, be.Address = network, address
			}
			return err
		}
		return nil
	}
}

// normalize masks the prefixes and drops invalid ones.
func normalize(allow []netip.Prefix) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(allow))
	for _, p := range allow {
		if p.IsValid() {
			out = append(out, p.Masked())
		}
	}
	return out
}

// ParseAllow parses allow-list entries: IP addresses ("127.0.0.1", "::1")
// and CIDR prefixes ("10.0.0.0/8"). Host names are refused: what a name
// resolves to can change, which is the attack this package stops.
func ParseAllow(entries []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if strings.Contains(e, "/") {
			p, err := netip.ParsePrefix(e)
			if err != nil {
				return nil, fmt.Errorf("egress allow-list entry %q: %w", e, err)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(e)
		if err != nil {
			return nil, fmt.Errorf("egress allow-list entry %q is not an IP address or CIDR prefix (host names are not accepted: what they resolve to can change)", e)
		}
		a = a.WithZone("")
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// NewDialer returns a dialer guarded by Guard(allow), with a 30-second
// connect timeout and 30-second keep-alives.
func NewDialer(allow []netip.Prefix) *net.Dialer {
	return &net.Dialer{
		Timeout:   30 * time.Second,
		KeepAlive: 30 * time.Second,
		Control:   Guard(allow),
	}
}

// NewTransport returns a clone of http.DefaultTransport whose connections
// are guarded by Guard(allow). It uses no proxy: through a proxy the guard
// would judge the proxy's address, not the target's, so a proxy must do its
// own egress filtering and be wired in deliberately.
func NewTransport(allow []netip.Prefix) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.DialContext = NewDialer(slices.Clone(allow)).DialContext
	t.DialTLSContext = nil
	return t
}
