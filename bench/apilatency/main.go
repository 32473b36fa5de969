// Command apilatency measures the service API's latency under a steady
// load, with a large store behind it: by default 1,000,000 findings and as
// many tickets (10 organizations of 10 apps of 10,000 each) on PostgreSQL,
// and 200 requests per second for 30 seconds, open loop (a request leaves
// on schedule whether or not the previous one came back, so a slow answer
// cannot hide by slowing the load). The goal is a p99 under 50 ms.
//
// The requests are what a vendor's dashboard and CI do: ticket listings
// filtered by state and severity, overdue tickets, the findings of an app
// by severity, one app, one ticket. All go through the real HTTP stack
// (authentication by API token, rate limiting raised out of the way, the
// store with row-level security) as a member of one organization.
//
//	ECOSCAN_TEST_POSTGRES=postgres://postgres@127.0.0.1:54329/postgres?sslmode=disable \
//	    go run ./bench/apilatency
//	go run ./bench/apilatency -database sqlite:/tmp/bench.db -findings 100000
//
// With a postgres:// superuser URL (ECOSCAN_TEST_POSTGRES or -admin) it makes
// a fresh database and an unprivileged role, and drops both at the end.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/ecoscan/ecoscan/internal/service/api"
	"github.com/ecoscan/ecoscan/internal/service/auth"
	"github.com/ecoscan/ecoscan/internal/service/jobs"
	"github.com/ecoscan/ecoscan/internal/service/keyring"
	"github.com/ecoscan/ecoscan/internal/service/pgtest"
	"github.com/ecoscan/ecoscan/internal/service/platform"
	"github.com/ecoscan/ecoscan/internal/service/store"
)

func main() {
	var (
		adminURL = flag.String("admin", os.Getenv("ECOSCAN_TEST_POSTGRES"), "a PostgreSQL superuser URL: a fresh database and role are made with it")
		database = flag.String("database", "", "use this database instead (sqlite:PATH or postgres://...); it is seeded")
		findings = flag.Int("findings", 1_000_000, "findings (and tickets) to store")
		orgs     = flag.Int("orgs", 10, "organizations")
		apps     = flag.Int("apps", 10, "apps per organization")
		perSec   = flag.Int("rate", 200, "requests per second")
		duration = flag.Duration("duration", 30*time.Second, "how long the load lasts")
	)
	flag.Parse()
	if err := run(*adminURL, *database, *findings, *orgs, *apps, *perSec, *duration); err != nil {
		fmt.Fprintln(os.Stderr, "apilatency:", err)
		os.Exit(1)
	}
}

func run(adminURL, database string, findings, orgs, apps, perSec int, duration time.Duration) error {
	ctx := context.Background()
	if database == "" {
		if adminURL == "" {
			return fmt.Errorf("give -database, or -admin / ECOSCAN_TEST_POSTGRES (a PostgreSQL superuser URL)")
		}
		u, drop, err := pgtest.Fresh(ctx, adminURL)
		if err != nil {
			return err
		}
		defer drop()
		database = u
	}
	st, err := store.Open(ctx, database, store.Options{MaxConns: 32})
	if err != nil {
		return err
	}
	defer st.Close()
	if err := jobs.Migrate(ctx, st); err != nil {
		return err
	}
	keys := keyring.New()
	if _, err := keys.Generate("bench"); err != nil {
		return err
	}
	queue, err := jobs.New(jobs.Config{Store: st, Keys: keys, Workers: 0})
	if err != nil {
		return err
	}

	perApp := findings / (orgs * apps)
	fmt.Printf("seeding %d findings and tickets: %d organizations x %d apps x %d ... ", perApp*orgs*apps, orgs, apps, perApp)
	start := time.Now()
	var memberOrg int64
	var memberApps []int64
	for o := range orgs {
		org, err := st.CreateOrg(ctx, fmt.Sprintf("vendor %d", o))
		if err != nil {
			return err
		}
		for a := range apps {
			app, _, err := st.CreateApp(ctx, platform.OrgScope(org.ID), platform.App{
				Org: org.ID, Kind: platform.Connect, Name: fmt.Sprintf("app %d", a),
				DescriptorURL: fmt.Sprintf("https://app%d.vendor%d.example/atlassian-connect.json", a, o),
				Interval:      24 * time.Hour, NextScanAt: time.Now().Add(24 * time.Hour), CreatedAt: time.Now(),
			})
			if err != nil {
				return err
			}
			if err := store.SeedFindings(ctx, st, org.ID, app.ID, perApp); err != nil {
				return err
			}
			if o == 0 {
				memberApps = append(memberApps, app.ID)
			}
		}
		if o == 0 {
			memberOrg = org.ID
		}
	}
	fmt.Printf("%.0f s\n", time.Since(start).Seconds())

	user, err := st.CreateUser(ctx, platform.User{Email: "dev@vendor0.example", CreatedAt: time.Now()})
	if err != nil {
		return err
	}
	if err := st.SetMember(ctx, platform.OrgScope(memberOrg), platform.Membership{Org: memberOrg, User: user.ID, Role: platform.RoleMember}); err != nil {
		return err
	}
	plain, prefix, hash := auth.NewToken()
	if _, err := st.CreateToken(ctx, platform.Token{User: user.ID, Name: "bench", Prefix: prefix, Hash: hash, CreatedAt: time.Now()}); err != nil {
		return err
	}
	tickets, err := st.ListTickets(ctx, platform.OrgScope(memberOrg), platform.TicketFilter{App: memberApps[0], Now: time.Now()}, platform.Page{Limit: 100})
	if err != nil || len(tickets) == 0 {
		return fmt.Errorf("no tickets to read back: %v", err)
	}

	srv := httptest.NewServer(api.New(api.Config{Store: st, Queue: queue, Keys: keys, RateLimit: rate.Inf}))
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}, Timeout: 10 * time.Second}
	dueSoon := time.Now().Add(7 * 24 * time.Hour).Format("2006-01-02")
	// paths picks a request: its kind (for the per-kind figures) and path.
	paths := func(r *rand.Rand) (string, string) {
		app := memberApps[r.IntN(len(memberApps))]
		base := fmt.Sprintf("/v1/orgs/%d", memberOrg)
		switch n := r.IntN(10); {
		case n < 3:
			return "tickets by state and severity", base + "/tickets?state=needs-patch&severity=high&limit=50"
		case n < 5:
			return "overdue tickets", base + "/tickets?overdue=true&limit=50"
		case n < 6:
			return "tickets of an app due soon", base + "/tickets?due_before=" + dueSoon + "&app=" + fmt.Sprint(app)
		case n < 8:
			return "findings of an app by severity", base + "/findings?app=" + fmt.Sprint(app) + "&severity=critical&limit=50"
		case n < 9:
			return "one app", base + "/apps/" + fmt.Sprint(app)
		default:
			return "one ticket", base + "/tickets/" + fmt.Sprint(tickets[r.IntN(len(tickets))].ID)
		}
	}

	fmt.Printf("load: %d requests/s for %s, open loop\n", perSec, duration)
	var (
		mu        sync.Mutex
		latencies []time.Duration
		byKind    = map[string][]time.Duration{}
		failures  = map[string]int{}
		wg        sync.WaitGroup
	)
	r := rand.New(rand.NewPCG(1, 2))
	tick := time.NewTicker(time.Second / time.Duration(perSec))
	defer tick.Stop()
	end := time.Now().Add(duration)
	for now := range tick.C {
		if now.After(end) {
			break
		}
		kind, p := paths(r)
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", srv.URL+p, nil)
			req.Header.Set("Authorization", "Bearer "+plain)
			t0 := time.Now()
			resp, err := client.Do(req)
			var status int
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				status = resp.StatusCode
			}
			d := time.Since(t0)
			mu.Lock()
			defer mu.Unlock()
			latencies = append(latencies, d)
			byKind[kind] = append(byKind[kind], d)
			if err != nil {
				failures[err.Error()]++
			} else if status != 200 {
				u, _ := url.Parse(p)
				failures[fmt.Sprintf("%d %s", status, u.Path)]++
			}
		}()
	}
	wg.Wait()
	slices.Sort(latencies)
	pct := func(q float64) time.Duration { return percentile(latencies, q) }
	fmt.Printf("requests %d, failures %d\n", len(latencies), sum(failures))
	for k, v := range failures {
		fmt.Printf("  %d x %s\n", v, k)
	}
	fmt.Printf("latency p50 %s  p90 %s  p99 %s  max %s\n", ms(pct(0.50)), ms(pct(0.90)), ms(pct(0.99)), ms(latencies[len(latencies)-1]))
	for _, kind := range slices.Sorted(maps.Keys(byKind)) {
		l := byKind[kind]
		slices.Sort(l)
		fmt.Printf("  %-32s %5d requests  p50 %s  p99 %s\n", kind, len(l), ms(percentile(l, 0.5)), ms(percentile(l, 0.99)))
	}
	verdict := "PASS"
	if pct(0.99) >= 50*time.Millisecond || sum(failures) > 0 {
		verdict = "FAIL"
	}
	fmt.Printf("goal p99 < 50 ms with no failures: %s\n", verdict)
	if verdict != "PASS" {
		return fmt.Errorf("goal missed")
	}
	return nil
}

// percentile of sorted latencies.
func percentile(sorted []time.Duration, q float64) time.Duration {
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
