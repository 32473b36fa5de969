package store

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/ecoscan/ecoscan/internal/service/platform"
)

func TestWebhooks(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		org := must[platform.Org](t)(s.CreateOrg(ctx, "acme"))
		sc := platform.OrgScope(org.ID)
		w := must[platform.Webhook](t)(s.CreateWebhook(ctx, sc, platform.Webhook{URL: "https://acme.example/hook",
			Events: []string{platform.EventTicketNew, platform.EventTicketOverdue}, CreatedAt: t0}))
		secret := seal(t, "hmac key", platform.SecretAD("webhook", w.ID, "secret"))
		check(t, s.ReplaceSealed(ctx, platform.SealedField{Table: "webhook", Column: "secret", Row: w.ID}, secret))
		w.Secret = secret
		second := must[platform.Webhook](t)(s.CreateWebhook(ctx, platform.AllScope(), platform.Webhook{Org: org.ID, URL: "https://acme.example/2",
			Events: []string{platform.EventTicketPatched}, Secret: seal(t, "k2", "webhook:0:secret")}))
		list := must[[]platform.Webhook](t)(s.Webhooks(ctx, sc, org.ID))
		if !reflect.DeepEqual(list, []platform.Webhook{w, second}) {
			t.Errorf("Webhooks = %+v\nwant %+v", list, []platform.Webhook{w, second})
		}
		for name, bad := range map[string]platform.Webhook{
			"no URL":       {Events: []string{platform.EventTicketNew}},
			"no events":    {URL: "https://x.example"},
			"bad event":    {URL: "https://x.example", Events: []string{"ticket.deleted"}},
			"clear secret": {URL: "https://x.example", Events: []string{platform.EventTicketNew}, Secret: "hunter2"},
		} {
			_, err := s.CreateWebhook(ctx, sc, bad)
			wantErr(t, name, err, platform.ErrInvalid)
		}
		_, err := s.CreateWebhook(ctx, platform.AllScope(), platform.Webhook{Org: 999, URL: "https://x.example", Events: []string{platform.EventTicketNew}})
		wantErr(t, "unknown organization", err, platform.ErrNotFound)
		check(t, s.DeleteWebhook(ctx, sc, second.ID))
		wantErr(t, "delete again", s.DeleteWebhook(ctx, sc, second.ID), platform.ErrNotFound)
		if list := must[[]platform.Webhook](t)(s.Webhooks(ctx, sc, org.ID)); len(list) != 1 {
			t.Errorf("%d webhooks after the delete", len(list))
		}
	})
}

func TestSealedFields(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		tn := newTenant(t, s, "acme")
		sc := platform.OrgScope(tn.org.ID)
		app := tn.connect
		app.SharedSecret = seal(t, "s", platform.SecretAD("app", app.ID, "shared_secret"))
		app.UserJWT = seal(t, "j", platform.SecretAD("app", app.ID, "user_jwt"))
		check(t, s.UpdateApp(ctx, sc, app))
		hook := seal(t, "h", platform.SecretAD("webhook", tn.webhook.ID, "secret"))
		check(t, s.ReplaceSealed(ctx, platform.SealedField{Table: "webhook", Column: "secret", Row: tn.webhook.ID}, hook))
		check(t, s.DeleteApp(ctx, sc, app.ID, t0)) // deleted apps' secrets rotate too

		fields := must[[]platform.SealedField](t)(s.SealedFields(ctx))
		want := []platform.SealedField{
			{Table: "app", Column: "shared_secret", Row: app.ID, Value: app.SharedSecret},
			{Table: "app", Column: "user_jwt", Row: app.ID, Value: app.UserJWT},
			{Table: "webhook", Column: "secret", Row: tn.webhook.ID, Value: hook},
		}
		if !reflect.DeepEqual(fields, want) {
			t.Fatalf("SealedFields = %+v\nwant %+v", fields, want)
		}
		rotated := seal(t, "s", platform.SecretAD("app", app.ID, "shared_secret"))
		check(t, s.ReplaceSealed(ctx, fields[0], rotated))
		wantErr(t, "replace a value changed meanwhile", s.ReplaceSealed(ctx, fields[0], rotated), platform.ErrStale)
		wantErr(t, "replace with clear text", s.ReplaceSealed(ctx, fields[1], "clear"), platform.ErrInvalid)
		wantErr(t, "replace with nothing", s.ReplaceSealed(ctx, fields[1], ""), platform.ErrInvalid)
		wantErr(t, "unknown column", s.ReplaceSealed(ctx, platform.SealedField{Table: "app", Column: "name", Row: app.ID}, rotated), platform.ErrInvalid)
		wantErr(t, "unknown table", s.ReplaceSealed(ctx, platform.SealedField{Table: "users", Column: "password_hash", Row: 1}, rotated), platform.ErrInvalid)
		wantErr(t, "unknown row", s.ReplaceSealed(ctx, platform.SealedField{Table: "app", Column: "user_jwt", Row: 999, Value: app.UserJWT}, rotated), platform.ErrNotFound)
		got := must[platform.App](t)(s.App(ctx, sc, app.ID))
		if got.SharedSecret != rotated || got.UserJWT != app.UserJWT {
			t.Errorf("after rotation: %q %q", got.SharedSecret, got.UserJWT)
		}
	})
}

func TestStats(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a := newTenant(t, s, "acme")
		b := newTenant(t, s, "beta")
		check(t, s.DeleteApp(ctx, platform.OrgScope(b.org.ID), b.forge.ID, t0))
		queued := must[platform.Scan](t)(s.CreateScan(ctx, platform.OrgScope(a.org.ID), platform.Scan{App: a.forge.ID, Trigger: "manual"}))
		check(t, s.FailScan(ctx, platform.OrgScope(a.org.ID), queued.ID, platform.ScanCanceled, t0, "canceled"))
		_ = must[platform.Scan](t)(s.CreateScan(ctx, platform.OrgScope(b.org.ID), platform.Scan{App: b.connect.ID, Trigger: "manual"}))

		st := must[platform.Stats](t)(s.Stats(ctx, t0))
		want := platform.Stats{
			Apps:               3,
			FindingsBySeverity: map[string]int{"high": 2, "medium": 2},
			OverdueTickets:     0,
			ScansByState:       map[platform.ScanState]int{platform.ScanDone: 2, platform.ScanCanceled: 1, platform.ScanQueued: 1},
		}
		if !reflect.DeepEqual(st, want) {
			t.Errorf("Stats(t0) = %+v\nwant %+v", st, want)
		}
		// Six weeks on, every open ticket is overdue; a deleted app's
		// tickets no longer count.
		check(t, s.DeleteApp(ctx, platform.OrgScope(b.org.ID), b.connect.ID, t0))
		st = must[platform.Stats](t)(s.Stats(ctx, t0.Add(60*24*time.Hour)))
		if st.Apps != 2 || st.OverdueTickets != 2 || !reflect.DeepEqual(st.FindingsBySeverity, map[string]int{"high": 1, "medium": 1}) {
			t.Errorf("Stats(t0+60d) = %+v", st)
		}
	})
}
