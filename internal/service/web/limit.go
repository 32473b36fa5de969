package web

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// SignInLimits bound failed sign-ins. Each e-mail address and each client
// address may fail a burst of times; after that one more failure is allowed
// every Refill. While a key is exhausted, sign-ins for it are refused
// before the password is checked, correct or not.
type SignInLimits struct {
	PerEmail int           // failures allowed at once for one e-mail address; default 5
	PerIP    int           // failures allowed at once from one client address; default 20
	Refill   time.Duration // how long until one more failure is allowed; default 1 minute
}

func (l SignInLimits) withDefaults() SignInLimits {
	if l.PerEmail <= 0 {
		l.PerEmail = 5
	}
	if l.PerIP <= 0 {
		l.PerIP = 20
	}
	if l.Refill <= 0 {
		l.Refill = time.Minute
	}
	return l
}

// maxLimitKeys bounds the memory of a failureLimiter: when it is full,
// keys that have recovered are forgotten, and if none has, the oldest
// half goes.
const maxLimitKeys = 10000

// failureLimiter counts failures per key with a token bucket: a failure
// takes a token, time puts them back.
type failureLimiter struct {
	burst  int
	refill time.Duration

	mu   sync.Mutex
	keys map[string]*limitEntry
}

type limitEntry struct {
	bucket *rate.Limiter
	added  time.Time
}

func newFailureLimiter(burst int, refill time.Duration) *failureLimiter {
	return &failureLimiter{burst: burst, refill: refill, keys: map[string]*limitEntry{}}
}

// retryAfter is how long key must wait before it may try again at now: 0
// when it may try now.
func (l *failureLimiter) retryAfter(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.keys[key]
	if !ok {
		return 0
	}
	tokens := e.bucket.TokensAt(now)
	if tokens >= 1 {
		return 0
	}
	return time.Duration((1 - tokens) * float64(l.refill))
}

// fail records a failure of key at now.
func (l *failureLimiter) fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.keys[key]
	if !ok {
		if len(l.keys) >= maxLimitKeys {
			l.prune(now)
		}
		e = &limitEntry{bucket: rate.NewLimiter(rate.Every(l.refill), l.burst), added: now}
		l.keys[key] = e
	}
	e.bucket.AllowN(now, 1)
}

// forget drops key's failures (a successful sign-in for an e-mail address).
func (l *failureLimiter) forget(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.keys, key)
}

// prune forgets the keys whose buckets are full again; when none is, it
// forgets those added before the median time, so memory stays bounded
// even under a flood of distinct keys.
func (l *failureLimiter) prune(now time.Time) {
	for k, e := range l.keys {
		if e.bucket.TokensAt(now) >= float64(l.burst) {
			delete(l.keys, k)
		}
	}
	if len(l.keys) < maxLimitKeys {
		return
	}
	var oldest, newest time.Time
	for _, e := range l.keys {
		if oldest.IsZero() || e.added.Before(oldest) {
			oldest = e.added
		}
		if e.added.After(newest) {
			newest = e.added
		}
	}
	middle := oldest.Add(newest.Sub(oldest) / 2)
	for k, e := range l.keys {
		if !e.added.After(middle) {
			delete(l.keys, k)
		}
	}
}
