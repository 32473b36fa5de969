package jobs

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/ecoscan/ecoscan/internal/connect"
	"github.com/ecoscan/ecoscan/internal/connect/token"
	"github.com/ecoscan/ecoscan/internal/finding"
	"github.com/ecoscan/ecoscan/internal/forge"
	"github.com/ecoscan/ecoscan/internal/httpx"
	"github.com/ecoscan/ecoscan/internal/service/archive"
	"github.com/ecoscan/ecoscan/internal/service/egress"
	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// The triggers of a scan (platform.Scan.Trigger).
const (
	TriggerSchedule = "schedule"
	TriggerManual   = "manual"
)

// scanAttempts is how many times a scan job runs at most: the first run
// and the retries of failures that may pass.
const scanAttempts = 5

// userAgent is what scans and deliveries call themselves.
const userAgent = "ecoscan-serve"

// scanArgs are a scan job's arguments. Uniqueness is by app alone, among
// the jobs waiting or running (activeStates): one scan of an app at a time.
type scanArgs struct {
	Scan int64 `json:"scan"`
	App  int64 `json:"app" river:"unique"`
	Org  int64 `json:"org"`
}

func (scanArgs) Kind() string { return "scan" }

// activeStates are the states of a job that is waiting or running.
var activeStates = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
	rivertype.JobStateRunning, rivertype.JobStateScheduled,
}

// scanInsertOpts are the options of a scan job. Its tags find the job of a
// scan (CancelScan) and the active job of an app (enqueue).
func scanInsertOpts(app, scan int64) *river.InsertOpts {
	return &river.InsertOpts{
		Queue:       queueScans,
		MaxAttempts: scanAttempts,
		Tags:        []string{scanTag(scan), appTag(app)},
		UniqueOpts:  river.UniqueOpts{ByArgs: true, ByState: activeStates},
	}
}

func scanTag(scan int64) string { return fmt.Sprintf("scan-%d", scan) }
func appTag(app int64) string   { return fmt.Sprintf("app-%d", app) }

// errDuplicate rolls back the insertion of a scan whose app already has one
// queued or running.
var errDuplicate = errors.New("a scan of the app is already queued or running")

// enqueue queues a scan of app: a scan row, queued, and its job. When the
// app already has a scan queued or running, that scan is returned, with
// queued false, and nothing is inserted. A scheduled scan is queued only
// if the app is still due once no scan of it is found running: the
// scheduler's list of due apps may be older than the end of a scan, and a
// scan's end moves the app's schedule in the same transaction that ends
// its job.
func (q *Queue) enqueue(ctx context.Context, app platform.App, trigger string) (sc platform.Scan, queued bool, err error) {
	scope := platform.OrgScope(app.Org)
	existing, err := q.activeScan(ctx, app.ID)
	if err != nil {
		return platform.Scan{}, false, err
	}
	if existing == 0 && trigger == TriggerSchedule {
		current, err := q.store.App(ctx, scope, app.ID)
		if err != nil {
			return platform.Scan{}, false, fmt.Errorf("app %d: %w", app.ID, err)
		}
		if current.DeletedAt != nil || current.NextScanAt.After(q.now()) {
			return platform.Scan{}, false, nil
		}
	}
	if existing == 0 {
		if sc, existing, err = q.insert(ctx, app, trigger); err != nil {
			return platform.Scan{}, false, err
		}
	}
	if existing != 0 {
		sc, err = q.store.Scan(ctx, scope, existing)
		if err != nil {
			return platform.Scan{}, false, fmt.Errorf("scan %d queued for app %d: %w", existing, app.ID, err)
		}
		sc.Report = nil
		return sc, false, nil
	}
	if err := q.store.SetScanJob(ctx, scope, sc.ID, sc.Job); err != nil {
		return platform.Scan{}, false, fmt.Errorf("scan %d: record job %d: %w", sc.ID, sc.Job, err)
	}
	return sc, true, nil
}

// activeScan returns the scan of the app's job that is waiting or running,
// 0 if there is none.
func (q *Queue) activeScan(ctx context.Context, app int64) (int64, error) {
	res, err := q.client.JobList(ctx, river.NewJobListParams().Kinds(scanArgs{}.Kind()).States(activeStates...).TagsAny(appTag(app)).First(1))
	if err != nil {
		return 0, fmt.Errorf("look for a scan job of app %d: %w", app, err)
	}
	if len(res.Jobs) == 0 {
		return 0, nil
	}
	return argsOf(res.Jobs[0])
}

// argsOf is the scan a scan job runs.
func argsOf(job *rivertype.JobRow) (int64, error) {
	var args scanArgs
	if err := json.Unmarshal(job.EncodedArgs, &args); err != nil {
		return 0, fmt.Errorf("read job %d: %w", job.ID, err)
	}
	return args.Scan, nil
}

// newScan is the row of a scan about to be queued.
func (q *Queue) newScan(app platform.App, trigger string) platform.Scan {
	return platform.Scan{Org: app.Org, App: app.ID, State: platform.ScanQueued, Trigger: trigger, QueuedAt: q.now()}
}

// insert inserts the scan and its job in one transaction, which a
// duplicate job (the app's scan queued meanwhile by another process) rolls
// back whole. It returns the new scan, or the scan of the duplicate.
func (q *Queue) insert(ctx context.Context, app platform.App, trigger string) (sc platform.Scan, existing int64, err error) {
	err = q.store.InTx(ctx, platform.OrgScope(app.Org), func(tx *sql.Tx) error {
		created, err := q.store.CreateScanTx(ctx, tx, q.newScan(app, trigger))
		if err != nil {
			return fmt.Errorf("create scan of app %d: %w", app.ID, err)
		}
		res, err := q.client.InsertTx(ctx, tx, scanArgs{Scan: created.ID, App: app.ID, Org: app.Org}, scanInsertOpts(app.ID, created.ID))
		if err != nil {
			return fmt.Errorf("queue scan %d: %w", created.ID, err)
		}
		if res.UniqueSkippedAsDuplicate {
			if existing, err = argsOf(res.Job); err != nil {
				return err
			}
			return errDuplicate
		}
		sc = created
		sc.Job = res.Job.ID
		return nil
	})
	if errors.Is(err, errDuplicate) {
		err = nil
	}
	return sc, existing, err
}

// scanWorker runs scan jobs.
type scanWorker struct {
	river.WorkerDefaults[scanArgs]
	q *Queue
}

func (w *scanWorker) Timeout(*river.Job[scanArgs]) time.Duration { return w.q.cfg.ScanTimeout }

func (w *scanWorker) NextRetry(job *river.Job[scanArgs]) time.Time {
	return time.Now().Add(w.q.scanBackoff(job.Attempt)) // River's clock, not the business one
}

func (w *scanWorker) Work(ctx context.Context, job *river.Job[scanArgs]) error {
	q, a := w.q, job.Args
	log := q.log.With("scan", a.Scan, "app", a.App, "org", a.Org, "job", job.ID, "attempt", job.Attempt)
	scope := platform.OrgScope(a.Org)
	app, err := q.store.App(ctx, scope, a.App)
	if errors.Is(err, platform.ErrNotFound) {
		// Purged with its scans: nothing is left to write to.
		return river.JobCancel(fmt.Errorf("app %d no longer exists", a.App))
	}
	if err != nil {
		return fmt.Errorf("load app %d: %w", a.App, err)
	}
	sc, err := q.store.Scan(ctx, scope, a.Scan)
	if errors.Is(err, platform.ErrNotFound) {
		return river.JobCancel(fmt.Errorf("scan %d no longer exists", a.Scan))
	}
	if err != nil {
		return fmt.Errorf("load scan %d: %w", a.Scan, err)
	}
	if sc.State != platform.ScanQueued && sc.State != platform.ScanRunning {
		log.Info("scan already ended", "state", sc.State)
		return nil
	}
	run := scanRun{q: q, job: job, app: app, scan: sc, log: log}
	if app.DeletedAt != nil {
		return run.end(ctx, platform.ScanFailed, "the app was deleted")
	}
	if err := q.store.StartScan(ctx, scope, sc.ID, q.now()); errors.Is(err, platform.ErrStale) {
		log.Info("scan ended before it could start")
		return nil
	} else if err != nil {
		return fmt.Errorf("start scan %d: %w", sc.ID, err)
	}
	log.Info("scan started", "kind", app.Kind, "trigger", sc.Trigger)
	run.started = time.Now()
	rep, err := q.runSafely(ctx, app, log)
	if over, result := run.interrupted(ctx); over {
		return result
	}
	switch {
	case err != nil && transient(err) && job.Attempt < job.MaxAttempts:
		log.Warn("scan attempt failed; retrying", "error", scrub(err, app))
		return errors.New(scrub(err, app))
	case err != nil:
		log.Warn("scan failed", "error", scrub(err, app))
		return run.end(ctx, platform.ScanFailed, scrub(err, app))
	}
	err = run.finish(ctx, rep)
	if over, result := run.interrupted(ctx); over && err != nil {
		return result
	}
	if err != nil && job.Attempt < job.MaxAttempts {
		log.Warn("storing the scan's results failed; retrying", "error", err.Error())
		return err
	}
	if err != nil {
		return run.end(ctx, platform.ScanFailed, "storing the results failed: "+err.Error())
	}
	return nil
}

// interrupted reports whether the job's context is over, and then how the
// job ends: canceled (CancelScan), failed (out of time), or snoozed to run
// again later without using up an attempt (the queue is stopping).
func (r *scanRun) interrupted(ctx context.Context) (over bool, result error) {
	switch {
	case ctx.Err() == nil:
		return false, nil
	case errors.Is(context.Cause(ctx), river.ErrJobCancelledRemotely):
		return true, r.canceled(ctx)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return true, r.end(ctx, platform.ScanFailed, fmt.Sprintf("the scan did not finish within %s", r.q.cfg.ScanTimeout))
	}
	r.log.Info("scan interrupted by shutdown; it will run again")
	return true, river.JobSnooze(r.q.scanBackoff(1))
}

// scrub is err's message with the app's descriptor URL shown without its
// query, which may carry a token: the message goes to logs, to the job's
// row and to the scan's error.
func scrub(err error, app platform.App) string {
	msg := err.Error()
	u, perr := url.Parse(app.DescriptorURL)
	if perr != nil || (u.RawQuery == "" && u.User == nil) {
		return msg
	}
	bare := *u
	bare.RawQuery, bare.ForceQuery, bare.User = "", false, nil
	return strings.ReplaceAll(msg, app.DescriptorURL, bare.String()+"?<query>")
}

// transient reports whether a scan's error may pass on its own: the network
// failed (refused, reset, timed out, DNS), not the app's answer or content.
// An egress refusal never passes.
func transient(err error) bool {
	if errors.Is(err, egress.ErrBlocked) {
		return false
	}
	var (
		netErr net.Error
		local  *localError
	)
	return errors.Is(err, httpx.ErrTimeout) || errors.Is(err, httpx.ErrReset) || errors.As(err, &netErr) || errors.As(err, &local)
}

// localError is a failure of the worker's own means (the store, the disk),
// not of the app: another attempt, maybe on another machine, may succeed.
type localError struct{ err error }

func (e *localError) Error() string { return e.err.Error() }
func (e *localError) Unwrap() error { return e.err }

// invalidArchive reports whether an extraction failed on the archive's
// content rather than on the disk.
func invalidArchive(err error) bool {
	for _, e := range []error{archive.ErrTooLarge, archive.ErrTooManyEntries, archive.ErrPathTooLong, archive.ErrPathTooDeep,
		archive.ErrUnsafePath, archive.ErrDuplicate, archive.ErrConflict, archive.ErrSpecialFile, archive.ErrUnsupported,
		archive.ErrUnknownFormat, archive.ErrCorrupt} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// errPanic is what a scan that panicked fails with: another attempt would
// panic again.
var errPanic = errors.New("internal error: the scan crashed")

// runSafely runs the scan, turning a panic of the scanners (a bug, met on
// some app's content) into errPanic, so that the scan ends failed rather
// than running forever.
func (q *Queue) runSafely(ctx context.Context, app platform.App, log *slog.Logger) (rep *finding.Report, err error) {
	defer func() {
		if v := recover(); v != nil {
			log.Error("scan panicked", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			rep, err = nil, errPanic
		}
	}()
	return q.runScan(ctx, app)
}

// runScan scans app as its kind says.
func (q *Queue) runScan(ctx context.Context, app platform.App) (*finding.Report, error) {
	switch app.Kind {
	case platform.Connect:
		return q.scanConnect(ctx, app)
	case platform.Forge:
		return q.scanForge(ctx, app)
	}
	return nil, fmt.Errorf("app %d has unknown kind %q", app.ID, app.Kind)
}

// scanConnect runs the Connect scan with the app's credentials, every
// connection vetted by the egress guard.
func (q *Queue) scanConnect(ctx context.Context, app platform.App) (*finding.Report, error) {
	hc := httpx.Config{Control: egress.Guard(q.cfg.Allow), RootCAs: q.cfg.RootCAs, UserAgent: userAgent}
	opts := connect.Options{HTTP: hc, SkipHosts: q.cfg.SkipHostChecks, Now: q.now, Version: userAgent}
	if !opts.SkipHosts {
		// The takeover fingerprints fetch pages of the app's hosts: through
		// the guard too.
		get := httpx.New(httpx.Config{Control: hc.Control, RootCAs: hc.RootCAs, UserAgent: userAgent, Timeout: 15 * time.Second, MaxBody: 1 << 20, KeepBody: 64 << 10})
		defer get.Close()
		opts.Domain.HTTPGet = func(ctx context.Context, u string) (int, []byte, error) {
			resp, err := get.Do(ctx, httpx.Request{Method: http.MethodGet, URL: u})
			if err != nil {
				return 0, nil, err
			}
			return resp.Status, resp.Body, nil
		}
	}
	for _, s := range []struct {
		sealed, column string
		set            func(string)
	}{
		{app.ClientKey, "client_key", func(v string) { opts.ClientKey = v }},
		{app.SharedSecret, "shared_secret", func(v string) { opts.SharedSecret = token.Secret(v) }},
		{app.UserJWT, "user_jwt", func(v string) { opts.UserJWT = token.Secret(v) }},
	} {
		if s.sealed == "" {
			continue
		}
		v, err := q.cfg.Keys.OpenSecret(s.sealed, platform.SecretAD("app", app.ID, s.column))
		if err != nil {
			return nil, fmt.Errorf("open the app's %s: %w", s.column, err)
		}
		s.set(string(v))
	}
	return connect.Scan(ctx, app.DescriptorURL, opts)
}

// scanForge extracts the app's source archive into a fresh directory and
// scans it there.
func (q *Queue) scanForge(ctx context.Context, app platform.App) (*finding.Report, error) {
	data, err := q.store.Archive(ctx, platform.OrgScope(app.Org), app.ID)
	if errors.Is(err, platform.ErrNotFound) {
		return nil, errors.New("the app has no source archive")
	}
	if err != nil {
		return nil, &localError{fmt.Errorf("load the source archive: %w", err)}
	}
	tmp, err := os.MkdirTemp("", "ecoscan-forge-")
	if err != nil {
		return nil, &localError{err}
	}
	defer os.RemoveAll(tmp)
	dir := filepath.Join(tmp, "app")
	if _, err := archive.Extract(ctx, bytes.NewReader(data), int64(len(data)), dir, archive.Limits{}); err != nil {
		err = fmt.Errorf("extract the source archive: %w", err)
		if !invalidArchive(err) {
			err = &localError{err}
		}
		return nil, err
	}
	rep, err := forge.Scan(ctx, dir, forge.Options{DataDir: q.cfg.DataDir, Version: userAgent, Now: q.now})
	if err != nil {
		return nil, err
	}
	// Paths in the report are relative to the tree; the temporary
	// directory's name means nothing after the scan.
	rep.Target.Ref = app.Name
	return rep, nil
}
