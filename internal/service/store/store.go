// Package store keeps the data of `ecoscan serve` (organizations, users,
// apps, scans, findings, tickets, webhooks) in SQLite or PostgreSQL and
// implements platform.Store on it.
//
// Open picks the database from its URL and brings the schema up to date
// with the migrations embedded in the binary. Every method runs in one
// transaction and sees only its platform.Scope: each query carries the
// scope's organization, and on PostgreSQL row-level security enforces the
// same a second time, from settings the store puts on the transaction
// (ecoscan.org, ecoscan.all), so that a query that forgot its condition
// still cannot read or write another vendor's rows.
//
// Instants are kept in UTC to the microsecond and read back as UTC. Sealed
// columns hold keyring ciphertexts; the store refuses a value that is not
// one, so a secret cannot reach the database in clear text by mistake.
//
// SQLite: one connection writes (transactions begin IMMEDIATE, so writers
// queue instead of failing with "database is locked"), a few others read;
// the database runs in WAL mode with a busy timeout, so several processes
// may share the file. DB returns the writing pool, as the job queue needs.
// Backup copies an SQLite store while it runs.
//
// A scan's findings and ticket changes are written in batches (bulk.go);
// SeedFindings uses the same path to fill a store for benchmarks.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/ecoscan/ecoscan/internal/service/platform"
)

var _ platform.Store = (*Store)(nil)

// The dialects, as Dialect returns them.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Options tune Open.
type Options struct {
	// AllowPrivilegedRole lets Open connect to PostgreSQL as a superuser or
	// a role with BYPASSRLS. Such a role ignores row-level security, so
	// Open refuses it unless this is set.
	AllowPrivilegedRole bool
	// MaxConns bounds the connection pool (PostgreSQL) or the reading
	// pool (SQLite); 0 means a default.
	MaxConns int
}

// Store is the platform's store on one database.
type Store struct {
	dialect string
	db      *sql.DB // PostgreSQL: the pool; SQLite: the one writing connection
	reader  *sql.DB // SQLite: read-only connections; PostgreSQL: the same as db
	path    string  // SQLite: the database file
	// scopes remembers the scope of each transaction InTx runs, for the
	// methods that work inside it.
	scopes sync.Map // *sql.Tx -> platform.Scope
}

// Open opens the store at url and applies the migrations it lacks.
// postgres:// and postgresql:// URLs name a PostgreSQL database; anything
// else is an SQLite file: "sqlite:PATH", "file:PATH" or a plain path.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	if opts.MaxConns < 0 {
		return nil, fmt.Errorf("open store: MaxConns %d: %w", opts.MaxConns, platform.ErrInvalid)
	}
	var (
		s   *Store
		err error
	)
	if IsPostgresURL(url) {
		s, err = openPostgres(ctx, url, opts)
	} else {
		s, err = openSQLite(ctx, url, opts)
	}
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Dialect is "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.dialect }

// DB is the connection pool for the job queue (on SQLite, the writing
// connection). While a transaction of InTx runs, a call of another Store
// method from inside it must not need that connection: on SQLite use only
// the transaction and the *Tx methods there.
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the database.
func (s *Store) Close() error {
	err := s.db.Close()
	if s.reader != s.db {
		err = errors.Join(err, s.reader.Close())
	}
	return err
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s: %w", s.dialect, err)
	}
	if s.reader != s.db {
		if err := s.reader.PingContext(ctx); err != nil {
			return fmt.Errorf("ping %s readers: %w", s.dialect, err)
		}
	}
	return nil
}

// InTx runs fn in one writing transaction within the scope: everything fn
// does through tx, and through TicketsOfAppTx and FinishScanTx, commits
// together or not at all. An error from fn rolls back and is returned.
func (s *Store) InTx(ctx context.Context, sc platform.Scope, fn func(tx *sql.Tx) error) error {
	return s.write(ctx, sc, func(tx *sql.Tx) error {
		s.scopes.Store(tx, sc)
		defer s.scopes.Delete(tx)
		return fn(tx)
	})
}

// txScope is the scope InTx gave tx.
func (s *Store) txScope(tx *sql.Tx) (platform.Scope, error) {
	v, ok := s.scopes.Load(tx)
	if !ok {
		return platform.Scope{}, fmt.Errorf("transaction not started by InTx: %w", platform.ErrInvalid)
	}
	return v.(platform.Scope), nil
}

// write runs fn in a writing transaction within the scope.
func (s *Store) write(ctx context.Context, sc platform.Scope, fn func(tx *sql.Tx) error) error {
	return s.run(ctx, s.db, sc, false, fn)
}

// read runs fn in a reading transaction within the scope.
func (s *Store) read(ctx context.Context, sc platform.Scope, fn func(tx *sql.Tx) error) error {
	return s.run(ctx, s.reader, sc, true, fn)
}

func (s *Store) run(ctx context.Context, db *sql.DB, sc platform.Scope, readOnly bool, fn func(tx *sql.Tx) error) error {
	// SQLite reads go to connections opened read-only; its driver has no
	// read-only transactions.
	opts := &sql.TxOptions{ReadOnly: readOnly && s.dialect == Postgres}
	tx, err := db.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if s.dialect == Postgres {
		org, all := "", "off"
		if sc.All {
			all = "on"
		} else {
			org = strconv.FormatInt(sc.Org, 10)
		}
		if _, err := tx.ExecContext(ctx, `SELECT set_config('ecoscan.org', $1, true), set_config('ecoscan.all', $2, true)`, org, all); err != nil {
			tx.Rollback()
			return fmt.Errorf("set transaction scope: %w", err)
		}
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", mapErr(err))
	}
	return nil
}
