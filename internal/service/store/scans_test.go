package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/ecoscan/ecoscan/internal/service/platform"
)

func TestScanLifecycle(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		tn := newTenant(t, s, "acme")
		sc := platform.OrgScope(tn.org.ID)

		if tn.scan.State != platform.ScanDone || tn.scan.FinishedAt == nil || !tn.scan.FinishedAt.Equal(t0.Add(time.Minute)) ||
			!tn.scan.StartedAt.Equal(t0.Add(time.Second)) || string(tn.scan.Report) != `{"app":"acme"}` ||
			!reflect.DeepEqual(tn.scan.Counts, map[string]int{"high": 1, "medium": 1}) {
			t.Errorf("finished scan reads %+v", tn.scan)
		}
		if app := must[platform.App](t)(s.App(ctx, sc, tn.connect.ID)); !app.NextScanAt.Equal(t0.Add(24 * time.Hour)) {
			t.Errorf("next scan at %v", app.NextScanAt)
		}

		scan := must[platform.Scan](t)(s.CreateScan(ctx, sc, platform.Scan{App: tn.connect.ID, Trigger: "manual", QueuedAt: t0.Add(time.Hour)}))
		if scan.State != platform.ScanQueued || scan.Org != tn.org.ID {
			t.Errorf("CreateScan = %+v", scan)
		}
		check(t, s.SetScanJob(ctx, sc, scan.ID, 77))
		check(t, s.StartScan(ctx, sc, scan.ID, t0.Add(2*time.Hour)))
		check(t, s.StartScan(ctx, sc, scan.ID, t0.Add(3*time.Hour))) // a retried job
		check(t, s.FailScan(ctx, sc, scan.ID, platform.ScanFailed, t0.Add(4*time.Hour), "descriptor unreachable"))
		got := must[platform.Scan](t)(s.Scan(ctx, sc, scan.ID))
		if got.State != platform.ScanFailed || got.Job != 77 || got.Error != "descriptor unreachable" || !got.StartedAt.Equal(t0.Add(3*time.Hour)) ||
			!got.FinishedAt.Equal(t0.Add(4*time.Hour)) || got.Report != nil {
			t.Errorf("failed scan reads %+v", got)
		}
		wantErr(t, "start a failed scan", s.StartScan(ctx, sc, scan.ID, t0), platform.ErrStale)
		wantErr(t, "fail a failed scan", s.FailScan(ctx, sc, scan.ID, platform.ScanCanceled, t0, ""), platform.ErrStale)
		wantErr(t, "fail as done", s.FailScan(ctx, sc, scan.ID, platform.ScanDone, t0, ""), platform.ErrInvalid)
		wantErr(t, "finish a failed scan", s.InTx(ctx, sc, func(tx *sql.Tx) error {
			return s.FinishScanTx(ctx, tx, platform.ScanResult{Scan: platform.Scan{ID: scan.ID}})
		}), platform.ErrStale)

		_, err := s.CreateScan(ctx, sc, platform.Scan{App: tn.connect.ID, Trigger: "cron"})
		wantErr(t, "unknown trigger", err, platform.ErrInvalid)
		_, err = s.CreateScan(ctx, sc, platform.Scan{App: tn.connect.ID, Trigger: "manual", State: platform.ScanDone})
		wantErr(t, "created done", err, platform.ErrInvalid)
		_, err = s.CreateScan(ctx, sc, platform.Scan{App: 999, Trigger: "manual"})
		wantErr(t, "unknown app", err, platform.ErrNotFound)
		check(t, s.DeleteApp(ctx, sc, tn.forge.ID, t0))
		_, err = s.CreateScan(ctx, sc, platform.Scan{App: tn.forge.ID, Trigger: "manual"})
		wantErr(t, "deleted app", err, platform.ErrNotFound)

		// Listings: newest first, by app or all, without reports; the
		// app's latest finished scan is now the failed one.
		list := must[[]platform.Scan](t)(s.ListScans(ctx, sc, tn.connect.ID, platform.Page{}))
		if len(list) != 2 || list[0].ID != scan.ID || list[1].ID != tn.scan.ID || list[1].Report != nil {
			t.Errorf("ListScans = %+v", list)
		}
		if page := must[[]platform.Scan](t)(s.ListScans(ctx, sc, 0, platform.Page{Limit: 1, Before: scan.ID})); len(page) != 1 || page[0].ID != tn.scan.ID {
			t.Errorf("second page = %+v", page)
		}
		if app := must[platform.App](t)(s.App(ctx, sc, tn.connect.ID)); app.Last == nil || app.Last.ID != scan.ID {
			t.Errorf("Last = %+v", app.Last)
		}
		_, err = s.ListScans(ctx, sc, 999, platform.Page{})
		wantErr(t, "scans of an unknown app", err, platform.ErrNotFound)
		wantErr(t, "job of unknown scan", s.SetScanJob(ctx, sc, 999, 1), platform.ErrNotFound)
	})
}

// scanResult is a result of scan with findings fp0..fpN-1, each opening a
// ticket.
func scanResult(scan int64, finished time.Time, n int) platform.ScanResult {
	r := platform.ScanResult{Scan: platform.Scan{ID: scan, FinishedAt: &finished, Counts: map[string]int{"high": n}, Report: []byte(`{}`)},
		NextScanAt: finished.Add(24 * time.Hour)}
	for i := range n {
		fp := fmt.Sprintf("fp%d", i)
		r.Findings = append(r.Findings, platform.StoredFinding{Fingerprint: fp, Rule: "r", Requirement: "5", Severity: "high",
			Title: "t", Location: fmt.Sprintf("/%d", i), Detail: []byte(fmt.Sprintf(`{"i":%d}`, i))})
		r.Changes = append(r.Changes, platform.TicketChange{
			Ticket: platform.Ticket{Fingerprint: fp, Rule: "r", Requirement: "5", Severity: "high", Title: "t",
				State: platform.NeedsPatch, Due: finished.Add(42 * 24 * time.Hour)},
			Event: platform.TicketEvent{Actor: "system", Reason: "found"},
		})
	}
	return r
}

func TestFinishScanUpdatesTickets(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		tn := newTenant(t, s, "acme")
		sc := platform.OrgScope(tn.org.ID)
		scan := must[platform.Scan](t)(s.CreateScan(ctx, sc, platform.Scan{App: tn.connect.ID, Trigger: "manual"}))
		finished := t0.Add(48 * time.Hour)
		var old []platform.Ticket
		r := scanResult(scan.ID, finished, 1) // one new ticket
		check(t, s.InTx(ctx, sc, func(tx *sql.Tx) error {
			var err error
			if old, err = s.TicketsOfAppTx(ctx, tx, tn.connect.ID); err != nil {
				return err
			}
			// The first ticket is patched (the scan no longer sees it);
			// the second is seen again without an event.
			patched, seen := old[0], old[1]
			patched.State, patched.UpdatedAt = platform.Patched, finished
			seen.LastSeen = finished
			r.Changes = append(r.Changes,
				platform.TicketChange{Ticket: patched, Event: platform.TicketEvent{Actor: "system", From: platform.NeedsPatch, Reason: "not seen"}},
				platform.TicketChange{Ticket: seen})
			return s.FinishScanTx(ctx, tx, r)
		}))
		if len(old) != 2 || string(old[0].Detail) != `{"n":1}` {
			t.Fatalf("TicketsOfAppTx = %+v", old)
		}
		tickets := must[[]platform.Ticket](t)(s.ListTickets(ctx, sc, platform.TicketFilter{App: tn.connect.ID, Now: t0}, platform.Page{}))
		if len(tickets) != 3 {
			t.Fatalf("%d tickets, want 3", len(tickets))
		}
		byFP := map[string]platform.Ticket{}
		for _, tk := range tickets {
			byFP[tk.Fingerprint] = tk
		}
		if tk := byFP["acme-fp1"]; tk.State != platform.Patched || !tk.UpdatedAt.Equal(finished) || !tk.FirstSeen.Equal(old[0].FirstSeen) {
			t.Errorf("patched ticket reads %+v", tk)
		}
		if tk := byFP["acme-fp2"]; tk.State != platform.NeedsPatch || !tk.LastSeen.Equal(finished) {
			t.Errorf("seen ticket reads %+v", tk)
		}
		fresh := byFP["fp0"]
		if fresh.ID == 0 || !fresh.FirstSeen.Equal(finished) || !fresh.Due.Equal(finished.Add(42*24*time.Hour)) {
			t.Errorf("new ticket reads %+v", fresh)
		}
		events := must[[]platform.TicketEvent](t)(s.TicketEvents(ctx, sc, fresh.ID))
		if len(events) != 1 || events[0].To != platform.NeedsPatch || events[0].Scan != scan.ID || events[0].Org != tn.org.ID ||
			!events[0].At.Equal(finished) || events[0].Actor != "system" {
			t.Errorf("new ticket's events %+v", events)
		}
		events = must[[]platform.TicketEvent](t)(s.TicketEvents(ctx, sc, old[0].ID))
		if len(events) != 2 || events[1].From != platform.NeedsPatch || events[1].To != platform.Patched {
			t.Errorf("patched ticket's events %+v", events)
		}
		if events := must[[]platform.TicketEvent](t)(s.TicketEvents(ctx, sc, old[1].ID)); len(events) != 1 {
			t.Errorf("a ticket seen again got events %+v", events)
		}

		// Findings: the app's latest done scan by default.
		latest := must[[]platform.StoredFinding](t)(s.ListFindings(ctx, sc, platform.FindingFilter{App: tn.connect.ID}, platform.Page{}))
		if len(latest) != 1 || latest[0].Scan != scan.ID || latest[0].App != tn.connect.ID || string(latest[0].Detail) != `{"i":0}` ||
			!latest[0].CreatedAt.Equal(finished) {
			t.Errorf("latest findings %+v", latest)
		}
		f := must[platform.StoredFinding](t)(s.Finding(ctx, sc, latest[0].ID))
		if !reflect.DeepEqual(f, latest[0]) {
			t.Errorf("Finding = %+v, want %+v", f, latest[0])
		}
		first := must[[]platform.StoredFinding](t)(s.ListFindings(ctx, sc, platform.FindingFilter{Scan: tn.scan.ID, Severity: "medium"}, platform.Page{}))
		if len(first) != 1 || first[0].Fingerprint != "acme-fp2" {
			t.Errorf("medium findings of the first scan %+v", first)
		}
		byReq := must[[]platform.StoredFinding](t)(s.ListFindings(ctx, sc, platform.FindingFilter{Requirement: "1.1"}, platform.Page{}))
		if len(byReq) != 1 || byReq[0].Fingerprint != "acme-fp1" {
			t.Errorf("findings of requirement 1.1 %+v", byReq)
		}
		if none := must[[]platform.StoredFinding](t)(s.ListFindings(ctx, sc, platform.FindingFilter{App: tn.forge.ID}, platform.Page{})); len(none) != 0 {
			t.Errorf("an unscanned app has findings %+v", none)
		}
		all := must[[]platform.StoredFinding](t)(s.ListFindings(ctx, sc, platform.FindingFilter{}, platform.Page{Limit: 2}))
		next := must[[]platform.StoredFinding](t)(s.ListFindings(ctx, sc, platform.FindingFilter{}, platform.Page{Limit: 2, Before: all[1].ID}))
		if len(all) != 2 || len(next) != 1 || all[0].ID < all[1].ID || next[0].ID > all[1].ID {
			t.Errorf("finding pages %v then %v", all, next)
		}
	})
}

func TestFinishScanAtomic(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		tn := newTenant(t, s, "acme")
		sc := platform.OrgScope(tn.org.ID)
		scan := must[platform.Scan](t)(s.CreateScan(ctx, sc, platform.Scan{App: tn.connect.ID, Trigger: "manual"}))
		check(t, s.StartScan(ctx, sc, scan.ID, t0))
		r := scanResult(scan.ID, t0.Add(time.Hour), 1200)
		boom := errors.New("job completion failed")
		err := s.InTx(ctx, sc, func(tx *sql.Tx) error {
			if err := s.FinishScanTx(ctx, tx, r); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v, want the function's error", err)
		}
		got := must[platform.Scan](t)(s.Scan(ctx, sc, scan.ID))
		if got.State != platform.ScanRunning || got.FinishedAt != nil || got.Report != nil {
			t.Errorf("after a rollback the scan reads %+v", got)
		}
		if fs := must[[]platform.StoredFinding](t)(s.ListFindings(ctx, sc, platform.FindingFilter{Scan: scan.ID}, platform.Page{})); len(fs) != 0 {
			t.Errorf("%d findings written", len(fs))
		}
		if ts := must[[]platform.Ticket](t)(s.ListTickets(ctx, sc, platform.TicketFilter{}, platform.Page{})); len(ts) != 2 {
			t.Errorf("%d tickets, want the fixture's 2", len(ts))
		}
		if app := must[platform.App](t)(s.App(ctx, sc, tn.connect.ID)); !app.NextScanAt.Equal(t0.Add(24 * time.Hour)) {
			t.Errorf("next scan moved to %v", app.NextScanAt)
		}

		// A failure inside FinishScanTx (a ticket of another app) also
		// leaves nothing.
		bad := scanResult(scan.ID, t0.Add(time.Hour), 3)
		stranger := tn.tickets[0]
		stranger.App = tn.forge.ID
		bad.Changes = append(bad.Changes, platform.TicketChange{Ticket: stranger})
		err = s.InTx(ctx, sc, func(tx *sql.Tx) error { return s.FinishScanTx(ctx, tx, bad) })
		wantErr(t, "ticket of another app", err, platform.ErrInvalid)
		missing := scanResult(scan.ID, t0.Add(time.Hour), 3)
		ghost := tn.tickets[0]
		ghost.ID = 99999
		missing.Changes = append(missing.Changes, platform.TicketChange{Ticket: ghost})
		err = s.InTx(ctx, sc, func(tx *sql.Tx) error { return s.FinishScanTx(ctx, tx, missing) })
		wantErr(t, "unknown ticket", err, platform.ErrNotFound)
		dup := scanResult(scan.ID, t0.Add(time.Hour), 1)
		dup.Changes[0].Ticket.Fingerprint = "acme-fp1" // already has a ticket
		err = s.InTx(ctx, sc, func(tx *sql.Tx) error { return s.FinishScanTx(ctx, tx, dup) })
		wantErr(t, "second ticket for a fingerprint", err, platform.ErrConflict)
		if fs := must[[]platform.StoredFinding](t)(s.ListFindings(ctx, sc, platform.FindingFilter{Scan: scan.ID}, platform.Page{})); len(fs) != 0 {
			t.Errorf("%d findings written by failed finishes", len(fs))
		}

		// Then the real thing: 1,200 findings and tickets, in three batches.
		check(t, s.InTx(ctx, sc, func(tx *sql.Tx) error { return s.FinishScanTx(ctx, tx, r) }))
		var n int
		p := platform.Page{Limit: platform.MaxPage}
		for {
			page := must[[]platform.StoredFinding](t)(s.ListFindings(ctx, sc, platform.FindingFilter{Scan: scan.ID}, p))
			if len(page) == 0 {
				break
			}
			n += len(page)
			p.Before = page[len(page)-1].ID
		}
		if n != 1200 {
			t.Errorf("%d findings, want 1200", n)
		}
		// Each new ticket got its own event.
		var tickets, events, matched int
		check(t, s.InTx(ctx, sc, func(tx *sql.Tx) error {
			return tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM tickets WHERE app_id = $1),
				(SELECT COUNT(*) FROM ticket_events WHERE scan_id = $2),
				(SELECT COUNT(DISTINCT e.ticket_id) FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id WHERE e.scan_id = $2)`,
				tn.connect.ID, scan.ID).Scan(&tickets, &events, &matched)
		}))
		if tickets != 1202 || events != 1200 || matched != 1200 {
			t.Errorf("%d tickets, %d events of the scan on %d tickets; want 1202, 1200, 1200", tickets, events, matched)
		}
	})
}

func TestTxMethodsNeedInTx(t *testing.T) {
	s := newSQLite(t)
	ctx := context.Background()
	tx, err := s.db.BeginTx(ctx, nil)
	check(t, err)
	defer tx.Rollback()
	_, err = s.TicketsOfAppTx(ctx, tx, 1)
	wantErr(t, "TicketsOfAppTx outside InTx", err, platform.ErrInvalid)
	wantErr(t, "FinishScanTx outside InTx", s.FinishScanTx(ctx, tx, platform.ScanResult{}), platform.ErrInvalid)
}

// TestCreateScanTx: a scan created inside a transaction goes with it: it
// is there after a commit, gone after a rollback, and an app of another
// organization is not found through the transaction's scope.
func TestCreateScanTx(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		tn := newTenant(t, s, "acme")
		other := newTenant(t, s, "other")
		sc := platform.OrgScope(tn.org.ID)
		var kept platform.Scan
		check(t, s.InTx(ctx, sc, func(tx *sql.Tx) error {
			var err error
			kept, err = s.CreateScanTx(ctx, tx, platform.Scan{App: tn.connect.ID, Trigger: "schedule"})
			return err
		}))
		if got, err := s.Scan(ctx, sc, kept.ID); err != nil || got.State != platform.ScanQueued || got.Org != tn.org.ID {
			t.Errorf("committed scan: %+v, %v", got, err)
		}
		boom := errors.New("job insert failed")
		var dropped platform.Scan
		err := s.InTx(ctx, sc, func(tx *sql.Tx) error {
			var err error
			if dropped, err = s.CreateScanTx(ctx, tx, platform.Scan{App: tn.connect.ID, Trigger: "manual"}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx: %v", err)
		}
		if _, err := s.Scan(ctx, sc, dropped.ID); !errors.Is(err, platform.ErrNotFound) {
			t.Errorf("rolled-back scan: %v, want ErrNotFound", err)
		}
		err = s.InTx(ctx, sc, func(tx *sql.Tx) error {
			_, err := s.CreateScanTx(ctx, tx, platform.Scan{App: other.connect.ID, Trigger: "manual"})
			return err
		})
		if !errors.Is(err, platform.ErrNotFound) {
			t.Errorf("scan of another org's app: %v, want ErrNotFound", err)
		}
	})
}
