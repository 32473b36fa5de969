package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/riverqueue/river"

	"github.com/ecoscan/ecoscan/internal/finding"
	"github.com/ecoscan/ecoscan/internal/service/platform"
	"github.com/ecoscan/ecoscan/internal/service/tickets"
)

// DefaultInterval is the time between scheduled scans of an app that has
// none set.
const DefaultInterval = 24 * time.Hour

// endTimeout bounds the writing of a scan's end once its job's context is
// over (canceled, timed out).
const endTimeout = 30 * time.Second

// scanRun is one attempt at one scan job.
type scanRun struct {
	q       *Queue
	job     *river.Job[scanArgs]
	app     platform.App
	scan    platform.Scan
	log     *slog.Logger
	started time.Time // when the scan itself began; zero if it never did
}

// interval is the time between the app's scheduled scans.
func interval(app platform.App) time.Duration {
	if app.Interval <= 0 {
		return DefaultInterval
	}
	return app.Interval
}

// nextScanAt is when the app's next scheduled scan falls due once this scan
// ends in state: an interval from now after a scan that ran, and after any
// end of a scheduled scan (so that a failing app is not queued again at
// every look of the scheduler); a manual scan that failed or was canceled
// leaves the schedule alone.
func (r *scanRun) nextScanAt(state platform.ScanState, now time.Time) time.Time {
	if state == platform.ScanDone || r.scan.Trigger == TriggerSchedule {
		return now.Add(interval(r.app))
	}
	return r.app.NextScanAt
}

// end ends the scan failed with reason (or in another state without
// results) and completes its job, in one transaction; tickets are left
// alone.
func (r *scanRun) end(ctx context.Context, state platform.ScanState, reason string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), endTimeout)
	defer cancel()
	now := r.q.now()
	err := r.q.store.InTx(ctx, platform.OrgScope(r.app.Org), func(tx *sql.Tx) error {
		if err := r.q.store.FinishScanTx(ctx, tx, r.result(state, reason, now)); err != nil {
			return err
		}
		return r.q.complete(ctx, tx, r.job)
	})
	if err != nil {
		return fmt.Errorf("end scan %d as %s: %w", r.scan.ID, state, err)
	}
	r.ended(state, reason)
	return nil
}

// canceled ends a scan whose job was canceled while it ran. The job itself
// is canceled by River when Work returns the JobCancel error.
func (r *scanRun) canceled(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), endTimeout)
	defer cancel()
	now := r.q.now()
	err := r.q.store.InTx(ctx, platform.OrgScope(r.app.Org), func(tx *sql.Tx) error {
		return r.q.store.FinishScanTx(ctx, tx, r.result(platform.ScanCanceled, reasonCanceled, now))
	})
	if err != nil {
		r.log.Error("recording the cancellation failed", "error", err.Error())
	} else {
		r.ended(platform.ScanCanceled, reasonCanceled)
	}
	return river.JobCancel(errors.New(reasonCanceled))
}

// reasonCanceled is the Error of a canceled scan.
const reasonCanceled = "canceled"

// result is the end of the scan without results.
func (r *scanRun) result(state platform.ScanState, reason string, now time.Time) platform.ScanResult {
	return platform.ScanResult{
		Scan:       platform.Scan{ID: r.scan.ID, Org: r.app.Org, App: r.app.ID, State: state, FinishedAt: &now, Error: reason},
		NextScanAt: r.nextScanAt(state, now),
	}
}

// ended counts and logs the end of the scan.
func (r *scanRun) ended(state platform.ScanState, reason string) {
	var took time.Duration
	if !r.started.IsZero() {
		took = time.Since(r.started)
	}
	r.q.metrics.scanEnded(r.app.Kind, state, took)
	r.log.Info("scan ended", "state", state, "reason", reason, "seconds", took.Seconds())
}

// finish writes the report of a scan that ran, in one transaction: the
// scan done with its report and counts, its findings, the changes of the
// app's tickets, the app's next scan, a delivery job for every notice and
// webhook, and the completion of the job.
func (r *scanRun) finish(ctx context.Context, rep *finding.Report) error {
	q, scope := r.q, platform.OrgScope(r.app.Org)
	now := q.now()
	// Read before the transaction: on SQLite the transaction holds the
	// only writing connection.
	hooks, err := q.store.Webhooks(ctx, scope, r.app.Org)
	if err != nil {
		return fmt.Errorf("list webhooks: %w", err)
	}
	report, err := json.Marshal(rep)
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	findings, err := r.storedFindings(rep, now)
	if err != nil {
		return err
	}
	counts := map[string]int{}
	for sev, n := range rep.Count() {
		counts[sev.String()] = n
	}
	var sent int
	err = q.store.InTx(ctx, scope, func(tx *sql.Tx) error {
		existing, err := q.store.TicketsOfAppTx(ctx, tx, r.app.ID)
		if err != nil {
			return fmt.Errorf("read tickets: %w", err)
		}
		changes := tickets.Reconcile(now, r.app, r.scan.ID, rep, existing)
		res := platform.ScanResult{
			Scan:       platform.Scan{ID: r.scan.ID, Org: r.app.Org, App: r.app.ID, State: platform.ScanDone, FinishedAt: &now, Counts: counts, Report: report},
			Findings:   findings,
			Changes:    changes,
			NextScanAt: r.nextScanAt(platform.ScanDone, now),
		}
		if err := q.store.FinishScanTx(ctx, tx, res); err != nil {
			return fmt.Errorf("write results: %w", err)
		}
		if hook := q.cfg.testHookAfterFinish; hook != nil {
			if err := hook(); err != nil {
				return err
			}
		}
		notices, err := r.withTicketIDs(ctx, tx, tickets.Notices(changes), len(hooks) > 0)
		if err != nil {
			return err
		}
		params := deliveries(hooks, notices)
		if len(params) > 0 {
			if _, err := q.client.InsertManyTx(ctx, tx, params); err != nil {
				return fmt.Errorf("queue webhook deliveries: %w", err)
			}
		}
		sent = len(params)
		return q.complete(ctx, tx, r.job)
	})
	if err != nil {
		return err
	}
	r.ended(platform.ScanDone, "")
	r.log.Info("scan results stored", "findings", len(findings), "active", rep.Active(), "deliveries", sent)
	return nil
}

// withTicketIDs gives the notices of new tickets the ids the store just
// gave those tickets (read back inside the transaction, by fingerprint),
// when the notices are to be sent.
func (r *scanRun) withTicketIDs(ctx context.Context, tx *sql.Tx, notices []tickets.Notice, send bool) ([]tickets.Notice, error) {
	if !send || !slices.ContainsFunc(notices, func(n tickets.Notice) bool { return n.Ticket.ID == 0 }) {
		return notices, nil
	}
	now, err := r.q.store.TicketsOfAppTx(ctx, tx, r.app.ID)
	if err != nil {
		return nil, fmt.Errorf("read the new tickets: %w", err)
	}
	ids := make(map[string]int64, len(now))
	for _, t := range now {
		ids[t.Fingerprint] = t.ID
	}
	for i := range notices {
		if notices[i].Ticket.ID == 0 {
			notices[i].Ticket.ID = ids[notices[i].Ticket.Fingerprint]
		}
	}
	return notices, nil
}

// storedFindings are the report's findings as the store keeps them.
func (r *scanRun) storedFindings(rep *finding.Report, now time.Time) ([]platform.StoredFinding, error) {
	out := make([]platform.StoredFinding, 0, len(rep.Findings))
	for _, f := range rep.Findings {
		detail, err := json.Marshal(f)
		if err != nil {
			return nil, fmt.Errorf("encode finding %s: %w", f.Fingerprint, err)
		}
		out = append(out, platform.StoredFinding{
			Org: r.app.Org, App: r.app.ID, Scan: r.scan.ID,
			Fingerprint: f.Fingerprint, Rule: f.Rule, Requirement: f.Requirement, Severity: f.Severity.String(),
			Title: f.Title, Location: f.Location.String(), Suppressed: f.Suppressed(), Detail: detail, CreatedAt: now,
		})
	}
	return out, nil
}
