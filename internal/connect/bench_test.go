package connect

import (
	"context"
	"testing"
	"time"

	"github.com/ecoscan/ecoscan/internal/connect/connecttest"
	"github.com/ecoscan/ecoscan/internal/httpx"
)

// BenchmarkScan500Endpoints scans the fixture app with 500 extra pages, each
// module page answering after 20 ms, with 64 requests in flight. The goal
// (bench/connect.sh checks it on the built binaries) is a ratio of at most
// 1.5 between the time a scan takes and the ideal, requests x 20 ms / 64.
//
//	go test ./internal/connect -run '^$' -bench Scan500Endpoints -benchtime 5x
func BenchmarkScan500Endpoints(b *testing.B) {
	const (
		delay       = 20 * time.Millisecond
		concurrency = 64
	)
	app, err := connecttest.StartWith(connecttest.Config{Pages: 500, Delay: delay})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(app.Close)
	opts := Options{
		HTTP:    httpx.Config{RootCAs: app.Pool, Concurrency: concurrency, PerHost: concurrency},
		Version: "bench",
	}
	b.ReportAllocs()
	var (
		scans, requests int64
		elapsed         time.Duration
	)
	for b.Loop() {
		before := app.Requests()
		start := time.Now()
		rep, err := Scan(context.Background(), app.DescriptorURL, opts)
		if err != nil {
			b.Fatalf("scan: %v", err)
		}
		elapsed += time.Since(start)
		requests += app.Requests() - before
		scans++
		for _, e := range rep.Errors {
			b.Errorf("scan error %s: %s", e.Scope, e.Message)
		}
	}
	ideal := time.Duration(requests) * delay / concurrency
	b.ReportMetric(float64(requests)/float64(scans), "requests/op")
	b.ReportMetric(elapsed.Seconds()/ideal.Seconds(), "elapsed/ideal")
}
