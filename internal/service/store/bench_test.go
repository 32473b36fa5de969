package store

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// benchStores runs fn on SQLite, and on PostgreSQL when ECOSCAN_TEST_POSTGRES
// is set.
func benchStores(b *testing.B, fn func(b *testing.B, s *Store)) {
	b.Run(SQLite, func(b *testing.B) { fn(b, newSQLite(b)) })
	b.Run(Postgres, func(b *testing.B) { fn(b, newPostgres(b)) })
}

// benchApp makes an organization with one Forge app.
func benchApp(b *testing.B, s *Store) (org, app int64) {
	ctx := context.Background()
	o := must[platform.Org](b)(s.CreateOrg(ctx, "bench"))
	a, _, err := s.CreateApp(ctx, platform.OrgScope(o.ID), platform.App{Kind: platform.Forge, Name: "bench"})
	check(b, err)
	return o.ID, a.ID
}

// BenchmarkFinishScan writes one scan's results per iteration: its
// findings, and a ticket change for each, either opening a new ticket
// with its event ("new") or updating one the previous scan opened
// ("seen": the daily case).
func BenchmarkFinishScan(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		for _, mode := range []string{"new", "seen"} {
			b.Run(fmt.Sprintf("findings=%d/%s", n, mode), func(b *testing.B) {
				if n > 1000 && mode == "seen" {
					b.Skip("the daily case is measured at 1,000")
				}
				benchStores(b, func(b *testing.B, s *Store) { benchFinishScan(b, s, n, mode == "seen") })
			})
		}
	}
}

func benchFinishScan(b *testing.B, s *Store, n int, seen bool) {
	ctx := context.Background()
	org, app := benchApp(b, s)
	sc := platform.OrgScope(org)
	scan := func() int64 {
		return must[platform.Scan](b)(s.CreateScan(ctx, sc, platform.Scan{App: app, Trigger: "schedule"})).ID
	}
	var existing []platform.Ticket
	if seen {
		first := scanResult(scan(), t0, n)
		check(b, s.InTx(ctx, sc, func(tx *sql.Tx) error {
			if err := s.FinishScanTx(ctx, tx, first); err != nil {
				return err
			}
			var err error
			existing, err = s.TicketsOfAppTx(ctx, tx, app)
			return err
		}))
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		r := scanResult(scan(), t0.Add(time.Duration(i)*time.Hour), n)
		for j := range r.Changes {
			if seen {
				tk := existing[j]
				tk.LastSeen = t0.Add(time.Duration(i) * time.Hour)
				r.Changes[j] = platform.TicketChange{Ticket: tk}
			} else {
				r.Changes[j].Ticket.Fingerprint = fmt.Sprintf("i%d-%d", i, j)
			}
		}
		b.StartTimer()
		check(b, s.InTx(ctx, sc, func(tx *sql.Tx) error { return s.FinishScanTx(ctx, tx, r) }))
	}
}

// BenchmarkListTickets lists pages of an organization's 100,000 tickets.
func BenchmarkListTickets(b *testing.B) {
	benchStores(b, func(b *testing.B, s *Store) {
		ctx := context.Background()
		org, app := benchApp(b, s)
		check(b, SeedFindings(ctx, s, org, app, 100000))
		sc := platform.OrgScope(org)
		middle := must[[]platform.Ticket](b)(s.ListTickets(ctx, sc, platform.TicketFilter{}, platform.Page{Limit: 1}))[0].ID - 50000
		now := time.Now()
		for _, tc := range []struct {
			name string
			f    platform.TicketFilter
			p    platform.Page
		}{
			{"newest", platform.TicketFilter{}, platform.Page{}},
			{"deep-page", platform.TicketFilter{}, platform.Page{Before: middle}},
			{"max-page", platform.TicketFilter{}, platform.Page{Limit: platform.MaxPage}},
			{"app+state+severity", platform.TicketFilter{App: app, States: []platform.TicketState{platform.NeedsPatch}, Severity: "critical"}, platform.Page{}},
			{"overdue", platform.TicketFilter{Overdue: true}, platform.Page{}},
			{"due-before", platform.TicketFilter{DueBefore: ptr(now.Add(-20 * 24 * time.Hour))}, platform.Page{}},
		} {
			b.Run(tc.name, func(b *testing.B) {
				tc.f.Now = now
				b.ReportAllocs()
				for b.Loop() {
					got := must[[]platform.Ticket](b)(s.ListTickets(ctx, sc, tc.f, tc.p))
					if len(got) == 0 {
						b.Fatal("no tickets")
					}
				}
			})
		}
	})
}
