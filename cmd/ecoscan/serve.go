package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/ecoscan/ecoscan/internal/data"
	"github.com/ecoscan/ecoscan/internal/service/api"
	"github.com/ecoscan/ecoscan/internal/service/egress"
	"github.com/ecoscan/ecoscan/internal/service/jobs"
	"github.com/ecoscan/ecoscan/internal/service/keyring"
	"github.com/ecoscan/ecoscan/internal/service/platform"
	"github.com/ecoscan/ecoscan/internal/service/store"
	"github.com/ecoscan/ecoscan/internal/service/web"
)

// The defaults of the service's flags (REPORT-CONTRACT.md).
const (
	defaultListen   = "127.0.0.1:8080"
	defaultDatabase = "ecoscan.db"
	defaultKeyFile  = "ecoscan.keys"
)

// serviceFlags are the settings every service command shares: where the
// database is and where the keys are.
type serviceFlags struct {
	database string
	keys     string
}

func (f *serviceFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.database, "database", envOr("ECOSCAN_DATABASE", defaultDatabase), "the database: an SQLite file, or postgres://... (or ECOSCAN_DATABASE)")
	cmd.Flags().StringVar(&f.keys, "keys", envOr("ECOSCAN_KEY_FILE", ""), "the key file that seals stored secrets (or ECOSCAN_KEY_FILE; keys may also come from ECOSCAN_KEYS); default: "+defaultKeyFile+" beside an SQLite database, made on first start")
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// openStore opens the database and brings its schema (the store's and the
// job queue's) up to date.
func (f *serviceFlags) openStore(ctx context.Context, allowPrivilegedRole bool) (*store.Store, error) {
	st, err := store.Open(ctx, f.database, store.Options{AllowPrivilegedRole: allowPrivilegedRole})
	if err != nil {
		return nil, err
	}
	if err := jobs.Migrate(ctx, st); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// keyRing loads the keys. With no key file named and no ECOSCAN_KEYS, an
// SQLite deployment gets a key file of its own beside the database, made
// once with mode 0600, so that `ecoscan serve` alone is a working service;
// PostgreSQL deployments (many machines) must be given their keys.
func (f *serviceFlags) keyRing(create bool, log io.Writer) (*keyring.KeyRing, error) {
	path := f.keys
	if path == "" && os.Getenv(keyring.EnvKeys) == "" {
		if store.IsPostgresURL(f.database) {
			return nil, errors.New("no encryption keys: give --keys FILE or ECOSCAN_KEYS (generate a file with 'ecoscan keys generate FILE')")
		}
		path = filepath.Join(filepath.Dir(store.SQLitePath(f.database)), defaultKeyFile)
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) && create {
			if err := generateKeyFile(path); err != nil {
				return nil, err
			}
			fmt.Fprintf(log, "made a new key file %s: keep it safe and backed up, the stored secrets open with it only\n", path)
		}
	}
	return keyring.Load(path, os.Getenv)
}

// generateKeyFile writes a new key file with one key, current.
func generateKeyFile(path string) error {
	r := keyring.New()
	if _, err := r.Generate(time.Now().UTC().Format("k20060102")); err != nil {
		return err
	}
	return r.WriteFile(path)
}

func newServe(stdout, stderr io.Writer) *cobra.Command {
	var (
		sf             serviceFlags
		listen         string
		role           string
		workers        int
		allow          []string
		retention      time.Duration
		scanTimeout    time.Duration
		scheduleEvery  time.Duration
		skipHosts      bool
		insecureCookie bool
		privileged     bool
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the scanning service: apps, daily scans, tickets, HTTP API and dashboard",
		Long: `Run the scanning service. It keeps organizations, their apps and every scan
in a database (an SQLite file by default, PostgreSQL for many machines),
scans every app on its schedule (daily by default) and on demand as jobs of
a queue in the same database, and turns findings into tickets held to the fix
windows of Atlassian's Security Bug Fix Policy.

Roles: 'all' (default) serves the API and dashboard and runs scans; 'api'
only serves; 'worker' only scans. Any number of workers on any number of
machines may share one PostgreSQL database.

Start with 'ecoscan admin bootstrap --email you@example.com' to get the
first platform user and API token; see docs/serve.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if role != "all" && role != "api" && role != "worker" {
				return fmt.Errorf("--role %q: want all, api or worker", role)
			}
			allowed, err := egress.ParseAllow(allow)
			if err != nil {
				return err
			}
			logger := slog.New(slog.NewJSONHandler(stderr, nil))
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()

			keys, err := sf.keyRing(true, stderr)
			if err != nil {
				return err
			}
			st, err := sf.openStore(ctx, privileged)
			if err != nil {
				return err
			}
			defer st.Close()

			reg := prometheus.NewRegistry()
			reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
			dataDir, _ := data.Dir()
			n := workers
			if role == "api" {
				n = 0
			}
			queue, err := jobs.New(jobs.Config{
				Store: st, Keys: keys, Allow: allowed, Workers: n,
				ScanTimeout: scanTimeout, Retention: retention, ScheduleEvery: scheduleEvery, SkipHostChecks: skipHosts,
				DataDir: dataDir, Logger: logger, Registerer: reg,
			})
			if err != nil {
				return err
			}
			if err := queue.Start(ctx); err != nil {
				return err
			}
			defer func() {
				sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				if err := queue.Stop(sctx); err != nil {
					logger.Error("stopping the queue", "err", err)
				}
			}()
			if role == "worker" {
				logger.Info("worker started", "workers", n)
				<-ctx.Done()
				return nil
			}

			apiCfg := api.Config{
				Store: st, Queue: queue, Keys: keys, Allow: allowed, Logger: logger,
				Metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), Version: version,
			}
			dashboard, err := web.New(web.Config{
				Store: st, Ops: api.NewOps(apiCfg), Queue: queue, Logger: logger,
				SecureCookies: !insecureCookie,
			})
			if err != nil {
				return err
			}
			mux := http.NewServeMux()
			apiHandler := api.New(apiCfg)
			for _, p := range []string{"/v1/", "/healthz", "/readyz", "/metrics"} {
				mux.Handle(p, apiHandler)
			}
			mux.Handle("/", dashboard)

			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return err
			}
			srv := &http.Server{
				Handler:           mux,
				ReadHeaderTimeout: 10 * time.Second,
				ReadTimeout:       5 * time.Minute, // archive uploads
				WriteTimeout:      5 * time.Minute,
				IdleTimeout:       2 * time.Minute,
				MaxHeaderBytes:    64 << 10,
				ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
			}
			logger.Info("serving", "addr", "http://"+ln.Addr().String(), "role", role, "database", st.Dialect())
			fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr())
			served := make(chan error, 1)
			go func() { served <- srv.Serve(ln) }()
			select {
			case err := <-served:
				return err
			case <-ctx.Done():
			}
			logger.Info("shutting down")
			sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			return srv.Shutdown(sctx)
		},
	}
	f := cmd.Flags()
	sf.register(cmd)
	f.StringVar(&listen, "listen", defaultListen, "the address to serve on")
	f.StringVar(&role, "role", "all", "what this process does: all, api (serve only) or worker (scan only)")
	f.IntVar(&workers, "workers", 4, "scans run at once by this process")
	f.StringSliceVar(&allow, "allow", nil, "addresses or CIDR prefixes scans may reach although private or loopback (the egress guard refuses them otherwise)")
	f.DurationVar(&retention, "retention", 60*24*time.Hour, "how long a deleted app's data is kept before it is purged")
	f.DurationVar(&scanTimeout, "scan-timeout", 15*time.Minute, "time limit of one scan")
	f.DurationVar(&scheduleEvery, "schedule-every", time.Minute, "how often the scheduler looks for apps whose scan is due")
	f.BoolVar(&skipHosts, "skip-host-checks", false, "leave out the TLS, HSTS, DNS and registration checks of Connect apps' hosts")
	f.BoolVar(&insecureCookie, "insecure-cookies", false, "session cookies without Secure (only behind no TLS at all, on loopback)")
	f.BoolVar(&privileged, "allow-privileged-db-role", false, "accept a PostgreSQL role that bypasses row-level security (superuser, BYPASSRLS): tenant isolation then rests on the code alone")
	return cmd
}

// newBackup copies an SQLite database while the service runs.
func newBackup(stdout io.Writer) *cobra.Command {
	var sf serviceFlags
	cmd := &cobra.Command{
		Use:   "backup <destination-file>",
		Short: "Write a consistent copy of the service's SQLite database while it runs",
		Long: `Write a consistent online copy of the service's SQLite database to a new
file (it must not exist). The service may keep running. Back up the key file
too: the stored secrets open with it only. For PostgreSQL use pg_dump.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := store.Open(cmd.Context(), sf.database, store.Options{})
			if err != nil {
				return err
			}
			defer st.Close()
			if err := store.Backup(cmd.Context(), st, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "backed up %s to %s\n", sf.database, args[0])
			return nil
		},
	}
	sf.register(cmd)
	return cmd
}

// newKeys manages the key ring: a new key file, a new current key, and the
// re-encryption of every stored secret under it.
func newKeys(stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Manage the keys that seal the service's stored secrets",
	}
	generate := &cobra.Command{
		Use:   "generate <key-file>",
		Short: "Write a new key file with one key (mode 0600); add a key to an existing one",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := args[0]
			id := time.Now().UTC().Format("k20060102T150405")
			if _, err := os.Stat(path); err == nil {
				r, err := keyring.LoadFile(path)
				if err != nil {
					return err
				}
				if _, err := r.Generate(id); err != nil {
					return err
				}
				if err := r.SetCurrent(id); err != nil {
					return err
				}
				if err := r.WriteFile(path); err != nil {
					return err
				}
				fmt.Fprintf(stdout, "added key %s to %s and made it current; run 'ecoscan keys rotate' to re-encrypt the stored secrets under it\n", id, path)
				return nil
			}
			if err := generateKeyFile(path); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "wrote %s\n", path)
			return nil
		},
	}
	var sf serviceFlags
	var privileged bool
	rotate := &cobra.Command{
		Use:   "rotate",
		Short: "Re-encrypt every stored secret under the current key",
		Long: `Re-encrypt every stored secret (apps' shared secrets, client keys and user
tokens, webhooks' secrets) under the key ring's current key. Old keys stay
needed until this has run; afterwards they can be removed from the key file.
Safe to run while the service runs, and to run again.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			keys, err := sf.keyRing(false, stderr)
			if err != nil {
				return err
			}
			st, err := store.Open(cmd.Context(), sf.database, store.Options{AllowPrivilegedRole: privileged})
			if err != nil {
				return err
			}
			defer st.Close()
			n, err := rotateSecrets(cmd.Context(), st, keys)
			fmt.Fprintf(stdout, "re-encrypted %d secrets under key %s\n", n, keys.Current())
			return err
		},
	}
	sf.register(rotate)
	rotate.Flags().BoolVar(&privileged, "allow-privileged-db-role", false, "accept a PostgreSQL role that bypasses row-level security")
	cmd.AddCommand(generate, rotate)
	return cmd
}

// rotateSecrets re-encrypts every sealed value not under the current key.
// A value that changed meanwhile is left to the next run.
func rotateSecrets(ctx context.Context, st *store.Store, keys *keyring.KeyRing) (int, error) {
	fields, err := st.SealedFields(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, f := range fields {
		if !keys.NeedsRotation(f.Value) {
			continue
		}
		sealed, err := keys.Rotate(f.Value, platform.SecretAD(f.Table, f.Row, f.Column))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %d %s: %w", f.Table, f.Row, f.Column, err))
			continue
		}
		if err := st.ReplaceSealed(ctx, f, sealed); err != nil {
			errs = append(errs, fmt.Errorf("%s %d %s: %w", f.Table, f.Row, f.Column, err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}
