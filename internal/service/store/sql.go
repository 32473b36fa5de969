package store

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/ecoscan/ecoscan/internal/service/keyring"
	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// Both dialects take $1, $2... placeholders, so the queries are shared;
// what differs is how an instant is kept (see ts) and the schema files.

// ts is the column value of an instant: microseconds since the Unix epoch
// on SQLite, a timestamptz on PostgreSQL; UTC and to the microsecond on
// both, so that the two read back alike.
func (s *Store) ts(t time.Time) any {
	t = t.UTC().Truncate(time.Microsecond)
	if s.dialect == SQLite {
		return t.UnixMicro()
	}
	return t
}

// tsOrNull is ts, or NULL for a nil instant.
func (s *Store) tsOrNull(t *time.Time) any {
	if t == nil {
		return nil
	}
	return s.ts(*t)
}

// instant scans a column that ts wrote.
type instant struct{ dst *time.Time }

func (i instant) Scan(v any) error {
	switch x := v.(type) {
	case int64:
		*i.dst = time.UnixMicro(x).UTC()
	case time.Time:
		*i.dst = x.UTC()
	default:
		return fmt.Errorf("instant column holds %T", v)
	}
	return nil
}

// nullInstant scans a column that ts wrote or that is NULL.
type nullInstant struct{ dst **time.Time }

func (i nullInstant) Scan(v any) error {
	if v == nil {
		*i.dst = nil
		return nil
	}
	var t time.Time
	if err := (instant{&t}).Scan(v); err != nil {
		return err
	}
	*i.dst = &t
	return nil
}

// jsonText scans a JSON text column into a value.
type jsonText struct{ dst any }

func (j jsonText) Scan(v any) error {
	var b []byte
	switch x := v.(type) {
	case string:
		b = []byte(x)
	case []byte:
		b = x
	case nil:
		return nil
	default:
		return fmt.Errorf("JSON column holds %T", v)
	}
	return json.Unmarshal(b, j.dst)
}

// args collects a query's arguments; add returns the placeholder of the
// one it appends.
type args []any

func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// list appends several values and returns their placeholders joined by
// commas, for IN (...).
func (a *args) list(vs ...any) string {
	ph := make([]string, len(vs))
	for i, v := range vs {
		ph[i] = a.add(v)
	}
	return strings.Join(ph, ", ")
}

// inScope is the SQL condition that keeps an org_id column within the
// scope.
func inScope(column string, sc platform.Scope, a *args) string {
	if sc.All {
		return "TRUE"
	}
	return column + " = " + a.add(sc.Org)
}

// page checks a listing's page and applies the default and the cap.
func page(p platform.Page) (limit int, before int64, err error) {
	if p.Limit < 0 || p.Before < 0 {
		return 0, 0, fmt.Errorf("page limit %d before %d: %w", p.Limit, p.Before, platform.ErrInvalid)
	}
	limit = p.Limit
	switch {
	case limit == 0:
		limit = platform.DefaultPage
	case limit > platform.MaxPage:
		limit = platform.MaxPage
	}
	return limit, p.Before, nil
}

// beforeCond is the cursor condition of a page on an id column.
func beforeCond(column string, before int64, a *args) string {
	if before == 0 {
		return "TRUE"
	}
	return column + " < " + a.add(before)
}

// mapErr makes a database error one the callers can test with errors.Is:
// no row is ErrNotFound, a unique value taken is ErrConflict, a missing
// referenced row ErrNotFound, a refused value ErrInvalid.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	for _, known := range []error{platform.ErrNotFound, platform.ErrConflict, platform.ErrInvalid, platform.ErrStale} {
		if errors.Is(err, known) {
			return err
		}
	}
	if errors.Is(err, sql.ErrNoRows) {
		return platform.ErrNotFound
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %w", platform.ErrConflict, err)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("%w: %w", platform.ErrNotFound, err)
		case sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_NOTNULL:
			return fmt.Errorf("%w: %w", platform.ErrInvalid, err)
		}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505": // unique_violation
			return fmt.Errorf("%w: %w", platform.ErrConflict, err)
		case "23503": // foreign_key_violation
			return fmt.Errorf("%w: %w", platform.ErrNotFound, err)
		case "23514", "23502", "22P02", "22021": // check, not null, bad text representation, bad encoding
			return fmt.Errorf("%w: %w", platform.ErrInvalid, err)
		}
	}
	return err
}

// affected turns an update or delete that touched no row into ErrNotFound.
func affected(res sql.Result, err error) error {
	if err != nil {
		return mapErr(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return platform.ErrNotFound
	}
	return nil
}

// checkSealed refuses a non-empty value that is not a keyring ciphertext,
// so that a secret cannot be stored in clear text by mistake.
func checkSealed(field, value string) error {
	if value == "" {
		return nil
	}
	if _, err := keyring.KeyID(value); err != nil {
		return fmt.Errorf("%s is not a sealed value: %w", field, platform.ErrInvalid)
	}
	return nil
}

// orNow is t, or the current instant when t is zero.
func orNow(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now()
	}
	return t
}

// nullString is s, or NULL when s is empty.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}
