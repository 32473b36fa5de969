package store

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"sort"
	"testing"

	"github.com/ecoscan/ecoscan/internal/service/pgtest"
	"github.com/ecoscan/ecoscan/internal/service/platform"
)

func TestMigrationsReopen(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		dialect string
		url     func(t *testing.T) string
	}{
		{SQLite, func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "e.db") }},
		{Postgres, func(t *testing.T) string { return pgtest.URL(t) }},
	} {
		t.Run(tc.dialect, func(t *testing.T) {
			url := tc.url(t)
			s := must[*Store](t)(Open(ctx, url, Options{}))
			org := must[platform.Org](t)(s.CreateOrg(ctx, "acme"))
			check(t, s.Close())

			// Opening again applies nothing and keeps the data.
			s = must[*Store](t)(Open(ctx, url, Options{}))
			defer s.Close()
			ms := must[[]migration](t)(migrations(tc.dialect))
			var versions []int
			rows, err := s.DB().QueryContext(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
			check(t, err)
			for rows.Next() {
				var v int
				check(t, rows.Scan(&v))
				versions = append(versions, v)
			}
			check(t, rows.Err())
			if len(versions) != len(ms) || versions[len(versions)-1] != len(ms) {
				t.Errorf("recorded versions %v, want 1..%d", versions, len(ms))
			}
			if got := must[platform.Org](t)(s.Org(ctx, platform.AllScope(), org.ID)); got.Name != "acme" {
				t.Errorf("reopened store lost its data: %+v", got)
			}

			// A database a newer ecoscan migrated is refused.
			_, err = s.DB().ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'future', $2)`,
				len(ms)+1, s.ts(t0))
			check(t, err)
			_, err = Open(ctx, url, Options{})
			if !errors.Is(err, ErrSchemaTooNew) {
				t.Errorf("Open of a newer schema = %v, want ErrSchemaTooNew", err)
			}
		})
	}
}

// TestSchemasAgree checks that the two dialects' migrations make the same
// tables with the same columns.
func TestSchemasAgree(t *testing.T) {
	ctx := context.Background()
	lite, pg := newSQLite(t), newPostgres(t)
	columns := map[string]map[string][]string{SQLite: {}, Postgres: {}}
	rows, err := lite.DB().QueryContext(ctx, `SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'`)
	check(t, err)
	for rows.Next() {
		var table, column string
		check(t, rows.Scan(&table, &column))
		columns[SQLite][table] = append(columns[SQLite][table], column)
	}
	check(t, rows.Err())
	rows, err = pg.DB().QueryContext(ctx, `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'`)
	check(t, err)
	for rows.Next() {
		var table, column string
		check(t, rows.Scan(&table, &column))
		columns[Postgres][table] = append(columns[Postgres][table], column)
	}
	check(t, rows.Err())
	for _, byTable := range columns {
		for _, cols := range byTable {
			sort.Strings(cols)
		}
	}
	if !reflect.DeepEqual(columns[SQLite], columns[Postgres]) {
		t.Errorf("schemas differ:\nsqlite   %v\npostgres %v", columns[SQLite], columns[Postgres])
	}
	for _, table := range vendorTables {
		if _, ok := columns[SQLite][table]; !ok {
			t.Errorf("no table %s", table)
		}
	}
}
