package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/ecoscan/ecoscan/internal/connect/connecttest"
	"github.com/ecoscan/ecoscan/internal/service/platform"
	"github.com/ecoscan/ecoscan/internal/service/store"
)

// scanJobs lists the scan jobs in the given states (all when none).
func scanJobs(t testing.TB, q *Queue, states ...rivertype.JobState) []*rivertype.JobRow {
	t.Helper()
	p := river.NewJobListParams().Kinds(scanArgs{}.Kind()).First(10000)
	if len(states) > 0 {
		p = p.States(states...)
	}
	res, err := q.client.JobList(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return res.Jobs
}

// TestScanNowTwiceIsOneScan: a second ScanNow while the first scan waits
// returns the first scan; once the scan is canceled, a new one is queued.
func TestScanNowTwiceIsOneScan(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := openStore(t, dbURL)
		tn := newTenant(t, st, newKeys(t), "vendor")
		app := tn.connectApp(t, "app", "https://127.0.0.1:1/atlassian-connect.json", "", "", "")
		q := newQueue(t, Config{Store: st}) // insert-only: nothing runs the scans

		first, err := q.ScanNow(ctx, tn.scope(), app.ID)
		if err != nil {
			t.Fatal(err)
		}
		second, err := q.ScanNow(ctx, tn.scope(), app.ID)
		if err != nil {
			t.Fatal(err)
		}
		if second.ID != first.ID || second.State != platform.ScanQueued {
			t.Errorf("second ScanNow = scan %d (%s), want scan %d queued", second.ID, second.State, first.ID)
		}
		if jobs := scanJobs(t, q); len(jobs) != 1 {
			t.Errorf("%d scan jobs, want 1", len(jobs))
		}
		scans, err := st.ListScans(ctx, tn.scope(), app.ID, platform.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if len(scans) != 1 {
			t.Errorf("%d scans stored, want 1", len(scans))
		}

		// Another organization sees neither the app nor the scan.
		other := newTenant(t, st, tn.keys, "other vendor")
		if _, err := q.ScanNow(ctx, other.scope(), app.ID); !errors.Is(err, platform.ErrNotFound) {
			t.Errorf("ScanNow from another organization: %v, want ErrNotFound", err)
		}
		if err := q.CancelScan(ctx, other.scope(), first.ID); !errors.Is(err, platform.ErrNotFound) {
			t.Errorf("CancelScan from another organization: %v, want ErrNotFound", err)
		}

		// Canceling the waiting scan ends it and its job at once.
		if err := q.CancelScan(ctx, tn.scope(), first.ID); err != nil {
			t.Fatal(err)
		}
		canceled, err := st.Scan(ctx, tn.scope(), first.ID)
		if err != nil {
			t.Fatal(err)
		}
		if canceled.State != platform.ScanCanceled || canceled.FinishedAt == nil {
			t.Errorf("canceled scan: %s, finished %v", canceled.State, canceled.FinishedAt)
		}
		if job, err := q.client.JobGet(ctx, canceled.Job); err != nil || job.State != rivertype.JobStateCancelled {
			t.Errorf("job of the canceled scan: %v, %v; want cancelled", job, err)
		}
		if err := q.CancelScan(ctx, tn.scope(), first.ID); !errors.Is(err, platform.ErrConflict) {
			t.Errorf("canceling it again: %v, want ErrConflict", err)
		}
		third, err := q.ScanNow(ctx, tn.scope(), app.ID)
		if err != nil {
			t.Fatal(err)
		}
		if third.ID == first.ID {
			t.Error("after the cancellation ScanNow returned the canceled scan")
		}
		if depth, err := q.Depth(ctx); err != nil || depth != 1 {
			t.Errorf("Depth = %d, %v; want 1", depth, err)
		}
	})
}

// TestScanNowRefusals: deleted apps are not scanned; unknown ones are not
// found.
func TestScanNowRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openStore(t, sqliteURL(t))
	tn := newTenant(t, st, newKeys(t), "vendor")
	app := tn.connectApp(t, "app", "https://127.0.0.1:1/atlassian-connect.json", "", "", "")
	q := newQueue(t, Config{Store: st})
	if _, err := q.ScanNow(ctx, tn.scope(), app.ID+100); !errors.Is(err, platform.ErrNotFound) {
		t.Errorf("ScanNow of an unknown app: %v, want ErrNotFound", err)
	}
	if err := st.DeleteApp(ctx, tn.scope(), app.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := q.ScanNow(ctx, tn.scope(), app.ID); !errors.Is(err, platform.ErrInvalid) {
		t.Errorf("ScanNow of a deleted app: %v, want ErrInvalid", err)
	}
	if err := q.CancelScan(ctx, tn.scope(), 12345); !errors.Is(err, platform.ErrNotFound) {
		t.Errorf("CancelScan of an unknown scan: %v, want ErrNotFound", err)
	}
}

// TestScheduleOncePerApp: schedulers that run twice, or at once in two
// processes, queue one scan per due app, and leave alone apps not due.
func TestScheduleOncePerApp(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := openStore(t, dbURL)
		tn := newTenant(t, st, newKeys(t), "vendor")
		const due = 12
		for i := range due {
			if _, _, err := st.CreateApp(ctx, tn.scope(), platform.App{Kind: platform.Connect, Name: fmt.Sprintf("due %d", i),
				DescriptorURL: "https://127.0.0.1:1/d.json", NextScanAt: time.Now().Add(-time.Minute)}); err != nil {
				t.Fatal(err)
			}
		}
		later := tn.connectApp(t, "not due", "https://127.0.0.1:1/d.json", "", "", "")
		q := newQueue(t, Config{Store: st})
		// A second process: its own connections to the same database.
		q2 := newQueue(t, Config{Store: openStore(t, dbURL)})

		n, err := q.schedule(ctx)
		if err != nil || n != due {
			t.Fatalf("first look: queued %d, %v; want %d", n, err, due)
		}
		if n, err := q.schedule(ctx); err != nil || n != 0 {
			t.Fatalf("second look: queued %d, %v; want 0", n, err)
		}
		// A canceled scheduled scan moves the schedule on like any other
		// end: the app is not queued again at the next look.
		for _, j := range scanJobs(t, q) {
			if err := q.CancelScan(ctx, platform.AllScope(), jobArgs(t, j).Scan); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := q.schedule(ctx); err != nil || n != 0 {
			t.Fatalf("after the cancellations: queued %d, %v; want 0", n, err)
		}

		// Both processes at once, on more apps falling due.
		for i := range due {
			if _, _, err := st.CreateApp(ctx, tn.scope(), platform.App{Kind: platform.Connect, Name: fmt.Sprintf("due later %d", i),
				DescriptorURL: "https://127.0.0.1:1/d.json", NextScanAt: time.Now().Add(-time.Second)}); err != nil {
				t.Fatal(err)
			}
		}
		var (
			wg     sync.WaitGroup
			queued atomic.Int32
		)
		for _, x := range []*Queue{q, q2, q, q2} {
			wg.Go(func() {
				n, err := x.schedule(ctx)
				if err != nil {
					t.Error(err)
				}
				queued.Add(int32(n))
			})
		}
		wg.Wait()
		if n := queued.Load(); n != due {
			t.Errorf("concurrent schedulers queued %d, want %d", n, due)
		}
		perApp := map[int64]int{}
		for _, j := range scanJobs(t, q, activeStates...) {
			args := jobArgs(t, j)
			perApp[args.App]++
			sc, err := st.Scan(ctx, platform.AllScope(), args.Scan)
			if err != nil {
				t.Fatal(err)
			}
			if sc.State != platform.ScanQueued || sc.Trigger != TriggerSchedule {
				t.Errorf("scan %d: %s %s, want a queued scheduled scan", sc.ID, sc.State, sc.Trigger)
			}
		}
		if len(perApp) != due {
			t.Errorf("%d apps have a scan waiting, want %d", len(perApp), due)
		}
		for app, n := range perApp {
			if n != 1 {
				t.Errorf("app %d has %d scans waiting", app, n)
			}
		}
		if perApp[later.ID] != 0 {
			t.Error("an app not due was queued")
		}
	})
}

// jobArgs decodes a scan job's arguments.
func jobArgs(t testing.TB, j *rivertype.JobRow) scanArgs {
	t.Helper()
	var args scanArgs
	if err := json.Unmarshal(j.EncodedArgs, &args); err != nil {
		t.Fatal(err)
	}
	return args
}

// TestCancelRunningScan: a running scan of a slow app is canceled, writes
// nothing, and its job ends canceled.
func TestCancelRunningScan(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := openStore(t, dbURL)
		keys := newKeys(t)
		slow := startApp(t, connecttest.Config{Flaws: []connecttest.Flaw{connecttest.OpenPage}, Delay: time.Minute})
		tn := newTenant(t, st, keys, "vendor")
		app := tn.connectApp(t, "slow", slow.DescriptorURL, "", "", "")
		q := newQueue(t, Config{Store: st, Keys: keys, Allow: loopback, RootCAs: slow.Pool, Workers: 1, SkipHostChecks: true})
		start(t, q)

		sc, err := q.ScanNow(ctx, tn.scope(), app.ID)
		if err != nil {
			t.Fatal(err)
		}
		waitScan(t, st, tn.scope(), sc.ID, 30*time.Second, platform.ScanRunning)
		eventually(t, 30*time.Second, "the slow app is being probed", func() bool { return slow.Requests() > 1 })
		if err := q.CancelScan(ctx, tn.scope(), sc.ID); err != nil {
			t.Fatal(err)
		}
		ended := waitScan(t, st, tn.scope(), sc.ID, 30*time.Second, platform.ScanCanceled, platform.ScanDone, platform.ScanFailed)
		if ended.State != platform.ScanCanceled {
			t.Fatalf("scan ended %s (%s), want canceled", ended.State, ended.Error)
		}
		if len(ended.Report) != 0 || len(findingsOf(t, st, tn.scope(), sc.ID)) != 0 || len(ticketsOf(t, st, tn.scope(), app.ID)) != 0 {
			t.Error("a canceled scan wrote results")
		}
		eventually(t, 10*time.Second, "the job ends canceled", func() bool {
			job, err := q.client.JobGet(ctx, ended.Job)
			return err == nil && job.State == rivertype.JobStateCancelled
		})
		if err := q.CancelScan(ctx, tn.scope(), sc.ID); !errors.Is(err, platform.ErrConflict) {
			t.Errorf("canceling an ended scan: %v, want ErrConflict", err)
		}
	})
}

// TestRetention: the periodic purge removes apps deleted longer ago than
// the retention period, and keeps the others.
func TestRetention(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := openStore(t, dbURL)
		keys := newKeys(t)
		tn := newTenant(t, st, keys, "vendor")
		now := time.Date(2027, 5, 1, 12, 0, 0, 0, time.UTC)
		old := tn.connectApp(t, "deleted 61 days ago", "https://127.0.0.1:1/d.json", "", "", "")
		recent := tn.connectApp(t, "deleted 10 days ago", "https://127.0.0.1:1/d.json", "", "", "")
		kept := tn.connectApp(t, "live", "https://127.0.0.1:1/d.json", "", "", "")
		for app, at := range map[int64]time.Time{old.ID: now.AddDate(0, 0, -61), recent.ID: now.AddDate(0, 0, -10)} {
			if err := st.DeleteApp(ctx, tn.scope(), app, at); err != nil {
				t.Fatal(err)
			}
		}
		q := newQueue(t, Config{Store: st, Keys: keys, Workers: 1, Now: func() time.Time { return now }})
		start(t, q) // the purge runs when the queue starts

		eventually(t, 30*time.Second, "the old app is purged", func() bool {
			_, err := st.App(ctx, tn.scope(), old.ID)
			return errors.Is(err, platform.ErrNotFound)
		})
		for _, id := range []int64{recent.ID, kept.ID} {
			if _, err := st.App(ctx, tn.scope(), id); err != nil {
				t.Errorf("app %d: %v, want it kept", id, err)
			}
		}
	})
}

// TestShutdownRunsScanAgain: a queue stopped while a scan runs past the
// stop's deadline cancels the scan, which another process runs again.
func TestShutdownRunsScanAgain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := sqliteURL(t)
	st := openStore(t, dbURL)
	keys := newKeys(t)
	slow := startApp(t, connecttest.Config{Delay: 300 * time.Millisecond})
	tn := newTenant(t, st, keys, "vendor")
	app := tn.connectApp(t, "slow", slow.DescriptorURL, "", "", "")
	cfg := Config{Store: st, Keys: keys, Allow: loopback, RootCAs: slow.Pool, Workers: 1, SkipHostChecks: true}
	first := newQueue(t, cfg)
	if err := first.Start(ctx); err != nil {
		t.Fatal(err)
	}
	sc, err := first.ScanNow(ctx, tn.scope(), app.ID)
	if err != nil {
		t.Fatal(err)
	}
	waitScan(t, st, tn.scope(), sc.ID, 30*time.Second, platform.ScanRunning)
	stopCtx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	err = first.Stop(stopCtx)
	cancel()
	if err != nil {
		t.Fatalf("stop: %v", err)
	}
	if got, err := st.Scan(ctx, tn.scope(), sc.ID); err != nil || got.State != platform.ScanRunning {
		t.Fatalf("after the stop the scan is %s (%v), want still running, to run again", got.State, err)
	}

	cfg.Store = openStore(t, dbURL)
	second := newQueue(t, cfg)
	start(t, second)
	done := waitScan(t, st, tn.scope(), sc.ID, 60*time.Second, platform.ScanDone, platform.ScanFailed, platform.ScanCanceled)
	if done.State != platform.ScanDone {
		t.Fatalf("scan ended %s (%s), want done by the second process", done.State, done.Error)
	}
}

// TestTwoWorkersSplitScans: two processes sharing one PostgreSQL database
// run 50 scheduled scans between them, each scan once.
func TestTwoWorkersSplitScans(t *testing.T) {
	t.Parallel()
	dbURL := postgresURL(t)
	ctx := context.Background()
	keys := newKeys(t)
	mock := newMockApps(t)
	st := openStore(t, dbURL)
	tn := newTenant(t, st, keys, "vendor")
	const apps = 50
	for i := range apps {
		if _, _, err := st.CreateApp(ctx, tn.scope(), platform.App{Kind: platform.Connect, Name: fmt.Sprintf("app %d", i),
			DescriptorURL: mock.descriptorURL(i), NextScanAt: time.Now().Add(-time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	var queues []*Queue
	for range 2 {
		q := newQueue(t, Config{Store: openStore(t, dbURL), Keys: keys, Allow: loopback, RootCAs: mock.pool, Workers: 4,
			SkipHostChecks: true, ScheduleEvery: time.Second})
		start(t, q)
		queues = append(queues, q)
	}
	eventually(t, 60*time.Second, "every app scanned", func() bool {
		n, err := st.Stats(ctx, time.Now())
		return err == nil && n.ScansByState[platform.ScanDone] >= apps
	})
	time.Sleep(1200 * time.Millisecond) // a look of the scheduler more: nothing left to queue
	all, err := st.ListScans(ctx, tn.scope(), 0, platform.Page{Limit: platform.MaxPage})
	if err != nil {
		t.Fatal(err)
	}
	perApp := map[int64]int{}
	for _, sc := range all {
		if sc.State != platform.ScanDone {
			t.Errorf("scan %d of app %d is %s (%s)", sc.ID, sc.App, sc.State, sc.Error)
		}
		perApp[sc.App]++
	}
	if len(perApp) != apps {
		t.Errorf("%d apps scanned, want %d", len(perApp), apps)
	}
	for app, n := range perApp {
		if n != 1 {
			t.Errorf("app %d scanned %d times", app, n)
		}
	}
	if hits := mock.descriptorHits(); hits != apps {
		t.Errorf("descriptors fetched %d times, want %d", hits, apps)
	}
	workers := map[string]bool{}
	for _, j := range scanJobs(t, queues[0]) {
		for _, by := range j.AttemptedBy {
			workers[by] = true
		}
	}
	if len(workers) != 2 {
		t.Errorf("scans run by %d processes, want both", len(workers))
	}
}

// TestMigrate: migrating again is a no-op, and processes that start at
// once on a fresh database both succeed.
func TestMigrate(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		var stores []*store.Store
		for range 3 {
			st, err := store.Open(ctx, dbURL, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			stores = append(stores, st)
		}
		var wg sync.WaitGroup
		errs := make([]error, len(stores))
		for i, st := range stores {
			wg.Go(func() { errs[i] = Migrate(ctx, st) })
		}
		wg.Wait()
		for _, err := range append(errs, Migrate(ctx, stores[0])) {
			if err != nil {
				t.Error(err)
			}
		}
		if _, err := newQueue(t, Config{Store: stores[1]}).Depth(ctx); err != nil {
			t.Errorf("the queue's tables: %v", err)
		}
	})
}

// TestInsertScanAndJob: a scan and its job are inserted in one
// transaction, so a duplicate job (the app's scan queued meanwhile) rolls
// back its scan too: no orphan scan row is left.
func TestInsertScanAndJob(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := openStore(t, dbURL)
		tn := newTenant(t, st, newKeys(t), "vendor")
		app := tn.connectApp(t, "app", "https://127.0.0.1:1/atlassian-connect.json", "", "", "")
		q := newQueue(t, Config{Store: st})
		first, existing, err := q.insert(ctx, app, TriggerManual)
		if err != nil || existing != 0 || first.ID == 0 || first.Job == 0 {
			t.Fatalf("first insertion: %+v, existing %d, %v", first, existing, err)
		}
		_, existing, err = q.insert(ctx, app, TriggerSchedule)
		if err != nil || existing != first.ID {
			t.Fatalf("duplicate insertion: existing %d, %v; want scan %d", existing, err, first.ID)
		}
		list, err := st.ListScans(ctx, tn.scope(), app.ID, platform.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 {
			t.Fatalf("%d scans after a duplicate, want 1: the duplicate's scan is rolled back", len(list))
		}
	})
}
