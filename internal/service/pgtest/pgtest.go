// Package pgtest gives tests and benchmarks of the service a PostgreSQL
// database of their own: a fresh database owned by a fresh ordinary role
// (not a superuser, no BYPASSRLS), so that row-level security applies to
// what they do as it does in production, both dropped at the end.
//
// The server is the one ECOSCAN_TEST_POSTGRES names, by a superuser URL
// (scripts/pg.sh start prints one; .ci/run exports it). Without it a test
// is skipped, except under CI, where it fails: CI must never pass by
// skipping the PostgreSQL half.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the PostgreSQL driver, "pgx"
)

// Env names the variable that holds the superuser URL of the test server.
const Env = "ECOSCAN_TEST_POSTGRES"

// AdminURL is the superuser URL of the test server; without one the test is
// skipped, or failed under CI.
func AdminURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(Env)
	if u == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set under CI: .ci/run starts PostgreSQL with scripts/pg.sh start", Env)
		}
		t.Skipf("%s is not set: no PostgreSQL to test on (ECOSCAN_TEST_POSTGRES=$(scripts/pg.sh start))", Env)
	}
	return u
}

// URL makes a fresh database and role for the test, dropped when it ends,
// and returns the role's URL of the database.
func URL(t testing.TB) string {
	t.Helper()
	u, drop, err := Fresh(context.Background(), AdminURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Error(err)
		}
	})
	return u
}

// Fresh makes a database owned by a new ordinary role on the server of
// adminURL and returns the role's URL of it, and a function that drops
// both (closing what is still connected).
func Fresh(ctx context.Context, adminURL string) (string, func() error, error) {
	admin, err := sql.Open("pgx", adminURL)
	if err != nil {
		return "", nil, err
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		admin.Close()
		return "", nil, err
	}
	name := "ecoscan_test_" + hex.EncodeToString(b[:])
	drop := func() error {
		var errs []error
		for _, q := range []string{`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`, `DROP ROLE IF EXISTS ` + name} {
			if _, err := admin.ExecContext(context.Background(), q); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", q, err))
			}
		}
		errs = append(errs, admin.Close())
		return errors.Join(errs...)
	}
	for _, q := range []string{
		`CREATE ROLE ` + name + ` LOGIN PASSWORD '` + name + `' NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE`,
		`CREATE DATABASE ` + name + ` OWNER ` + name,
	} {
		if _, err := admin.ExecContext(ctx, q); err != nil {
			return "", nil, errors.Join(fmt.Errorf("%s: %w", q, err), drop())
		}
	}
	u, err := url.Parse(adminURL)
	if err != nil {
		return "", nil, errors.Join(err, drop())
	}
	u.User = url.UserPassword(name, name)
	u.Path = "/" + name
	return u.String(), drop, nil
}
