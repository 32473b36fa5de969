package jobs

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/ecoscan/ecoscan/internal/connect/token"
	"github.com/ecoscan/ecoscan/internal/service/keyring"
	"github.com/ecoscan/ecoscan/internal/service/pgtest"
	"github.com/ecoscan/ecoscan/internal/service/platform"
	"github.com/ecoscan/ecoscan/internal/service/store"
)

// loopback lets scans and deliveries reach the tests' servers.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

// forEachDB runs fn on a fresh SQLite database and, when one is
// available, on a fresh PostgreSQL database; fn gets the store's URL.
func forEachDB(t *testing.T, fn func(t *testing.T, url string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, sqliteURL(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, postgresURL(t)) })
}

func sqliteURL(t testing.TB) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "e.db")
}

// postgresURL is a fresh PostgreSQL database of an ordinary role, or a
// skip (a failure under CI): see package pgtest.
func postgresURL(t testing.TB) string { return pgtest.URL(t) }

// openStore opens the store at dbURL, with River's tables, closed when the
// test ends.
func openStore(t testing.TB, dbURL string) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dbURL, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := Migrate(ctx, st); err != nil {
		t.Fatal(err)
	}
	return st
}

// newKeys is a key ring with one fresh key.
func newKeys(t testing.TB) *keyring.KeyRing {
	t.Helper()
	k := keyring.New()
	if _, err := k.Generate("test"); err != nil {
		t.Fatal(err)
	}
	return k
}

// testLogger writes the queue's logs to the test's log, and fails the test
// when one holds a secret.
func testLogger(t testing.TB, secrets ...string) *slog.Logger {
	return slog.New(slog.NewJSONHandler(logWriter{t, secrets}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type logWriter struct {
	t       testing.TB
	secrets []string
}

func (w logWriter) Write(p []byte) (int, error) {
	for _, s := range w.secrets {
		if s != "" && bytes.Contains(p, []byte(s)) {
			w.t.Errorf("a log line holds a secret: %s", p)
		}
	}
	w.t.Logf("%s", bytes.TrimSpace(p))
	return len(p), nil
}

// newQueue builds a queue for a test, fast to start and retry, stopped
// when the test ends if it was started.
func newQueue(t testing.TB, cfg Config) *Queue {
	t.Helper()
	cfg.testFast = true
	if cfg.testRetry == nil {
		cfg.testRetry = func(int) time.Duration { return 100 * time.Millisecond }
	}
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	q, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// start starts q and stops it when the test ends.
func start(t testing.TB, q *Queue) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	if err := q.Start(ctx); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer scancel()
		if err := q.Stop(sctx); err != nil {
			t.Errorf("stop: %v", err)
		}
		cancel()
	})
}

// tenant is an organization with what the tests need of it.
type tenant struct {
	st   *store.Store
	keys *keyring.KeyRing
	org  platform.Org
}

func newTenant(t testing.TB, st *store.Store, keys *keyring.KeyRing, name string) tenant {
	t.Helper()
	org, err := st.CreateOrg(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return tenant{st: st, keys: keys, org: org}
}

func (tn tenant) scope() platform.Scope { return platform.OrgScope(tn.org.ID) }

// connectApp registers a Connect app with its test installation's
// credentials, sealed as the API seals them.
func (tn tenant) connectApp(t testing.TB, name, descriptorURL, clientKey, sharedSecret, userJWT string) platform.App {
	t.Helper()
	ctx := context.Background()
	app, _, err := tn.st.CreateApp(ctx, tn.scope(), platform.App{Kind: platform.Connect, Name: name, DescriptorURL: descriptorURL, Interval: 24 * time.Hour, NextScanAt: notDue()})
	if err != nil {
		t.Fatal(err)
	}
	return tn.setCredentials(t, app, clientKey, sharedSecret, userJWT)
}

// setCredentials seals and stores a Connect app's test installation.
func (tn tenant) setCredentials(t testing.TB, app platform.App, clientKey, sharedSecret, userJWT string) platform.App {
	t.Helper()
	seal := func(v, column string) string {
		if v == "" {
			return ""
		}
		s, err := tn.keys.SealSecret(token.Secret(v), platform.SecretAD("app", app.ID, column))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	app.ClientKey, app.SharedSecret, app.UserJWT = seal(clientKey, "client_key"), seal(sharedSecret, "shared_secret"), seal(userJWT, "user_jwt")
	if err := tn.st.UpdateApp(context.Background(), tn.scope(), app); err != nil {
		t.Fatal(err)
	}
	return app
}

// notDue is the next scan time of the tests' apps: not due while a test
// runs, so that the scheduler leaves them to the test.
func notDue() time.Time { return time.Now().Add(time.Hour) }

// forgeApp registers a Forge app with the source archive.
func (tn tenant) forgeApp(t testing.TB, name string, archive []byte) platform.App {
	t.Helper()
	ctx := context.Background()
	app, _, err := tn.st.CreateApp(ctx, tn.scope(), platform.App{Kind: platform.Forge, Name: name, Interval: 24 * time.Hour, NextScanAt: notDue()})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(archive)
	if err := tn.st.SetArchive(ctx, tn.scope(), app.ID, hex.EncodeToString(sum[:]), archive); err != nil {
		t.Fatal(err)
	}
	return app
}

// webhook registers a webhook with a sealed secret.
func (tn tenant) webhook(t testing.TB, hookURL, secret string, events ...string) platform.Webhook {
	t.Helper()
	ctx := context.Background()
	// The secret is sealed for the webhook's id, known once it exists.
	h, err := tn.st.CreateWebhook(ctx, tn.scope(), platform.Webhook{Org: tn.org.ID, URL: hookURL, Events: events})
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := tn.keys.SealSecret(token.Secret(secret), platform.SecretAD("webhook", h.ID, "secret"))
	if err != nil {
		t.Fatal(err)
	}
	if err := tn.st.ReplaceSealed(ctx, platform.SealedField{Table: "webhook", Column: "secret", Row: h.ID}, sealed); err != nil {
		t.Fatal(err)
	}
	h.Secret = sealed
	return h
}

// waitScan waits until the scan is in one of the states and returns it.
func waitScan(t testing.TB, st platform.Store, s platform.Scope, id int64, within time.Duration, states ...platform.ScanState) platform.Scan {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		sc, err := st.Scan(context.Background(), s, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range states {
			if sc.State == want {
				return sc
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("scan %d is %s (%s) after %s, want one of %v", id, sc.State, sc.Error, within, states)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// eventually waits for cond, failing the test after within.
func eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// forgeArchive is a tar.gz of files (path -> content).
func forgeArchive(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, content := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(tw, strings.NewReader(content)); err != nil {
			t.Fatal(err)
		}
	}
	if err := errors.Join(tw.Close(), gz.Close()); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
