package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ecoscan/ecoscan/internal/service/auth"
	"github.com/ecoscan/ecoscan/internal/service/platform"
	"github.com/ecoscan/ecoscan/internal/service/store"
)

// BenchmarkTicketsPage renders the first page (100 tickets) of an
// organization with 10,000 tickets, through the whole handler: session,
// tenancy check, store queries and template.
func BenchmarkTicketsPage(b *testing.B) {
	benchPage(b, func(f *fixture) string { return "/orgs/" + itoa(f.acme.ID) + "/tickets?state=all" })
}

// BenchmarkAppPage renders an app page: its scans, tickets and the latest
// report with the checks table.
func BenchmarkAppPage(b *testing.B) {
	benchPage(b, func(f *fixture) string { return f.appPath(f.acmeApp) })
}

func benchPage(b *testing.B, path func(*fixture) string) {
	f := newFixture(b, fixtureOptions{})
	ctx := context.Background()
	if err := store.SeedFindings(ctx, f.store, f.acme.ID, f.acmeApp.ID, 10000); err != nil {
		b.Fatal(err)
	}
	plain, hash := auth.NewSessionID()
	now := f.clock.Now()
	if err := f.store.CreateSession(ctx, platform.Session{Hash: hash, User: f.alice.ID, CSRF: auth.NewSecret(), CreatedAt: now, ExpiresAt: now.Add(DefaultSessionTTL)}); err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, path(f), nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: plain})
	for b.Loop() {
		rec := httptest.NewRecorder()
		f.handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("%s: %d", req.URL, rec.Code)
		}
	}
}
