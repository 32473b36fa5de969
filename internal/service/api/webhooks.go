package api

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/ecoscan/ecoscan/internal/service/auth"
	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// WebhookEvents are the events a webhook may subscribe to.
var WebhookEvents = []string{
	platform.EventTicketNew, platform.EventTicketDueSoon, platform.EventTicketOverdue,
	platform.EventTicketReopened, platform.EventTicketPatched,
}

// WebhookInput creates a webhook: where to post, and which events (all of
// them when empty).
type WebhookInput struct {
	URL    string   `json:"url"`
	Events []string `json:"events,omitempty"`
}

// Webhooks lists the organization's webhooks (admins only), without their
// secrets.
func (o *Ops) Webhooks(ctx context.Context, c Caller, org int64) ([]platform.Webhook, error) {
	scope, err := o.authorize(ctx, c, org, platform.RoleAdmin)
	if err != nil {
		return nil, err
	}
	hooks, err := o.cfg.Store.Webhooks(ctx, scope, org)
	if err != nil {
		return nil, o.storeErr("list webhooks", err)
	}
	return hooks, nil
}

// CreateWebhook adds a webhook (admins only). Its URL is checked like a
// descriptor URL. The signing secret is made here and returned once; the
// store keeps it sealed, bound to the webhook's id: the webhook is created
// with a placeholder that is then swapped for the sealed secret.
func (o *Ops) CreateWebhook(ctx context.Context, c Caller, org int64, in WebhookInput) (platform.Webhook, string, error) {
	scope, err := o.authorize(ctx, c, org, platform.RoleAdmin)
	if err != nil {
		return platform.Webhook{}, "", err
	}
	target, err := o.checkTarget(ctx, "url", in.URL)
	if err != nil {
		return platform.Webhook{}, "", err
	}
	events := in.Events
	if len(events) == 0 {
		events = WebhookEvents
	}
	events = slices.Clone(events)
	slices.Sort(events)
	events = slices.Compact(events)
	for _, e := range events {
		if !slices.Contains(WebhookEvents, e) {
			return platform.Webhook{}, "", invalid("events", "unknown event %q", e)
		}
	}
	if o.cfg.Keys == nil {
		return platform.Webhook{}, "", errors.New("create webhook: no key ring to seal its secret with")
	}
	placeholder, err := o.cfg.Keys.Seal(nil, platform.SecretAD("webhook", 0, "secret"))
	if err != nil {
		return platform.Webhook{}, "", fmt.Errorf("create webhook: %w", err)
	}
	hook, err := o.cfg.Store.CreateWebhook(ctx, scope, platform.Webhook{
		Org: org, URL: target, Secret: placeholder, Events: events, CreatedAt: o.now(),
	})
	if err != nil {
		return platform.Webhook{}, "", o.storeErr("create webhook", err)
	}
	secret := auth.NewSecret()
	sealed, err := o.cfg.Keys.Seal([]byte(secret), platform.SecretAD("webhook", hook.ID, "secret"))
	if err == nil {
		err = o.cfg.Store.ReplaceSealed(ctx, platform.SealedField{Table: "webhook", Column: "secret", Row: hook.ID, Value: placeholder}, sealed)
	}
	if err != nil {
		err = fmt.Errorf("store the secret of webhook %d: %w", hook.ID, err)
		if derr := o.cfg.Store.DeleteWebhook(ctx, scope, hook.ID); derr != nil {
			err = fmt.Errorf("%w (and deleting the webhook failed: %v)", err, derr)
		}
		return platform.Webhook{}, "", err
	}
	hook.Secret = sealed
	return hook, secret, nil
}

// DeleteWebhook removes a webhook (admins only).
func (o *Ops) DeleteWebhook(ctx context.Context, c Caller, org, id int64) error {
	scope, err := o.authorize(ctx, c, org, platform.RoleAdmin)
	if err != nil {
		return err
	}
	if id <= 0 {
		return ErrNotFound
	}
	if err := o.cfg.Store.DeleteWebhook(ctx, scope, id); err != nil {
		return o.storeErr("delete webhook", err)
	}
	return nil
}
