package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/ecoscan/ecoscan/internal/service/platform"
)

var webhookEvents = []string{platform.EventTicketNew, platform.EventTicketDueSoon, platform.EventTicketOverdue,
	platform.EventTicketReopened, platform.EventTicketPatched}

// CreateWebhook adds a notification endpoint to an organization of the
// scope (w.Org, or the scope's organization when 0). Its secret is sealed
// with the webhook's id as associated data, so it is usually set after
// creation with ReplaceSealed from the empty value.
func (s *Store) CreateWebhook(ctx context.Context, sc platform.Scope, w platform.Webhook) (platform.Webhook, error) {
	if w.Org == 0 && !sc.All {
		w.Org = sc.Org
	}
	if w.URL == "" || len(w.URL) > maxURL {
		return platform.Webhook{}, fmt.Errorf("create webhook: URL empty or longer than %d bytes: %w", maxURL, platform.ErrInvalid)
	}
	if len(w.Events) == 0 {
		return platform.Webhook{}, fmt.Errorf("create webhook: no events: %w", platform.ErrInvalid)
	}
	for _, e := range w.Events {
		if !slices.Contains(webhookEvents, e) {
			return platform.Webhook{}, fmt.Errorf("create webhook: event %q: %w", e, platform.ErrInvalid)
		}
	}
	if err := checkSealed("webhook secret", w.Secret); err != nil {
		return platform.Webhook{}, fmt.Errorf("create webhook: %w", err)
	}
	events, err := json.Marshal(w.Events)
	if err != nil {
		return platform.Webhook{}, err
	}
	w.CreatedAt = orNow(w.CreatedAt).UTC().Truncate(time.Microsecond)
	err = s.write(ctx, sc, func(tx *sql.Tx) error {
		if err := orgVisible(ctx, tx, sc, w.Org); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `INSERT INTO webhooks (org_id, url, secret, events, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			w.Org, w.URL, w.Secret, string(events), s.ts(w.CreatedAt)).Scan(&w.ID)
	})
	if err != nil {
		return platform.Webhook{}, fmt.Errorf("create webhook in organization %d: %w", w.Org, mapErr(err))
	}
	return w, nil
}

// Webhooks lists an organization's webhooks, oldest first. An organization
// outside the scope is ErrNotFound.
func (s *Store) Webhooks(ctx context.Context, sc platform.Scope, org int64) ([]platform.Webhook, error) {
	var hooks []platform.Webhook
	err := s.read(ctx, sc, func(tx *sql.Tx) error {
		if err := orgVisible(ctx, tx, sc, org); err != nil {
			return err
		}
		var a args
		q := `SELECT id, org_id, url, secret, events, created_at FROM webhooks WHERE org_id = ` + a.add(org) +
			` AND ` + inScope("org_id", sc, &a) + ` ORDER BY id`
		return queryEach(ctx, tx, q, a, func(rows *sql.Rows) error {
			var w platform.Webhook
			err := rows.Scan(&w.ID, &w.Org, &w.URL, &w.Secret, jsonText{&w.Events}, instant{&w.CreatedAt})
			hooks = append(hooks, w)
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("webhooks of organization %d: %w", org, mapErr(err))
	}
	return hooks, nil
}

// DeleteWebhook removes a webhook of the scope.
func (s *Store) DeleteWebhook(ctx context.Context, sc platform.Scope, id int64) error {
	err := s.write(ctx, sc, func(tx *sql.Tx) error {
		var a args
		q := `DELETE FROM webhooks WHERE id = ` + a.add(id) + ` AND ` + inScope("org_id", sc, &a)
		return affected(tx.ExecContext(ctx, q, a...))
	})
	if err != nil {
		return fmt.Errorf("delete webhook %d: %w", id, err)
	}
	return nil
}

// sealedColumns are the sealed columns by platform.SecretAD table name:
// the SQL table, and the columns.
var sealedColumns = map[string]struct {
	table   string
	columns []string
}{
	"app":     {"apps", []string{"shared_secret", "client_key", "user_jwt"}},
	"webhook": {"webhooks", []string{"secret"}},
}

// SealedFields lists every sealed value that is set, of every
// organization, deleted apps included, for key rotation.
func (s *Store) SealedFields(ctx context.Context) ([]platform.SealedField, error) {
	var fields []platform.SealedField
	err := s.read(ctx, platform.AllScope(), func(tx *sql.Tx) error {
		for _, name := range []string{"app", "webhook"} {
			t := sealedColumns[name]
			for _, col := range t.columns {
				q := `SELECT id, ` + col + ` FROM ` + t.table + ` WHERE ` + col + ` <> '' ORDER BY id`
				err := queryEach(ctx, tx, q, nil, func(rows *sql.Rows) error {
					f := platform.SealedField{Table: name, Column: col}
					err := rows.Scan(&f.Row, &f.Value)
					fields = append(fields, f)
					return err
				})
				if err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sealed fields: %w", mapErr(err))
	}
	return fields, nil
}

// ReplaceSealed sets a sealed column to newValue if it still holds
// f.Value (which may be empty, to set a secret for the first time); a value
// changed meanwhile is ErrStale.
func (s *Store) ReplaceSealed(ctx context.Context, f platform.SealedField, newValue string) error {
	t, ok := sealedColumns[f.Table]
	if !ok || !slices.Contains(t.columns, f.Column) {
		return fmt.Errorf("replace sealed %s.%s: no such sealed column: %w", f.Table, f.Column, platform.ErrInvalid)
	}
	if newValue == "" {
		return fmt.Errorf("replace sealed %s.%s of %d: empty value: %w", f.Table, f.Column, f.Row, platform.ErrInvalid)
	}
	if err := checkSealed(f.Table+" "+f.Column, newValue); err != nil {
		return err
	}
	err := s.write(ctx, platform.AllScope(), func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE `+t.table+` SET `+f.Column+` = $1 WHERE id = $2 AND `+f.Column+` = $3`,
			newValue, f.Row, f.Value)
		if err := affected(res, err); err != platform.ErrNotFound {
			return err
		}
		var id int64
		if err := tx.QueryRowContext(ctx, `SELECT id FROM `+t.table+` WHERE id = $1`, f.Row).Scan(&id); err != nil {
			return err
		}
		return fmt.Errorf("the value changed meanwhile: %w", platform.ErrStale)
	})
	if err != nil {
		return fmt.Errorf("replace sealed %s.%s of %d: %w", f.Table, f.Column, f.Row, mapErr(err))
	}
	return nil
}
