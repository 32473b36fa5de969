package api

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ecoscan/ecoscan/internal/service/egress"
)

const (
	maxURLLen      = 2048
	resolveTimeout = 5 * time.Second
)

// defaultResolver is net.DefaultResolver behind the Resolver interface.
type defaultResolver struct{}

func (defaultResolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	return net.DefaultResolver.LookupNetIP(ctx, network, host)
}

// checkTarget accepts a URL the service will fetch or post to (a Connect
// descriptor, a webhook): absolute https (http only when every address of
// the host is allow-listed), no credentials or fragment, a host that
// resolves, and no resolved address that the egress guard refuses unless
// the allow-list lets it through. The scan and the deliveries check the
// addresses again when they connect, which catches a name that later
// resolves elsewhere.
func (o *Ops) checkTarget(ctx context.Context, field, raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", invalid(field, "is required")
	}
	if len(raw) > maxURLLen {
		return "", invalid(field, "is longer than %d characters", maxURLLen)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", invalid(field, "is not a URL: %v", errors.Unwrap(err))
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return "", invalid(field, "must be an absolute https URL")
	case u.Opaque != "" || u.Host == "":
		return "", invalid(field, "must be an absolute https URL with a host")
	case u.User != nil:
		return "", invalid(field, "must not carry credentials")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return "", invalid(field, "must not have a fragment")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "", invalid(field, "has an invalid port")
		}
	}
	host := u.Hostname()
	addrs, err := o.resolve(ctx, host)
	if err != nil {
		return "", invalid(field, "host %q does not resolve", host)
	}
	for _, a := range addrs {
		if err := egress.Check(a, o.cfg.Allow); err != nil {
			var be *egress.BlockedError
			reason := "not reachable from the service"
			if errors.As(err, &be) && be.Reason != "" {
				reason = be.Reason
			}
			return "", invalid(field, "host %q resolves to %s, which is refused (%s)", host, a, reason)
		}
	}
	if u.Scheme == "http" && !o.allAllowed(addrs) {
		return "", invalid(field, "must be https (plain http is accepted only for allow-listed hosts)")
	}
	return u.String(), nil
}

// resolve returns the addresses of host: the address itself for an IP
// literal, else what the resolver answers.
func (o *Ops) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Zone() != "" {
			return nil, errors.New("zoned address")
		}
		return []netip.Addr{a}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, resolveTimeout)
	defer cancel()
	addrs, err := o.cfg.Resolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	if len(addrs) == 0 {
		return nil, errors.New("no addresses")
	}
	return addrs, nil
}

// allAllowed reports whether the allow-list names every address.
func (o *Ops) allAllowed(addrs []netip.Addr) bool {
	for _, a := range addrs {
		a = a.Unmap()
		ok := false
		for _, p := range o.cfg.Allow {
			if p.Contains(a) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}
