package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"time"

	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// Tokens and sessions are found by the SHA-256 of the secret the client
// holds; the store never sees the secret itself.

func checkHash(what string, hash []byte) error {
	if len(hash) != sha256.Size {
		return fmt.Errorf("%s hash: %d bytes, want a SHA-256 (%d): %w", what, len(hash), sha256.Size, platform.ErrInvalid)
	}
	return nil
}

// CreateToken records an API token of a user.
func (s *Store) CreateToken(ctx context.Context, t platform.Token) (platform.Token, error) {
	if err := checkHash("token", t.Hash); err != nil {
		return platform.Token{}, err
	}
	if err := checkName("token name", t.Name); err != nil {
		return platform.Token{}, err
	}
	if t.Prefix == "" || len(t.Prefix) > 32 {
		return platform.Token{}, fmt.Errorf("token prefix %q: %w", t.Prefix, platform.ErrInvalid)
	}
	t.CreatedAt = orNow(t.CreatedAt).UTC().Truncate(time.Microsecond)
	t.ExpiresAt = utcPtr(t.ExpiresAt)
	t.LastUsed, t.RevokedAt = nil, nil
	err := s.write(ctx, platform.AllScope(), func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO tokens (user_id, name, prefix, hash, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			t.User, t.Name, t.Prefix, t.Hash, s.ts(t.CreatedAt), s.tsOrNull(t.ExpiresAt)).Scan(&t.ID)
	})
	if err != nil {
		return platform.Token{}, fmt.Errorf("create token for user %d: %w", t.User, mapErr(err))
	}
	return t, nil
}

const tokenColumns = `id, user_id, name, prefix, hash, created_at, expires_at, last_used, revoked_at`

func scanToken(row interface{ Scan(...any) error }) (platform.Token, error) {
	var t platform.Token
	err := row.Scan(&t.ID, &t.User, &t.Name, &t.Prefix, &t.Hash, instant{&t.CreatedAt},
		nullInstant{&t.ExpiresAt}, nullInstant{&t.LastUsed}, nullInstant{&t.RevokedAt})
	return t, err
}

// TokenByHash returns the token with the hash, revoked or expired ones
// included: the caller checks RevokedAt and ExpiresAt.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (platform.Token, error) {
	var t platform.Token
	err := s.read(ctx, platform.AllScope(), func(tx *sql.Tx) error {
		var err error
		t, err = scanToken(tx.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE hash = $1`, hash))
		return err
	})
	if err != nil {
		return platform.Token{}, fmt.Errorf("token: %w", mapErr(err))
	}
	return t, nil
}

// TouchToken records when a token was last used.
func (s *Store) TouchToken(ctx context.Context, id int64, at time.Time) error {
	err := s.write(ctx, platform.AllScope(), func(tx *sql.Tx) error {
		return affected(tx.ExecContext(ctx, `UPDATE tokens SET last_used = $1 WHERE id = $2`, s.ts(at), id))
	})
	if err != nil {
		return fmt.Errorf("touch token %d: %w", id, err)
	}
	return nil
}

// Tokens lists a user's tokens, newest first.
func (s *Store) Tokens(ctx context.Context, user int64) ([]platform.Token, error) {
	var ts []platform.Token
	err := s.read(ctx, platform.AllScope(), func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE user_id = $1 ORDER BY id DESC`, user)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			t, err := scanToken(rows)
			if err != nil {
				return err
			}
			ts = append(ts, t)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("tokens of user %d: %w", user, mapErr(err))
	}
	return ts, nil
}

// RevokeToken revokes a token of the user. Revoking it again keeps the
// first revocation's time.
func (s *Store) RevokeToken(ctx context.Context, user, id int64, at time.Time) error {
	err := s.write(ctx, platform.AllScope(), func(tx *sql.Tx) error {
		return affected(tx.ExecContext(ctx, `UPDATE tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 AND user_id = $3`,
			s.ts(at), id, user))
	})
	if err != nil {
		return fmt.Errorf("revoke token %d of user %d: %w", id, user, err)
	}
	return nil
}

// CreateSession records a dashboard session, and forgets the sessions that
// expired before it began.
func (s *Store) CreateSession(ctx context.Context, sess platform.Session) error {
	if err := checkHash("session", sess.Hash); err != nil {
		return err
	}
	created := orNow(sess.CreatedAt)
	if !sess.ExpiresAt.After(created) {
		return fmt.Errorf("create session: expires %s, not after its start %s: %w", sess.ExpiresAt, created, platform.ErrInvalid)
	}
	err := s.write(ctx, platform.AllScope(), func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, s.ts(created)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (hash, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
			sess.Hash, sess.User, sess.CSRF, s.ts(created), s.ts(sess.ExpiresAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("create session for user %d: %w", sess.User, mapErr(err))
	}
	return nil
}

// SessionByHash returns the session with the hash unless it has expired by
// now.
func (s *Store) SessionByHash(ctx context.Context, hash []byte, now time.Time) (platform.Session, error) {
	var sess platform.Session
	err := s.read(ctx, platform.AllScope(), func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT hash, user_id, csrf, created_at, expires_at FROM sessions WHERE hash = $1 AND expires_at > $2`,
			hash, s.ts(now)).Scan(&sess.Hash, &sess.User, &sess.CSRF, instant{&sess.CreatedAt}, instant{&sess.ExpiresAt})
	})
	if err != nil {
		return platform.Session{}, fmt.Errorf("session: %w", mapErr(err))
	}
	return sess, nil
}

// DeleteSession ends a session.
func (s *Store) DeleteSession(ctx context.Context, hash []byte) error {
	err := s.write(ctx, platform.AllScope(), func(tx *sql.Tx) error {
		return affected(tx.ExecContext(ctx, `DELETE FROM sessions WHERE hash = $1`, hash))
	})
	if err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// utcPtr is t in UTC to the microsecond, as the store keeps it.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC().Truncate(time.Microsecond)
	return &u
}
