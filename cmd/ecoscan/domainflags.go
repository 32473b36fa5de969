package main

import (
	"fmt"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/ecoscan/ecoscan/internal/domain"
)

// domainFlags are the settings of the domain checks, shared by the commands
// that run them: flags first, then ECOSCAN_DNS_RESOLVER and ECOSCAN_RDAP_URL.
type domainFlags struct {
	resolver, rdapURL string
}

func (d *domainFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&d.resolver, "resolver", "", "DNS resolver host[:port] of the domain checks (or "+domain.EnvResolver+"; default: /etc/resolv.conf's)")
	cmd.Flags().StringVar(&d.rdapURL, "rdap-url", "", "RDAP service base URL of the registration check (or "+domain.EnvRDAPURL+"; default "+domain.DefaultRDAPBase+")")
}

func (d *domainFlags) config() (domain.Config, error) {
	cfg := domain.ConfigFromEnv()
	if d.resolver != "" {
		cfg.Resolver = d.resolver
	}
	if d.rdapURL != "" {
		cfg.RDAPBase = d.rdapURL
	}
	if cfg.RDAPBase != "" {
		if u, err := url.Parse(cfg.RDAPBase); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return cfg, fmt.Errorf("--rdap-url %q: want an http(s) URL", cfg.RDAPBase)
		}
	}
	return cfg, nil
}
