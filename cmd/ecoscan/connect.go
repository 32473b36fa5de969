package main

import (
	"fmt"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/ecoscan/ecoscan/internal/connect"
	"github.com/ecoscan/ecoscan/internal/connect/token"
	"github.com/ecoscan/ecoscan/internal/httpx"
)

func newConnect(c *common) *cobra.Command {
	var (
		userJWT, clientKey, sharedSecret string
		concurrency, perHost             int
		rate                             float64
		allowHosts                       []string
		skipHosts                        bool
		dns                              domainFlags
		source                           string
		src                              sourceFlags
	)
	cmd := &cobra.Command{
		Use:   "connect <descriptor-url>",
		Short: "Scan a running Atlassian Connect app through its descriptor",
		Long: `Scan a running Atlassian Connect app from outside: every endpoint of its
descriptor gets the forged-token matrix (no token, wrong key, alg none,
expired, unknown issuer, context tokens, forged signed installs), and every
answer's Cache-Control, Referrer-Policy and cookies are judged. Every host
the app uses (the descriptor's, the baseUrl's, every absolute URL's) gets the
transport and domain checks of 'ecoscan host'.

With a test installation (--client-key and --shared-secret, or
ECOSCAN_SHARED_SECRET) the scan also signs valid tokens: tampered qsh (8.1),
expired and foreign tokens (1.2), and the headers of authenticated answers.
With a non-admin user's token (--user-jwt, or ECOSCAN_USER_JWT) admin
endpoints are tried as that user (1.2). Secrets never appear in any output.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, failOn, err := c.outputSettings()
			if err != nil {
				return err
			}
			if sharedSecret == "" {
				sharedSecret = os.Getenv("ECOSCAN_SHARED_SECRET")
			}
			if userJWT == "" {
				userJWT = os.Getenv("ECOSCAN_USER_JWT")
			}
			domainCfg, err := dns.config()
			if err != nil {
				return err
			}
			if (sharedSecret == "") != (clientKey == "") {
				return fmt.Errorf("--client-key and --shared-secret go together (a test installation's clientKey and shared secret)")
			}
			opts := connect.Options{
				HTTP: httpx.Config{
					Timeout:     c.timeout,
					Concurrency: concurrency,
					PerHost:     perHost,
					PerHostRate: rate,
					UserAgent:   "ecoscan/" + version,
				},
				ClientKey:    clientKey,
				SharedSecret: token.Secret(sharedSecret),
				UserJWT:      token.Secret(userJWT),
				AllowHosts:   allowHosts,
				SkipHosts:    skipHosts,
				Source:       source,
				SourceConfig: src.config(true),
				Domain:       domainCfg,
				Version:      version,
			}
			var bar *progressbar.ProgressBar
			if !c.quiet && isTerminal(c.stderr) {
				bar = progressbar.NewOptions(-1, progressbar.OptionSetWriter(c.stderr),
					progressbar.OptionSetDescription("probing"), progressbar.OptionShowCount(),
					progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
				opts.Progress = func(done, total int) {
					bar.ChangeMax(total)
					bar.Set(done)
				}
			}
			rep, err := connect.Scan(cmd.Context(), args[0], opts)
			if bar != nil {
				bar.Finish()
			}
			if err != nil {
				return err
			}
			c.diag("scanned %s: %d findings, %d errors", args[0], len(rep.Findings), len(rep.Errors))
			return c.emitTree(rep, format, failOn, source)
		},
	}
	f := cmd.Flags()
	f.StringVar(&userJWT, "user-jwt", "", "a non-admin user's token, for the authorization checks on admin endpoints (or ECOSCAN_USER_JWT)")
	f.StringVar(&clientKey, "client-key", "", "a test installation's clientKey")
	f.StringVar(&sharedSecret, "shared-secret", "", "that installation's shared secret (better: ECOSCAN_SHARED_SECRET)")
	f.IntVar(&concurrency, "concurrency", 16, "requests in flight in all")
	f.IntVar(&perHost, "per-host", 8, "requests in flight per host")
	f.Float64Var(&rate, "rate", 50, "requests per second per host (0: no limit)")
	f.StringSliceVar(&allowHosts, "allow-host", nil, "also probe endpoints on this host[:port] (the descriptor's other hosts are listed, not probed)")
	f.BoolVar(&skipHosts, "skip-hosts", false, "leave out the TLS, HSTS, DNS and registration checks of the app's hosts")
	f.StringVar(&source, "source", "", "the app's source tree: also scan its lockfiles (9) and committed secrets (5)")
	dns.register(cmd)
	src.register(cmd)
	f.BoolVar(&src.includeNodeModules, "include-node-modules", false, "with --source: scan node_modules for secrets too")
	return cmd
}
