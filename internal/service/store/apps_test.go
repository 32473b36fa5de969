package store

import (
	"context"
	"database/sql"
	"reflect"
	"testing"
	"time"

	"github.com/ecoscan/ecoscan/internal/service/platform"
)

func TestAppRoundTrip(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		org := must[platform.Org](t)(s.CreateOrg(ctx, "acme"))
		sc := platform.OrgScope(org.ID)
		in := platform.App{Kind: platform.Connect, Name: "Acme for Jira", DescriptorURL: "https://acme.example/atlassian-connect.json",
			Interval: 6 * time.Hour, NextScanAt: t0, CreatedAt: t0.Add(-time.Hour), IdempotencyKey: "req-1"}
		app, created, err := s.CreateApp(ctx, sc, in)
		check(t, err)
		if !created || app.ID == 0 || app.Org != org.ID || app.Interval != 6*time.Hour || !app.NextScanAt.Equal(t0) {
			t.Fatalf("CreateApp = %+v, created %v", app, created)
		}
		got := must[platform.App](t)(s.App(ctx, sc, app.ID))
		if !reflect.DeepEqual(got, app) {
			t.Errorf("App = %+v\nwant %+v", got, app)
		}

		// The same idempotency key answers with the first app.
		again, created, err := s.CreateApp(ctx, sc, platform.App{Kind: platform.Connect, Name: "other", DescriptorURL: "https://x.example/d.json", IdempotencyKey: "req-1"})
		check(t, err)
		if created || again.ID != app.ID || again.Name != app.Name {
			t.Errorf("retried CreateApp = %+v, created %v; want app %d again", again, created, app.ID)
		}
		// In another organization the key is free.
		other := must[platform.Org](t)(s.CreateOrg(ctx, "other"))
		_, created, err = s.CreateApp(ctx, platform.OrgScope(other.ID), platform.App{Kind: platform.Forge, Name: "f", IdempotencyKey: "req-1", NextScanAt: t0})
		check(t, err)
		if !created {
			t.Error("idempotency key shared across organizations")
		}

		for name, bad := range map[string]platform.App{
			"kind":           {Kind: "server", Name: "x"},
			"name":           {Kind: platform.Forge, Name: ""},
			"descriptor":     {Kind: platform.Connect, Name: "x"},
			"interval":       {Kind: platform.Forge, Name: "x", Interval: 1500 * time.Millisecond},
			"negative":       {Kind: platform.Forge, Name: "x", Interval: -time.Hour},
			"clear secret":   {Kind: platform.Connect, Name: "x", DescriptorURL: "https://x.example/d.json", SharedSecret: "hunter2"},
			"clear user jwt": {Kind: platform.Connect, Name: "x", DescriptorURL: "https://x.example/d.json", UserJWT: "eyJhbGciOi.x.y"},
		} {
			_, _, err := s.CreateApp(ctx, sc, bad)
			wantErr(t, "CreateApp with a bad "+name, err, platform.ErrInvalid)
		}
		_, _, err = s.CreateApp(ctx, sc, platform.App{Org: other.ID, Kind: platform.Forge, Name: "x"})
		wantErr(t, "CreateApp in another organization", err, platform.ErrNotFound)

		// Sealed credentials, set once the app has its id.
		app.SharedSecret = seal(t, "shh", platform.SecretAD("app", app.ID, "shared_secret"))
		app.ClientKey = seal(t, "client", platform.SecretAD("app", app.ID, "client_key"))
		app.UserJWT = seal(t, "jwt", platform.SecretAD("app", app.ID, "user_jwt"))
		app.Name, app.Interval = "Renamed", 12*time.Hour
		check(t, s.UpdateApp(ctx, sc, app))
		got = must[platform.App](t)(s.App(ctx, sc, app.ID))
		if got.Name != "Renamed" || got.Interval != 12*time.Hour || got.SharedSecret != app.SharedSecret || got.ClientKey != app.ClientKey ||
			got.UserJWT != app.UserJWT || !got.HasSharedSecret || !got.HasUserJWT {
			t.Errorf("after UpdateApp: %+v", got)
		}
		plain, err := sealer.Open(got.SharedSecret, platform.SecretAD("app", app.ID, "shared_secret"))
		if err != nil || string(plain) != "shh" {
			t.Errorf("sealed secret opens to %q, %v", plain, err)
		}
		app.SharedSecret = "clear text"
		wantErr(t, "UpdateApp with a clear secret", s.UpdateApp(ctx, sc, app), platform.ErrInvalid)
		app.SharedSecret = got.SharedSecret
		wantErr(t, "UpdateApp changing kind", s.UpdateApp(ctx, sc, platform.App{ID: app.ID, Kind: platform.Forge, Name: "x"}), platform.ErrNotFound)
		wantErr(t, "UpdateApp unknown", s.UpdateApp(ctx, sc, platform.App{ID: 999, Kind: platform.Forge, Name: "x"}), platform.ErrNotFound)

		// Soft delete.
		check(t, s.DeleteApp(ctx, sc, app.ID, t0))
		wantErr(t, "delete again", s.DeleteApp(ctx, sc, app.ID, t0), platform.ErrNotFound)
		got = must[platform.App](t)(s.App(ctx, sc, app.ID))
		if got.DeletedAt == nil || !got.DeletedAt.Equal(t0) {
			t.Errorf("deleted app reads DeletedAt %v", got.DeletedAt)
		}
		wantErr(t, "UpdateApp of a deleted app", s.UpdateApp(ctx, sc, app), platform.ErrNotFound)
		if list := must[[]platform.App](t)(s.ListApps(ctx, sc, platform.AppFilter{}, platform.Page{})); len(list) != 0 {
			t.Errorf("ListApps shows deleted apps: %+v", list)
		}
		if list := must[[]platform.App](t)(s.ListApps(ctx, sc, platform.AppFilter{IncludeDeleted: true}, platform.Page{})); len(list) != 1 {
			t.Errorf("ListApps(IncludeDeleted) = %d apps, want 1", len(list))
		}
		if due := must[[]platform.App](t)(s.DueApps(ctx, t0.Add(48*time.Hour), 0)); len(due) != 1 || due[0].Org != other.ID {
			t.Errorf("DueApps lists a deleted app: %+v", due)
		}
	})
}

func TestListAppsPagesAndSummaries(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		tn := newTenant(t, s, "acme")
		sc := platform.OrgScope(tn.org.ID)
		var ids []int64
		for i := range 7 {
			kind, url := platform.Forge, ""
			if i%2 == 0 {
				kind, url = platform.Connect, "https://x.example/d.json"
			}
			a, _, err := s.CreateApp(ctx, sc, platform.App{Kind: kind, Name: "app", DescriptorURL: url})
			check(t, err)
			ids = append(ids, a.ID)
		}
		// 9 apps: the tenant's two, then seven; pages of four, newest first.
		var seen []int64
		p := platform.Page{Limit: 4}
		for {
			list := must[[]platform.App](t)(s.ListApps(ctx, sc, platform.AppFilter{}, p))
			if len(list) == 0 {
				break
			}
			for _, a := range list {
				seen = append(seen, a.ID)
			}
			p.Before = list[len(list)-1].ID
		}
		want := []int64{ids[6], ids[5], ids[4], ids[3], ids[2], ids[1], ids[0], tn.forge.ID, tn.connect.ID}
		if !reflect.DeepEqual(seen, want) {
			t.Errorf("pages = %v, want %v", seen, want)
		}
		forge := must[[]platform.App](t)(s.ListApps(ctx, sc, platform.AppFilter{Kind: platform.Forge}, platform.Page{}))
		if len(forge) != 4 {
			t.Errorf("%d forge apps, want 4", len(forge))
		}
		_, err := s.ListApps(ctx, sc, platform.AppFilter{Kind: "server"}, platform.Page{})
		wantErr(t, "unknown kind", err, platform.ErrInvalid)
		_, err = s.ListApps(ctx, sc, platform.AppFilter{}, platform.Page{Limit: -1})
		wantErr(t, "negative limit", err, platform.ErrInvalid)

		// The summary of the scanned app: its scan, two open tickets, both
		// overdue now that their due date (six weeks after t0) has passed.
		list := must[[]platform.App](t)(s.ListApps(ctx, sc, platform.AppFilter{Kind: platform.Connect}, platform.Page{Limit: 1, Before: ids[0]}))
		if len(list) != 1 || list[0].ID != tn.connect.ID {
			t.Fatalf("ListApps = %+v", list)
		}
		a := list[0]
		if a.Last == nil || a.Last.ID != tn.scan.ID || a.Last.State != platform.ScanDone || a.Last.Report != nil {
			t.Errorf("Last = %+v", a.Last)
		}
		if !reflect.DeepEqual(a.OpenBySeverity, map[string]int{"high": 1, "medium": 1}) || a.Overdue != 2 {
			t.Errorf("OpenBySeverity %v, Overdue %d", a.OpenBySeverity, a.Overdue)
		}
		if single := must[platform.App](t)(s.App(ctx, sc, tn.connect.ID)); !reflect.DeepEqual(single, a) {
			t.Errorf("App = %+v\nListApps = %+v", single, a)
		}
		if other := must[platform.App](t)(s.App(ctx, sc, ids[0])); other.Last != nil || other.OpenBySeverity != nil || other.Overdue != 0 {
			t.Errorf("an unscanned app reads %+v", other)
		}
		all := must[[]platform.App](t)(s.ListApps(ctx, sc, platform.AppFilter{}, platform.Page{Limit: 100000}))
		if len(all) != 9 {
			t.Errorf("a limit over the cap lists %d apps", len(all))
		}
	})
}

func TestArchives(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		tn := newTenant(t, s, "acme")
		sc := platform.OrgScope(tn.org.ID)
		got := must[[]byte](t)(s.Archive(ctx, sc, tn.forge.ID))
		if string(got) != "archive of acme" {
			t.Errorf("Archive = %q", got)
		}
		data := make([]byte, 3<<20)
		for i := range data {
			data[i] = byte(i * 7)
		}
		check(t, s.SetArchive(ctx, sc, tn.forge.ID, sha(data), data))
		if got := must[[]byte](t)(s.Archive(ctx, sc, tn.forge.ID)); !reflect.DeepEqual(got, data) {
			t.Error("replaced archive does not read back")
		}
		app := must[platform.App](t)(s.App(ctx, sc, tn.forge.ID))
		if app.ArchiveSHA256 != sha(data) || app.ArchiveSize != int64(len(data)) {
			t.Errorf("app archive fields %q %d", app.ArchiveSHA256, app.ArchiveSize)
		}
		wantErr(t, "wrong digest", s.SetArchive(ctx, sc, tn.forge.ID, sha([]byte("x")), data), platform.ErrInvalid)
		wantErr(t, "empty archive", s.SetArchive(ctx, sc, tn.forge.ID, sha(nil), nil), platform.ErrInvalid)
		wantErr(t, "archive of a Connect app", s.SetArchive(ctx, sc, tn.connect.ID, sha(data), data), platform.ErrInvalid)
		_, err := s.Archive(ctx, sc, tn.connect.ID)
		wantErr(t, "Connect app's archive", err, platform.ErrNotFound)
	})
}

func TestDueAndPurge(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a := newTenant(t, s, "acme")
		b := newTenant(t, s, "beta")
		// The fixture scanned the Connect apps: next scans at t0+24h. The
		// Forge apps are due at t0+1h.
		due := must[[]platform.App](t)(s.DueApps(ctx, t0.Add(2*time.Hour), 0))
		if len(due) != 2 || due[0].ID != a.forge.ID || due[1].ID != b.forge.ID {
			t.Errorf("DueApps(t0+2h) = %+v", due)
		}
		if due := must[[]platform.App](t)(s.DueApps(ctx, t0.Add(25*time.Hour), 3)); len(due) != 3 {
			t.Errorf("DueApps with limit 3 = %d apps", len(due))
		}

		if first := must[bool](t)(s.Notified(ctx, a.tickets[0].ID, platform.EventTicketNew, "", t0)); !first {
			t.Error("first notice not first")
		}
		check(t, s.DeleteApp(ctx, platform.OrgScope(a.org.ID), a.connect.ID, t0))
		check(t, s.DeleteApp(ctx, platform.OrgScope(b.org.ID), b.connect.ID, t0.Add(10*24*time.Hour)))
		n := must[int](t)(s.PurgeDeleted(ctx, t0.Add(24*time.Hour)))
		if n != 1 {
			t.Errorf("PurgeDeleted = %d, want 1", n)
		}
		_, err := s.App(ctx, platform.AllScope(), a.connect.ID)
		wantErr(t, "purged app", err, platform.ErrNotFound)
		_, err = s.Scan(ctx, platform.AllScope(), a.scan.ID)
		wantErr(t, "purged app's scan", err, platform.ErrNotFound)
		_, err = s.Finding(ctx, platform.AllScope(), a.findings[0].ID)
		wantErr(t, "purged app's finding", err, platform.ErrNotFound)
		_, err = s.Ticket(ctx, platform.AllScope(), a.tickets[0].ID, t0)
		wantErr(t, "purged app's ticket", err, platform.ErrNotFound)
		for _, table := range []string{"ticket_events", "notices"} {
			var left int
			check(t, s.InTx(ctx, platform.AllScope(), func(tx *sql.Tx) error {
				return tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table+` WHERE org_id = $1`, a.org.ID).Scan(&left)
			}))
			if left != 0 {
				t.Errorf("%d rows of %s left after the purge", left, table)
			}
		}
		// The other tenant's deleted app is kept until its own cutoff.
		if got := must[platform.App](t)(s.App(ctx, platform.AllScope(), b.connect.ID)); got.DeletedAt == nil {
			t.Error("beta's app lost its deletion")
		}
		if _, err := s.Ticket(ctx, platform.AllScope(), b.tickets[0].ID, t0); err != nil {
			t.Errorf("beta's ticket: %v", err)
		}
	})
}
