// Package hostscan tests the hosts an app uses, each distinct host:port once:
// TLS protocols, suites and certificates (package tlsprobe), HSTS on the
// HTTPS answers and the redirect of plain-HTTP URLs to HTTPS (this package),
// and the DNS and registration of their domains (package domain). It serves
// `ecoscan host` and the transport part of `ecoscan connect`.
package hostscan

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/ecoscan/ecoscan/internal/connect/headers"
	"github.com/ecoscan/ecoscan/internal/domain"
	"github.com/ecoscan/ecoscan/internal/finding"
	"github.com/ecoscan/ecoscan/internal/httpx"
	"github.com/ecoscan/ecoscan/internal/tlsprobe"
)

// Target is one host:port and the URLs on it whose answers are judged.
type Target struct {
	Host string
	Port int
	TLS  bool     // the URLs are https
	URLs []string // at most maxURLs are fetched; the root when empty
}

// Addr is the target's host:port.
func (t Target) Addr() string { return net.JoinHostPort(t.Host, strconv.Itoa(t.Port)) }

// maxURLs bounds the answers read per host for HSTS and redirects: enough to
// see a header that only some routes send, few enough to stay polite.
const maxURLs = 5

// Targets groups URLs by host:port, keeping the first URLs of each in order.
// URLs that are not absolute http(s) URLs are left out.
func Targets(urls []string) []Target {
	var out []Target
	index := map[string]int{}
	for _, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Hostname() == "" {
			continue
		}
		port, err := strconv.Atoi(u.Port())
		if err != nil {
			port = map[string]int{"https": 443, "http": 80}[u.Scheme]
		}
		t := Target{Host: u.Hostname(), Port: port, TLS: u.Scheme == "https"}
		i, ok := index[t.Addr()]
		if !ok {
			i = len(out)
			index[t.Addr()] = i
			out = append(out, t)
		}
		u.Fragment = ""
		if len(out[i].URLs) < maxURLs && !slices.Contains(out[i].URLs, u.String()) {
			out[i].URLs = append(out[i].URLs, u.String())
		}
	}
	return out
}

// Config configures a host scan.
type Config struct {
	HTTP   *httpx.Client // the client of the HSTS and redirect requests
	TLS    tlsprobe.Config
	Domain domain.Config
	// Concurrency bounds the hosts probed at once; 4 when zero.
	Concurrency int
}

// Result is what the host scan found.
type Result struct {
	Findings []finding.Finding
	Checks   []finding.Check // rows for requirements 3, 6.1, 6.2 and 6.3
	Errors   []finding.Error
}

// Scan tests every target, and the domains of their host names.
func Scan(ctx context.Context, targets []Target, cfg Config) *Result {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	type hostResult struct {
		tls  *tlsprobe.Result
		web  webResult
		errs []finding.Error
	}
	results := make([]hostResult, len(targets))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(cfg.Concurrency)
	for i, t := range targets {
		g.Go(func() error {
			r := &results[i]
			if t.TLS {
				tc := cfg.TLS
				res, err := tlsprobe.Probe(gctx, t.Host, t.Port, tc)
				if err != nil {
					r.errs = append(r.errs, finding.Error{Scope: t.Addr(), Message: "TLS probe: " + err.Error()})
				} else {
					r.tls = res
				}
			}
			r.web = judgeWeb(gctx, cfg.HTTP, t)
			return nil
		})
	}
	var names []string
	for _, t := range targets {
		if !slices.Contains(names, t.Host) {
			names = append(names, t.Host)
		}
	}
	var dom *domain.Result
	var wg sync.WaitGroup
	wg.Go(func() { dom = domain.Scan(ctx, names, cfg.Domain) })
	g.Wait()
	wg.Wait()

	out := &Result{}
	rows := map[string][]finding.Check{}
	for i, t := range targets {
		r := results[i]
		out.Errors = append(out.Errors, r.errs...)
		if r.tls != nil {
			out.Findings = append(out.Findings, r.tls.Findings()...)
			out.Errors = append(out.Errors, r.tls.Errors...)
			for _, c := range r.tls.Checks() {
				rows[c.Requirement] = append(rows[c.Requirement], c)
			}
		}
		out.Findings = append(out.Findings, r.web.findings...)
		out.Errors = append(out.Errors, r.web.errors...)
		rows["3"] = append(rows["3"], r.web.row(t))
	}
	out.Findings = append(out.Findings, dom.Findings()...)
	out.Errors = append(out.Errors, dom.Errors()...)
	for _, c := range dom.Rows() {
		rows[c.Requirement] = append(rows[c.Requirement], c)
	}
	for _, req := range []string{"3", "6.1", "6.2", "6.3"} {
		out.Checks = append(out.Checks, finding.MergeChecks(req, rows[req]...))
	}
	return out
}

var (
	ruleHSTSMissing = finding.Rule{
		ID: "tls/hsts-missing", Requirement: "3", CVSS: 6.8,
		Title:       "HTTPS answers without Strict-Transport-Security",
		Remediation: "Send Strict-Transport-Security: max-age=31536000 (or more) on every HTTPS answer of the host.",
		Doc:         "Every HTTPS answer read from the host (up to five URLs the app uses, refused answers included) must carry a Strict-Transport-Security header.",
	}
	ruleHSTSMaxAge = finding.Rule{
		ID: "tls/hsts-max-age", Requirement: "3", CVSS: 6.8,
		Title:       "Strict-Transport-Security max-age below one year",
		Remediation: "Set max-age to at least 31536000 seconds (one year).",
		Doc:         "The header is parsed per RFC 6797 (only the first field counts, directives in any case, duplicates invalid); max-age must be at least 31536000.",
	}
	ruleHTTPNoRedirect = finding.Rule{
		ID: "tls/http-no-redirect", Requirement: "3", CVSS: 5.9,
		Title:       "Plain-HTTP URL does not redirect to HTTPS",
		Remediation: "Serve the app over HTTPS only, and answer every plain-HTTP request with a redirect to its HTTPS URL.",
		Doc:         "A plain-HTTP URL the app uses answered with something other than a redirect to an https URL.",
	}
)

// Rules are the rules of this package's own checks.
func Rules() []finding.Rule {
	return []finding.Rule{ruleHSTSMissing, ruleHSTSMaxAge, ruleHTTPNoRedirect}
}

// webResult is the verdict on the answers of one host.
type webResult struct {
	judged   int
	findings []finding.Finding
	errors   []finding.Error
}

func (w webResult) row(t Target) finding.Check {
	what := "HSTS"
	if !t.TLS {
		what = "HTTP to HTTPS redirect"
	}
	switch {
	case len(w.findings) > 0:
		return finding.Check{Requirement: "3", Status: finding.Fail, Detail: fmt.Sprintf("%s: %s", t.Addr(), w.findings[0].Title)}
	case w.judged == 0:
		return finding.Check{Requirement: "3", Status: finding.Errored, Detail: fmt.Sprintf("%s: %s not judged: no answer", t.Addr(), what)}
	}
	return finding.Check{Requirement: "3", Status: finding.Pass, Detail: fmt.Sprintf("%s: %s on %d answers", t.Addr(), what, w.judged)}
}

// judgeWeb reads the target's URLs: on HTTPS their HSTS, on HTTP their redirect.
func judgeWeb(ctx context.Context, client *httpx.Client, t Target) webResult {
	urls := t.URLs
	if len(urls) == 0 {
		scheme := "http"
		if t.TLS {
			scheme = "https"
		}
		urls = []string{scheme + "://" + t.Addr() + "/"}
	}
	var w webResult
	var missing, short []string
	for _, u := range urls {
		resp, err := client.Do(ctx, httpx.Request{Method: http.MethodGet, URL: u})
		if err != nil {
			w.errors = append(w.errors, finding.Error{Scope: t.Addr(), Message: fmt.Sprintf("GET %s: %v", pathOf(u), err)})
			continue
		}
		w.judged++
		if !t.TLS {
			if loc := resp.Header.Get("Location"); resp.Status < 300 || resp.Status > 399 || !strings.HasPrefix(strings.ToLower(loc), "https://") {
				w.findings = append(w.findings, ruleHTTPNoRedirect.New(finding.Host(t.Host, t.Port),
					fmt.Sprintf("GET %s over plain HTTP answered %d without redirecting to HTTPS.", u, resp.Status),
					fmt.Sprintf("GET %s -> %d Location: %q", u, resp.Status, loc)))
				return w
			}
			continue
		}
		values := resp.Header.Values("Strict-Transport-Security")
		if len(values) == 0 {
			missing = append(missing, fmt.Sprintf("GET %s -> %d: no Strict-Transport-Security", pathOf(u), resp.Status))
			continue
		}
		if v := headers.JudgeHSTS(resp.Header); !v.OK {
			short = append(short, fmt.Sprintf("GET %s -> %d: %s (%s)", pathOf(u), resp.Status, v.Problem, v.Evidence))
		}
	}
	loc := finding.Host(t.Host, t.Port)
	if len(missing) > 0 {
		w.findings = append(w.findings, ruleHSTSMissing.New(loc,
			fmt.Sprintf("%d of %d HTTPS answers of %s carry no Strict-Transport-Security header.", len(missing), w.judged, t.Addr()), missing...))
	}
	if len(short) > 0 {
		w.findings = append(w.findings, ruleHSTSMaxAge.New(loc,
			fmt.Sprintf("%d of %d HTTPS answers of %s have an HSTS policy below one year or invalid.", len(short), w.judged, t.Addr()), short...))
	}
	return w
}

// pathOf is a URL without its query, which may carry a token.
func pathOf(raw string) string {
	s, _, _ := strings.Cut(raw, "?")
	return s
}
