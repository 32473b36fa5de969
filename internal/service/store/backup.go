package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
)

// Backup writes a consistent copy of an SQLite store to destPath, a file
// that must not exist yet, while the store stays in use (VACUUM INTO reads
// one snapshot, so writes running meanwhile are either wholly in the copy
// or not at all). A PostgreSQL store is backed up with pg_dump instead.
func Backup(ctx context.Context, s *Store, destPath string) error {
	if s.dialect != SQLite {
		return fmt.Errorf("backup: the store is on PostgreSQL; back it up with pg_dump")
	}
	if destPath == "" {
		return fmt.Errorf("backup: no destination file")
	}
	// Creating the file refuses an existing one, and makes the copy
	// readable by its owner only; VACUUM INTO fills an empty file.
	f, err := os.OpenFile(destPath, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	f.Close()
	complete := false
	defer func() {
		if !complete {
			os.Remove(destPath)
		}
	}()
	// A connection of its own: the readers may not write (VACUUM INTO
	// writes the copy), and the writer must stay free for the service.
	db, err := sql.Open("sqlite", sqliteDSN(s.path, ""))
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO $1`, destPath); err != nil {
		return fmt.Errorf("backup to %s: %w", destPath, err)
	}
	complete = true
	return nil
}
