package domain

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/miekg/dns"
)

//go:embed fingerprints.json
var fingerprintsJSON []byte

// service is one entry of fingerprints.json: a third-party service whose
// unclaimed resources can be taken over, and how to tell one.
type service struct {
	Name     string      `json:"name"`
	CNAME    []string    `json:"cname"`
	Pattern  string      `json:"pattern"`
	NXDomain bool        `json:"nxdomain"`
	HTTP     *httpSignal `json:"http"`
	EdgeCase bool        `json:"edge_case"`
	Claim    string      `json:"claim"`
	Examples []string    `json:"examples"`
	Source   string      `json:"source"`

	re *regexp.Regexp
}

// httpSignal is the page a service serves for a host whose resource is gone.
type httpSignal struct {
	Status int      `json:"status"` // 0: any status
	Body   []string `json:"body"`   // all must be present
}

// matches reports whether name (lower case, no final dot) is a resource name
// of the service.
func (s *service) matches(name string) bool {
	for _, suffix := range s.CNAME {
		if strings.HasSuffix(name, "."+suffix) {
			return s.re == nil || s.re.MatchString(name)
		}
	}
	return false
}

// unclaimed reports whether an HTTP answer is the service's page for a gone resource.
func (h *httpSignal) unclaimed(status int, body []byte) bool {
	if h.Status != 0 && status != h.Status {
		return false
	}
	for _, b := range h.Body {
		if !bytes.Contains(body, []byte(b)) {
			return false
		}
	}
	return true
}

// services is the embedded fingerprint data, read and checked once.
var services = sync.OnceValues(func() ([]*service, error) { return parseServices(fingerprintsJSON) })

// parseServices reads and checks fingerprint data.
func parseServices(data []byte) ([]*service, error) {
	var doc struct {
		About    string     `json:"about"`
		Services []*service `json:"services"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("read the takeover fingerprints: %w", err)
	}
	seen := map[string]bool{}
	for i, s := range doc.Services {
		if err := s.check(); err != nil {
			return nil, fmt.Errorf("takeover fingerprint %d (%q): %w", i, s.Name, err)
		}
		if seen[s.Name] {
			return nil, fmt.Errorf("takeover fingerprint %d: %q listed twice", i, s.Name)
		}
		seen[s.Name] = true
	}
	return doc.Services, nil
}

// check makes sure an entry can be used and is documented: a name, domains,
// a signal, where the fact comes from, and examples it matches.
func (s *service) check() error {
	switch {
	case s.Name == "":
		return errors.New("no name")
	case s.Source == "":
		return errors.New("no source")
	case s.Claim == "":
		return errors.New("no claim: say what an attacker can do")
	case len(s.CNAME) == 0:
		return errors.New("no cname domains")
	case !s.NXDomain && s.HTTP == nil:
		return errors.New("neither nxdomain nor http: no signal")
	case s.HTTP != nil && len(s.HTTP.Body) == 0:
		return errors.New("http signal without body strings")
	case len(s.Examples) == 0:
		return errors.New("no examples")
	}
	for _, c := range s.CNAME {
		if _, ok := dns.IsDomainName(c); !ok || c != strings.ToLower(c) || strings.HasSuffix(c, ".") {
			return fmt.Errorf("cname %q is not a lower-case domain without a final dot", c)
		}
	}
	if s.Pattern != "" {
		re, err := regexp.Compile(s.Pattern)
		if err != nil {
			return fmt.Errorf("pattern: %w", err)
		}
		s.re = re
	}
	for _, e := range s.Examples {
		if !s.matches(e) {
			return fmt.Errorf("example %q does not match", e)
		}
	}
	return nil
}

// nxService is the service whose unclaimed names are signalled by NXDOMAIN
// that name belongs to, or nil.
func nxService(all []*service, name string) *service {
	for _, s := range all {
		if s.NXDomain && s.matches(name) {
			return s
		}
	}
	return nil
}

// httpService is the first service with an HTTP fingerprint that a name of
// the chain belongs to, with that name, or nil.
func httpService(all []*service, chain []Hop) (*service, string) {
	for _, h := range chain {
		for _, s := range all {
			if s.HTTP != nil && s.matches(h.Name) {
				return s, h.Name
			}
		}
	}
	return nil, ""
}

// Takeover is a host whose chain points at an unclaimed resource of a
// third-party service.
type Takeover struct {
	Service     string // the service's name in the fingerprint data
	Name        string // the name of the chain that belongs to the service
	Signal      string // what showed the resource is unclaimed: the NXDOMAIN, or the HTTP answer
	Claim       string // what an attacker can do
	Source      string // where the fingerprint comes from
	NeedsReview bool   // the service can block the takeover in ways not visible from outside
}

// HTTPGet fetches a URL for the takeover fingerprints and returns the
// status and the first bytes of the body (a page's start is enough).
type HTTPGet func(ctx context.Context, url string) (status int, body []byte, err error)

// takeover judges a host's chain against the fingerprints: a chain that
// ends in NXDOMAIN or no data at a name of an NXDOMAIN service, or a resolved
// chain through a service with an HTTP fingerprint whose page says the
// resource is gone (fetched over HTTP, then HTTPS). It returns the takeover,
// if any, and an error when the page could be fetched neither way.
func (s *scanner) takeover(ctx context.Context, h *Host) (*Takeover, error) {
	if len(h.Chain) == 0 {
		return nil, nil
	}
	switch h.End {
	case NXDomain, NoData:
		last := h.Chain[len(h.Chain)-1]
		svc := nxService(s.services, last.Name)
		if svc == nil {
			return nil, nil
		}
		what := "does not exist (NXDOMAIN)"
		if h.End == NoData {
			what = "has no address (NOERROR, no data)"
		}
		return &Takeover{Service: svc.Name, Name: last.Name, Signal: last.Name + " " + what,
			Claim: svc.Claim, Source: svc.Source, NeedsReview: svc.EdgeCase}, nil
	case Resolved:
		svc, name := httpService(s.services, h.Chain)
		if svc == nil {
			return nil, nil
		}
		var errs []error
		for _, scheme := range []string{"http", "https"} {
			u := scheme + "://" + h.Name + "/"
			status, body, err := s.get(ctx, u)
			if err != nil {
				errs = append(errs, fmt.Errorf("GET %s: %w", u, err))
				continue
			}
			if svc.HTTP.unclaimed(status, body) {
				return &Takeover{Service: svc.Name, Name: name,
					Signal: fmt.Sprintf("GET %s answered %d with %s's page for a missing resource (%q)", u, status, svc.Name, strings.Join(svc.HTTP.Body, `", "`)),
					Claim:  svc.Claim, Source: svc.Source, NeedsReview: svc.EdgeCase}, nil
			}
			errs = nil // an answer that is not the fingerprint settles it, whatever the other scheme does
		}
		if len(errs) == 2 {
			return nil, fmt.Errorf("fetch the page of %s (it points into %s): %w", h.Name, svc.Name, errors.Join(errs...))
		}
	}
	return nil, nil
}
