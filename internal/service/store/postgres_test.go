package store

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/ecoscan/ecoscan/internal/service/pgtest"
	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// vendorTables are the tables whose rows belong to one organization.
var vendorTables = []string{"orgs", "memberships", "apps", "app_archives", "scans", "findings", "tickets", "ticket_events", "webhooks", "notices"}

func TestPostgresRowLevelSecurity(t *testing.T) {
	s := newPostgres(t)
	ctx := context.Background()
	a := newTenant(t, s, "acme")
	b := newTenant(t, s, "beta")
	for _, tn := range []tenant{a, b} {
		_ = must[bool](t)(s.Notified(ctx, tn.tickets[0].ID, platform.EventTicketNew, "", t0))
	}
	db := s.DB() // the application's own role: not a superuser, no BYPASSRLS

	// Every table with an org_id column (and orgs) has forced RLS.
	rows, err := db.QueryContext(ctx, `SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
			EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public' AND c.relkind = 'r'
		  AND (c.relname = 'orgs' OR EXISTS (SELECT 1 FROM pg_attribute at WHERE at.attrelid = c.oid AND at.attname = 'org_id'))
		ORDER BY c.relname`)
	check(t, err)
	var guarded []string
	for rows.Next() {
		var (
			name                  string
			enabled, forced, poly bool
		)
		check(t, rows.Scan(&name, &enabled, &forced, &poly))
		if !enabled || !forced || !poly {
			t.Errorf("table %s: RLS enabled %v, forced %v, policy %v", name, enabled, forced, poly)
		}
		guarded = append(guarded, name)
	}
	check(t, rows.Err())
	if len(guarded) != len(vendorTables) {
		t.Errorf("guarded tables %v, want %v", guarded, vendorTables)
	}

	// Outside any scope, every vendor table reads empty.
	for _, table := range vendorTables {
		var n int
		check(t, db.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n))
		if n != 0 {
			t.Errorf("%s: %d rows visible without a scope", table, n)
		}
	}

	scoped := func(org string, fn func(tx *sql.Tx)) {
		tx, err := db.BeginTx(ctx, nil)
		check(t, err)
		defer tx.Rollback()
		_, err = tx.ExecContext(ctx, `SELECT set_config('ecoscan.org', $1, true)`, org)
		check(t, err)
		fn(tx)
	}
	scoped(strconv.FormatInt(a.org.ID, 10), func(tx *sql.Tx) {
		for _, table := range vendorTables {
			column := "org_id"
			if table == "orgs" {
				column = "id"
			}
			var total, mine int
			check(t, tx.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(*) FILTER (WHERE `+column+` = $1) FROM `+table, a.org.ID).Scan(&total, &mine))
			if total == 0 || total != mine {
				t.Errorf("%s scoped to acme: %d rows, %d of them acme's", table, total, mine)
			}
		}
		// Writing another organization's rows: an INSERT fails the
		// policy's WITH CHECK, an UPDATE or DELETE sees nothing.
		_, err := tx.ExecContext(ctx, `SAVEPOINT p`)
		check(t, err)
		_, err = tx.ExecContext(ctx, `INSERT INTO webhooks (org_id, url, events, created_at) VALUES ($1, 'https://evil.example', '[]', now())`, b.org.ID)
		if err == nil || !strings.Contains(err.Error(), "row-level security") {
			t.Errorf("insert of beta's row scoped to acme: %v", err)
		}
		_, err = tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT p`)
		check(t, err)
		for _, q := range []string{
			`UPDATE tickets SET state = 'false-positive' WHERE org_id = $1`,
			`DELETE FROM findings WHERE org_id = $1`,
			`UPDATE apps SET org_id = org_id WHERE org_id = $1`,
		} {
			res, err := tx.ExecContext(ctx, q, b.org.ID)
			check(t, err)
			if n, _ := res.RowsAffected(); n != 0 {
				t.Errorf("%s scoped to acme touched %d of beta's rows", q, n)
			}
		}
		// Moving one's own row to another organization fails too.
		_, err = tx.ExecContext(ctx, `UPDATE tickets SET org_id = $1 WHERE id = $2`, b.org.ID, a.tickets[0].ID)
		if err == nil || !strings.Contains(err.Error(), "row-level security") {
			t.Errorf("moving acme's ticket to beta: %v", err)
		}
	})
	scoped("", func(tx *sql.Tx) {
		var n int
		check(t, tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM tickets`).Scan(&n))
		if n != 0 {
			t.Errorf("%d tickets visible with an empty scope", n)
		}
	})
	var all int
	check(t, s.InTx(ctx, platform.AllScope(), func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM tickets`).Scan(&all)
	}))
	if all != 4 {
		t.Errorf("the all scope sees %d tickets, want 4", all)
	}
	// The settings do not outlive their transaction on a pooled connection.
	db.SetMaxOpenConns(1)
	var n int
	check(t, db.QueryRowContext(ctx, `SELECT COUNT(*) FROM tickets`).Scan(&n))
	if n != 0 {
		t.Errorf("%d tickets visible after a scoped transaction ended", n)
	}
}

func TestPostgresRefusesPrivilegedRoles(t *testing.T) {
	ctx := context.Background()
	appURL := pgtest.URL(t)
	admin, err := url.Parse(pgtest.AdminURL(t))
	check(t, err)
	// The superuser, on the test's own database.
	u, err := url.Parse(appURL)
	check(t, err)
	u.User = admin.User
	_, err = Open(ctx, u.String(), Options{})
	if !errors.Is(err, ErrPrivilegedRole) || !strings.Contains(err.Error(), "superuser") {
		t.Errorf("Open as a superuser = %v, want ErrPrivilegedRole", err)
	}
	s, err := Open(ctx, u.String(), Options{AllowPrivilegedRole: true})
	check(t, err)
	s.Close()

	// A role with BYPASSRLS.
	adminDB, err := sql.Open("pgx", admin.String())
	check(t, err)
	defer adminDB.Close()
	role := strings.TrimPrefix(u.Path, "/") + "_bypass"
	_, err = adminDB.ExecContext(ctx, `CREATE ROLE `+role+` LOGIN BYPASSRLS`)
	check(t, err)
	t.Cleanup(func() { adminDB.ExecContext(context.Background(), `DROP ROLE `+role) })
	u.User = url.User(role)
	_, err = Open(ctx, u.String(), Options{})
	if !errors.Is(err, ErrPrivilegedRole) || !strings.Contains(err.Error(), "BYPASSRLS") {
		t.Errorf("Open as a BYPASSRLS role = %v, want ErrPrivilegedRole", err)
	}
}

func TestPostgresConcurrentOpens(t *testing.T) {
	url := pgtest.URL(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	stores := make([]*Store, 4)
	for i := range stores {
		wg.Go(func() { stores[i], errs[i] = Open(ctx, url, Options{MaxConns: 2}) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open %d: %v", i, err)
			continue
		}
		defer stores[i].Close()
	}
	if stores[0] == nil {
		return
	}
	var n int
	check(t, stores[0].DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n))
	ms, err := migrations(Postgres)
	check(t, err)
	if n != len(ms) {
		t.Errorf("%d migrations recorded, want %d", n, len(ms))
	}
}

// TestPostgresScanCanceledWhileFinishing cancels a scan from another
// connection while its results are being written: they are refused.
func TestPostgresScanCanceledWhileFinishing(t *testing.T) {
	s := newPostgres(t)
	ctx := context.Background()
	tn := newTenant(t, s, "acme")
	sc := platform.OrgScope(tn.org.ID)
	scan := must[platform.Scan](t)(s.CreateScan(ctx, sc, platform.Scan{App: tn.connect.ID, Trigger: "manual"}))
	check(t, s.StartScan(ctx, sc, scan.ID, t0))
	err := s.InTx(ctx, sc, func(tx *sql.Tx) error {
		if _, err := s.TicketsOfAppTx(ctx, tx, tn.connect.ID); err != nil {
			return err
		}
		if err := s.FailScan(ctx, sc, scan.ID, platform.ScanCanceled, t0, "canceled by user"); err != nil {
			return err
		}
		return s.FinishScanTx(ctx, tx, scanResult(scan.ID, t0, 3))
	})
	wantErr(t, "finishing a canceled scan", err, platform.ErrStale)
	if got := must[platform.Scan](t)(s.Scan(ctx, sc, scan.ID)); got.State != platform.ScanCanceled {
		t.Errorf("scan is %s, want canceled", got.State)
	}
}
