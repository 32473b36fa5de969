package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // the SQLite driver, which needs no cgo
)

// ErrPrivilegedRole is returned by Open for a PostgreSQL role that
// row-level security does not bind (a superuser, or a role with BYPASSRLS).
var ErrPrivilegedRole = errors.New("the database role bypasses row-level security")

// busyTimeout is how long an SQLite connection waits for another process's
// write lock before it gives up.
const busyTimeout = 10 * time.Second

// IsPostgresURL reports whether Open takes url for a PostgreSQL database.
func IsPostgresURL(url string) bool {
	return strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://")
}

// SQLitePath is the file an SQLite database URL names, or "" when it names
// none (Open says what is wrong with it).
func SQLitePath(url string) string {
	if IsPostgresURL(url) {
		return ""
	}
	path, err := sqlitePath(url)
	if err != nil {
		return ""
	}
	return path
}

// sqlitePath is the file an SQLite URL names: "sqlite:PATH", "file:PATH"
// (either with an optional "//", so sqlite:///var/e.db is /var/e.db) or a
// plain path.
func sqlitePath(url string) (string, error) {
	path := url
	for _, prefix := range []string{"sqlite:", "file:"} {
		if rest, ok := strings.CutPrefix(url, prefix); ok {
			path = strings.TrimPrefix(rest, "//")
			break
		}
	}
	switch {
	case path == "":
		return "", fmt.Errorf("database URL %q names no file", url)
	case strings.Contains(path, "://"):
		return "", fmt.Errorf("database URL %q: unsupported scheme (use postgres://, sqlite:PATH or a file path)", url)
	case strings.ContainsAny(path, "?#"):
		return "", fmt.Errorf("database URL %q: options are not accepted in an SQLite path; the store sets its own", url)
	case path == ":memory:" || strings.HasPrefix(path, "file::memory:") || strings.Contains(path, "mode=memory"):
		return "", fmt.Errorf("database URL %q: the store needs a file, not an in-memory database", url)
	}
	return path, nil
}

// sqliteDSN is the driver's name for the file with the store's settings
// and the given extra ones.
func sqliteDSN(path, extra string) string {
	return fmt.Sprintf("%s?_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)%s",
		path, busyTimeout.Milliseconds(), extra)
}

func openSQLite(ctx context.Context, url string, opts Options) (*Store, error) {
	path, err := sqlitePath(url)
	if err != nil {
		return nil, err
	}
	// A new database is readable by its owner only: it holds password
	// and token hashes (SQLite gives its -wal and -shm files the same
	// mode).
	if f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600); err == nil {
		f.Close()
	} else if !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	// The writer: one connection whose transactions take the write lock
	// when they begin, so that two never both read and then fail to
	// upgrade; the pool queues them instead.
	writer, err := sql.Open("sqlite", sqliteDSN(path, "&_pragma=journal_mode(WAL)&_txlock=immediate"))
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxIdleTime(0)
	if err := writer.PingContext(ctx); err != nil {
		writer.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	readers, err := sql.Open("sqlite", sqliteDSN(path, "&_pragma=query_only(1)"))
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	n := opts.MaxConns
	if n == 0 {
		n = max(4, runtime.GOMAXPROCS(0))
	}
	readers.SetMaxOpenConns(n)
	readers.SetMaxIdleConns(n)
	return &Store{dialect: SQLite, db: writer, reader: readers, path: path}, nil
}

func openPostgres(ctx context.Context, url string, opts Options) (*Store, error) {
	config, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if config.RuntimeParams["application_name"] == "" {
		config.RuntimeParams["application_name"] = "ecoscan"
	}
	db := stdlib.OpenDB(*config)
	n := opts.MaxConns
	if n == 0 {
		n = 20
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(5 * time.Minute)
	var (
		role                string
		superuser, bypasses bool
	)
	err = db.QueryRowContext(ctx, `SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user`).
		Scan(&role, &superuser, &bypasses)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open postgres: check the connection's role: %w", err)
	}
	if (superuser || bypasses) && !opts.AllowPrivilegedRole {
		db.Close()
		what := "is a superuser"
		if !superuser {
			what = "has BYPASSRLS"
		}
		return nil, fmt.Errorf("open postgres: role %q %s: %w; connect as an ordinary role that owns the database (or set AllowPrivilegedRole)", role, what, ErrPrivilegedRole)
	}
	return &Store{dialect: Postgres, db: db, reader: db}, nil
}
