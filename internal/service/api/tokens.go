package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/ecoscan/ecoscan/internal/service/auth"
	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// Token lifetimes.
const (
	DefaultTokenTTL = 90 * 24 * time.Hour
	MaxTokenTTL     = 3650 * 24 * time.Hour
	// touchEvery is how often a token's last use is written at most.
	touchEvery = time.Minute
	// maxTokenLen bounds what is hashed and looked up.
	maxTokenLen = 256
)

// CallerFromToken authenticates an API token (the value after "Bearer "):
// it must exist, be neither revoked nor expired, and belong to an existing
// user. It returns the caller and the token; the token's last use is
// recorded, at most once a minute. Every refusal is ErrUnauthorized.
func (o *Ops) CallerFromToken(ctx context.Context, bearer string) (Caller, platform.Token, error) {
	if !strings.HasPrefix(bearer, auth.TokenPrefix) || len(bearer) > maxTokenLen {
		return Caller{}, platform.Token{}, fmt.Errorf("%w: not an ecoscan API token", ErrUnauthorized)
	}
	tok, err := o.cfg.Store.TokenByHash(ctx, auth.HashToken(bearer))
	if errors.Is(err, platform.ErrNotFound) {
		return Caller{}, platform.Token{}, fmt.Errorf("%w: unknown token", ErrUnauthorized)
	}
	if err != nil {
		return Caller{}, platform.Token{}, fmt.Errorf("look up token: %w", err)
	}
	now := o.now()
	if tok.RevokedAt != nil {
		return Caller{}, platform.Token{}, fmt.Errorf("%w: token %s was revoked", ErrUnauthorized, tok.Prefix)
	}
	if tok.ExpiresAt != nil && !now.Before(*tok.ExpiresAt) {
		return Caller{}, platform.Token{}, fmt.Errorf("%w: token %s expired", ErrUnauthorized, tok.Prefix)
	}
	user, err := o.cfg.Store.User(ctx, tok.User)
	if errors.Is(err, platform.ErrNotFound) {
		return Caller{}, platform.Token{}, fmt.Errorf("%w: the token's user is gone", ErrUnauthorized)
	}
	if err != nil {
		return Caller{}, platform.Token{}, fmt.Errorf("load user of token %d: %w", tok.ID, err)
	}
	c, err := o.CallerFor(ctx, user)
	if err != nil {
		return Caller{}, platform.Token{}, err
	}
	o.touch(ctx, tok, now)
	return c, tok, nil
}

// touch records the token's use unless it was recorded less than a minute
// ago (by the store's record or by this process). A failure is logged, not
// returned: it must not refuse the request.
func (o *Ops) touch(ctx context.Context, tok platform.Token, now time.Time) {
	if tok.LastUsed != nil && now.Sub(*tok.LastUsed) < touchEvery {
		return
	}
	o.touchedMu.Lock()
	if last, ok := o.touched[tok.ID]; ok && now.Sub(last) < touchEvery {
		o.touchedMu.Unlock()
		return
	}
	// Forget tokens not used for a while, so the map stays small.
	for id, at := range o.touched {
		if now.Sub(at) >= touchEvery {
			delete(o.touched, id)
		}
	}
	o.touched[tok.ID] = now
	o.touchedMu.Unlock()
	if err := o.cfg.Store.TouchToken(ctx, tok.ID, now); err != nil {
		o.cfg.Logger.LogAttrs(ctx, slog.LevelError, "record token use", slog.Int64("token_id", tok.ID), slog.String("error", err.Error()))
	}
}

// Tokens lists the caller's own API tokens (never the tokens themselves).
func (o *Ops) Tokens(ctx context.Context, c Caller) ([]platform.Token, error) {
	if c.User.ID <= 0 {
		return nil, ErrUnauthorized
	}
	toks, err := o.cfg.Store.Tokens(ctx, c.User.ID)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return toks, nil
}

// CreateToken makes an API token for the caller, valid for ttl (0 means
// DefaultTokenTTL; at most MaxTokenTTL). The plain token is returned once and
// kept nowhere: the store has its hash.
func (o *Ops) CreateToken(ctx context.Context, c Caller, name string, ttl time.Duration) (string, platform.Token, error) {
	if c.User.ID <= 0 {
		return "", platform.Token{}, ErrUnauthorized
	}
	name, err := checkName("name", name)
	if err != nil {
		return "", platform.Token{}, err
	}
	switch {
	case ttl == 0:
		ttl = DefaultTokenTTL
	case ttl < time.Hour:
		return "", platform.Token{}, invalid("expires_in_days", "a token must live at least an hour")
	case ttl > MaxTokenTTL:
		return "", platform.Token{}, invalid("expires_in_days", "a token may live at most %d days", int(MaxTokenTTL/(24*time.Hour)))
	}
	plain, prefix, hash := auth.NewToken()
	now := o.now()
	expires := now.Add(ttl)
	tok, err := o.cfg.Store.CreateToken(ctx, platform.Token{
		User: c.User.ID, Name: name, Prefix: prefix, Hash: hash, CreatedAt: now, ExpiresAt: &expires,
	})
	if err != nil {
		return "", platform.Token{}, fmt.Errorf("create token: %w", err)
	}
	return plain, tok, nil
}

// RevokeToken revokes one of the caller's own tokens; another user's token
// is ErrNotFound.
func (o *Ops) RevokeToken(ctx context.Context, c Caller, id int64) error {
	if c.User.ID <= 0 {
		return ErrUnauthorized
	}
	if err := o.cfg.Store.RevokeToken(ctx, c.User.ID, id, o.now()); err != nil {
		return o.storeErr("revoke token", err)
	}
	return nil
}
