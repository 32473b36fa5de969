package domain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

const (
	maxRDAPRedirects = 5
	// bootstrapHost is the default RDAP service: it redirects each query to
	// the RDAP server of the domain's TLD, and itself answers 404 for a TLD
	// it knows no server for.
	bootstrapHost = "rdap.org"
)

// Registration is what RDAP says about one registrable domain.
type Registration struct {
	Domain     string    // the registrable domain
	Names      []string  // the names on the app's chains under it
	URL        string    // the URL that answered, after redirects
	Expiration time.Time // the expiration event's date; zero when there is none
	Status     []string  // the domain's RDAP status values, such as "client transfer prohibited"
	NotFound   bool      // the TLD's RDAP server answered 404 with an RDAP error: the domain is not registered
	Skipped    string    // why the registration could not be judged; "" when it could
}

// rdapDomain is the part of an RDAP domain object (RFC 9083) that matters here.
type rdapDomain struct {
	expiration time.Time
	status     []string
}

// parseRDAP reads an RDAP domain object about domain: its objectClassName
// must be "domain", its ldhName (when present) the domain asked about, and
// every expiration event's date RFC 3339; the latest expiration counts.
func parseRDAP(body []byte, domain string) (rdapDomain, error) {
	var doc struct {
		ObjectClassName string   `json:"objectClassName"`
		LDHName         string   `json:"ldhName"`
		Status          []string `json:"status"`
		Events          []struct {
			Action string `json:"eventAction"`
			Date   string `json:"eventDate"`
		} `json:"events"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return rdapDomain{}, fmt.Errorf("read the RDAP answer: %w", err)
	}
	if doc.ObjectClassName != "domain" {
		return rdapDomain{}, fmt.Errorf("the RDAP answer is not a domain object (objectClassName %q)", doc.ObjectClassName)
	}
	if doc.LDHName != "" && !strings.EqualFold(strings.TrimSuffix(doc.LDHName, "."), domain) {
		return rdapDomain{}, fmt.Errorf("the RDAP answer is about %q, not %s", doc.LDHName, domain)
	}
	var out rdapDomain
	for _, e := range doc.Events {
		if !strings.EqualFold(e.Action, "expiration") {
			continue
		}
		t, err := parseRDAPDate(e.Date)
		if err != nil {
			return rdapDomain{}, err
		}
		if t.After(out.expiration) {
			out.expiration = t
		}
	}
	for _, s := range doc.Status {
		out.status = append(out.status, strings.ToLower(strings.TrimSpace(s)))
	}
	return out, nil
}

// parseRDAPDate reads an eventDate: RFC 3339, as RFC 9083 asks, or the
// same without a zone (read as UTC), as some registries write it.
func parseRDAPDate(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse("2006-01-02T15:04:05", s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("the RDAP expiration date %q is not RFC 3339", s)
}

// isRDAPNotFound reports whether a 404 answer's body is an RDAP error
// response (RFC 9083 section 6) saying so: a JSON object with errorCode 404.
func isRDAPNotFound(body []byte) bool {
	var doc struct {
		ErrorCode *int `json:"errorCode"`
	}
	return json.Unmarshal(body, &doc) == nil && doc.ErrorCode != nil && *doc.ErrorCode == http.StatusNotFound
}

// expiredStatus reports whether RDAP status values say the registration has
// lapsed: it is in its redemption period or about to be deleted.
func expiredStatus(status []string) bool {
	return slices.Contains(status, "redemption period") || slices.Contains(status, "pending delete")
}

// newRDAPClient is the HTTP client of the RDAP lookups: proxies from the
// environment, a few redirects, never from HTTPS down to HTTP. Each lookup
// has its own deadline.
func newRDAPClient() *http.Client {
	return &http.Client{
		Transport: http.DefaultTransport.(*http.Transport).Clone(),
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxRDAPRedirects {
				return fmt.Errorf("more than %d redirects", maxRDAPRedirects)
			}
			if via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
				return fmt.Errorf("redirect from HTTPS to %s", req.URL.Redacted())
			}
			return nil
		},
	}
}

// lookupRDAP asks RDAP about domain: GET {base}domain/{domain}, within the
// configured time and size. A registration it cannot judge has Skipped set,
// and the error says why.
func (s *scanner) lookupRDAP(ctx context.Context, domain string) (Registration, error) {
	reg := Registration{Domain: domain}
	skip := func(err error) (Registration, error) {
		reg.Skipped = err.Error()
		return reg, err
	}
	if s.rdapErr != nil {
		return skip(s.rdapErr)
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RDAPTimeout)
	defer cancel()
	u := s.rdapBase.JoinPath("domain", domain)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return skip(fmt.Errorf("RDAP request for %s: %w", domain, err))
	}
	req.Header.Set("Accept", "application/rdap+json, application/json")
	req.Header.Set("User-Agent", "ecoscan")
	resp, err := s.rdap.Do(req)
	if err != nil {
		return skip(fmt.Errorf("RDAP lookup of %s: %w", domain, err))
	}
	defer resp.Body.Close()
	reg.URL = resp.Request.URL.Redacted()
	body, err := io.ReadAll(io.LimitReader(resp.Body, s.cfg.RDAPMaxBody+1))
	if err != nil {
		return skip(fmt.Errorf("read the RDAP answer %s: %w", reg.URL, err))
	}
	if int64(len(body)) > s.cfg.RDAPMaxBody {
		return skip(fmt.Errorf("the RDAP answer %s is larger than %d bytes", reg.URL, s.cfg.RDAPMaxBody))
	}
	switch resp.StatusCode {
	case http.StatusOK:
		doc, err := parseRDAP(body, domain)
		if err != nil {
			return skip(fmt.Errorf("%s: %w", reg.URL, err))
		}
		reg.Expiration, reg.Status = doc.expiration, doc.status
		return reg, nil
	case http.StatusNotFound:
		if resp.Request.URL.Hostname() == bootstrapHost {
			return skip(fmt.Errorf("%s knows no RDAP server for %s (404 %s)", bootstrapHost, domain, reg.URL))
		}
		if !isRDAPNotFound(body) {
			return skip(fmt.Errorf("%s answered 404 without an RDAP error body", reg.URL))
		}
		reg.NotFound = true
		return reg, nil
	default:
		return skip(fmt.Errorf("%s answered %s", reg.URL, resp.Status))
	}
}

// rdapBaseURL reads the configured RDAP base URL.
func rdapBaseURL(base string) (*url.URL, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("RDAP base URL: %w", err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.New("RDAP base URL: want an http or https URL, got " + u.Redacted())
	}
	return u, nil
}
