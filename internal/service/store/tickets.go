package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/ecoscan/ecoscan/internal/service/platform"
)

const findingColumnsSelect = `f.id, f.org_id, f.app_id, f.scan_id, f.fingerprint, f.rule, f.requirement, f.severity,
	f.title, f.location, f.suppressed, f.detail, f.created_at`

func scanFinding(row interface{ Scan(...any) error }) (platform.StoredFinding, error) {
	var f platform.StoredFinding
	err := row.Scan(&f.ID, &f.Org, &f.App, &f.Scan, &f.Fingerprint, &f.Rule, &f.Requirement, &f.Severity,
		&f.Title, &f.Location, &f.Suppressed, &f.Detail, instant{&f.CreatedAt})
	return f, err
}

// ListFindings lists findings of the scope, newest first, with their
// details. With App set and Scan 0 it lists the app's latest done scan.
func (s *Store) ListFindings(ctx context.Context, sc platform.Scope, f platform.FindingFilter, p platform.Page) ([]platform.StoredFinding, error) {
	limit, before, err := page(p)
	if err != nil {
		return nil, fmt.Errorf("list findings: %w", err)
	}
	var fs []platform.StoredFinding
	err = s.read(ctx, sc, func(tx *sql.Tx) error {
		var a args
		where := inScope("f.org_id", sc, &a) + ` AND ` + beforeCond("f.id", before, &a)
		switch {
		case f.Scan != 0:
			where += ` AND f.scan_id = ` + a.add(f.Scan)
			if f.App != 0 {
				where += ` AND f.app_id = ` + a.add(f.App)
			}
		case f.App != 0:
			where += ` AND f.scan_id = (SELECT l.id FROM scans l WHERE l.app_id = ` + a.add(f.App) +
				` AND l.state = 'done' AND ` + inScope("l.org_id", sc, &a) + ` ORDER BY l.finished_at DESC, l.id DESC LIMIT 1)`
		}
		if f.Severity != "" {
			where += ` AND f.severity = ` + a.add(f.Severity)
		}
		if f.Requirement != "" {
			where += ` AND f.requirement = ` + a.add(f.Requirement)
		}
		q := `SELECT ` + findingColumnsSelect + ` FROM findings f WHERE ` + where + ` ORDER BY f.id DESC LIMIT ` + a.add(limit)
		return queryEach(ctx, tx, q, a, func(rows *sql.Rows) error {
			f, err := scanFinding(rows)
			fs = append(fs, f)
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list findings: %w", mapErr(err))
	}
	return fs, nil
}

// Finding returns a finding of the scope.
func (s *Store) Finding(ctx context.Context, sc platform.Scope, id int64) (platform.StoredFinding, error) {
	var f platform.StoredFinding
	err := s.read(ctx, sc, func(tx *sql.Tx) error {
		var (
			a   args
			err error
		)
		q := `SELECT ` + findingColumnsSelect + ` FROM findings f WHERE f.id = ` + a.add(id) + ` AND ` + inScope("f.org_id", sc, &a)
		f, err = scanFinding(tx.QueryRowContext(ctx, q, a...))
		return err
	})
	if err != nil {
		return platform.StoredFinding{}, fmt.Errorf("finding %d: %w", id, mapErr(err))
	}
	return f, nil
}

const ticketColumns = `t.id, t.org_id, t.app_id, t.fingerprint, t.rule, t.requirement, t.severity, t.title, t.location,
	t.state, t.first_seen, t.last_seen, t.due, t.updated_at`

// queryTickets reads tickets (ticketColumns, then t.detail when
// withDetail) and decides Overdue as of now (never, when now is zero).
func queryTickets(ctx context.Context, tx *sql.Tx, query string, a args, now time.Time, withDetail bool) ([]platform.Ticket, error) {
	var tickets []platform.Ticket
	err := queryEach(ctx, tx, query, a, func(rows *sql.Rows) error {
		var t platform.Ticket
		dst := []any{&t.ID, &t.Org, &t.App, &t.Fingerprint, &t.Rule, &t.Requirement, &t.Severity, &t.Title, &t.Location,
			&t.State, instant{&t.FirstSeen}, instant{&t.LastSeen}, instant{&t.Due}, instant{&t.UpdatedAt}}
		if withDetail {
			dst = append(dst, &t.Detail)
		}
		if err := rows.Scan(dst...); err != nil {
			return err
		}
		t.Overdue = !now.IsZero() && t.State.Open() && t.Due.Before(now)
		tickets = append(tickets, t)
		return nil
	})
	return tickets, err
}

// ListTickets lists tickets of the scope, newest first, without their
// details; Overdue is decided by f.Now (now, when unset).
func (s *Store) ListTickets(ctx context.Context, sc platform.Scope, f platform.TicketFilter, p platform.Page) ([]platform.Ticket, error) {
	limit, before, err := page(p)
	if err != nil {
		return nil, fmt.Errorf("list tickets: %w", err)
	}
	for _, st := range f.States {
		if !st.Valid() {
			return nil, fmt.Errorf("list tickets: state %q: %w", st, platform.ErrInvalid)
		}
	}
	now := orNow(f.Now)
	var tickets []platform.Ticket
	err = s.read(ctx, sc, func(tx *sql.Tx) error {
		var a args
		where := inScope("t.org_id", sc, &a) + ` AND ` + beforeCond("t.id", before, &a)
		if f.App != 0 {
			where += ` AND t.app_id = ` + a.add(f.App)
		}
		if len(f.States) > 0 {
			states := make([]any, len(f.States))
			for i, st := range f.States {
				states[i] = string(st)
			}
			where += ` AND t.state IN (` + a.list(states...) + `)`
		}
		if f.Severity != "" {
			where += ` AND t.severity = ` + a.add(f.Severity)
		}
		if f.Overdue {
			where += ` AND t.state IN (` + openStates + `) AND t.due < ` + a.add(s.ts(now))
		}
		if f.DueBefore != nil {
			where += ` AND t.due < ` + a.add(s.ts(*f.DueBefore))
		}
		q := `SELECT ` + ticketColumns + ` FROM tickets t WHERE ` + where + ` ORDER BY t.id DESC LIMIT ` + a.add(limit)
		tickets, err = queryTickets(ctx, tx, q, a, now, false)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list tickets: %w", mapErr(err))
	}
	return tickets, nil
}

// Ticket returns a ticket of the scope with its detail; Overdue is decided
// by now.
func (s *Store) Ticket(ctx context.Context, sc platform.Scope, id int64, now time.Time) (platform.Ticket, error) {
	var t platform.Ticket
	err := s.read(ctx, sc, func(tx *sql.Tx) error {
		var a args
		q := `SELECT ` + ticketColumns + `, t.detail FROM tickets t WHERE t.id = ` + a.add(id) + ` AND ` + inScope("t.org_id", sc, &a)
		tickets, err := queryTickets(ctx, tx, q, a, orNow(now), true)
		if err != nil {
			return err
		}
		if len(tickets) == 0 {
			return platform.ErrNotFound
		}
		t = tickets[0]
		return nil
	})
	if err != nil {
		return platform.Ticket{}, fmt.Errorf("ticket %d: %w", id, mapErr(err))
	}
	return t, nil
}

// TicketEvents lists a ticket's events, oldest first.
func (s *Store) TicketEvents(ctx context.Context, sc platform.Scope, ticket int64) ([]platform.TicketEvent, error) {
	var events []platform.TicketEvent
	err := s.read(ctx, sc, func(tx *sql.Tx) error {
		if err := ticketVisible(ctx, tx, sc, ticket); err != nil {
			return err
		}
		var a args
		q := `SELECT id, org_id, ticket_id, at, actor, from_state, to_state, due_from, due_to, reason, scan_id
			FROM ticket_events WHERE ticket_id = ` + a.add(ticket) + ` AND ` + inScope("org_id", sc, &a) + ` ORDER BY id`
		return queryEach(ctx, tx, q, a, func(rows *sql.Rows) error {
			var e platform.TicketEvent
			err := rows.Scan(&e.ID, &e.Org, &e.Ticket, instant{&e.At}, &e.Actor, &e.From, &e.To,
				nullInstant{&e.DueFrom}, nullInstant{&e.DueTo}, &e.Reason, &e.Scan)
			events = append(events, e)
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("events of ticket %d: %w", ticket, mapErr(err))
	}
	return events, nil
}

// ticketVisible checks that a ticket exists within the scope.
func ticketVisible(ctx context.Context, tx *sql.Tx, sc platform.Scope, ticket int64) error {
	var (
		a  args
		id int64
	)
	q := `SELECT id FROM tickets WHERE id = ` + a.add(ticket) + ` AND ` + inScope("org_id", sc, &a)
	if err := tx.QueryRowContext(ctx, q, a...).Scan(&id); err != nil {
		return fmt.Errorf("ticket %d: %w", ticket, mapErr(err))
	}
	return nil
}

// ChangeTicket moves a ticket of the scope to c.Ticket.State (and
// c.Ticket.Due, when set) and records c.Event, if the ticket is still in
// c.Event.From; otherwise it is ErrStale. Unset, the event's To is the new
// state, its At now, and its DueFrom and DueTo the old and new due dates
// when the change moves them.
func (s *Store) ChangeTicket(ctx context.Context, sc platform.Scope, c platform.TicketChange) error {
	t, e := c.Ticket, c.Event
	if e.To == "" {
		e.To = t.State
	}
	if e.To != t.State {
		return fmt.Errorf("change ticket %d: event to %q, ticket to %q: %w", t.ID, e.To, t.State, platform.ErrInvalid)
	}
	if !e.From.Valid() {
		return fmt.Errorf("change ticket %d: event from %q: %w", t.ID, e.From, platform.ErrInvalid)
	}
	if err := checkEvent(fmt.Sprintf("change ticket %d", t.ID), e); err != nil {
		return err
	}
	if e.Ticket != 0 && e.Ticket != t.ID {
		return fmt.Errorf("change ticket %d: event of ticket %d: %w", t.ID, e.Ticket, platform.ErrInvalid)
	}
	e.At = orNow(e.At)
	err := s.write(ctx, sc, func(tx *sql.Tx) error {
		var (
			a   args
			org int64
			due time.Time
		)
		q := `SELECT org_id, due FROM tickets WHERE id = ` + a.add(t.ID) + ` AND ` + inScope("org_id", sc, &a)
		if err := tx.QueryRowContext(ctx, q, a...).Scan(&org, instant{&due}); err != nil {
			return err
		}
		if e.Org != 0 && e.Org != org {
			return fmt.Errorf("event of organization %d: %w", e.Org, platform.ErrInvalid)
		}
		newDue := due
		if !t.Due.IsZero() {
			newDue = t.Due.UTC().Truncate(time.Microsecond)
		}
		if !newDue.Equal(due) && e.DueFrom == nil && e.DueTo == nil {
			e.DueFrom, e.DueTo = &due, &newDue
		}
		// The state condition, not the read above, decides: a change
		// committed meanwhile makes this update touch nothing.
		res, err := tx.ExecContext(ctx, `UPDATE tickets SET state = $1, due = $2, updated_at = $3 WHERE id = $4 AND state = $5`,
			string(t.State), s.ts(newDue), s.ts(e.At), t.ID, string(e.From))
		if err := affected(res, err); err != nil {
			if err == platform.ErrNotFound {
				return fmt.Errorf("ticket is no longer %s: %w", e.From, platform.ErrStale)
			}
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO ticket_events (org_id, ticket_id, at, actor, from_state, to_state, due_from, due_to, reason, scan_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			org, t.ID, s.ts(e.At), e.Actor, string(e.From), string(e.To), s.tsOrNull(e.DueFrom), s.tsOrNull(e.DueTo), e.Reason, e.Scan)
		return err
	})
	if err != nil {
		return fmt.Errorf("change ticket %d: %w", t.ID, mapErr(err))
	}
	return nil
}

// OpenTicketsDueBefore lists the open tickets of every organization due
// before the instant, soonest due first, at most limit (0:
// platform.DefaultPage; capped at platform.MaxPage), for the due-soon and
// overdue notices. Overdue is decided by the current time.
func (s *Store) OpenTicketsDueBefore(ctx context.Context, before time.Time, limit int) ([]platform.Ticket, error) {
	limit, _, err := page(platform.Page{Limit: limit})
	if err != nil {
		return nil, fmt.Errorf("open tickets due before %s: %w", before, err)
	}
	var tickets []platform.Ticket
	err = s.read(ctx, platform.AllScope(), func(tx *sql.Tx) error {
		q := `SELECT ` + ticketColumns + ` FROM tickets t JOIN apps a ON a.id = t.app_id
			WHERE t.state IN (` + openStates + `) AND t.due < $1 AND a.deleted_at IS NULL ORDER BY t.due, t.id LIMIT $2`
		tickets, err = queryTickets(ctx, tx, q, args{s.ts(before), limit}, time.Now(), false)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("open tickets due before %s: %w", before, mapErr(err))
	}
	return tickets, nil
}

// Notified records that the notice (ticket, event, key) went out; it
// returns false when it had been recorded before, so that each goes once.
func (s *Store) Notified(ctx context.Context, ticket int64, event, key string, at time.Time) (bool, error) {
	if event == "" {
		return false, fmt.Errorf("notified: no event: %w", platform.ErrInvalid)
	}
	var first bool
	err := s.write(ctx, platform.AllScope(), func(tx *sql.Tx) error {
		var org int64
		if err := tx.QueryRowContext(ctx, `SELECT org_id FROM tickets WHERE id = $1`, ticket).Scan(&org); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO notices (org_id, ticket_id, event, key, sent_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (ticket_id, event, key) DO NOTHING`, org, ticket, event, key, s.ts(at))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		first = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("notice %s of ticket %d: %w", event, ticket, mapErr(err))
	}
	return first, nil
}
