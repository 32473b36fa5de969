package jobs

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/ecoscan/ecoscan/internal/connect/connecttest"
	"github.com/ecoscan/ecoscan/internal/service/notify"
	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// delivery is one delivery a receiver accepted.
type delivery struct {
	Event, ID string
	Payload   notify.Payload
}

// receiver is a webhook endpoint on loopback that checks signatures. Its
// answers are given in turn, then 200 for every delivery after them.
type receiver struct {
	srv     *httptest.Server
	secret  string
	answers []int
	mu      sync.Mutex
	got     []delivery
	tries   atomic.Int32
	t       testing.TB
}

func newReceiver(t testing.TB, secret string, answers ...int) *receiver {
	r := &receiver{secret: secret, answers: answers, t: t}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if err := notify.Verify([]byte(r.secret), req.Header.Get(notify.HeaderSignature), body, time.Now(), 5*time.Minute); err != nil {
		r.t.Errorf("delivery with a bad signature: %v", err)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	n := int(r.tries.Add(1))
	if n <= len(r.answers) && r.answers[n-1] != http.StatusOK {
		http.Error(w, "not now", r.answers[n-1])
		return
	}
	var p notify.Payload
	if err := json.Unmarshal(body, &p); err != nil {
		r.t.Errorf("payload: %v", err)
	}
	r.mu.Lock()
	r.got = append(r.got, delivery{Event: req.Header.Get(notify.HeaderEvent), ID: req.Header.Get(notify.HeaderDelivery), Payload: p})
	r.mu.Unlock()
}

func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

// TestWebhookDeliveries: a scan that opens a ticket sends ticket.new to the
// webhooks that want it, signed; a receiver that fails first gets it on a
// retry; a receiver that refuses it for good is not asked again.
func TestWebhookDeliveries(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := openStore(t, dbURL)
		keys := newKeys(t)
		fixture := startApp(t, connecttest.Config{Flaws: []connecttest.Flaw{connecttest.ForgedAccepted}})
		tn := newTenant(t, st, keys, "vendor")
		app := tn.connectApp(t, "app", fixture.DescriptorURL, fixture.ClientKey, fixture.SharedSecret, fixture.UserJWT)
		steady := newReceiver(t, "steady secret")
		flaky := newReceiver(t, "flaky secret", http.StatusInternalServerError)
		gone := newReceiver(t, "gone secret", http.StatusGone)
		patchesOnly := newReceiver(t, "other secret")
		tn.webhook(t, steady.srv.URL+"/hook?token=receiver-token", steady.secret, platform.EventTicketNew)
		tn.webhook(t, flaky.srv.URL, flaky.secret, platform.EventTicketNew, platform.EventTicketPatched)
		refusing := tn.webhook(t, gone.srv.URL, gone.secret, platform.EventTicketNew)
		tn.webhook(t, patchesOnly.srv.URL, patchesOnly.secret, platform.EventTicketPatched)
		q := newQueue(t, Config{Store: st, Keys: keys, Allow: loopback, RootCAs: fixture.Pool, Workers: 1, SkipHostChecks: true,
			Logger: testLogger(t, "receiver-token", "steady secret", "flaky secret", fixture.SharedSecret)})
		start(t, q)

		sc := scanDone(t, q, st, tn.scope(), app.ID)
		if sc.State != platform.ScanDone {
			t.Fatalf("scan ended %s: %s", sc.State, sc.Error)
		}
		tickets := ticketsOf(t, st, tn.scope(), app.ID)
		if len(tickets) == 0 {
			t.Fatal("the scan opened no ticket")
		}
		eventually(t, 30*time.Second, "deliveries to the steady and the flaky receiver", func() bool {
			return len(steady.deliveries()) == len(tickets) && len(flaky.deliveries()) == len(tickets)
		})
		for _, r := range []*receiver{steady, flaky} {
			for _, d := range r.deliveries() {
				tk, ok := tickets[d.Payload.Ticket.Fingerprint]
				if d.Event != platform.EventTicketNew || !ok || d.Payload.Ticket.ID != tk.ID || d.Payload.OrgID != tn.org.ID || d.ID == "" {
					t.Errorf("delivery %+v: want ticket.new of ticket %d", d, tk.ID)
				}
			}
		}
		if n := flaky.tries.Load(); n != int32(len(tickets))+1 {
			t.Errorf("flaky receiver asked %d times, want %d (one retry)", n, len(tickets)+1)
		}
		eventually(t, 10*time.Second, "the refused delivery's job is canceled", func() bool {
			res, err := q.client.JobList(ctx, river.NewJobListParams().Kinds(deliveryArgs{}.Kind()).States(rivertype.JobStateCancelled))
			return err == nil && len(res.Jobs) == len(tickets) && strings.Contains(res.Jobs[0].Errors[0].Error, "410")
		})
		if n := gone.tries.Load(); n != int32(len(tickets)) {
			t.Errorf("refusing receiver asked %d times, want %d", n, len(tickets))
		}
		if n := len(patchesOnly.deliveries()); n != 0 {
			t.Errorf("a webhook without ticket.new got %d deliveries", n)
		}
		_ = refusing
	})
}

// TestDueNotices: tickets due within a week, then overdue, are announced
// once each, however often the notices run.
func TestDueNotices(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openStore(t, sqliteURL(t))
	keys := newKeys(t)
	fixture := startApp(t, connecttest.Config{Flaws: []connecttest.Flaw{connecttest.ForgedAccepted}})
	tn := newTenant(t, st, keys, "vendor")
	app := tn.connectApp(t, "app", fixture.DescriptorURL, fixture.ClientKey, fixture.SharedSecret, fixture.UserJWT)
	r := newReceiver(t, "secret")
	tn.webhook(t, r.srv.URL, r.secret, platform.EventTicketDueSoon, platform.EventTicketOverdue)
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	q := newQueue(t, Config{Store: st, Keys: keys, Allow: loopback, RootCAs: fixture.Pool, Workers: 1, SkipHostChecks: true, Now: now})
	start(t, q)
	sc := scanDone(t, q, st, tn.scope(), app.ID)
	if sc.State != platform.ScanDone {
		t.Fatalf("scan ended %s: %s", sc.State, sc.Error)
	}
	tickets := ticketsOf(t, st, tn.scope(), app.ID)
	if len(tickets) != 1 {
		t.Fatalf("%d tickets, want 1", len(tickets))
	}
	var tk platform.Ticket
	for _, tk = range tickets {
	}

	if n, err := q.dueNotices(ctx); err != nil || n != 0 {
		t.Fatalf("notices for a ticket due in weeks: %d, %v", n, err)
	}
	for _, at := range []time.Time{tk.Due.Add(-3 * 24 * time.Hour), tk.Due.Add(time.Hour)} {
		clock.Store(at.UnixNano())
		for range 2 {
			if _, err := q.dueNotices(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	eventually(t, 30*time.Second, "two notices delivered", func() bool { return len(r.deliveries()) >= 2 })
	time.Sleep(200 * time.Millisecond)
	got := map[string]notify.Payload{}
	for _, d := range r.deliveries() {
		if _, twice := got[d.Event]; twice {
			t.Errorf("%s delivered twice", d.Event)
		}
		got[d.Event] = d.Payload
	}
	soon, ok1 := got[platform.EventTicketDueSoon]
	late, ok2 := got[platform.EventTicketOverdue]
	if len(got) != 2 || !ok1 || !ok2 {
		t.Fatalf("deliveries %+v, want ticket.due_soon and ticket.overdue", got)
	}
	if soon.Ticket.ID != tk.ID || soon.Ticket.Overdue || late.Ticket.ID != tk.ID || !late.Ticket.Overdue {
		t.Errorf("notices of %+v and %+v, want ticket %d due soon, then overdue", soon.Ticket, late.Ticket, tk.ID)
	}
}

// TestMetrics: scans are counted by kind and state, and the store's and
// queue's figures are read at each scrape.
func TestMetrics(t *testing.T) {
	t.Parallel()
	st := openStore(t, sqliteURL(t))
	keys := newKeys(t)
	fixture := startApp(t, connecttest.Config{Flaws: []connecttest.Flaw{connecttest.ForgedAccepted}})
	tn := newTenant(t, st, keys, "vendor")
	app := tn.connectApp(t, "app", fixture.DescriptorURL, fixture.ClientKey, fixture.SharedSecret, fixture.UserJWT)
	unreachable := tn.connectApp(t, "blocked", fixture.DescriptorURL, "", "", "")
	reg := prometheus.NewRegistry()
	q := newQueue(t, Config{Store: st, Keys: keys, Allow: loopback, RootCAs: fixture.Pool, Workers: 1, SkipHostChecks: true, Registerer: reg})
	start(t, q)
	if sc := scanDone(t, q, st, tn.scope(), app.ID); sc.State != platform.ScanDone {
		t.Fatalf("scan ended %s: %s", sc.State, sc.Error)
	}
	if err := st.DeleteApp(context.Background(), tn.scope(), unreachable.ID, time.Now()); err != nil {
		t.Fatal(err)
	}

	got := gather(t, reg)
	for series, want := range map[string]float64{
		`ecoscan_apps`:                                        1,
		`ecoscan_findings_open{severity="high"}`:              1,
		`ecoscan_scans_total{kind="connect",state="done"}`:    1,
		`ecoscan_tickets_overdue`:                             0,
		`ecoscan_queue_depth`:                                 0,
		`ecoscan_scan_duration_seconds_count{kind="connect"}`: 1,
	} {
		if v, ok := got[series]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", series, v, ok, want)
		}
	}
	// A second queue in the process cannot register the same metrics.
	if _, err := New(Config{Store: st, Registerer: reg}); err == nil {
		t.Error("registering the metrics twice did not fail")
	}
}

// gather scrapes reg into series name{labels} -> value; histograms give
// their _count.
func gather(t testing.TB, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+`="`+l.GetValue()+`"`)
			}
			name := f.GetName()
			if m.GetHistogram() != nil {
				name += "_count"
			}
			if len(labels) > 0 {
				name += "{" + strings.Join(labels, ",") + "}"
			}
			switch {
			case m.GetCounter() != nil:
				out[name] = m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				out[name] = m.GetGauge().GetValue()
			case m.GetHistogram() != nil:
				out[name] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}
