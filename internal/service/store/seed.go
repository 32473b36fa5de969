package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// seedScanSize is how many findings each synthetic scan of SeedFindings
// holds.
const seedScanSize = 1000

// SeedFindings fills an app of an organization with n synthetic findings
// and as many tickets, in done scans of up to 1,000 findings each, through
// multi-row inserts. It is for benchmarks and load tests only: the rows are
// made up (severities and states in rotation, due dates spread from 30 days
// ago to 60 days ahead) and no ticket events are written. It then refreshes
// the query planner's statistics, as autovacuum (PostgreSQL) would in time,
// so that what is measured next is the steady state.
func SeedFindings(ctx context.Context, s *Store, org, app int64, n int) error {
	if n < 0 {
		return fmt.Errorf("seed findings: n %d: %w", n, platform.ErrInvalid)
	}
	severities := []string{"critical", "high", "medium", "low"}
	now := time.Now().UTC()
	err := s.write(ctx, platform.OrgScope(org), func(tx *sql.Tx) error {
		if err := appVisible(ctx, tx, platform.OrgScope(org), app); err != nil {
			return err
		}
		for done := 0; done < n; done += seedScanSize {
			size := min(seedScanSize, n-done)
			var scan int64
			err := tx.QueryRowContext(ctx, `INSERT INTO scans (org_id, app_id, state, trigger, queued_at, started_at, finished_at, counts)
				VALUES ($1, $2, 'done', 'schedule', $3, $3, $3, '{}') RETURNING id`, org, app, s.ts(now)).Scan(&scan)
			if err != nil {
				return err
			}
			fingerprint := func(i int) string { return "seed-" + strconv.FormatInt(scan, 10) + "-" + strconv.Itoa(i) }
			err = s.insertRows(ctx, tx, "findings", findingColumns, size, "", func(i int, row []any) {
				sev := severities[i%len(severities)]
				copy(row, []any{org, app, scan, fingerprint(i), "seed.rule", "5", sev, "Synthetic finding " + strconv.Itoa(i),
					"https://seed.example/" + strconv.Itoa(i), false, []byte(`{"seed":true}`), s.ts(now)})
			}, nil)
			if err != nil {
				return err
			}
			err = s.insertRows(ctx, tx, "tickets", ticketInsertColumns, size, "", func(i int, row []any) {
				sev := severities[i%len(severities)]
				state := platform.TicketStates[i%len(platform.TicketStates)]
				due := now.Add(time.Duration((i+done)%90-30) * 24 * time.Hour)
				copy(row, []any{org, app, fingerprint(i), "seed.rule", "5", sev, "Synthetic finding " + strconv.Itoa(i),
					"https://seed.example/" + strconv.Itoa(i), string(state), s.ts(now), s.ts(now), s.ts(due), s.ts(now), nil})
			}, nil)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("seed %d findings of app %d: %w", n, app, mapErr(err))
	}
	analyze := `ANALYZE`
	if s.dialect == Postgres {
		analyze = `ANALYZE scans, findings, tickets`
	}
	if _, err := s.db.ExecContext(ctx, analyze); err != nil {
		return fmt.Errorf("seed findings: refresh statistics: %w", err)
	}
	return nil
}
