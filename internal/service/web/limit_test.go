package web

import (
	"strconv"
	"testing"
	"time"
)

func TestFailureLimiter(t *testing.T) {
	l := newFailureLimiter(3, time.Minute)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 3 {
		if wait := l.retryAfter("k", now); wait != 0 {
			t.Fatalf("after %d failures: wait %v", i, wait)
		}
		l.fail("k", now)
	}
	if wait := l.retryAfter("k", now); wait <= 0 || wait > time.Minute {
		t.Fatalf("after the burst: wait %v", wait)
	}
	if wait := l.retryAfter("other", now); wait != 0 {
		t.Fatalf("another key waits %v", wait)
	}
	if wait := l.retryAfter("k", now.Add(time.Minute)); wait != 0 {
		t.Fatalf("a minute later: wait %v", wait)
	}
	l.forget("k")
	if len(l.keys) != 0 {
		t.Fatal("forget kept the key")
	}
}

// TestFailureLimiterBounded checks that a flood of distinct keys does not
// grow the limiter without bound, and that exhausted recent keys survive
// the pruning.
func TestFailureLimiterBounded(t *testing.T) {
	l := newFailureLimiter(1, time.Hour)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 3 * maxLimitKeys {
		l.fail("ip-"+strconv.Itoa(i), start.Add(time.Duration(i)*time.Millisecond))
	}
	if n := len(l.keys); n > maxLimitKeys {
		t.Fatalf("%d keys kept, bound %d", n, maxLimitKeys)
	}
	last := "ip-" + strconv.Itoa(3*maxLimitKeys-1)
	if wait := l.retryAfter(last, start.Add(3*maxLimitKeys*time.Millisecond)); wait == 0 {
		t.Fatal("the newest exhausted key was forgotten")
	}
}

func BenchmarkFailureLimiter(b *testing.B) {
	l := newFailureLimiter(5, time.Minute)
	now := time.Now()
	for i := 0; b.Loop(); i++ {
		key := "ip-" + strconv.Itoa(i%5000)
		l.retryAfter(key, now)
		l.fail(key, now)
	}
}
