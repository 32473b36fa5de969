package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// migrateLock is the PostgreSQL advisory lock that makes processes
// starting together apply River's migrations one after the other.
const migrateLock = 0x65636f7363616e // "ecoscan"

// migrateTries bounds the attempts at migrating an SQLite database that
// other processes migrate at the same moment.
const migrateTries = 10

// Migrate brings River's tables in the store's database up to date.
// Processes that migrate at once both succeed: on PostgreSQL they take
// turns (an advisory lock held on one connection while the pool migrates:
// the pool needs two); on SQLite the one that loses a race tries again.
func Migrate(ctx context.Context, st platform.Store) error {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	switch d := st.Dialect(); d {
	case "sqlite":
		// rivermigrate takes no lock. A process migrating the same file at
		// the same moment makes a version fail that it has just applied:
		// look again at what is left, a few times.
		var err error
		for range migrateTries {
			if err = migrate(ctx, riversqlite.New(st.DB()), logger); err == nil {
				return nil
			}
			select {
			case <-ctx.Done():
				return err
			case <-time.After(time.Duration(50+rand.N(100)) * time.Millisecond):
			}
		}
		return err
	case "postgres":
		conn, err := st.DB().Conn(ctx)
		if err != nil {
			return fmt.Errorf("migrate job queue: %w", err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrateLock); err != nil {
			return fmt.Errorf("migrate job queue: lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrateLock)
		return migrate(ctx, riverdatabasesql.New(st.DB()), logger)
	default:
		return fmt.Errorf("migrate job queue: unknown store dialect %q", d)
	}
}

func migrate[TTx any](ctx context.Context, driver riverdriver.Driver[TTx], logger *slog.Logger) error {
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: logger})
	if err != nil {
		return fmt.Errorf("migrate job queue: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate job queue: %w", err)
	}
	return nil
}

// Start starts working jobs: scans, deliveries and the periodic jobs. Jobs
// run until Stop, or until ctx is canceled (which stops the queue as Stop
// does when its context is over). An insert-only queue (Workers 0) has
// nothing to start.
func (q *Queue) Start(ctx context.Context) error {
	if q.cfg.Workers == 0 {
		return nil
	}
	if err := q.client.Start(ctx); err != nil {
		return fmt.Errorf("start job queue: %w", err)
	}
	q.log.Info("job queue started", "workers", q.cfg.Workers)
	return nil
}

// Stop stops the queue gracefully: it takes no new jobs and waits for the
// running ones. When ctx ends first, the running scans are canceled; they
// run again later (their jobs are snoozed, not failed).
func (q *Queue) Stop(ctx context.Context) error {
	if q.cfg.Workers == 0 {
		return nil
	}
	err := q.client.Stop(ctx)
	if err == nil {
		q.log.Info("job queue stopped")
		return nil
	}
	if ctx.Err() == nil {
		return fmt.Errorf("stop job queue: %w", err)
	}
	q.log.Warn("job queue stop timed out; canceling running jobs")
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), endTimeout)
	defer cancel()
	if err := q.client.StopAndCancel(cctx); err != nil {
		return fmt.Errorf("stop job queue: %w", err)
	}
	return nil
}

// ScanNow queues a scan of the app on demand and returns it; while the app
// has a scan queued or running, that one is returned instead.
func (q *Queue) ScanNow(ctx context.Context, s platform.Scope, appID int64) (platform.Scan, error) {
	app, err := q.store.App(ctx, s, appID)
	if err != nil {
		return platform.Scan{}, fmt.Errorf("scan app %d: %w", appID, err)
	}
	if app.DeletedAt != nil {
		return platform.Scan{}, fmt.Errorf("scan app %d: the app is deleted: %w", appID, platform.ErrInvalid)
	}
	sc, _, err := q.enqueue(ctx, app, TriggerManual)
	return sc, err
}

// CancelScan cancels a queued or running scan. A queued scan ends canceled
// at once, together with its job. A running scan's worker is told (at
// once, or within a few seconds where the database has no notifications)
// and ends it canceled without writing results; a scan that finishes
// before the word reaches it stays done. Canceling a scan that has ended
// is ErrConflict.
func (q *Queue) CancelScan(ctx context.Context, s platform.Scope, scanID int64) error {
	sc, err := q.store.Scan(ctx, s, scanID)
	if err != nil {
		return fmt.Errorf("cancel scan %d: %w", scanID, err)
	}
	if sc.State != platform.ScanQueued && sc.State != platform.ScanRunning {
		return fmt.Errorf("cancel scan %d: it is %s: %w", scanID, sc.State, platform.ErrConflict)
	}
	app, err := q.store.App(ctx, platform.OrgScope(sc.Org), sc.App)
	if err != nil {
		return fmt.Errorf("cancel scan %d: %w", scanID, err)
	}
	run := scanRun{q: q, app: app, scan: sc, log: q.log.With("scan", sc.ID, "app", sc.App, "org", sc.Org)}
	var state rivertype.JobState
	err = q.store.InTx(ctx, platform.OrgScope(sc.Org), func(tx *sql.Tx) error {
		jobs, err := q.client.JobListTx(ctx, tx, river.NewJobListParams().Kinds(scanArgs{}.Kind()).
			States(activeStates...).TagsAny(scanTag(sc.ID)).First(1))
		if err != nil {
			return fmt.Errorf("find the job: %w", err)
		}
		if len(jobs.Jobs) == 0 {
			// No job waits to run the scan or runs it (it was never
			// queued, or it ended without ending the scan): end it here.
			state = rivertype.JobStateCancelled
		} else {
			job, err := q.client.JobCancelTx(ctx, tx, jobs.Jobs[0].ID)
			if err != nil {
				return fmt.Errorf("cancel job %d: %w", jobs.Jobs[0].ID, err)
			}
			state = job.State
		}
		if state != rivertype.JobStateCancelled {
			return nil
		}
		return q.store.FinishScanTx(ctx, tx, run.result(platform.ScanCanceled, reasonCanceled, q.now()))
	})
	if err != nil {
		return fmt.Errorf("cancel scan %d: %w", scanID, err)
	}
	if state == rivertype.JobStateCancelled {
		run.ended(platform.ScanCanceled, reasonCanceled)
	} else {
		run.log.Info("scan cancellation requested", "job_state", state)
	}
	return nil
}

// Depth counts the jobs waiting to run: available, scheduled (including
// retries that are due later) and retryable.
func (q *Queue) Depth(ctx context.Context) (int, error) {
	counts, err := q.client.Driver().GetExecutor().JobCountByAllStates(ctx, &riverdriver.JobCountByAllStatesParams{})
	if err != nil {
		return 0, fmt.Errorf("count jobs: %w", err)
	}
	return counts[rivertype.JobStateAvailable] + counts[rivertype.JobStateScheduled] + counts[rivertype.JobStateRetryable], nil
}

// scanBackoff is the wait after failed attempt number attempt (counted
// from 1) of a scan: a minute doubled at each attempt, capped at 30
// minutes, with up to a quarter of it added or taken off at random so that
// the retries of scans that failed together (an outage) spread out. The
// four retries of a scan span about 15 minutes.
func scanBackoff(attempt int) time.Duration {
	const first, most = time.Minute, 30 * time.Minute
	wait := first
	for i := 1; i < attempt && wait < most; i++ {
		wait *= 2
	}
	wait = min(wait, most)
	return wait - wait/4 + rand.N(wait/2+1)
}
