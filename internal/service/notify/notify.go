// Package notify delivers ticket notices (package tickets) to the webhooks
// organizations register: one signed JSON POST per notice and webhook.
//
// A delivery's body is a Payload. Its Ecoscan-Signature header
// ("t=<unix>,v1=<hex>", see Sign) is the HMAC-SHA256 of the timestamp, a
// dot and the body under the webhook's secret; Ecoscan-Event names the
// event and Ecoscan-Delivery the delivery id, the same on every retry so
// that a receiver can drop duplicates. Receivers check deliveries with
// Verify (or its equivalent in their language).
//
// Send makes one attempt. Retries are the job queue's: a worker calls
// Send, returns its error, and waits Backoff(attempt) before the next
// attempt unless IsPermanent(err). Deliveries go through an egress-guarded
// client (NewClient), since webhook URLs are chosen by the organizations.
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"net/url"
	"time"

	"github.com/ecoscan/ecoscan/internal/connect/token"
	"github.com/ecoscan/ecoscan/internal/service/egress"
	"github.com/ecoscan/ecoscan/internal/service/platform"
	"github.com/ecoscan/ecoscan/internal/service/tickets"
)

// The headers of a delivery.
const (
	HeaderSignature = "Ecoscan-Signature"
	HeaderEvent     = "Ecoscan-Event"
	HeaderDelivery  = "Ecoscan-Delivery"
)

// Defaults and limits of deliveries.
const (
	DefaultTimeout  = 10 * time.Second // one delivery attempt, answer included
	MaxAnswerRead   = 4 << 10          // bytes of an answer's body read (and dropped)
	MaxDeliveryID   = 128              // bytes
	maxBackoff      = time.Hour
	baseBackoff     = 30 * time.Second
	userAgent       = "ecoscan-webhooks/1"
	contentTypeJSON = "application/json"
)

// Payload is the JSON body of a delivery. The ticket is shown without its
// evidence (platform.Ticket keeps Detail out of JSON).
type Payload struct {
	ID        string          `json:"id"`
	Event     string          `json:"event"`
	CreatedAt time.Time       `json:"created_at"`
	OrgID     int64           `json:"org_id"`
	Ticket    platform.Ticket `json:"ticket"`
}

// NewClient returns an HTTP client for deliveries: connections guarded by
// egress.NewTransport(allow), the whole exchange bounded by timeout, and
// redirects not followed (a 3xx answer is returned as it is).
func NewClient(allow []netip.Prefix, timeout time.Duration) *http.Client {
	return &http.Client{
		Transport:     egress.NewTransport(allow),
		Timeout:       timeout,
		CheckRedirect: noRedirects,
	}
}

func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Sender delivers notices.
type Sender struct {
	// Client makes the requests; use NewClient, so that deliveries cannot
	// reach internal addresses. Send never follows redirects, whatever
	// the client's CheckRedirect.
	Client *http.Client
	// Timeout bounds one delivery attempt; 0 means DefaultTimeout.
	Timeout time.Duration
	// Now is the clock of the payload's created_at and of the signature's
	// timestamp; nil means time.Now.
	Now func() time.Time
}

// DeliveryError is why a delivery failed, and whether trying again may
// help.
type DeliveryError struct {
	Hook      int64 // the webhook's id
	Status    int   // the answer's HTTP status; 0 when there was no answer
	Permanent bool  // trying again will fail the same way
	Err       error
}

func (e *DeliveryError) Error() string {
	kind := "retryable"
	if e.Permanent {
		kind = "permanent"
	}
	return fmt.Sprintf("deliver to webhook %d (%s): %v", e.Hook, kind, e.Err)
}

func (e *DeliveryError) Unwrap() error { return e.Err }

// IsPermanent reports whether err is a delivery failure that retrying will
// not cure: a 3xx or a 4xx answer other than 408 and 429, an address the
// egress guard refuses, or a notice or webhook that cannot be sent. Other
// failures (5xx, 408, 429, time-outs, network errors) are worth retrying.
func IsPermanent(err error) bool {
	var de *DeliveryError
	return errors.As(err, &de) && de.Permanent
}

// Backoff is how long to wait before delivery attempt attempt+1 after
// attempt failed (attempts count from 1): 30 s doubled with every attempt,
// capped at an hour, of which a random half is taken off so that failed
// deliveries do not retry in step.
func Backoff(attempt int) time.Duration {
	d := maxBackoff
	if attempt < 1 {
		attempt = 1
	}
	if attempt <= 8 { // 30s << 7 is past the cap
		d = min(baseBackoff<<(attempt-1), maxBackoff)
	}
	half := d / 2
	return half + rand.N(half+1)
}

// Send delivers notice n to hook in one attempt, signed with the hook's
// secret (opened by the caller) and named deliveryID, the same on every
// attempt of this delivery. A 2xx answer is success; anything else is a
// *DeliveryError (see IsPermanent). The notice's ticket must belong to the
// hook's organization.
func (s *Sender) Send(ctx context.Context, hook platform.Webhook, secret token.Secret, n tickets.Notice, deliveryID string) error {
	fail := func(permanent bool, status int, err error) error {
		return &DeliveryError{Hook: hook.ID, Status: status, Permanent: permanent, Err: err}
	}
	target, err := checkDelivery(hook, secret, n, deliveryID)
	if err != nil {
		return fail(true, 0, err)
	}
	if s.Client == nil {
		return fail(true, 0, errors.New("the sender has no HTTP client"))
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	at := now().UTC()
	body, err := json.Marshal(Payload{ID: deliveryID, Event: n.Event, CreatedAt: at, OrgID: hook.Org, Ticket: n.Ticket})
	if err != nil {
		return fail(true, 0, fmt.Errorf("encode %s payload: %w", n.Event, err))
	}

	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target.String(), bytes.NewReader(body))
	if err != nil {
		return fail(true, 0, fmt.Errorf("make request: %w", err))
	}
	req.Header.Set("Content-Type", contentTypeJSON)
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set(HeaderEvent, n.Event)
	req.Header.Set(HeaderDelivery, deliveryID)
	req.Header.Set(HeaderSignature, Sign([]byte(secret), at, body))

	client := *s.Client
	client.CheckRedirect = noRedirects
	resp, err := client.Do(req)
	if err != nil {
		// The *url.Error names the whole URL, which may hold a token
		// (many receivers put one in the path): name the host only.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
			err = fmt.Errorf("no answer within %v: %w", timeout, err)
		}
		return fail(errors.Is(err, egress.ErrBlocked), 0, fmt.Errorf("POST %s %s: %w", n.Event, target.Host, err))
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxAnswerRead))
	_ = resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	return fail(permanentStatus(resp.StatusCode), resp.StatusCode,
		fmt.Errorf("POST %s %s: answered %s", n.Event, target.Host, resp.Status))
}

// permanentStatus reports whether a non-2xx answer will not change on a
// retry: redirects (which are not followed) and client errors, except
// 408 Request Timeout and 429 Too Many Requests.
func permanentStatus(code int) bool {
	switch {
	case code == http.StatusRequestTimeout, code == http.StatusTooManyRequests:
		return false
	case code >= 300 && code < 500:
		return true
	}
	return false
}

// events are the notices a webhook can receive.
var events = map[string]bool{
	platform.EventTicketNew:      true,
	platform.EventTicketDueSoon:  true,
	platform.EventTicketOverdue:  true,
	platform.EventTicketReopened: true,
	platform.EventTicketPatched:  true,
}

// checkDelivery refuses a delivery that cannot be made, and returns the
// webhook's URL.
func checkDelivery(hook platform.Webhook, secret token.Secret, n tickets.Notice, deliveryID string) (*url.URL, error) {
	if !events[n.Event] {
		return nil, fmt.Errorf("unknown event %q", n.Event)
	}
	if n.Ticket.Org != hook.Org {
		return nil, fmt.Errorf("ticket %d of organization %d cannot go to a webhook of organization %d", n.Ticket.ID, n.Ticket.Org, hook.Org)
	}
	if len(secret) == 0 {
		return nil, errors.New("the webhook has no secret to sign with")
	}
	if err := checkDeliveryID(deliveryID); err != nil {
		return nil, err
	}
	u, err := url.Parse(hook.URL)
	if err != nil {
		return nil, errors.New("the webhook URL does not parse")
	}
	if u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
		return nil, errors.New("the webhook URL is not an absolute http or https URL")
	}
	return u, nil
}

// checkDeliveryID accepts 1 to MaxDeliveryID letters, digits and "-_.:".
func checkDeliveryID(id string) error {
	if id == "" || len(id) > MaxDeliveryID {
		return fmt.Errorf("delivery id must be 1 to %d bytes", MaxDeliveryID)
	}
	for _, c := range []byte(id) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':'
		if !ok {
			return fmt.Errorf("delivery id may hold only letters, digits and %q", "-_.:")
		}
	}
	return nil
}
