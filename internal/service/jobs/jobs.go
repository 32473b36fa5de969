// Package jobs runs the work of `ecoscan serve` as jobs of a River queue
// kept in the platform's own database (SQLite or PostgreSQL), so that any
// number of processes on any number of machines share it: the scans of
// registered apps, on demand and on each app's schedule; the webhook
// deliveries of ticket notices; and the periodic upkeep (the scheduler,
// the due-soon and overdue notices, the purge of deleted apps after the
// retention period). Queue implements platform.Queue.
//
// A scan is a row of the store (queued, then running, then done, failed or
// canceled) and a River job that names it. The row and the job are
// inserted in one transaction (Store.CreateScanTx and River's InsertTx).
// A scan that ran writes its report, findings, ticket changes, the app's next scan time, its webhook delivery jobs and
// its job's completion in one transaction, so that a worker killed at any
// moment leaves everything or nothing, and in the second case the job
// runs again.
//
// One scan per app at a time: scan jobs are unique per app among the jobs
// waiting or running, whatever started them. ScanNow returns the scan
// already queued or running; the scheduler, wherever it runs and however
// many run, skips apps that have one. Every end of a scheduled scan (done,
// failed, canceled) and every scan that ran moves the app's next scan an
// interval on, in the transaction that ends the scan's job, so an app that
// fails is tried again the next day, not at every look of the scheduler.
//
// Failures. A scan that cannot run ends failed with the reason, and its
// app's tickets are left alone. Failures that may pass are retried first,
// with exponential backoff and jitter, up to scanAttempts attempts in all:
// network errors (refused or reset connections, timeouts, DNS failures)
// and the worker's own trouble (store, disk). Failures that another try
// would repeat end the scan at once: an egress refusal, a descriptor that
// answers an HTTP error or does not parse, an archive or manifest that
// cannot be read, credentials that do not open, a scan that ran out of its
// ScanTimeout or panicked. A scan canceled while it runs ends canceled
// without results; one interrupted by the process stopping runs again.
package jobs

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"

	"github.com/ecoscan/ecoscan/internal/service/keyring"
	"github.com/ecoscan/ecoscan/internal/service/notify"
	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// Defaults of the Config fields left zero.
const (
	DefaultScanTimeout   = 15 * time.Minute
	DefaultRetention     = 60 * 24 * time.Hour
	DefaultScheduleEvery = time.Minute
	DefaultScheduleBatch = platform.MaxPage
	// DefaultDeliveryTimeout bounds one webhook delivery.
	DefaultDeliveryTimeout = 10 * time.Second
)

// The queues: scans apart, so that long scans never hold up notices and
// upkeep.
const (
	queueScans = "scans"
	queueOther = river.QueueDefault
	// otherWorkers is how many deliveries and upkeep jobs one process runs
	// at once.
	otherWorkers = 4
)

// Config configures a Queue.
type Config struct {
	Store platform.Store
	// Keys opens the sealed credentials of apps and secrets of webhooks;
	// required when Workers > 0.
	Keys *keyring.KeyRing
	// Allow lets scans and webhook deliveries reach these addresses, which
	// the egress guard refuses otherwise (loopback, private, metadata).
	// Nil refuses them all.
	Allow []netip.Prefix
	// RootCAs replaces the system roots for scans and deliveries (tests).
	RootCAs *x509.CertPool
	// Workers is how many scans this process runs at once. 0 makes an
	// insert-only queue (the `--role api` process): it queues and cancels
	// scans, and runs nothing, not even the periodic jobs.
	Workers int
	// ScanTimeout bounds one scan (DefaultScanTimeout when 0).
	ScanTimeout time.Duration
	// Retention is how long a deleted app's data is kept before it is
	// purged (DefaultRetention when 0).
	Retention time.Duration
	// ScheduleEvery is how often the scheduler looks for apps whose scan
	// is due (DefaultScheduleEvery when 0; at least a second).
	// ScheduleBatch is how many apps one look queues at most
	// (DefaultScheduleBatch when 0; the store lists at most
	// platform.MaxPage).
	ScheduleEvery time.Duration
	ScheduleBatch int
	// SkipHostChecks leaves out the transport and domain checks of the
	// hosts Connect apps use (requirements 3, 6.1, 6.2, 6.3; connect's
	// SkipHosts), for deployments that run them elsewhere and for load
	// tests of the queue.
	SkipHostChecks bool
	// DataDir is where `ecoscan update` keeps the data of the Forge checks.
	DataDir string
	// Logger receives the queue's logs (River's too); a JSON logger on
	// stderr when nil.
	Logger *slog.Logger
	// Now is the clock of schedules, due dates and retention (time.Now
	// when nil).
	Now func() time.Time
	// Registerer, when set, receives the queue's metrics.
	Registerer prometheus.Registerer

	// testHookAfterFinish runs in the scan's final transaction right after
	// its results are written; an error from it rolls them back (tests of
	// crash safety).
	testHookAfterFinish func() error
	// testFast makes River start its upkeep at once and poll often (tests).
	testFast bool
	// testRetry replaces the waits before retries (tests).
	testRetry func(attempt int) time.Duration
}

// Queue is the job queue. It implements platform.Queue.
type Queue struct {
	cfg     Config
	store   platform.Store
	client  *river.Client[*sql.Tx]
	log     *slog.Logger
	now     func() time.Time
	sender  notify.Sender
	metrics *metrics
	// scanBackoff and deliveryBackoff are the waits before a failed scan
	// or delivery runs again, by the attempt that failed.
	scanBackoff, deliveryBackoff func(attempt int) time.Duration
	// complete marks a job completed inside a transaction, with the
	// driver of the store's dialect.
	complete func(ctx context.Context, tx *sql.Tx, job *river.Job[scanArgs]) error
}

var _ platform.Queue = (*Queue)(nil)

// New builds the queue on cfg.Store's database; Migrate must have run.
func New(cfg Config) (*Queue, error) {
	if cfg.Store == nil {
		return nil, errors.New("jobs: Config.Store is required")
	}
	if cfg.Workers < 0 {
		return nil, fmt.Errorf("jobs: Workers %d is negative", cfg.Workers)
	}
	if cfg.Workers > 0 && cfg.Keys == nil {
		return nil, errors.New("jobs: Config.Keys is required to run scans")
	}
	if cfg.ScanTimeout < 0 || cfg.Retention < 0 || cfg.ScheduleEvery < 0 || cfg.ScheduleBatch < 0 {
		return nil, errors.New("jobs: ScanTimeout, Retention, ScheduleEvery and ScheduleBatch must not be negative")
	}
	if cfg.ScanTimeout == 0 {
		cfg.ScanTimeout = DefaultScanTimeout
	}
	if cfg.Retention == 0 {
		cfg.Retention = DefaultRetention
	}
	if cfg.ScheduleEvery == 0 {
		cfg.ScheduleEvery = DefaultScheduleEvery
	}
	if cfg.ScheduleEvery < time.Second {
		return nil, fmt.Errorf("jobs: ScheduleEvery %s is under a second", cfg.ScheduleEvery)
	}
	if cfg.ScheduleBatch == 0 {
		cfg.ScheduleBatch = DefaultScheduleBatch
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	q := &Queue{
		cfg:    cfg,
		store:  cfg.Store,
		log:    cfg.Logger.With("component", "jobs"),
		now:    cfg.Now,
		sender: notify.Sender{Client: notify.NewClient(cfg.Allow, DefaultDeliveryTimeout), Timeout: DefaultDeliveryTimeout},

		scanBackoff:     scanBackoff,
		deliveryBackoff: notify.Backoff,
	}
	if cfg.testRetry != nil {
		q.scanBackoff, q.deliveryBackoff = cfg.testRetry, cfg.testRetry
	}
	if t, ok := q.sender.Client.Transport.(*http.Transport); ok && cfg.RootCAs != nil {
		t = t.Clone()
		t.TLSClientConfig = &tls.Config{RootCAs: cfg.RootCAs, MinVersion: tls.VersionTLS12}
		q.sender.Client.Transport = t
	}

	workers := river.NewWorkers()
	river.AddWorker(workers, &scanWorker{q: q})
	river.AddWorker(workers, &deliveryWorker{q: q})
	river.AddWorker(workers, river.WorkFunc(q.workSchedule))
	river.AddWorker(workers, river.WorkFunc(q.workRetention))
	river.AddWorker(workers, river.WorkFunc(q.workDueNotices))

	rc := &river.Config{
		Logger:      cfg.Logger.With("component", "river"),
		Workers:     workers,
		MaxAttempts: scanAttempts,
		// Upkeep jobs (scans and deliveries have their own timeouts).
		JobTimeout: 5 * time.Minute,
		// A job running this long is taken for one whose worker died.
		RescueStuckJobsAfter: cfg.ScanTimeout + 10*time.Minute,
		// Finished jobs are kept a week: their rows are the queue's
		// history for operators (River UI, SQL).
		CompletedJobRetentionPeriod: 7 * 24 * time.Hour,
		CancelledJobRetentionPeriod: 7 * 24 * time.Hour,
		DiscardedJobRetentionPeriod: 7 * 24 * time.Hour,
		TestOnly:                    cfg.testFast,
	}
	if cfg.testFast {
		rc.FetchPollInterval = 50 * time.Millisecond
		rc.FetchCooldown = 10 * time.Millisecond
	}
	if cfg.Workers > 0 {
		rc.Queues = map[string]river.QueueConfig{
			queueScans: {MaxWorkers: cfg.Workers},
			queueOther: {MaxWorkers: otherWorkers},
		}
		rc.PeriodicJobs = q.periodicJobs()
	}
	var err error
	switch d := cfg.Store.Dialect(); d {
	case "sqlite":
		q.client, err = river.NewClient(riversqlite.New(cfg.Store.DB()), rc)
		q.complete = completeTx[*riversqlite.Driver]
	case "postgres":
		q.client, err = river.NewClient(riverdatabasesql.New(cfg.Store.DB()), rc)
		q.complete = completeTx[*riverdatabasesql.Driver]
	default:
		return nil, fmt.Errorf("jobs: unknown store dialect %q", d)
	}
	if err != nil {
		return nil, fmt.Errorf("jobs: river client: %w", err)
	}
	q.metrics = newMetrics(q)
	if cfg.Registerer != nil {
		if err := q.metrics.register(cfg.Registerer); err != nil {
			return nil, fmt.Errorf("jobs: metrics: %w", err)
		}
	}
	return q, nil
}

// completeTx marks job completed in tx, with driver D.
func completeTx[D riverdriver.Driver[*sql.Tx]](ctx context.Context, tx *sql.Tx, job *river.Job[scanArgs]) error {
	_, err := river.JobCompleteTx[D](ctx, tx, job)
	return err
}
