package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"
)

// The schema, one numbered file per change and dialect:
// migrations/<dialect>/NNNN_what.sql. A migration, once released, is never
// edited; a change is a new file in both dialects.
//
//go:embed migrations
var migrationFiles embed.FS

// ErrSchemaTooNew is returned by Open for a database that a newer ecoscan
// has migrated past what this one knows.
var ErrSchemaTooNew = errors.New("database schema is newer than this ecoscan")

// migrateLock is the PostgreSQL advisory lock that serializes migrations
// between processes ("ecoscan" in ASCII).
const migrateLock = 0x65636f7363616e

type migration struct {
	version int
	name    string
	sql     string
}

// migrations lists the dialect's migrations in order; their versions must
// run 1, 2, 3... without a gap.
func migrations(dialect string) ([]migration, error) {
	dir := path.Join("migrations", dialect)
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, fmt.Errorf("read %s migrations: %w", dialect, err)
	}
	var ms []migration
	for _, e := range entries {
		number, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		version, err := strconv.Atoi(number)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("migration file %s/%s: want NNNN_name.sql", dir, e.Name())
		}
		if version != len(ms)+1 {
			return nil, fmt.Errorf("migration file %s/%s: version %d, want %d", dir, e.Name(), version, len(ms)+1)
		}
		text, err := fs.ReadFile(migrationFiles, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: version, name: name, sql: string(text)})
	}
	return ms, nil
}

// migrate applies the migrations the database lacks, in one transaction
// that other processes migrating at the same time wait for (PostgreSQL: an
// advisory lock; SQLite: the write lock that BEGIN IMMEDIATE takes).
func (s *Store) migrate(ctx context.Context) error {
	ms, err := migrations(s.dialect)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: begin: %w", err)
	}
	defer tx.Rollback()
	stamp := "INTEGER"
	if s.dialect == Postgres {
		stamp = "timestamptz"
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrateLock)); err != nil {
			return fmt.Errorf("migrate: lock: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at `+stamp+` NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("migrate: read schema version: %w", err)
	}
	if current > len(ms) {
		return fmt.Errorf("migrate: the database is at schema version %d, this ecoscan knows up to %d: %w (upgrade ecoscan)", current, len(ms), ErrSchemaTooNew)
	}
	for _, m := range ms[current:] {
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("migrate: apply %04d_%s: %w", m.version, m.name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
			m.version, m.name, s.ts(time.Now())); err != nil {
			return fmt.Errorf("migrate: record %04d_%s: %w", m.version, m.name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: commit: %w", err)
	}
	return nil
}
