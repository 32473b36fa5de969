package api

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiters keeps one token-bucket limiter per key (an API token's id, a
// remote address). A limiter idle long enough to have refilled completely
// is dropped: a new one starts full, so dropping it changes nothing but the
// memory held.
type limiters struct {
	limit rate.Limit
	burst int

	mu        sync.Mutex
	byKey     map[string]*limiterEntry
	lastSweep time.Time
}

type limiterEntry struct {
	lim  *rate.Limiter
	last time.Time
}

// sweepEvery is how often idle limiters are looked for.
const sweepEvery = time.Minute

func newLimiters(limit rate.Limit, burst int) *limiters {
	return &limiters{limit: limit, burst: burst, byKey: make(map[string]*limiterEntry)}
}

// allow takes one request from key's bucket at now. When the bucket is
// empty it returns false and how long until a request would be allowed.
func (l *limiters) allow(key string, now time.Time) (bool, time.Duration) {
	if l.limit == rate.Inf {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) >= sweepEvery {
		l.sweep(now)
	}
	e := l.byKey[key]
	if e == nil {
		e = &limiterEntry{lim: rate.NewLimiter(l.limit, l.burst)}
		l.byKey[key] = e
	}
	e.last = now
	r := e.lim.ReserveN(now, 1)
	if !r.OK() {
		return false, time.Second
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// sweep drops the limiters idle for longer than a full refill takes.
func (l *limiters) sweep(now time.Time) {
	l.lastSweep = now
	refill := 24 * time.Hour
	if secs := float64(l.burst) / float64(l.limit); l.limit > 0 && secs < refill.Seconds() {
		refill = max(sweepEvery, time.Duration(math.Ceil(secs*float64(time.Second))))
	}
	for k, e := range l.byKey {
		if now.Sub(e.last) >= refill {
			delete(l.byKey, k)
		}
	}
}

// size is how many limiters are kept.
func (l *limiters) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.byKey)
}
