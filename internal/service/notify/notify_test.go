package notify

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecoscan/ecoscan/internal/connect/token"
	"github.com/ecoscan/ecoscan/internal/service/egress"
	"github.com/ecoscan/ecoscan/internal/service/platform"
	"github.com/ecoscan/ecoscan/internal/service/tickets"
)

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}

const hookSecret = token.Secret("whsec-delivery-test")

func testNotice() tickets.Notice {
	due := time.Date(2026, 3, 15, 23, 59, 59, 0, time.UTC)
	return tickets.Notice{
		Event: platform.EventTicketNew,
		Ticket: platform.Ticket{
			ID: 9, Org: 1, App: 2, Fingerprint: "5f1c0a9e2b7d4c31", Rule: "connect/authn-forged-jwt-accepted",
			Requirement: "1.1", Severity: "high", Title: "Endpoint accepts a forged JWT",
			Location: "GET https://app.example.com/panel", State: platform.NeedsPatch,
			FirstSeen: signedAt, LastSeen: signedAt, Due: due, UpdatedAt: signedAt,
			Detail: []byte(`{"evidence":["SECRET-EVIDENCE"]}`),
		},
		Key: "ticket.new/app:2/5f1c0a9e2b7d4c31/scan:77",
	}
}

// server starts a loopback receiver that answers with handle; it is
// stopped when the test ends.
func server(t *testing.T, handle http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		handle(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func sender(timeout time.Duration) *Sender {
	return &Sender{Client: NewClient(loopback, time.Minute), Timeout: timeout, Now: func() time.Time { return signedAt }}
}

func TestSendDelivers(t *testing.T) {
	type received struct {
		header http.Header
		body   []byte
		err    error
	}
	got := make(chan received, 1)
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err == nil && r.Method != http.MethodPost {
			err = errors.New("method " + r.Method)
		}
		got <- received{r.Header.Clone(), body, err}
		w.WriteHeader(http.StatusNoContent)
	})
	hook := platform.Webhook{ID: 7, Org: 1, URL: srv.URL + "/hooks/ecoscan", Events: []string{platform.EventTicketNew}}
	if err := sender(5*time.Second).Send(context.Background(), hook, hookSecret, testNotice(), "dlv-42"); err != nil {
		t.Fatalf("Send: %v", err)
	}
	r := <-got
	if r.err != nil {
		t.Fatal(r.err)
	}
	if err := Verify([]byte(hookSecret), r.header.Get(HeaderSignature), r.body, signedAt.Add(time.Second), time.Minute); err != nil {
		t.Errorf("the receiver cannot verify the delivery: %v", err)
	}
	if err := Verify([]byte("not the secret"), r.header.Get(HeaderSignature), r.body, signedAt, time.Minute); !errors.Is(err, ErrSignature) {
		t.Errorf("Verify with the wrong secret = %v, want ErrSignature", err)
	}
	if r.header.Get(HeaderEvent) != platform.EventTicketNew || r.header.Get(HeaderDelivery) != "dlv-42" ||
		r.header.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", r.header)
	}
	var p map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	for field, want := range map[string]string{"id": `"dlv-42"`, "event": `"ticket.new"`, "created_at": `"2026-02-01T10:00:00Z"`, "org_id": `1`} {
		if string(p[field]) != want {
			t.Errorf("%s = %s, want %s", field, p[field], want)
		}
	}
	var tk map[string]any
	if err := json.Unmarshal(p["ticket"], &tk); err != nil {
		t.Fatalf("ticket: %v", err)
	}
	if tk["id"] != float64(9) || tk["fingerprint"] != "5f1c0a9e2b7d4c31" || tk["state"] != "needs-patch" || tk["due"] != "2026-03-15T23:59:59Z" {
		t.Errorf("ticket %v", tk)
	}
	for _, leak := range []string{"SECRET-EVIDENCE", "detail", string(hookSecret)} {
		if strings.Contains(string(r.body), leak) {
			t.Errorf("payload holds %q: %s", leak, r.body)
		}
	}
}

func TestSendAnswers(t *testing.T) {
	tests := []struct {
		status    int
		permanent bool
	}{
		{http.StatusOK, false},
		{http.StatusAccepted, false},
		{http.StatusInternalServerError, false},
		{http.StatusBadGateway, false},
		{http.StatusTooManyRequests, false},
		{http.StatusRequestTimeout, false},
		{http.StatusGone, true},
		{http.StatusBadRequest, true},
		{http.StatusUnauthorized, true},
		{http.StatusNotModified, true},
	}
	for _, tc := range tests {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(tc.status) })
			hook := platform.Webhook{ID: 7, Org: 1, URL: srv.URL + "/hooks/tok-SECRETPATH"}
			err := sender(5*time.Second).Send(context.Background(), hook, hookSecret, testNotice(), "dlv-1")
			if tc.status < 300 {
				if err != nil {
					t.Fatalf("Send: %v", err)
				}
				return
			}
			var de *DeliveryError
			if !errors.As(err, &de) || de.Status != tc.status || de.Hook != 7 {
				t.Fatalf("Send = %v, want a DeliveryError with status %d", err, tc.status)
			}
			if IsPermanent(err) != tc.permanent {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, !tc.permanent, tc.permanent)
			}
			if strings.Contains(err.Error(), "SECRETPATH") {
				t.Errorf("error %q names the webhook's path", err)
			}
		})
	}
}

func TestSendDoesNotFollowRedirects(t *testing.T) {
	target, targetHits := server(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/elsewhere", http.StatusTemporaryRedirect)
	})
	hook := platform.Webhook{ID: 7, Org: 1, URL: srv.URL}
	// A client that would follow redirects: Send must not.
	clients := map[string]*http.Client{
		"NewClient":        NewClient(loopback, time.Minute),
		"following client": {Transport: egress.NewTransport(loopback)},
	}
	for name, c := range clients {
		s := &Sender{Client: c, Timeout: 5 * time.Second}
		err := s.Send(context.Background(), hook, hookSecret, testNotice(), "dlv-1")
		var de *DeliveryError
		if !errors.As(err, &de) || de.Status != http.StatusTemporaryRedirect || !IsPermanent(err) {
			t.Errorf("%s: Send = %v, want a permanent 307 failure", name, err)
		}
	}
	if n := targetHits.Load(); n != 0 {
		t.Errorf("the redirect target got %d requests", n)
	}
}

func TestSendTimesOut(t *testing.T) {
	release := make(chan struct{})
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) }) // runs before srv.Close
	hook := platform.Webhook{ID: 7, Org: 1, URL: srv.URL}
	start := time.Now()
	err := sender(200*time.Millisecond).Send(context.Background(), hook, hookSecret, testNotice(), "dlv-1")
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Send took %v with a 200ms timeout", took)
	}
	if err == nil || IsPermanent(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send = %v, want a retryable time-out", err)
	}
}

func TestSendRefusedByEgressGuard(t *testing.T) {
	srv, hits := server(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	s := &Sender{Client: NewClient(nil, time.Minute), Timeout: 5 * time.Second}
	err := s.Send(context.Background(), platform.Webhook{ID: 7, Org: 1, URL: srv.URL}, hookSecret, testNotice(), "dlv-1")
	if !errors.Is(err, egress.ErrBlocked) || !IsPermanent(err) {
		t.Errorf("Send = %v, want a permanent egress refusal", err)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the refused server got %d requests", n)
	}
}

func TestSendReadsLittleOfTheAnswer(t *testing.T) {
	const limit = 64 << 20
	written := make(chan int, 1)
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		chunk := make([]byte, 32<<10)
		n := 0
		for n < limit {
			m, err := w.Write(chunk)
			n += m
			if err != nil {
				break
			}
		}
		written <- n
	})
	hook := platform.Webhook{ID: 7, Org: 1, URL: srv.URL}
	if err := sender(10*time.Second).Send(context.Background(), hook, hookSecret, testNotice(), "dlv-1"); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if n := <-written; n >= limit {
		t.Errorf("the answer was read to its end (%d bytes)", n)
	}
}

func TestSendRefusesBadDeliveries(t *testing.T) {
	srv, hits := server(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	good := platform.Webhook{ID: 7, Org: 1, URL: srv.URL}
	otherOrg := testNotice()
	otherOrg.Ticket.Org = 2
	unknown := testNotice()
	unknown.Event = "ticket.deleted"
	tests := []struct {
		name   string
		sender *Sender
		hook   platform.Webhook
		secret token.Secret
		notice tickets.Notice
		id     string
		says   string
	}{
		{"ticket of another organization", sender(time.Second), good, hookSecret, otherOrg, "dlv-1", "organization 2"},
		{"unknown event", sender(time.Second), good, hookSecret, unknown, "dlv-1", "unknown event"},
		{"no secret", sender(time.Second), good, "", testNotice(), "dlv-1", "no secret"},
		{"delivery id with a line break", sender(time.Second), good, hookSecret, testNotice(), "dlv-1\r\nX-Evil: 1", "delivery id"},
		{"empty delivery id", sender(time.Second), good, hookSecret, testNotice(), "", "delivery id"},
		{"long delivery id", sender(time.Second), good, hookSecret, testNotice(), strings.Repeat("a", MaxDeliveryID+1), "delivery id"},
		{"not an http URL", sender(time.Second), platform.Webhook{ID: 7, Org: 1, URL: "file:///etc/passwd"}, hookSecret, testNotice(), "dlv-1", "http or https"},
		{"relative URL", sender(time.Second), platform.Webhook{ID: 7, Org: 1, URL: "/hooks"}, hookSecret, testNotice(), "dlv-1", "http or https"},
		{"URL that does not parse", sender(time.Second), platform.Webhook{ID: 7, Org: 1, URL: "http://[::1"}, hookSecret, testNotice(), "dlv-1", "does not parse"},
		{"no client", &Sender{}, good, hookSecret, testNotice(), "dlv-1", "no HTTP client"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.sender.Send(context.Background(), tc.hook, tc.secret, tc.notice, tc.id)
			if !IsPermanent(err) || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("Send = %v, want a permanent error that says %q", err, tc.says)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("refused deliveries made %d requests", n)
	}
	if IsPermanent(nil) || IsPermanent(errors.New("other")) {
		t.Error("IsPermanent is true of an error that is not a delivery failure")
	}
}

func TestBackoff(t *testing.T) {
	for attempt, full := range map[int]time.Duration{
		-1: 30 * time.Second, 0: 30 * time.Second, 1: 30 * time.Second, 2: time.Minute, 3: 2 * time.Minute,
		7: 32 * time.Minute, 8: time.Hour, 9: time.Hour, 1000: time.Hour,
	} {
		seen := map[time.Duration]bool{}
		for range 200 {
			d := Backoff(attempt)
			if d < full/2 || d > full {
				t.Fatalf("Backoff(%d) = %v, want within [%v, %v]", attempt, d, full/2, full)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Errorf("Backoff(%d) has no jitter: always %v", attempt, seen)
		}
	}
}

func BenchmarkSignVerify(b *testing.B) {
	body := []byte(strings.Repeat(`{"ticket":"x"}`, 100))
	b.ReportAllocs()
	for b.Loop() {
		h := Sign(testSecret, signedAt, body)
		if err := Verify(testSecret, h, body, signedAt, time.Minute); err != nil {
			b.Fatal(err)
		}
	}
}
