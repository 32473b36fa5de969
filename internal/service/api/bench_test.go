package api

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"testing"

	"github.com/ecoscan/ecoscan/internal/service/store"
)

// BenchmarkListTickets lists a page of an organization's open critical
// tickets through the whole API (token lookup, scope, store query, JSON)
// on SQLite, with ECOSCAN_BENCH_TICKETS tickets seeded (default 5,000; seeding is the slow part).
func BenchmarkListTickets(b *testing.B) {
	n := 5000
	if s := os.Getenv("ECOSCAN_BENCH_TICKETS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatalf("ECOSCAN_BENCH_TICKETS=%q: %v", s, err)
		}
	}
	e := newEnv(b)
	tn := e.tenant("acme")
	app := e.register(tn, map[string]any{"name": "a", "descriptor_url": "https://app.example.com/d.json"})
	if err := store.SeedFindings(context.Background(), e.st, tn.org, app.ID, n); err != nil {
		b.Fatal(err)
	}
	path := fmt.Sprintf("/v1/orgs/%d/tickets?severity=critical&state=needs-patch&limit=50", tn.org)
	hr, err := http.NewRequest("GET", e.srv.URL+path, nil)
	if err != nil {
		b.Fatal(err)
	}
	hr.Header.Set("Authorization", "Bearer "+tn.viewer.token)
	b.ResetTimer()
	for b.Loop() {
		resp, err := e.srv.Client().Do(hr)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}
