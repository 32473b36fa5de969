package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/riverqueue/river"

	"github.com/ecoscan/ecoscan/internal/service/notify"
	"github.com/ecoscan/ecoscan/internal/service/platform"
	"github.com/ecoscan/ecoscan/internal/service/tickets"
)

// deliveryAttempts is how many times a webhook delivery is tried; with
// notify.Backoff (capped at an hour) the tries span most of a day.
const deliveryAttempts = 30

// deliveryTimeout bounds one delivery job.
const deliveryTimeout = time.Minute

// deliveryArgs are a webhook delivery job's arguments: the notice, as it
// was when it arose, for one webhook. Delivery is the id the receiver sees
// (Ecoscan-Delivery): the same for every attempt, and derived from the
// webhook and the notice's key, so that a notice queued twice is one
// delivery to the receiver and one job here.
type deliveryArgs struct {
	Webhook  int64           `json:"webhook"`
	Org      int64           `json:"org"`
	Ticket   platform.Ticket `json:"ticket"`
	Event    string          `json:"event"`
	Key      string          `json:"key"`
	Delivery string          `json:"delivery" river:"unique"`
}

func (deliveryArgs) Kind() string { return "webhook_delivery" }

func (deliveryArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: queueOther, MaxAttempts: deliveryAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// deliveryID names the delivery of the notice with key to the webhook.
func deliveryID(webhook int64, key string) string {
	sum := sha256.Sum256([]byte(strconv.FormatInt(webhook, 10) + "\n" + key))
	return hex.EncodeToString(sum[:16])
}

// deliveries are the jobs that send notices to the webhooks that want them.
func deliveries(hooks []platform.Webhook, notices []tickets.Notice) []river.InsertManyParams {
	var out []river.InsertManyParams
	for _, n := range notices {
		for _, h := range hooks {
			if !slices.Contains(h.Events, n.Event) {
				continue
			}
			t := n.Ticket
			t.Detail = nil
			out = append(out, river.InsertManyParams{Args: deliveryArgs{
				Webhook: h.ID, Org: h.Org, Ticket: t, Event: n.Event, Key: n.Key, Delivery: deliveryID(h.ID, n.Key),
			}})
		}
	}
	return out
}

// deliveryWorker sends one notice to one webhook.
type deliveryWorker struct {
	river.WorkerDefaults[deliveryArgs]
	q *Queue
}

func (w *deliveryWorker) Timeout(*river.Job[deliveryArgs]) time.Duration { return deliveryTimeout }

func (w *deliveryWorker) NextRetry(job *river.Job[deliveryArgs]) time.Time {
	return time.Now().Add(w.q.deliveryBackoff(job.Attempt)) // River's clock
}

func (w *deliveryWorker) Work(ctx context.Context, job *river.Job[deliveryArgs]) error {
	q, a := w.q, job.Args
	log := q.log.With("webhook", a.Webhook, "org", a.Org, "event", a.Event, "ticket", a.Ticket.ID, "delivery", a.Delivery, "attempt", job.Attempt)
	hooks, err := q.store.Webhooks(ctx, platform.OrgScope(a.Org), a.Org)
	if errors.Is(err, platform.ErrNotFound) {
		return river.JobCancel(fmt.Errorf("organization %d no longer exists", a.Org))
	}
	if err != nil {
		return fmt.Errorf("list webhooks: %w", err)
	}
	i := slices.IndexFunc(hooks, func(h platform.Webhook) bool { return h.ID == a.Webhook })
	if i < 0 {
		log.Info("webhook deleted; delivery dropped")
		return river.JobCancel(fmt.Errorf("webhook %d no longer exists", a.Webhook))
	}
	hook := hooks[i]
	secret, err := q.cfg.Keys.OpenSecret(hook.Secret, platform.SecretAD("webhook", hook.ID, "secret"))
	if err != nil {
		log.Error("cannot open the webhook's secret; delivery dropped", "error", err.Error())
		return river.JobCancel(fmt.Errorf("open the secret of webhook %d: %w", hook.ID, err))
	}
	err = q.sender.Send(ctx, hook, secret, tickets.Notice{Event: a.Event, Ticket: a.Ticket, Key: a.Key}, a.Delivery)
	switch {
	case err == nil:
		log.Info("webhook delivered")
		return nil
	case notify.IsPermanent(err):
		// The sender's errors name the webhook's host, never its URL,
		// which may hold a token.
		log.Warn("webhook refused the delivery; not retrying", "error", err.Error())
		return river.JobCancel(err)
	}
	log.Warn("webhook delivery failed; retrying", "error", err.Error())
	return err
}
