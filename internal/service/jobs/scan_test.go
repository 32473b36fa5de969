package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecoscan/ecoscan/internal/connect/connecttest"
	"github.com/ecoscan/ecoscan/internal/finding"
	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// fixtureApp is a running fixture Connect app; Close may be called more
// than once.
type fixtureApp struct {
	*connecttest.App
	Close func()
}

// startApp starts the fixture Connect app as cfg says, stopped when the
// test ends.
func startApp(t testing.TB, cfg connecttest.Config) fixtureApp {
	t.Helper()
	app, err := connecttest.StartWith(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f := fixtureApp{App: app, Close: sync.OnceFunc(app.Close)}
	t.Cleanup(f.Close)
	return f
}

// ticketsOf lists the app's tickets by fingerprint.
func ticketsOf(t testing.TB, st platform.Store, s platform.Scope, app int64) map[string]platform.Ticket {
	t.Helper()
	list, err := st.ListTickets(context.Background(), s, platform.TicketFilter{App: app, Now: time.Now()}, platform.Page{Limit: platform.MaxPage})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]platform.Ticket{}
	for _, tk := range list {
		out[tk.Fingerprint] = tk
	}
	return out
}

func findingsOf(t testing.TB, st platform.Store, s platform.Scope, scan int64) []platform.StoredFinding {
	t.Helper()
	list, err := st.ListFindings(context.Background(), s, platform.FindingFilter{Scan: scan}, platform.Page{Limit: platform.MaxPage})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// TestConnectScanThenFixed scans a flawed loopback app on demand, then the
// same app fixed: the first scan opens a ticket for the flaw, the second
// patches it.
func TestConnectScanThenFixed(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := openStore(t, dbURL)
		keys := newKeys(t)
		fixture := startApp(t, connecttest.Config{Flaws: []connecttest.Flaw{connecttest.ForgedAccepted}})
		tn := newTenant(t, st, keys, "vendor")
		app := tn.connectApp(t, "panel app", fixture.DescriptorURL, fixture.ClientKey, fixture.SharedSecret, fixture.UserJWT)
		q := newQueue(t, Config{Store: st, Keys: keys, Allow: loopback, RootCAs: fixture.Pool, Workers: 2,
			Logger: testLogger(t, fixture.SharedSecret, fixture.UserJWT)})
		start(t, q)

		sc, err := q.ScanNow(ctx, tn.scope(), app.ID)
		if err != nil {
			t.Fatal(err)
		}
		if sc.State != platform.ScanQueued || sc.Trigger != TriggerManual || sc.App != app.ID || sc.Job == 0 {
			t.Fatalf("ScanNow = %+v, want a queued manual scan of app %d with its job", sc, app.ID)
		}
		done := waitScan(t, st, tn.scope(), sc.ID, 60*time.Second, platform.ScanDone, platform.ScanFailed)
		if done.State != platform.ScanDone {
			t.Fatalf("scan ended %s: %s", done.State, done.Error)
		}
		var rep finding.Report
		if err := json.Unmarshal(done.Report, &rep); err != nil {
			t.Fatalf("stored report: %v", err)
		}
		found := findingsOf(t, st, tn.scope(), sc.ID)
		if len(found) != len(rep.Findings) || len(found) == 0 {
			t.Fatalf("%d findings stored, report has %d", len(found), len(rep.Findings))
		}
		forged := slices.IndexFunc(found, func(f platform.StoredFinding) bool { return f.Rule == "connect/authn-forged-jwt-accepted" })
		if forged < 0 {
			t.Fatalf("no forged-token finding among %v", found)
		}
		if done.Counts["high"] == 0 {
			t.Errorf("counts %v: want the high finding counted", done.Counts)
		}
		open := ticketsOf(t, st, tn.scope(), app.ID)
		tk, ok := open[found[forged].Fingerprint]
		if !ok || tk.State != platform.NeedsPatch {
			t.Fatalf("ticket of the finding: %+v (present %v), want needs-patch", tk, ok)
		}
		after, err := st.App(ctx, tn.scope(), app.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !after.NextScanAt.After(time.Now().Add(23 * time.Hour)) {
			t.Errorf("next scan at %s, want a day from now", after.NextScanAt)
		}

		// The vendor fixes the app, at the same address (so the same
		// endpoints), with a new installation.
		fixture.Close()
		fixed := startApp(t, connecttest.Config{Addr: strings.TrimPrefix(fixture.BaseURL, "https://")})
		if fixed.DescriptorURL != fixture.DescriptorURL {
			t.Fatalf("fixed app at %s, want %s", fixed.DescriptorURL, fixture.DescriptorURL)
		}
		tn.setCredentials(t, after, fixed.ClientKey, fixed.SharedSecret, fixed.UserJWT)
		second := scanDone(t, q, st, tn.scope(), app.ID)
		if second.State != platform.ScanDone {
			t.Fatalf("second scan ended %s: %s", second.State, second.Error)
		}
		if n := len(findingsOf(t, st, tn.scope(), second.ID)); n != 0 {
			t.Errorf("the fixed app has %d findings", n)
		}
		tk = ticketsOf(t, st, tn.scope(), app.ID)[tk.Fingerprint]
		if tk.State != platform.Patched {
			t.Errorf("ticket after the fix: %s, want patched", tk.State)
		}
	})
}

// scanDone runs an on-demand scan of app to its end.
func scanDone(t testing.TB, q *Queue, st platform.Store, s platform.Scope, app int64) platform.Scan {
	t.Helper()
	sc, err := q.ScanNow(context.Background(), s, app)
	if err != nil {
		t.Fatal(err)
	}
	return waitScan(t, st, s, sc.ID, 60*time.Second, platform.ScanDone, platform.ScanFailed, platform.ScanCanceled)
}

// TestForgeScanFromArchive scans a Forge app from its stored source
// archive: the unverified web trigger becomes a finding and a ticket.
func TestForgeScanFromArchive(t *testing.T) {
	t.Parallel()
	st := openStore(t, sqliteURL(t))
	keys := newKeys(t)
	tn := newTenant(t, st, keys, "vendor")
	app := tn.forgeApp(t, "hooks", forgeArchive(t, map[string]string{
		"manifest.yml": `app:
  id: ari:cloud:ecosystem::app/jobs-test
  runtime:
    name: nodejs22.x
modules:
  webtrigger:
    - key: open
      function: open
  function:
    - key: open
      handler: index.open
`,
		"src/index.js": `import { storage } from '@forge/api';

export async function open(request) {
  await storage.set('last', request.body);
  return { statusCode: 204, headers: {}, body: '' };
}
`,
	}))
	bad := tn.forgeApp(t, "not an archive", []byte("this is not a tar.gz"))
	q := newQueue(t, Config{Store: st, Keys: keys, Workers: 1})
	start(t, q)

	sc := scanDone(t, q, st, tn.scope(), app.ID)
	if sc.State != platform.ScanDone {
		t.Fatalf("scan ended %s: %s", sc.State, sc.Error)
	}
	found := findingsOf(t, st, tn.scope(), sc.ID)
	i := slices.IndexFunc(found, func(f platform.StoredFinding) bool { return f.Rule == "forge/webtrigger-unverified" })
	if i < 0 {
		t.Fatalf("findings %+v: want forge/webtrigger-unverified", found)
	}
	if !strings.HasPrefix(found[i].Location, "src/index.js") {
		t.Errorf("finding at %q, want src/index.js", found[i].Location)
	}
	if _, ok := ticketsOf(t, st, tn.scope(), app.ID)[found[i].Fingerprint]; !ok {
		t.Error("no ticket for the finding")
	}

	failed := scanDone(t, q, st, tn.scope(), bad.ID)
	if failed.State != platform.ScanFailed || !strings.Contains(failed.Error, "archive") {
		t.Fatalf("scan of a bad archive: %s %q, want failed saying why", failed.State, failed.Error)
	}
	if n := len(ticketsOf(t, st, tn.scope(), bad.ID)); n != 0 {
		t.Errorf("a failed scan opened %d tickets", n)
	}
	if attempts := jobAttempts(t, q, failed.Job); attempts != 1 {
		t.Errorf("a bad archive was tried %d times; another try cannot help", attempts)
	}
}

// jobAttempts is how many times the job ran.
func jobAttempts(t testing.TB, q *Queue, id int64) int {
	t.Helper()
	job, err := q.client.JobGet(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return job.Attempt
}

// TestEgressRefusal: without the allow-list the loopback app is never
// reached, and the scan fails at once saying why.
func TestEgressRefusal(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, dbURL string) {
		st := openStore(t, dbURL)
		keys := newKeys(t)
		fixture := startApp(t, connecttest.Config{})
		tn := newTenant(t, st, keys, "vendor")
		app := tn.connectApp(t, "app", fixture.DescriptorURL, "", "", "")
		q := newQueue(t, Config{Store: st, Keys: keys, RootCAs: fixture.Pool, Workers: 1})
		start(t, q)

		sc := scanDone(t, q, st, tn.scope(), app.ID)
		if sc.State != platform.ScanFailed || !strings.Contains(sc.Error, "egress refused") {
			t.Fatalf("scan: %s %q, want failed by the egress guard", sc.State, sc.Error)
		}
		if n := fixture.Requests(); n != 0 {
			t.Errorf("the app was sent %d requests", n)
		}
		if attempts := jobAttempts(t, q, sc.Job); attempts != 1 {
			t.Errorf("an egress refusal was tried %d times", attempts)
		}
	})
}

// TestUnreachableIsRetriedThenFails: a descriptor that cannot be reached
// is tried again with backoff, then the scan fails with the reason.
func TestUnreachableIsRetriedThenFails(t *testing.T) {
	t.Parallel()
	st := openStore(t, sqliteURL(t))
	keys := newKeys(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	tn := newTenant(t, st, keys, "vendor")
	app := tn.connectApp(t, "gone", "https://"+closed+"/atlassian-connect.json", "", "", "")
	var waits atomic.Int32
	q := newQueue(t, Config{Store: st, Keys: keys, Allow: loopback, Workers: 1,
		testRetry: func(int) time.Duration { waits.Add(1); return 50 * time.Millisecond }})
	start(t, q)

	sc := scanDone(t, q, st, tn.scope(), app.ID)
	if sc.State != platform.ScanFailed || !strings.Contains(sc.Error, "refused") {
		t.Fatalf("scan: %s %q, want failed: connection refused", sc.State, sc.Error)
	}
	if attempts := jobAttempts(t, q, sc.Job); attempts != scanAttempts {
		t.Errorf("tried %d times, want %d", attempts, scanAttempts)
	}
	if n := waits.Load(); n != scanAttempts-1 {
		t.Errorf("%d backoffs, want %d", n, scanAttempts-1)
	}
	after, err := st.App(context.Background(), tn.scope(), app.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !after.NextScanAt.Equal(app.NextScanAt) {
		t.Errorf("a failed manual scan moved the schedule from %s to %s", app.NextScanAt, after.NextScanAt)
	}
}

// TestCrashAfterResultsRollsBack: when the scan's final transaction fails
// after its results are written, nothing of them stays, and the retried
// job writes them once.
func TestCrashAfterResultsRollsBack(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := openStore(t, dbURL)
		keys := newKeys(t)
		fixture := startApp(t, connecttest.Config{Flaws: []connecttest.Flaw{connecttest.OpenPage}})
		tn := newTenant(t, st, keys, "vendor")
		app := tn.connectApp(t, "app", fixture.DescriptorURL, "", "", "")
		var (
			calls   atomic.Int32
			scanID  atomic.Int64
			between []string // what the second attempt saw left by the first
		)
		q := newQueue(t, Config{Store: st, Keys: keys, Allow: loopback, RootCAs: fixture.Pool, Workers: 1, SkipHostChecks: true,
			testHookAfterFinish: func() error {
				if calls.Add(1) == 1 {
					return errors.New("the worker died")
				}
				// The second attempt's results are not committed yet:
				// another connection sees what the first attempt left.
				sc, err := st.Scan(ctx, tn.scope(), scanID.Load())
				if err != nil {
					between = append(between, err.Error())
					return nil
				}
				if sc.State != platform.ScanRunning {
					between = append(between, "scan "+string(sc.State))
				}
				if n := len(findingsOf(t, st, tn.scope(), sc.ID)); n != 0 {
					between = append(between, "findings stored")
				}
				if n := len(ticketsOf(t, st, tn.scope(), app.ID)); n != 0 {
					between = append(between, "tickets stored")
				}
				return nil
			}})
		start(t, q)

		queued, err := q.ScanNow(ctx, tn.scope(), app.ID)
		if err != nil {
			t.Fatal(err)
		}
		scanID.Store(queued.ID)
		sc := waitScan(t, st, tn.scope(), queued.ID, 60*time.Second, platform.ScanDone, platform.ScanFailed)
		if sc.State != platform.ScanDone {
			t.Fatalf("scan ended %s: %s", sc.State, sc.Error)
		}
		if len(between) > 0 {
			t.Errorf("after the failed transaction: %v", between)
		}
		if n := calls.Load(); n != 2 {
			t.Errorf("results written %d times, want 2 (failed, then retried)", n)
		}
		found := findingsOf(t, st, tn.scope(), sc.ID)
		tickets := ticketsOf(t, st, tn.scope(), app.ID)
		if len(found) == 0 || len(tickets) != len(found) {
			t.Errorf("%d findings, %d tickets: want each finding once with its ticket", len(found), len(tickets))
		}
		for _, tk := range tickets {
			events, err := st.TicketEvents(ctx, tn.scope(), tk.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(events) != 1 {
				t.Errorf("ticket %d has %d events, want the one that opened it", tk.ID, len(events))
			}
		}
		if attempts := jobAttempts(t, q, sc.Job); attempts != 2 {
			t.Errorf("job ran %d times, want 2", attempts)
		}
	})
}

// TestScanTimeout: a scan that outlasts ScanTimeout ends failed, once.
func TestScanTimeout(t *testing.T) {
	t.Parallel()
	st := openStore(t, sqliteURL(t))
	keys := newKeys(t)
	slow := startApp(t, connecttest.Config{Delay: time.Minute})
	tn := newTenant(t, st, keys, "vendor")
	app := tn.connectApp(t, "slow", slow.DescriptorURL, "", "", "")
	q := newQueue(t, Config{Store: st, Keys: keys, Allow: loopback, RootCAs: slow.Pool, Workers: 1, SkipHostChecks: true, ScanTimeout: time.Second})
	start(t, q)

	sc := scanDone(t, q, st, tn.scope(), app.ID)
	if sc.State != platform.ScanFailed || !strings.Contains(sc.Error, "did not finish within 1s") {
		t.Fatalf("scan: %s %q, want failed: out of time", sc.State, sc.Error)
	}
	if attempts := jobAttempts(t, q, sc.Job); attempts != 1 {
		t.Errorf("a scan out of time was tried %d times", attempts)
	}
}

// TestDeletedWhileQueued: a scan whose app is deleted before it runs ends
// failed without scanning.
func TestDeletedWhileQueued(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := sqliteURL(t)
	st := openStore(t, dbURL)
	keys := newKeys(t)
	fixture := startApp(t, connecttest.Config{})
	tn := newTenant(t, st, keys, "vendor")
	app := tn.connectApp(t, "app", fixture.DescriptorURL, "", "", "")
	sc, err := newQueue(t, Config{Store: st}).ScanNow(ctx, tn.scope(), app.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteApp(ctx, tn.scope(), app.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	start(t, newQueue(t, Config{Store: st, Keys: keys, Allow: loopback, RootCAs: fixture.Pool, Workers: 1}))
	ended := waitScan(t, st, tn.scope(), sc.ID, 30*time.Second, platform.ScanFailed, platform.ScanDone)
	if ended.State != platform.ScanFailed || !strings.Contains(ended.Error, "deleted") {
		t.Errorf("scan: %s %q, want failed: the app was deleted", ended.State, ended.Error)
	}
	if n := fixture.Requests(); n != 0 {
		t.Errorf("the deleted app was sent %d requests", n)
	}
}
