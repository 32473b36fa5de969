package store

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/ecoscan/ecoscan/internal/service/platform"
)

func TestTokens(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		ann := must[platform.User](t)(s.CreateUser(ctx, platform.User{Email: "ann@x.example"}))
		bob := must[platform.User](t)(s.CreateUser(ctx, platform.User{Email: "bob@x.example"}))
		expires := t0.Add(90 * 24 * time.Hour)
		tok := must[platform.Token](t)(s.CreateToken(ctx, platform.Token{User: ann.ID, Name: "ci", Prefix: "eco_ab12",
			Hash: hash("secret-1"), CreatedAt: t0, ExpiresAt: &expires}))
		second := must[platform.Token](t)(s.CreateToken(ctx, platform.Token{User: ann.ID, Name: "laptop", Prefix: "eco_cd34", Hash: hash("secret-2")}))

		got := must[platform.Token](t)(s.TokenByHash(ctx, hash("secret-1")))
		if !reflect.DeepEqual(got, tok) {
			t.Errorf("TokenByHash = %+v, want %+v", got, tok)
		}
		_, err := s.TokenByHash(ctx, hash("other"))
		wantErr(t, "unknown token", err, platform.ErrNotFound)
		_, err = s.CreateToken(ctx, platform.Token{User: bob.ID, Name: "dup", Prefix: "eco_x", Hash: hash("secret-1")})
		wantErr(t, "hash taken", err, platform.ErrConflict)
		_, err = s.CreateToken(ctx, platform.Token{User: bob.ID, Name: "short", Prefix: "eco_x", Hash: []byte("plain")})
		wantErr(t, "not a SHA-256", err, platform.ErrInvalid)
		_, err = s.CreateToken(ctx, platform.Token{User: 999, Name: "ghost", Prefix: "eco_x", Hash: hash("g")})
		wantErr(t, "unknown user", err, platform.ErrNotFound)

		used := t0.Add(time.Hour)
		check(t, s.TouchToken(ctx, tok.ID, used))
		wantErr(t, "touch unknown", s.TouchToken(ctx, 999, used), platform.ErrNotFound)
		wantErr(t, "revoke someone else's", s.RevokeToken(ctx, bob.ID, tok.ID, used), platform.ErrNotFound)
		check(t, s.RevokeToken(ctx, ann.ID, tok.ID, used))
		check(t, s.RevokeToken(ctx, ann.ID, tok.ID, used.Add(time.Hour)))

		list := must[[]platform.Token](t)(s.Tokens(ctx, ann.ID))
		if len(list) != 2 || list[0].ID != second.ID || list[1].ID != tok.ID {
			t.Fatalf("Tokens = %+v, want newest first", list)
		}
		if list[1].LastUsed == nil || !list[1].LastUsed.Equal(used) || list[1].RevokedAt == nil || !list[1].RevokedAt.Equal(used) {
			t.Errorf("touched and revoked token reads %+v", list[1])
		}
		if len(must[[]platform.Token](t)(s.Tokens(ctx, bob.ID))) != 0 {
			t.Error("bob has tokens")
		}
	})
}

func TestSessions(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		ann := must[platform.User](t)(s.CreateUser(ctx, platform.User{Email: "ann@x.example"}))
		sess := platform.Session{Hash: hash("cookie"), User: ann.ID, CSRF: "csrf-token", CreatedAt: t0, ExpiresAt: t0.Add(12 * time.Hour)}
		check(t, s.CreateSession(ctx, sess))
		got := must[platform.Session](t)(s.SessionByHash(ctx, hash("cookie"), t0.Add(time.Hour)))
		if !reflect.DeepEqual(got, sess) {
			t.Errorf("SessionByHash = %+v, want %+v", got, sess)
		}
		_, err := s.SessionByHash(ctx, hash("cookie"), t0.Add(12*time.Hour))
		wantErr(t, "expired session", err, platform.ErrNotFound)
		wantErr(t, "session already ended", s.CreateSession(ctx, platform.Session{Hash: hash("x"), User: ann.ID, CreatedAt: t0, ExpiresAt: t0}), platform.ErrInvalid)

		// A new session sweeps away the expired ones.
		later := platform.Session{Hash: hash("cookie-2"), User: ann.ID, CSRF: "c2", CreatedAt: t0.Add(13 * time.Hour), ExpiresAt: t0.Add(25 * time.Hour)}
		check(t, s.CreateSession(ctx, later))
		var n int
		check(t, s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sessions`).Scan(&n))
		if n != 1 {
			t.Errorf("%d sessions kept, want the one live", n)
		}
		check(t, s.DeleteSession(ctx, hash("cookie-2")))
		wantErr(t, "delete again", s.DeleteSession(ctx, hash("cookie-2")), platform.ErrNotFound)
		_, err = s.SessionByHash(ctx, hash("cookie-2"), t0.Add(14*time.Hour))
		wantErr(t, "deleted session", err, platform.ErrNotFound)
	})
}
