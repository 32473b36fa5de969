package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// The triggers of a scan.
const (
	triggerSchedule = "schedule"
	triggerManual   = "manual"
)

const scanColumns = `s.id, s.org_id, s.app_id, s.state, s.trigger, s.job_id, s.queued_at, s.started_at, s.finished_at, s.error, s.counts`

func scanScan(row interface{ Scan(...any) error }, extra ...any) (platform.Scan, error) {
	var sc platform.Scan
	dst := []any{&sc.ID, &sc.Org, &sc.App, &sc.State, &sc.Trigger, &sc.Job, instant{&sc.QueuedAt},
		nullInstant{&sc.StartedAt}, nullInstant{&sc.FinishedAt}, &sc.Error, jsonText{&sc.Counts}}
	err := row.Scan(append(dst, extra...)...)
	return sc, err
}

// CreateScan records a scan of an app of the scope (not deleted); the
// scan's organization is the app's. Unset, State is queued and QueuedAt
// now.
func (s *Store) CreateScan(ctx context.Context, sc platform.Scope, scan platform.Scan) (platform.Scan, error) {
	var created platform.Scan
	err := s.write(ctx, sc, func(tx *sql.Tx) error {
		var err error
		created, err = s.createScan(ctx, tx, sc, scan)
		return err
	})
	return created, err
}

// CreateScanTx creates a scan inside InTx, so that the scan and the job
// that runs it are inserted in one transaction.
func (s *Store) CreateScanTx(ctx context.Context, tx *sql.Tx, scan platform.Scan) (platform.Scan, error) {
	sc, err := s.txScope(tx)
	if err != nil {
		return platform.Scan{}, err
	}
	return s.createScan(ctx, tx, sc, scan)
}

func (s *Store) createScan(ctx context.Context, tx *sql.Tx, sc platform.Scope, scan platform.Scan) (platform.Scan, error) {
	if scan.State == "" {
		scan.State = platform.ScanQueued
	}
	if scan.State != platform.ScanQueued && scan.State != platform.ScanRunning {
		return platform.Scan{}, fmt.Errorf("create scan: state %q, want queued or running: %w", scan.State, platform.ErrInvalid)
	}
	if scan.Trigger != triggerSchedule && scan.Trigger != triggerManual {
		return platform.Scan{}, fmt.Errorf("create scan: trigger %q, want %q or %q: %w", scan.Trigger, triggerSchedule, triggerManual, platform.ErrInvalid)
	}
	scan.QueuedAt = orNow(scan.QueuedAt).UTC().Truncate(time.Microsecond)
	scan.StartedAt = utcPtr(scan.StartedAt)
	scan.FinishedAt, scan.Error, scan.Counts, scan.Report = nil, "", nil, nil
	var a args
	q := `SELECT org_id FROM apps WHERE id = ` + a.add(scan.App) + ` AND deleted_at IS NULL AND ` + inScope("org_id", sc, &a)
	if err := tx.QueryRowContext(ctx, q, a...).Scan(&scan.Org); err != nil {
		return platform.Scan{}, fmt.Errorf("create scan of app %d: %w", scan.App, mapErr(err))
	}
	err := tx.QueryRowContext(ctx, `INSERT INTO scans (org_id, app_id, state, trigger, job_id, queued_at, started_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		scan.Org, scan.App, string(scan.State), scan.Trigger, scan.Job, s.ts(scan.QueuedAt), s.tsOrNull(scan.StartedAt)).Scan(&scan.ID)
	if err != nil {
		return platform.Scan{}, fmt.Errorf("create scan of app %d: %w", scan.App, mapErr(err))
	}
	return scan, nil
}

// Scan returns a scan of the scope with its report.
func (s *Store) Scan(ctx context.Context, sc platform.Scope, id int64) (platform.Scan, error) {
	var scan platform.Scan
	err := s.read(ctx, sc, func(tx *sql.Tx) error {
		var (
			a      args
			report []byte
			err    error
		)
		q := `SELECT ` + scanColumns + `, s.report FROM scans s WHERE s.id = ` + a.add(id) + ` AND ` + inScope("s.org_id", sc, &a)
		scan, err = scanScan(tx.QueryRowContext(ctx, q, a...), &report)
		scan.Report = report
		return err
	})
	if err != nil {
		return platform.Scan{}, fmt.Errorf("scan %d: %w", id, mapErr(err))
	}
	return scan, nil
}

// ListScans lists the scans of an app of the scope (app 0: of every app of
// the scope), newest first, without their reports.
func (s *Store) ListScans(ctx context.Context, sc platform.Scope, app int64, p platform.Page) ([]platform.Scan, error) {
	limit, before, err := page(p)
	if err != nil {
		return nil, fmt.Errorf("list scans: %w", err)
	}
	var scans []platform.Scan
	err = s.read(ctx, sc, func(tx *sql.Tx) error {
		var a args
		where := inScope("s.org_id", sc, &a) + ` AND ` + beforeCond("s.id", before, &a)
		if app != 0 {
			if err := appVisible(ctx, tx, sc, app); err != nil {
				return err
			}
			where += ` AND s.app_id = ` + a.add(app)
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+scanColumns+` FROM scans s WHERE `+where+` ORDER BY s.id DESC LIMIT `+a.add(limit), a...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			scan, err := scanScan(rows)
			if err != nil {
				return err
			}
			scans = append(scans, scan)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("list scans of app %d: %w", app, mapErr(err))
	}
	return scans, nil
}

// appVisible checks that an app (deleted or not) exists within the scope.
func appVisible(ctx context.Context, tx *sql.Tx, sc platform.Scope, app int64) error {
	var (
		a  args
		id int64
	)
	q := `SELECT id FROM apps WHERE id = ` + a.add(app) + ` AND ` + inScope("org_id", sc, &a)
	if err := tx.QueryRowContext(ctx, q, a...).Scan(&id); err != nil {
		return fmt.Errorf("app %d: %w", app, mapErr(err))
	}
	return nil
}

// SetScanJob records the id of the job that runs a scan.
func (s *Store) SetScanJob(ctx context.Context, sc platform.Scope, scan, job int64) error {
	err := s.write(ctx, sc, func(tx *sql.Tx) error {
		var a args
		q := `UPDATE scans SET job_id = ` + a.add(job) + ` WHERE id = ` + a.add(scan) + ` AND ` + inScope("org_id", sc, &a)
		return affected(tx.ExecContext(ctx, q, a...))
	})
	if err != nil {
		return fmt.Errorf("set job of scan %d: %w", scan, err)
	}
	return nil
}

// StartScan marks a queued scan running. A scan already running (its job
// retried) starts again; a finished one is ErrStale.
func (s *Store) StartScan(ctx context.Context, sc platform.Scope, scan int64, at time.Time) error {
	err := s.write(ctx, sc, func(tx *sql.Tx) error {
		if _, _, err := unfinishedScan(ctx, tx, sc, scan); err != nil {
			return err
		}
		return setUnfinished(ctx, tx, scan, `state = $1, started_at = $2`, string(platform.ScanRunning), s.ts(at))
	})
	if err != nil {
		return fmt.Errorf("start scan %d: %w", scan, mapErr(err))
	}
	return nil
}

// FailScan ends a queued or running scan as failed or canceled, with the
// reason; tickets are left alone. A finished scan is ErrStale.
func (s *Store) FailScan(ctx context.Context, sc platform.Scope, scan int64, state platform.ScanState, at time.Time, reason string) error {
	if state != platform.ScanFailed && state != platform.ScanCanceled {
		return fmt.Errorf("fail scan %d: state %q, want failed or canceled: %w", scan, state, platform.ErrInvalid)
	}
	err := s.write(ctx, sc, func(tx *sql.Tx) error {
		if _, _, err := unfinishedScan(ctx, tx, sc, scan); err != nil {
			return err
		}
		return setUnfinished(ctx, tx, scan, `state = $1, finished_at = $2, error = $3`, string(state), s.ts(at), reason)
	})
	if err != nil {
		return fmt.Errorf("end scan %d as %s: %w", scan, state, mapErr(err))
	}
	return nil
}

// setUnfinished updates a scan that unfinishedScan found, if it is still
// queued or running: set assigns the columns from $1, $2... The condition
// is in the update itself, so that of two writers racing (a scan finishing
// while it is canceled) the second finds the scan finished: ErrStale.
func setUnfinished(ctx context.Context, tx *sql.Tx, scan int64, set string, values ...any) error {
	a := args(values)
	res, err := tx.ExecContext(ctx, `UPDATE scans SET `+set+` WHERE id = `+a.add(scan)+
		` AND state IN ('queued', 'running')`, a...)
	if err := affected(res, err); err == platform.ErrNotFound {
		return fmt.Errorf("scan finished meanwhile: %w", platform.ErrStale)
	} else if err != nil {
		return err
	}
	return nil
}

// unfinishedScan checks that a scan of the scope is queued or running, and
// returns its organization and app.
func unfinishedScan(ctx context.Context, tx *sql.Tx, sc platform.Scope, scan int64) (org, app int64, err error) {
	var (
		a     args
		state platform.ScanState
	)
	q := `SELECT org_id, app_id, state FROM scans WHERE id = ` + a.add(scan) + ` AND ` + inScope("org_id", sc, &a)
	if err := tx.QueryRowContext(ctx, q, a...).Scan(&org, &app, &state); err != nil {
		return 0, 0, mapErr(err)
	}
	if state != platform.ScanQueued && state != platform.ScanRunning {
		return 0, 0, fmt.Errorf("scan is %s: %w", state, platform.ErrStale)
	}
	return org, app, nil
}

// TicketsOfAppTx reads, inside InTx, every ticket of an app of the
// transaction's scope, with its detail, in id order.
func (s *Store) TicketsOfAppTx(ctx context.Context, tx *sql.Tx, app int64) ([]platform.Ticket, error) {
	sc, err := s.txScope(tx)
	if err != nil {
		return nil, err
	}
	if err := appVisible(ctx, tx, sc, app); err != nil {
		return nil, fmt.Errorf("tickets of app %d: %w", app, err)
	}
	var a args
	q := `SELECT ` + ticketColumns + `, t.detail FROM tickets t WHERE t.app_id = ` + a.add(app) + ` AND ` +
		inScope("t.org_id", sc, &a) + ` ORDER BY t.id`
	tickets, err := queryTickets(ctx, tx, q, a, time.Time{}, true)
	if err != nil {
		return nil, fmt.Errorf("tickets of app %d: %w", app, mapErr(err))
	}
	return tickets, nil
}

// FinishScanTx writes, inside InTx, everything a finished scan produced:
// the scan's state (done unless r.Scan.State says failed or canceled),
// finish time (now if unset), error, counts and report; its findings; its
// ticket changes (ID 0 opens a ticket, another ID updates that ticket of
// the scan's app; each change's event is recorded, except a zero Event,
// which records none: a ticket merely seen again); and the app's next
// scan time, when r.NextScanAt is set. The organization, app and scan of
// every row come from the scan; a row that names others is ErrInvalid. A
// scan no longer queued or running (canceled meanwhile) is ErrStale.
func (s *Store) FinishScanTx(ctx context.Context, tx *sql.Tx, r platform.ScanResult) error {
	sc, err := s.txScope(tx)
	if err != nil {
		return err
	}
	if err := s.finishScan(ctx, tx, sc, r); err != nil {
		return fmt.Errorf("finish scan %d: %w", r.Scan.ID, mapErr(err))
	}
	return nil
}

func (s *Store) finishScan(ctx context.Context, tx *sql.Tx, sc platform.Scope, r platform.ScanResult) error {
	org, app, err := unfinishedScan(ctx, tx, sc, r.Scan.ID)
	if err != nil {
		return err
	}
	state := r.Scan.State
	if state == "" {
		state = platform.ScanDone
	}
	if state != platform.ScanDone && state != platform.ScanFailed && state != platform.ScanCanceled {
		return fmt.Errorf("final state %q: %w", state, platform.ErrInvalid)
	}
	finished := time.Now()
	if r.Scan.FinishedAt != nil {
		finished = *r.Scan.FinishedAt
	}
	counts, err := json.Marshal(r.Scan.Counts)
	if err != nil {
		return err
	}
	if r.Scan.Counts == nil {
		counts = []byte("{}")
	}
	err = setUnfinished(ctx, tx, r.Scan.ID, `state = $1, finished_at = $2, error = $3, counts = $4, report = $5`,
		string(state), s.ts(finished), r.Scan.Error, string(counts), r.Scan.Report)
	if err != nil {
		return err
	}
	if err := s.insertFindings(ctx, tx, org, app, r.Scan.ID, finished, r.Findings); err != nil {
		return err
	}
	if err := s.applyChanges(ctx, tx, org, app, r.Scan.ID, finished, r.Changes); err != nil {
		return err
	}
	if !r.NextScanAt.IsZero() {
		if _, err := tx.ExecContext(ctx, `UPDATE apps SET next_scan_at = $1 WHERE id = $2`, s.ts(r.NextScanAt), app); err != nil {
			return err
		}
	}
	return nil
}

// owns checks that a row naming an organization, app and scan (0: unset)
// belongs to the scan being written.
func owns(what string, org, app, scan, wantOrg, wantApp, wantScan int64) error {
	if (org != 0 && org != wantOrg) || (app != 0 && app != wantApp) || (scan != 0 && scan != wantScan) {
		return fmt.Errorf("%s names organization %d, app %d, scan %d; the scan is organization %d, app %d, scan %d: %w",
			what, org, app, scan, wantOrg, wantApp, wantScan, platform.ErrInvalid)
	}
	return nil
}

func (s *Store) insertFindings(ctx context.Context, tx *sql.Tx, org, app, scan int64, at time.Time, fs []platform.StoredFinding) error {
	for i, f := range fs {
		if err := owns(fmt.Sprintf("finding %d", i), f.Org, f.App, f.Scan, org, app, scan); err != nil {
			return err
		}
		if f.Fingerprint == "" {
			return fmt.Errorf("finding %d (%s) has no fingerprint: %w", i, f.Rule, platform.ErrInvalid)
		}
	}
	created := s.ts(at)
	return s.insertRows(ctx, tx, "findings", findingColumns, len(fs), "", func(i int, row []any) {
		f := &fs[i]
		at := created
		if !f.CreatedAt.IsZero() {
			at = s.ts(f.CreatedAt)
		}
		copy(row, []any{org, app, scan, f.Fingerprint, f.Rule, f.Requirement, f.Severity, f.Title, f.Location, f.Suppressed, f.Detail, at})
	}, nil)
}

func checkTicket(what string, t platform.Ticket) error {
	if !t.State.Valid() {
		return fmt.Errorf("%s: state %q: %w", what, t.State, platform.ErrInvalid)
	}
	if t.Due.IsZero() {
		return fmt.Errorf("%s: no due date: %w", what, platform.ErrInvalid)
	}
	return nil
}

func checkEvent(what string, e platform.TicketEvent) error {
	if !e.To.Valid() || (e.From != "" && !e.From.Valid()) {
		return fmt.Errorf("%s: event from %q to %q: %w", what, e.From, e.To, platform.ErrInvalid)
	}
	if e.Actor == "" {
		return fmt.Errorf("%s: event without an actor: %w", what, platform.ErrInvalid)
	}
	return nil
}

// applyChanges opens, updates and records the scan's ticket changes.
func (s *Store) applyChanges(ctx context.Context, tx *sql.Tx, org, app, scan int64, at time.Time, changes []platform.TicketChange) error {
	// Work on a copy: the new tickets' ids go into it, and a caller that
	// retries after a rollback must find its changes as they were.
	changes = slices.Clone(changes)
	var (
		fresh   []int // indexes of the changes that open a ticket
		updates []int
		seen    = map[string]bool{} // fingerprints of new tickets
		updated = map[int64]bool{}  // ids of updated tickets
	)
	for i := range changes {
		c := &changes[i]
		what := fmt.Sprintf("ticket change %d (%s)", i, c.Ticket.Fingerprint)
		if err := owns(what, c.Ticket.Org, c.Ticket.App, 0, org, app, 0); err != nil {
			return err
		}
		if c.Event != (platform.TicketEvent{}) {
			if c.Event.To == "" {
				c.Event.To = c.Ticket.State
			}
			if err := owns(what+" event", c.Event.Org, 0, 0, org, 0, 0); err != nil {
				return err
			}
			if err := checkEvent(what, c.Event); err != nil {
				return err
			}
			if c.Event.Ticket != 0 && c.Event.Ticket != c.Ticket.ID {
				return fmt.Errorf("%s: event of ticket %d: %w", what, c.Event.Ticket, platform.ErrInvalid)
			}
		}
		if err := checkTicket(what, c.Ticket); err != nil {
			return err
		}
		if c.Ticket.ID != 0 {
			if updated[c.Ticket.ID] {
				return fmt.Errorf("%s: ticket %d changed twice: %w", what, c.Ticket.ID, platform.ErrInvalid)
			}
			updated[c.Ticket.ID] = true
			updates = append(updates, i)
			continue
		}
		if c.Ticket.Fingerprint == "" || seen[c.Ticket.Fingerprint] {
			return fmt.Errorf("%s: a new ticket needs a fingerprint of its own: %w", what, platform.ErrInvalid)
		}
		seen[c.Ticket.Fingerprint] = true
		fresh = append(fresh, i)
	}

	// New tickets, then their ids by fingerprint (RETURNING promises no
	// order).
	ids := make(map[string]int64, len(fresh))
	stamp := func(t time.Time) any {
		if t.IsZero() {
			return s.ts(at)
		}
		return s.ts(t)
	}
	err := s.insertRows(ctx, tx, "tickets", ticketInsertColumns, len(fresh), "RETURNING id, fingerprint", func(i int, row []any) {
		t := &changes[fresh[i]].Ticket
		copy(row, []any{org, app, t.Fingerprint, t.Rule, t.Requirement, t.Severity, t.Title, t.Location, string(t.State),
			stamp(t.FirstSeen), stamp(t.LastSeen), s.ts(t.Due), stamp(t.UpdatedAt), t.Detail})
	}, func(rows *sql.Rows) error {
		var (
			id int64
			fp string
		)
		if err := rows.Scan(&id, &fp); err != nil {
			return err
		}
		ids[fp] = id
		return nil
	})
	if err != nil {
		return fmt.Errorf("open tickets: %w", err)
	}
	for _, i := range fresh {
		changes[i].Ticket.ID = ids[changes[i].Ticket.Fingerprint]
	}

	err = s.updateTickets(ctx, tx, len(updates), func(i int, row []any) {
		t := &changes[updates[i]].Ticket
		copy(row, []any{t.ID, app, t.Rule, t.Requirement, t.Severity, t.Title, t.Location, string(t.State),
			stamp(t.LastSeen), s.ts(t.Due), stamp(t.UpdatedAt), t.Detail})
	})
	if err != nil {
		return fmt.Errorf("update tickets of app %d: %w", app, err)
	}

	var events []*platform.TicketChange
	for i := range changes {
		if changes[i].Event != (platform.TicketEvent{}) {
			events = append(events, &changes[i])
		}
	}
	return s.insertRows(ctx, tx, "ticket_events", eventColumns, len(events), "", func(i int, row []any) {
		c := events[i]
		e := &c.Event
		eventScan := e.Scan
		if eventScan == 0 {
			eventScan = scan
		}
		copy(row, []any{org, c.Ticket.ID, stamp(e.At), e.Actor, string(e.From), string(e.To),
			s.tsOrNull(e.DueFrom), s.tsOrNull(e.DueTo), e.Reason, eventScan})
	}, nil)
}

// queryEach runs a query and hands each row to scan.
func queryEach(ctx context.Context, tx *sql.Tx, query string, a args, scan func(*sql.Rows) error) error {
	rows, err := tx.QueryContext(ctx, query, a...)
	if err != nil {
		return mapErr(err)
	}
	return eachRow(rows, scan)
}

// eachRow hands each row to scan and closes rows.
func eachRow(rows *sql.Rows, scan func(*sql.Rows) error) error {
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return mapErr(rows.Err())
}
