package store

import (
	"context"
	"database/sql"
	"reflect"
	"testing"
	"time"

	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// ticketSet opens, in one scan of the tenant's Forge app, tickets with the
// given states, severities and due dates (days after t0).
func ticketSet(t *testing.T, s *Store, tn tenant, specs []ticketSpec) []platform.Ticket {
	t.Helper()
	ctx := context.Background()
	sc := platform.OrgScope(tn.org.ID)
	scan := must[platform.Scan](t)(s.CreateScan(ctx, sc, platform.Scan{App: tn.forge.ID, Trigger: "manual"}))
	finished := t0
	r := platform.ScanResult{Scan: platform.Scan{ID: scan.ID, FinishedAt: &finished}}
	for i, sp := range specs {
		r.Changes = append(r.Changes, platform.TicketChange{
			Ticket: platform.Ticket{Fingerprint: string(rune('a' + i)), Severity: sp.severity, State: sp.state,
				Due: t0.Add(time.Duration(sp.dueDays) * 24 * time.Hour)},
			Event: platform.TicketEvent{Actor: "system", Reason: "found"},
		})
	}
	check(t, s.InTx(ctx, sc, func(tx *sql.Tx) error { return s.FinishScanTx(ctx, tx, r) }))
	var tickets []platform.Ticket
	check(t, s.InTx(ctx, sc, func(tx *sql.Tx) error {
		var err error
		tickets, err = s.TicketsOfAppTx(ctx, tx, tn.forge.ID)
		return err
	}))
	return tickets
}

type ticketSpec struct {
	state    platform.TicketState
	severity string
	dueDays  int
}

func ids(tickets []platform.Ticket) []int64 {
	var out []int64
	for _, t := range tickets {
		out = append(out, t.ID)
	}
	return out
}

func TestListTicketsFilters(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		tn := newTenant(t, s, "acme") // two needs-patch tickets of the Connect app, due t0+42d
		sc := platform.OrgScope(tn.org.ID)
		ts := ticketSet(t, s, tn, []ticketSpec{
			{platform.NeedsPatch, "critical", -3},      // 0: overdue
			{platform.Patched, "critical", -3},         // 1: past due but closed
			{platform.ExtensionRequested, "low", 10},   // 2
			{platform.AcceptedRisk, "high", -1},        // 3: closed
			{platform.NeedsSecurityReview, "high", 1},  // 4
			{platform.WaitingForRelease, "medium", -1}, // 5: overdue
		})
		now := t0
		for _, tc := range []struct {
			name string
			f    platform.TicketFilter
			want []int64
		}{
			{"all", platform.TicketFilter{}, append(reverse(ids(ts)), tn.tickets[0].ID, tn.tickets[1].ID)},
			{"app", platform.TicketFilter{App: tn.forge.ID}, reverse(ids(ts))},
			{"states", platform.TicketFilter{States: []platform.TicketState{platform.Patched, platform.AcceptedRisk}}, []int64{ts[3].ID, ts[1].ID}},
			{"severity", platform.TicketFilter{Severity: "critical"}, []int64{ts[1].ID, ts[0].ID}},
			{"overdue", platform.TicketFilter{Overdue: true}, []int64{ts[5].ID, ts[0].ID}},
			{"due before", platform.TicketFilter{DueBefore: ptr(t0.Add(2 * 24 * time.Hour))}, []int64{ts[5].ID, ts[4].ID, ts[3].ID, ts[1].ID, ts[0].ID}},
			{"combined", platform.TicketFilter{App: tn.forge.ID, Severity: "high", States: []platform.TicketState{platform.NeedsSecurityReview}}, []int64{ts[4].ID}},
			{"other app", platform.TicketFilter{App: tn.connect.ID, Overdue: true}, nil},
		} {
			tc.f.Now = now
			got := must[[]platform.Ticket](t)(s.ListTickets(ctx, sc, tc.f, platform.Page{}))
			if !reflect.DeepEqual(ids(got), tc.want) {
				t.Errorf("%s: tickets %v, want %v", tc.name, ids(got), tc.want)
			}
			for _, tk := range got {
				if want := tk.State.Open() && tk.Due.Before(now); tk.Overdue != want {
					t.Errorf("%s: ticket %d overdue %v", tc.name, tk.ID, tk.Overdue)
				}
				if tk.Detail != nil {
					t.Errorf("%s: listing carries details", tc.name)
				}
			}
		}
		_, err := s.ListTickets(ctx, sc, platform.TicketFilter{States: []platform.TicketState{"open"}}, platform.Page{})
		wantErr(t, "unknown state", err, platform.ErrInvalid)

		// Pages of three, newest first, through all eight.
		var seen []int64
		p := platform.Page{Limit: 3}
		for range 4 {
			page := must[[]platform.Ticket](t)(s.ListTickets(ctx, sc, platform.TicketFilter{}, p))
			if len(page) == 0 {
				break
			}
			seen = append(seen, ids(page)...)
			p.Before = page[len(page)-1].ID
		}
		if want := append(reverse(ids(ts)), tn.tickets[0].ID, tn.tickets[1].ID); !reflect.DeepEqual(seen, want) {
			t.Errorf("pages %v, want %v", seen, want)
		}

		// Ticket: with its detail, overdue by the given clock.
		tk := must[platform.Ticket](t)(s.Ticket(ctx, sc, tn.tickets[0].ID, t0))
		if tk.Overdue || string(tk.Detail) == "" {
			t.Errorf("Ticket at t0 = %+v", tk)
		}
		if tk := must[platform.Ticket](t)(s.Ticket(ctx, sc, tn.tickets[0].ID, t0.Add(43*24*time.Hour))); !tk.Overdue {
			t.Error("ticket not overdue after its due date")
		}

		// Across organizations, for the notices: open and due before.
		due := must[[]platform.Ticket](t)(s.OpenTicketsDueBefore(ctx, t0.Add(2*24*time.Hour), 0))
		if want := []int64{ts[0].ID, ts[5].ID, ts[4].ID}; !reflect.DeepEqual(ids(due), want) {
			t.Errorf("OpenTicketsDueBefore = %v, want %v (soonest due first)", ids(due), want)
		}
		if due := must[[]platform.Ticket](t)(s.OpenTicketsDueBefore(ctx, t0.Add(2*24*time.Hour), 1)); len(due) != 1 {
			t.Errorf("limit 1 gave %d", len(due))
		}
		// A deleted app's tickets are not due any more.
		check(t, s.DeleteApp(ctx, sc, tn.forge.ID, t0))
		if due := must[[]platform.Ticket](t)(s.OpenTicketsDueBefore(ctx, t0.Add(2*24*time.Hour), 0)); len(due) != 0 {
			t.Errorf("deleted app's tickets due: %v", ids(due))
		}
	})
}

func reverse[T any](s []T) []T {
	out := make([]T, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func TestChangeTicket(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		tn := newTenant(t, s, "acme")
		sc := platform.OrgScope(tn.org.ID)
		tk := tn.tickets[0]
		oldDue := tk.Due
		newDue := oldDue.Add(30 * 24 * time.Hour)

		tk.State, tk.Due = platform.ExtensionRequested, newDue
		change := platform.TicketChange{Ticket: tk, Event: platform.TicketEvent{Actor: "user:1 ann@acme.example",
			From: platform.NeedsPatch, At: t0.Add(time.Hour), Reason: "release train"}}
		check(t, s.ChangeTicket(ctx, sc, change))
		wantErr(t, "the same change again", s.ChangeTicket(ctx, sc, change), platform.ErrStale)

		got := must[platform.Ticket](t)(s.Ticket(ctx, sc, tk.ID, t0))
		if got.State != platform.ExtensionRequested || !got.Due.Equal(newDue) || !got.UpdatedAt.Equal(t0.Add(time.Hour)) {
			t.Errorf("changed ticket reads %+v", got)
		}
		events := must[[]platform.TicketEvent](t)(s.TicketEvents(ctx, sc, tk.ID))
		if len(events) != 2 {
			t.Fatalf("events %+v", events)
		}
		e := events[1]
		want := platform.TicketEvent{ID: e.ID, Org: tn.org.ID, Ticket: tk.ID, At: t0.Add(time.Hour), Actor: "user:1 ann@acme.example",
			From: platform.NeedsPatch, To: platform.ExtensionRequested, DueFrom: &oldDue, DueTo: &newDue, Reason: "release train"}
		if !reflect.DeepEqual(e, want) {
			t.Errorf("event %+v\nwant %+v", e, want)
		}

		// A change that keeps the due date records none.
		tk.State, tk.Due = platform.NeedsPatch, time.Time{}
		check(t, s.ChangeTicket(ctx, sc, platform.TicketChange{Ticket: tk, Event: platform.TicketEvent{Actor: "user:9 sec@platform.example",
			From: platform.ExtensionRequested, Reason: "denied"}}))
		events = must[[]platform.TicketEvent](t)(s.TicketEvents(ctx, sc, tk.ID))
		if last := events[len(events)-1]; last.DueFrom != nil || last.DueTo != nil || last.To != platform.NeedsPatch {
			t.Errorf("event %+v", last)
		}
		if got := must[platform.Ticket](t)(s.Ticket(ctx, sc, tk.ID, t0)); !got.Due.Equal(newDue) {
			t.Errorf("due moved to %v", got.Due)
		}

		for name, c := range map[string]platform.TicketChange{
			"bad state":    {Ticket: platform.Ticket{ID: tk.ID, State: "closed"}, Event: platform.TicketEvent{Actor: "a", From: platform.NeedsPatch}},
			"no from":      {Ticket: platform.Ticket{ID: tk.ID, State: platform.Patched}, Event: platform.TicketEvent{Actor: "a"}},
			"to mismatch":  {Ticket: platform.Ticket{ID: tk.ID, State: platform.Patched}, Event: platform.TicketEvent{Actor: "a", From: platform.NeedsPatch, To: platform.AcceptedRisk}},
			"no actor":     {Ticket: platform.Ticket{ID: tk.ID, State: platform.Patched}, Event: platform.TicketEvent{From: platform.NeedsPatch}},
			"other ticket": {Ticket: platform.Ticket{ID: tk.ID, State: platform.Patched}, Event: platform.TicketEvent{Actor: "a", From: platform.NeedsPatch, Ticket: tk.ID + 1}},
			"other org":    {Ticket: platform.Ticket{ID: tk.ID, State: platform.Patched}, Event: platform.TicketEvent{Actor: "a", From: platform.NeedsPatch, Org: tn.org.ID + 1}},
		} {
			wantErr(t, name, s.ChangeTicket(ctx, sc, c), platform.ErrInvalid)
		}
		wantErr(t, "unknown ticket", s.ChangeTicket(ctx, sc, platform.TicketChange{Ticket: platform.Ticket{ID: 9999, State: platform.Patched},
			Event: platform.TicketEvent{Actor: "a", From: platform.NeedsPatch}}), platform.ErrNotFound)
		_, err := s.TicketEvents(ctx, sc, 9999)
		wantErr(t, "events of an unknown ticket", err, platform.ErrNotFound)
	})
}

func TestNotified(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		tn := newTenant(t, s, "acme")
		tk := tn.tickets[0].ID
		for i, tc := range []struct {
			ticket     int64
			event, key string
			first      bool
		}{
			{tk, platform.EventTicketDueSoon, "2026-04-18", true},
			{tk, platform.EventTicketDueSoon, "2026-04-18", false},
			{tk, platform.EventTicketDueSoon, "2026-04-19", true},
			{tk, platform.EventTicketOverdue, "2026-04-18", true},
			{tn.tickets[1].ID, platform.EventTicketDueSoon, "2026-04-18", true},
		} {
			if got := must[bool](t)(s.Notified(ctx, tc.ticket, tc.event, tc.key, t0)); got != tc.first {
				t.Errorf("notice %d: first %v, want %v", i, got, tc.first)
			}
		}
		_, err := s.Notified(ctx, 9999, platform.EventTicketNew, "", t0)
		wantErr(t, "notice of an unknown ticket", err, platform.ErrNotFound)
		_, err = s.Notified(ctx, tk, "", "", t0)
		wantErr(t, "notice without an event", err, platform.ErrInvalid)
	})
}
