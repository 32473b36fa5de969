package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// Stats counts, over every organization: the apps not deleted, their open
// tickets by severity and those overdue by now, and the scans by state.
func (s *Store) Stats(ctx context.Context, now time.Time) (platform.Stats, error) {
	st := platform.Stats{FindingsBySeverity: map[string]int{}, ScansByState: map[platform.ScanState]int{}}
	err := s.read(ctx, platform.AllScope(), func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM apps WHERE deleted_at IS NULL`).Scan(&st.Apps); err != nil {
			return err
		}
		err := queryEach(ctx, tx, `SELECT t.severity, COUNT(*), SUM(CASE WHEN t.due < $1 THEN 1 ELSE 0 END)
			FROM tickets t JOIN apps a ON a.id = t.app_id
			WHERE t.state IN (`+openStates+`) AND a.deleted_at IS NULL GROUP BY t.severity`, args{s.ts(now)},
			func(rows *sql.Rows) error {
				var (
					severity      string
					open, overdue int
				)
				err := rows.Scan(&severity, &open, &overdue)
				st.FindingsBySeverity[severity] = open
				st.OverdueTickets += overdue
				return err
			})
		if err != nil {
			return err
		}
		return queryEach(ctx, tx, `SELECT state, COUNT(*) FROM scans GROUP BY state`, nil, func(rows *sql.Rows) error {
			var (
				state platform.ScanState
				n     int
			)
			err := rows.Scan(&state, &n)
			st.ScansByState[state] = n
			return err
		})
	})
	if err != nil {
		return platform.Stats{}, fmt.Errorf("stats: %w", mapErr(err))
	}
	return st, nil
}
