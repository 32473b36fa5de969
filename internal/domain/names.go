package domain

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/miekg/dns"
	"golang.org/x/net/publicsuffix"
)

// defaultPort is the port of a host given without one: apps are reached over HTTPS.
const defaultPort = 443

// maxZoneDepth bounds the labels below a registrable domain that are asked
// whether they are delegated zones of their own.
const maxZoneDepth = 8

// parseHost reads one of the hosts an app uses: a name, name:port or a URL.
// It returns the name in lower case without a final dot, the port (443 when
// none is given, 80 for an http URL without one), and, for an IP address, localhost or a single-label name,
// why DNS and RDAP do not apply to it.
func parseHost(s string) (name string, port int, skip string, err error) {
	s = strings.TrimSpace(s)
	port = defaultPort
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil {
			return "", 0, "", fmt.Errorf("read host %q: %w", s, err)
		}
		if u.Scheme == "http" {
			port = 80
		}
		s = u.Host
	}
	name = s
	if h, p, err := net.SplitHostPort(s); err == nil {
		n, perr := strconv.Atoi(p)
		if perr != nil || n <= 0 || n > 65535 {
			return "", 0, "", fmt.Errorf("read host %q: bad port %q", s, p)
		}
		name, port = h, n
	}
	name = strings.TrimSuffix(strings.ToLower(strings.Trim(name, "[]")), ".")
	if _, err := netip.ParseAddr(name); err == nil {
		return name, port, "an IP address", nil
	}
	switch {
	case name == "localhost" || strings.HasSuffix(name, ".localhost"):
		return name, port, "localhost", nil
	case name == "":
		return "", 0, "", fmt.Errorf("read host %q: no name", s)
	}
	if labels, ok := dns.IsDomainName(name); !ok || len(name) > 253 || strings.ContainsAny(name, `\ `) {
		return "", 0, "", fmt.Errorf("read host %q: not a domain name", s)
	} else if labels < 2 {
		return name, port, "a single-label name", nil
	}
	return name, port, "", nil
}

// registrable is the domain a registrant holds for name: one label more than
// its ICANN public suffix ("example.co.uk" for "app.example.co.uk"). Private
// suffixes of the list (github.io, herokuapp.com, ...) are skipped: they say
// who hands out subdomains, not who registered the domain, and RDAP knows
// only the registered one ("github.io" for "app.github.io"). A TLD the list
// does not know counts as a public suffix.
func registrable(name string) (string, error) {
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	if strings.ContainsAny(name, `\ `) {
		return "", fmt.Errorf("%q is not a host name", name)
	}
	suffix := name
	for {
		ps, icann := publicsuffix.PublicSuffix(suffix)
		dot := strings.IndexByte(ps, '.')
		if icann || dot < 0 {
			suffix = ps
			break
		}
		suffix = ps[dot+1:]
	}
	if len(name) <= len(suffix) || name[len(name)-len(suffix)-1] != '.' {
		return "", fmt.Errorf("%s is a public suffix: no registrable domain", name)
	}
	rest := name[:len(name)-len(suffix)-1]
	return rest[strings.LastIndexByte(rest, '.')+1:] + "." + suffix, nil
}

// zoneCandidates lists the names that may be zones of their own on the way
// to name: its registrable domain and each name between that and name
// itself, registrable domain first, each fully qualified.
func zoneCandidates(name string) []string {
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	reg, err := registrable(name)
	if err != nil {
		return nil
	}
	out := []string{reg + "."}
	if name == reg {
		return out
	}
	labels := strings.Split(strings.TrimSuffix(name, "."+reg), ".")
	for i := len(labels) - 1; i >= 0 && len(out) <= maxZoneDepth; i-- {
		out = append(out, strings.Join(labels[i:], ".")+"."+reg+".")
	}
	return out
}

// parentZone is the name one label up: "com." for "example.com.", "." for
// "com." and "" for the root.
func parentZone(name string) string {
	if name == "." || name == "" {
		return ""
	}
	if i := strings.IndexByte(name, '.'); i >= 0 && i+1 < len(name) {
		return name[i+1:]
	}
	return "."
}
