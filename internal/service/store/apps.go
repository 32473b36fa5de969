package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// Limits on what an app row keeps.
const (
	maxURL            = 2048
	maxIdempotencyKey = 200
	defaultInterval   = 24 * time.Hour
)

// openStates is the SQL list of the ticket states that count as open.
var openStates = func() string {
	var quoted []string
	for _, st := range platform.TicketStates {
		if st.Open() {
			quoted = append(quoted, "'"+string(st)+"'")
		}
	}
	return strings.Join(quoted, ", ")
}()

// intervalSeconds is an app's scan interval as stored: whole seconds, 24
// hours when unset.
func intervalSeconds(d time.Duration) (int64, error) {
	if d == 0 {
		d = defaultInterval
	}
	if d < time.Second || d%time.Second != 0 {
		return 0, fmt.Errorf("scan interval %s: want whole seconds, at least one: %w", d, platform.ErrInvalid)
	}
	return int64(d / time.Second), nil
}

// checkApp checks the fields a caller may set on an app.
func checkApp(a platform.App) error {
	if a.Kind != platform.Connect && a.Kind != platform.Forge {
		return fmt.Errorf("app kind %q: %w", a.Kind, platform.ErrInvalid)
	}
	if err := checkName("app name", a.Name); err != nil {
		return err
	}
	if a.Kind == platform.Connect && a.DescriptorURL == "" {
		return fmt.Errorf("connect app without a descriptor URL: %w", platform.ErrInvalid)
	}
	if len(a.DescriptorURL) > maxURL {
		return fmt.Errorf("descriptor URL longer than %d bytes: %w", maxURL, platform.ErrInvalid)
	}
	if len(a.IdempotencyKey) > maxIdempotencyKey {
		return fmt.Errorf("idempotency key longer than %d bytes: %w", maxIdempotencyKey, platform.ErrInvalid)
	}
	return errors.Join(
		checkSealed("shared secret", a.SharedSecret),
		checkSealed("client key", a.ClientKey),
		checkSealed("user JWT", a.UserJWT))
}

// CreateApp registers an app in an organization of the scope (a.Org, or
// the scope's organization when a.Org is 0). Unset, CreatedAt and
// NextScanAt are now (the first scan is due at once) and Interval 24
// hours. An IdempotencyKey already used in the organization returns the app
// created with it and created=false.
func (s *Store) CreateApp(ctx context.Context, sc platform.Scope, a platform.App) (platform.App, bool, error) {
	if a.Org == 0 && !sc.All {
		a.Org = sc.Org
	}
	if err := checkApp(a); err != nil {
		return platform.App{}, false, fmt.Errorf("create app: %w", err)
	}
	interval, err := intervalSeconds(a.Interval)
	if err != nil {
		return platform.App{}, false, fmt.Errorf("create app: %w", err)
	}
	now := time.Now()
	a.Interval = time.Duration(interval) * time.Second
	a.CreatedAt = orNow(a.CreatedAt).UTC().Truncate(time.Microsecond)
	a.NextScanAt = orNow(a.NextScanAt).UTC().Truncate(time.Microsecond)
	a.DeletedAt, a.ArchiveSHA256, a.ArchiveSize = nil, "", 0
	a.HasSharedSecret, a.HasUserJWT = a.SharedSecret != "", a.UserJWT != ""
	a.Last, a.OpenBySeverity, a.Overdue = nil, nil, 0
	created := false
	err = s.write(ctx, sc, func(tx *sql.Tx) error {
		if err := orgVisible(ctx, tx, sc, a.Org); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO apps (org_id, kind, name, descriptor_url, shared_secret, client_key, user_jwt,
				interval_seconds, next_scan_at, created_at, idempotency_key)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT (org_id, idempotency_key) DO NOTHING RETURNING id`,
			a.Org, string(a.Kind), a.Name, a.DescriptorURL, a.SharedSecret, a.ClientKey, a.UserJWT,
			interval, s.ts(a.NextScanAt), s.ts(a.CreatedAt), nullString(a.IdempotencyKey)).Scan(&a.ID)
		if err == nil {
			created = true
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		// The key was used before: answer with that app.
		var q args
		apps, err := s.queryApps(ctx, tx, `a.org_id = `+q.add(a.Org)+` AND a.idempotency_key = `+q.add(a.IdempotencyKey), q, now)
		if err != nil {
			return err
		}
		if len(apps) != 1 {
			return fmt.Errorf("app with idempotency key: %w", platform.ErrNotFound)
		}
		a = apps[0]
		return nil
	})
	if err != nil {
		return platform.App{}, false, fmt.Errorf("create app %q in organization %d: %w", a.Name, a.Org, mapErr(err))
	}
	return a, created, nil
}

const appColumns = `a.id, a.org_id, a.kind, a.name, a.descriptor_url, a.shared_secret, a.client_key, a.user_jwt,
	a.archive_sha256, a.archive_size, a.interval_seconds, a.next_scan_at, a.created_at, a.deleted_at, a.idempotency_key`

func scanApp(row interface{ Scan(...any) error }) (platform.App, error) {
	var (
		a        platform.App
		interval int64
		key      sql.NullString
	)
	err := row.Scan(&a.ID, &a.Org, &a.Kind, &a.Name, &a.DescriptorURL, &a.SharedSecret, &a.ClientKey, &a.UserJWT,
		&a.ArchiveSHA256, &a.ArchiveSize, &interval, instant{&a.NextScanAt}, instant{&a.CreatedAt},
		nullInstant{&a.DeletedAt}, &key)
	a.Interval = time.Duration(interval) * time.Second
	a.IdempotencyKey = key.String
	a.HasSharedSecret, a.HasUserJWT = a.SharedSecret != "", a.UserJWT != ""
	return a, err
}

// queryApps reads the apps matching where (on apps a), newest first, with
// their latest finished scan and open tickets as of now.
func (s *Store) queryApps(ctx context.Context, tx *sql.Tx, where string, a args, now time.Time) ([]platform.App, error) {
	apps, err := s.selectApps(ctx, tx, `SELECT `+appColumns+` FROM apps a WHERE `+where+` ORDER BY a.id DESC`, a)
	if err != nil {
		return nil, err
	}
	return apps, s.summarize(ctx, tx, apps, now)
}

func (s *Store) selectApps(ctx context.Context, tx *sql.Tx, query string, a args) ([]platform.App, error) {
	rows, err := tx.QueryContext(ctx, query, a...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var apps []platform.App
	for rows.Next() {
		app, err := scanApp(rows)
		if err != nil {
			return nil, err
		}
		apps = append(apps, app)
	}
	return apps, rows.Err()
}

// summarize fills in each app's latest finished scan (without its report)
// and its open tickets by severity, and how many of them are overdue.
func (s *Store) summarize(ctx context.Context, tx *sql.Tx, apps []platform.App, now time.Time) error {
	if len(apps) == 0 {
		return nil
	}
	byID := make(map[int64]*platform.App, len(apps))
	ids := make([]any, len(apps))
	for i := range apps {
		byID[apps[i].ID] = &apps[i]
		ids[i] = apps[i].ID
	}
	var a args
	in := a.list(ids...)
	rows, err := tx.QueryContext(ctx, `SELECT `+scanColumns+` FROM scans s WHERE s.id IN (
			SELECT (SELECT l.id FROM scans l WHERE l.app_id = a.id AND l.finished_at IS NOT NULL
				ORDER BY l.finished_at DESC, l.id DESC LIMIT 1)
			FROM apps a WHERE a.id IN (`+in+`))`, a...)
	if err != nil {
		return fmt.Errorf("latest scans: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		sc, err := scanScan(rows)
		if err != nil {
			return err
		}
		byID[sc.App].Last = &sc
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()

	a = nil
	in = a.list(ids...)
	rows, err = tx.QueryContext(ctx, `SELECT app_id, severity, COUNT(*), SUM(CASE WHEN due < `+a.add(s.ts(now))+` THEN 1 ELSE 0 END)
		FROM tickets WHERE app_id IN (`+in+`) AND state IN (`+openStates+`) GROUP BY app_id, severity`, a...)
	if err != nil {
		return fmt.Errorf("open tickets: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			app            int64
			severity       string
			count, overdue int
		)
		if err := rows.Scan(&app, &severity, &count, &overdue); err != nil {
			return err
		}
		p := byID[app]
		if p.OpenBySeverity == nil {
			p.OpenBySeverity = map[string]int{}
		}
		p.OpenBySeverity[severity] = count
		p.Overdue += overdue
	}
	return rows.Err()
}

// App returns an app of the scope, a deleted one too (with DeletedAt), with
// its latest finished scan and open tickets.
func (s *Store) App(ctx context.Context, sc platform.Scope, id int64) (platform.App, error) {
	var app platform.App
	err := s.read(ctx, sc, func(tx *sql.Tx) error {
		var a args
		apps, err := s.queryApps(ctx, tx, `a.id = `+a.add(id)+` AND `+inScope("a.org_id", sc, &a), a, time.Now())
		if err != nil {
			return err
		}
		if len(apps) == 0 {
			return platform.ErrNotFound
		}
		app = apps[0]
		return nil
	})
	if err != nil {
		return platform.App{}, fmt.Errorf("app %d: %w", id, mapErr(err))
	}
	return app, nil
}

// ListApps lists the scope's apps, newest first, with their latest
// finished scans and open tickets (overdue as of now).
func (s *Store) ListApps(ctx context.Context, sc platform.Scope, f platform.AppFilter, p platform.Page) ([]platform.App, error) {
	limit, before, err := page(p)
	if err != nil {
		return nil, fmt.Errorf("list apps: %w", err)
	}
	if f.Kind != "" && f.Kind != platform.Connect && f.Kind != platform.Forge {
		return nil, fmt.Errorf("list apps: kind %q: %w", f.Kind, platform.ErrInvalid)
	}
	var apps []platform.App
	err = s.read(ctx, sc, func(tx *sql.Tx) error {
		var a args
		where := inScope("a.org_id", sc, &a) + ` AND ` + beforeCond("a.id", before, &a)
		if f.Kind != "" {
			where += ` AND a.kind = ` + a.add(string(f.Kind))
		}
		if !f.IncludeDeleted {
			where += ` AND a.deleted_at IS NULL`
		}
		where += ` ORDER BY a.id DESC LIMIT ` + a.add(limit)
		apps, err = s.selectApps(ctx, tx, `SELECT `+appColumns+` FROM apps a WHERE `+where, a)
		if err != nil {
			return err
		}
		return s.summarize(ctx, tx, apps, time.Now())
	})
	if err != nil {
		return nil, fmt.Errorf("list apps: %w", mapErr(err))
	}
	return apps, nil
}

// UpdateApp changes an app's name, descriptor URL, sealed credentials and
// scan interval. A deleted app is ErrNotFound.
func (s *Store) UpdateApp(ctx context.Context, sc platform.Scope, app platform.App) error {
	if err := checkApp(app); err != nil {
		return fmt.Errorf("update app %d: %w", app.ID, err)
	}
	interval, err := intervalSeconds(app.Interval)
	if err != nil {
		return fmt.Errorf("update app %d: %w", app.ID, err)
	}
	err = s.write(ctx, sc, func(tx *sql.Tx) error {
		var a args
		q := `UPDATE apps SET name = ` + a.add(app.Name) + `, descriptor_url = ` + a.add(app.DescriptorURL) +
			`, shared_secret = ` + a.add(app.SharedSecret) + `, client_key = ` + a.add(app.ClientKey) +
			`, user_jwt = ` + a.add(app.UserJWT) + `, interval_seconds = ` + a.add(interval) +
			` WHERE id = ` + a.add(app.ID) + ` AND kind = ` + a.add(string(app.Kind)) +
			` AND deleted_at IS NULL AND ` + inScope("org_id", sc, &a)
		return affected(tx.ExecContext(ctx, q, a...))
	})
	if err != nil {
		return fmt.Errorf("update app %d: %w", app.ID, err)
	}
	return nil
}

// DeleteApp marks an app deleted: it leaves the listings and the schedule,
// and PurgeDeleted removes it for good once its retention is over.
func (s *Store) DeleteApp(ctx context.Context, sc platform.Scope, id int64, at time.Time) error {
	err := s.write(ctx, sc, func(tx *sql.Tx) error {
		var a args
		q := `UPDATE apps SET deleted_at = ` + a.add(s.ts(at)) + ` WHERE id = ` + a.add(id) +
			` AND deleted_at IS NULL AND ` + inScope("org_id", sc, &a)
		return affected(tx.ExecContext(ctx, q, a...))
	})
	if err != nil {
		return fmt.Errorf("delete app %d: %w", id, err)
	}
	return nil
}

// SetArchive stores a Forge app's source archive; sha256 (hex) must be the
// digest of data.
func (s *Store) SetArchive(ctx context.Context, sc platform.Scope, app int64, sha256Hex string, data []byte) error {
	sum := sha256.Sum256(data)
	if !strings.EqualFold(sha256Hex, hex.EncodeToString(sum[:])) {
		return fmt.Errorf("set archive of app %d: SHA-256 %q is not the archive's: %w", app, sha256Hex, platform.ErrInvalid)
	}
	if len(data) == 0 {
		return fmt.Errorf("set archive of app %d: empty archive: %w", app, platform.ErrInvalid)
	}
	err := s.write(ctx, sc, func(tx *sql.Tx) error {
		var (
			a    args
			org  int64
			kind platform.AppKind
		)
		q := `SELECT org_id, kind FROM apps WHERE id = ` + a.add(app) + ` AND deleted_at IS NULL AND ` + inScope("org_id", sc, &a)
		if err := tx.QueryRowContext(ctx, q, a...).Scan(&org, &kind); err != nil {
			return err
		}
		if kind != platform.Forge {
			return fmt.Errorf("a %s app has no source archive: %w", kind, platform.ErrInvalid)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO app_archives (app_id, org_id, data) VALUES ($1, $2, $3)
			ON CONFLICT (app_id) DO UPDATE SET data = excluded.data`, app, org, data); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE apps SET archive_sha256 = $1, archive_size = $2 WHERE id = $3`,
			hex.EncodeToString(sum[:]), len(data), app)
		return err
	})
	if err != nil {
		return fmt.Errorf("set archive of app %d: %w", app, mapErr(err))
	}
	return nil
}

// Archive returns a Forge app's source archive; an app without one is
// ErrNotFound.
func (s *Store) Archive(ctx context.Context, sc platform.Scope, app int64) ([]byte, error) {
	var data []byte
	err := s.read(ctx, sc, func(tx *sql.Tx) error {
		var a args
		q := `SELECT data FROM app_archives WHERE app_id = ` + a.add(app) + ` AND ` + inScope("org_id", sc, &a)
		return tx.QueryRowContext(ctx, q, a...).Scan(&data)
	})
	if err != nil {
		return nil, fmt.Errorf("archive of app %d: %w", app, mapErr(err))
	}
	return data, nil
}

// DueApps lists the apps of every organization whose next scan is due by
// now, most overdue first, at most limit (0: platform.DefaultPage; capped
// at platform.MaxPage).
func (s *Store) DueApps(ctx context.Context, now time.Time, limit int) ([]platform.App, error) {
	limit, _, err := page(platform.Page{Limit: limit})
	if err != nil {
		return nil, fmt.Errorf("due apps: %w", err)
	}
	var apps []platform.App
	err = s.read(ctx, platform.AllScope(), func(tx *sql.Tx) error {
		apps, err = s.selectApps(ctx, tx, `SELECT `+appColumns+` FROM apps a
			WHERE a.deleted_at IS NULL AND a.next_scan_at <= $1 ORDER BY a.next_scan_at, a.id LIMIT $2`,
			args{s.ts(now), limit})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("due apps: %w", mapErr(err))
	}
	return apps, nil
}

// PurgeDeleted removes the apps deleted before the cutoff with their
// archives, scans, findings, tickets, events and notices.
func (s *Store) PurgeDeleted(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := s.write(ctx, platform.AllScope(), func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM apps WHERE deleted_at IS NOT NULL AND deleted_at < $1`, s.ts(before))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("purge deleted apps: %w", mapErr(err))
	}
	return int(n), nil
}
