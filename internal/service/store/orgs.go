package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// Limits on names the store keeps.
const (
	maxName  = 200
	maxEmail = 254
)

func checkName(what, name string) error {
	if strings.TrimSpace(name) == "" || len(name) > maxName {
		return fmt.Errorf("%s %q: empty or longer than %d bytes: %w", what, name, maxName, platform.ErrInvalid)
	}
	return nil
}

// CreateOrg adds an organization; a name already taken, whatever its case,
// is ErrConflict.
func (s *Store) CreateOrg(ctx context.Context, name string) (platform.Org, error) {
	name = strings.TrimSpace(name)
	if err := checkName("organization name", name); err != nil {
		return platform.Org{}, err
	}
	o := platform.Org{Name: name, CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	err := s.write(ctx, platform.AllScope(), func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO orgs (name, created_at) VALUES ($1, $2) RETURNING id`,
			o.Name, s.ts(o.CreatedAt)).Scan(&o.ID)
	})
	if err != nil {
		return platform.Org{}, fmt.Errorf("create organization %q: %w", name, mapErr(err))
	}
	return o, nil
}

// Org returns an organization of the scope.
func (s *Store) Org(ctx context.Context, sc platform.Scope, id int64) (platform.Org, error) {
	var o platform.Org
	err := s.read(ctx, sc, func(tx *sql.Tx) error {
		var a args
		q := `SELECT id, name, created_at FROM orgs WHERE id = ` + a.add(id) + ` AND ` + inScope("id", sc, &a)
		return tx.QueryRowContext(ctx, q, a...).Scan(&o.ID, &o.Name, instant{&o.CreatedAt})
	})
	if err != nil {
		return platform.Org{}, fmt.Errorf("organization %d: %w", id, mapErr(err))
	}
	return o, nil
}

// ListOrgs lists the scope's organizations by name.
func (s *Store) ListOrgs(ctx context.Context, sc platform.Scope) ([]platform.Org, error) {
	var orgs []platform.Org
	err := s.read(ctx, sc, func(tx *sql.Tx) error {
		var a args
		rows, err := tx.QueryContext(ctx, `SELECT id, name, created_at FROM orgs WHERE `+inScope("id", sc, &a)+` ORDER BY lower(name), id`, a...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var o platform.Org
			if err := rows.Scan(&o.ID, &o.Name, instant{&o.CreatedAt}); err != nil {
				return err
			}
			orgs = append(orgs, o)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("list organizations: %w", mapErr(err))
	}
	return orgs, nil
}

// CreateUser adds a user; an email already taken, whatever its case, is
// ErrConflict.
func (s *Store) CreateUser(ctx context.Context, u platform.User) (platform.User, error) {
	u.Email = strings.TrimSpace(u.Email)
	if len(u.Email) > maxEmail || strings.Count(u.Email, "@") != 1 || strings.HasPrefix(u.Email, "@") || strings.HasSuffix(u.Email, "@") ||
		strings.ContainsAny(u.Email, " \t\r\n") {
		return platform.User{}, fmt.Errorf("create user: email %q: %w", u.Email, platform.ErrInvalid)
	}
	if len(u.Name) > maxName {
		return platform.User{}, fmt.Errorf("create user: name longer than %d bytes: %w", maxName, platform.ErrInvalid)
	}
	u.CreatedAt = orNow(u.CreatedAt).UTC().Truncate(time.Microsecond)
	err := s.write(ctx, platform.AllScope(), func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO users (email, name, platform, password_hash, created_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			u.Email, u.Name, u.Platform, u.PasswordHash, s.ts(u.CreatedAt)).Scan(&u.ID)
	})
	if err != nil {
		return platform.User{}, fmt.Errorf("create user %q: %w", u.Email, mapErr(err))
	}
	return u, nil
}

// SetPassword replaces a user's password hash (an argon2id PHC string from
// auth.HashPassword; the store never sees a password).
func (s *Store) SetPassword(ctx context.Context, user int64, hash string) error {
	if !strings.HasPrefix(hash, "$argon2id$") {
		return fmt.Errorf("set password of user %d: not an argon2id hash: %w", user, platform.ErrInvalid)
	}
	err := s.write(ctx, platform.AllScope(), func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1 WHERE id = $2`, hash, user)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return errors.Join(err, platform.ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("set password of user %d: %w", user, mapErr(err))
	}
	return nil
}

const userColumns = `id, email, name, platform, password_hash, created_at`

func scanUser(row interface{ Scan(...any) error }) (platform.User, error) {
	var u platform.User
	err := row.Scan(&u.ID, &u.Email, &u.Name, &u.Platform, &u.PasswordHash, instant{&u.CreatedAt})
	return u, err
}

// User returns a user by id.
func (s *Store) User(ctx context.Context, id int64) (platform.User, error) {
	var u platform.User
	err := s.read(ctx, platform.AllScope(), func(tx *sql.Tx) error {
		var err error
		u, err = scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
		return err
	})
	if err != nil {
		return platform.User{}, fmt.Errorf("user %d: %w", id, mapErr(err))
	}
	return u, nil
}

// UserByEmail returns the user with the email, whatever its case.
func (s *Store) UserByEmail(ctx context.Context, email string) (platform.User, error) {
	var u platform.User
	err := s.read(ctx, platform.AllScope(), func(tx *sql.Tx) error {
		var err error
		u, err = scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE lower(email) = lower($1)`, strings.TrimSpace(email)))
		return err
	})
	if err != nil {
		return platform.User{}, fmt.Errorf("user %q: %w", email, mapErr(err))
	}
	return u, nil
}

// SetMember gives a user a role in an organization of the scope, adding
// the membership or changing its role.
func (s *Store) SetMember(ctx context.Context, sc platform.Scope, m platform.Membership) error {
	if !m.Role.Valid() {
		return fmt.Errorf("set member: role %q: %w", m.Role, platform.ErrInvalid)
	}
	err := s.write(ctx, sc, func(tx *sql.Tx) error {
		if err := orgVisible(ctx, tx, sc, m.Org); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, $3)
			ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role`, m.Org, m.User, string(m.Role))
		return err
	})
	if err != nil {
		return fmt.Errorf("set member %d of organization %d: %w", m.User, m.Org, mapErr(err))
	}
	return nil
}

// orgVisible checks that the organization exists within the scope.
func orgVisible(ctx context.Context, tx *sql.Tx, sc platform.Scope, org int64) error {
	var a args
	var id int64
	q := `SELECT id FROM orgs WHERE id = ` + a.add(org) + ` AND ` + inScope("id", sc, &a)
	if err := tx.QueryRowContext(ctx, q, a...).Scan(&id); err != nil {
		return fmt.Errorf("organization %d: %w", org, mapErr(err))
	}
	return nil
}

// RemoveMember removes a user from an organization of the scope.
func (s *Store) RemoveMember(ctx context.Context, sc platform.Scope, org, user int64) error {
	err := s.write(ctx, sc, func(tx *sql.Tx) error {
		var a args
		q := `DELETE FROM memberships WHERE org_id = ` + a.add(org) + ` AND user_id = ` + a.add(user) + ` AND ` + inScope("org_id", sc, &a)
		return affected(tx.ExecContext(ctx, q, a...))
	})
	if err != nil {
		return fmt.Errorf("remove member %d of organization %d: %w", user, org, err)
	}
	return nil
}

// Members lists an organization's members by user id, with their emails.
// An organization outside the scope is ErrNotFound.
func (s *Store) Members(ctx context.Context, sc platform.Scope, org int64) ([]platform.Membership, error) {
	var ms []platform.Membership
	err := s.read(ctx, sc, func(tx *sql.Tx) error {
		if err := orgVisible(ctx, tx, sc, org); err != nil {
			return err
		}
		var err error
		ms, err = queryMemberships(ctx, tx, `m.org_id = $1 ORDER BY m.user_id`, org)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("members of organization %d: %w", org, mapErr(err))
	}
	return ms, nil
}

// MembershipsOf lists a user's memberships, with the organizations' names.
func (s *Store) MembershipsOf(ctx context.Context, user int64) ([]platform.Membership, error) {
	var ms []platform.Membership
	err := s.read(ctx, platform.AllScope(), func(tx *sql.Tx) error {
		var err error
		ms, err = queryMemberships(ctx, tx, `m.user_id = $1 ORDER BY lower(o.name), m.org_id`, user)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("memberships of user %d: %w", user, mapErr(err))
	}
	return ms, nil
}

func queryMemberships(ctx context.Context, tx *sql.Tx, where string, arg int64) ([]platform.Membership, error) {
	rows, err := tx.QueryContext(ctx, `SELECT m.org_id, m.user_id, m.role, o.name, u.email
		FROM memberships m JOIN orgs o ON o.id = m.org_id JOIN users u ON u.id = m.user_id
		WHERE `+where, arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ms []platform.Membership
	for rows.Next() {
		var m platform.Membership
		if err := rows.Scan(&m.Org, &m.User, &m.Role, &m.OrgName, &m.Email); err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	return ms, rows.Err()
}
