package main

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ecoscan/ecoscan/internal/finding"
	"github.com/ecoscan/ecoscan/internal/hostscan"
	"github.com/ecoscan/ecoscan/internal/httpx"
	"github.com/ecoscan/ecoscan/internal/tlsprobe"
)

func newHost(c *common) *cobra.Command {
	var dns domainFlags
	cmd := &cobra.Command{
		Use:   "host <hostname[:port] | URL>...",
		Short: "Test hosts' TLS, certificates, HSTS, DNS and domain registration",
		Long: `Test any hosts (a Forge app's remotes and egress hosts, say) for
requirements 3, 6.1, 6.2 and 6.3: the TLS protocols and suites each accepts,
its certificate, HSTS on its HTTPS answers (or the redirect of a plain-HTTP
URL to HTTPS), dangling DNS records, lame delegations and the registration of
its domain. A host without a port is scanned on 443; a URL is scanned on its
own scheme and port, and its answer is the one judged.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, failOn, err := c.outputSettings()
			if err != nil {
				return err
			}
			var urls []string
			for _, a := range args {
				u, err := hostURL(a)
				if err != nil {
					return err
				}
				urls = append(urls, u)
			}
			domainCfg, err := dns.config()
			if err != nil {
				return err
			}
			rep := &finding.Report{
				Tool:      finding.Tool{Name: "ecoscan", Version: version},
				Target:    finding.Target{Kind: "host", Ref: strings.Join(args, " ")},
				StartedAt: time.Now(),
			}
			client := httpx.New(httpx.Config{Timeout: c.timeout, UserAgent: "ecoscan/" + version})
			defer client.Close()
			res := hostscan.Scan(cmd.Context(), hostscan.Targets(urls), hostscan.Config{
				HTTP:   client,
				TLS:    tlsprobe.Config{Timeout: c.timeout},
				Domain: domainCfg,
			})
			rep.Findings, rep.Errors = res.Findings, res.Errors
			rep.Checks = checksTable(res.Checks, "not tested by the host scan")
			if err := cmd.Context().Err(); err != nil {
				return err
			}
			rep.Finish(time.Now())
			c.diag("scanned %d hosts: %d findings, %d errors", len(urls), len(rep.Findings), len(rep.Errors))
			return c.emit(rep, format, failOn)
		},
	}
	dns.register(cmd)
	return cmd
}

// hostURL turns a host argument into the URL whose host:port is scanned.
func hostURL(arg string) (string, error) {
	if strings.Contains(arg, "://") {
		u, err := url.Parse(arg)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Hostname() == "" {
			return "", fmt.Errorf("host %q: not an http(s) URL", arg)
		}
		return u.String(), nil
	}
	host, port := arg, "443"
	if h, p, err := net.SplitHostPort(arg); err == nil {
		host, port = h, p
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || host == "" || strings.ContainsAny(host, "/?#@ ") {
		return "", fmt.Errorf("host %q: want hostname, hostname:port or a URL", arg)
	}
	return "https://" + net.JoinHostPort(host, port) + "/", nil
}
