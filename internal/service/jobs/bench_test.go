package jobs

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// The daily cycle's size: ECOSCAN_BENCH_APPS registered apps (10,000, the
// documented setting, when unset), scanned by queues running
// ECOSCAN_BENCH_WORKERS scans at once each (8 when unset).
const (
	envBenchApps    = "ECOSCAN_BENCH_APPS"
	envBenchWorkers = "ECOSCAN_BENCH_WORKERS"
)

func benchSetting(b *testing.B, env string, def int) int {
	b.Helper()
	v := os.Getenv(env)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a positive number", env, v)
	}
	return n
}

// BenchmarkDailyCycle runs one day's scans of every registered Connect
// app, all due at once, from the scheduler's first look to the last scan
// stored, with one and with two worker processes (Queues with their own
// connections) on SQLite and, when ECOSCAN_TEST_POSTGRES is set, on
// PostgreSQL. The apps are served by one loopback server, each with its
// own descriptor and one page; host checks are left out (SkipHostChecks),
// as the apps share one host. It reports apps scanned per minute.
//
//	go test -run XXX -bench DailyCycle -benchtime 1x ./internal/service/jobs/
func BenchmarkDailyCycle(b *testing.B) {
	apps := benchSetting(b, envBenchApps, 10000)
	workers := benchSetting(b, envBenchWorkers, 8)
	dbs := []struct {
		name string
		url  func(testing.TB) string
	}{{"sqlite", sqliteURL}, {"postgres", postgresURL}}
	for _, db := range dbs {
		for _, procs := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/apps=%d/queues=%d/workers=%d", db.name, apps, procs, workers), func(b *testing.B) {
				for range b.N {
					b.StopTimer()
					took := dailyCycle(b, db.url(b), apps, procs, workers)
					b.StartTimer()
					b.ReportMetric(float64(apps)/took.Minutes(), "apps/min")
				}
			})
		}
	}
}

// dailyCycle registers the apps, all due, then times the queues scanning
// them all.
func dailyCycle(b *testing.B, dbURL string, apps, procs, workers int) time.Duration {
	b.Helper()
	ctx := context.Background()
	keys := newKeys(b)
	mock := newMockApps(b)
	st := openStore(b, dbURL)
	org, err := st.CreateOrg(ctx, "vendor")
	if err != nil {
		b.Fatal(err)
	}
	due := time.Now().Add(-time.Minute)
	for i := range apps {
		if _, _, err := st.CreateApp(ctx, platform.OrgScope(org.ID), platform.App{Kind: platform.Connect, Name: fmt.Sprintf("app %d", i),
			DescriptorURL: mock.descriptorURL(i), NextScanAt: due}); err != nil {
			b.Fatal(err)
		}
	}
	quiet := slog.New(slog.NewJSONHandler(io.Discard, nil))
	var queues []*Queue
	for range procs {
		queues = append(queues, newQueue(b, Config{Store: openStore(b, dbURL), Keys: keys, Allow: loopback, RootCAs: mock.pool,
			Workers: workers, SkipHostChecks: true, ScheduleEvery: time.Second, Logger: quiet}))
	}

	began := time.Now()
	for _, q := range queues {
		start(b, q)
	}
	for {
		stats, err := st.Stats(ctx, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		if stats.ScansByState[platform.ScanDone] >= apps {
			break
		}
		if n := stats.ScansByState[platform.ScanFailed]; n > 0 {
			b.Fatalf("%d scans failed", n)
		}
		time.Sleep(100 * time.Millisecond)
	}
	took := time.Since(began)
	if hits := mock.descriptorHits(); hits != apps {
		b.Errorf("descriptors fetched %d times for %d apps", hits, apps)
	}
	return took
}

// BenchmarkSchedule times one look of the scheduler: queuing a scan of
// each of platform.MaxPage due apps (a full batch), no worker running. It
// reports apps queued per second.
func BenchmarkSchedule(b *testing.B) {
	const apps = platform.MaxPage
	for _, db := range []struct {
		name string
		url  func(testing.TB) string
	}{{"sqlite", sqliteURL}, {"postgres", postgresURL}} {
		b.Run(db.name, func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				ctx := context.Background()
				st := openStore(b, db.url(b))
				org, err := st.CreateOrg(ctx, "vendor")
				if err != nil {
					b.Fatal(err)
				}
				for i := range apps {
					if _, _, err := st.CreateApp(ctx, platform.OrgScope(org.ID), platform.App{Kind: platform.Connect,
						Name: fmt.Sprintf("app %d", i), DescriptorURL: "https://127.0.0.1:1/d.json", NextScanAt: time.Now().Add(-time.Minute)}); err != nil {
						b.Fatal(err)
					}
				}
				q := newQueue(b, Config{Store: st, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
				b.StartTimer()
				began := time.Now()
				n, err := q.schedule(ctx)
				if err != nil || n != apps {
					b.Fatalf("queued %d of %d: %v", n, apps, err)
				}
				b.ReportMetric(float64(apps)/time.Since(began).Seconds(), "apps/s")
			}
		})
	}
}
