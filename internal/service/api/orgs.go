package api

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// Bounds of names and addresses.
const (
	maxName  = 200
	maxEmail = 254
)

// OrgInput creates an organization. AdminEmail, when set, names its first
// admin, created as a user if there is none with that address (without a
// password: they sign in once one is set, or use API tokens).
type OrgInput struct {
	Name       string `json:"name"`
	AdminEmail string `json:"admin_email,omitempty"`
}

// CreateOrg creates an organization; only platform users may. The creator
// does not become a member (platform users see every organization); the
// admin named in the input does.
func (o *Ops) CreateOrg(ctx context.Context, c Caller, in OrgInput) (platform.Org, error) {
	if !c.User.Platform {
		return platform.Org{}, fmt.Errorf("%w: only the platform security team creates organizations", ErrForbidden)
	}
	name, err := checkName("name", in.Name)
	if err != nil {
		return platform.Org{}, err
	}
	var email string
	if in.AdminEmail != "" {
		if email, err = checkEmail("admin_email", in.AdminEmail); err != nil {
			return platform.Org{}, err
		}
	}
	org, err := o.cfg.Store.CreateOrg(ctx, name)
	if err != nil {
		if errors.Is(err, platform.ErrConflict) {
			return platform.Org{}, fmt.Errorf("%w: an organization named %q exists", ErrConflict, name)
		}
		return platform.Org{}, fmt.Errorf("create organization: %w", err)
	}
	if email != "" {
		user, err := o.userByEmail(ctx, email, "")
		if err != nil {
			return platform.Org{}, err
		}
		m := platform.Membership{Org: org.ID, User: user.ID, Role: platform.RoleAdmin}
		if err := o.cfg.Store.SetMember(ctx, platform.OrgScope(org.ID), m); err != nil {
			return platform.Org{}, fmt.Errorf("make %s admin of organization %d: %w", email, org.ID, err)
		}
	}
	return org, nil
}

// ListOrgs lists the organizations the caller sees: all of them for
// platform users, else those they are a member of.
func (o *Ops) ListOrgs(ctx context.Context, c Caller) ([]platform.Org, error) {
	if c.User.Platform {
		orgs, err := o.cfg.Store.ListOrgs(ctx, platform.AllScope())
		if err != nil {
			return nil, fmt.Errorf("list organizations: %w", err)
		}
		return orgs, nil
	}
	orgs := make([]platform.Org, 0, len(c.Memberships))
	for _, m := range c.Memberships {
		org, err := o.cfg.Store.Org(ctx, platform.OrgScope(m.Org), m.Org)
		if errors.Is(err, platform.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("load organization %d: %w", m.Org, err)
		}
		orgs = append(orgs, org)
	}
	return orgs, nil
}

// Org returns one organization the caller sees.
func (o *Ops) Org(ctx context.Context, c Caller, org int64) (platform.Org, error) {
	scope, err := o.authorize(ctx, c, org, platform.RoleViewer)
	if err != nil {
		return platform.Org{}, err
	}
	got, err := o.cfg.Store.Org(ctx, scope, org)
	if err != nil {
		return platform.Org{}, o.storeErr("load organization", err)
	}
	return got, nil
}

// Members lists the organization's members (admins only).
func (o *Ops) Members(ctx context.Context, c Caller, org int64) ([]platform.Membership, error) {
	scope, err := o.authorize(ctx, c, org, platform.RoleAdmin)
	if err != nil {
		return nil, err
	}
	ms, err := o.cfg.Store.Members(ctx, scope, org)
	if err != nil {
		return nil, o.storeErr("list members", err)
	}
	return ms, nil
}

// MemberInput gives a member's role, and the name of a user created by
// SetMember.
type MemberInput struct {
	Role platform.Role `json:"role"`
	Name string        `json:"name,omitempty"`
}

// SetMember adds a user to the organization or changes their role (admins
// only). user is an email address, which adds the user with that address
// (creating them if needed), or the numeric id of someone already a member.
// The last admin cannot be demoted.
func (o *Ops) SetMember(ctx context.Context, c Caller, org int64, user string, in MemberInput) (platform.Membership, error) {
	scope, err := o.authorize(ctx, c, org, platform.RoleAdmin)
	if err != nil {
		return platform.Membership{}, err
	}
	if !in.Role.Valid() {
		return platform.Membership{}, invalid("role", "must be admin, member or viewer")
	}
	name := strings.TrimSpace(in.Name)
	if name != "" {
		if name, err = checkName("name", name); err != nil {
			return platform.Membership{}, err
		}
	}
	members, err := o.cfg.Store.Members(ctx, scope, org)
	if err != nil {
		return platform.Membership{}, o.storeErr("list members", err)
	}
	var u platform.User
	if strings.Contains(user, "@") {
		email, err := checkEmail("user", user)
		if err != nil {
			return platform.Membership{}, err
		}
		if u, err = o.userByEmail(ctx, email, name); err != nil {
			return platform.Membership{}, err
		}
	} else {
		id, err := strconv.ParseInt(user, 10, 64)
		if err != nil || findMember(members, id) == nil {
			return platform.Membership{}, ErrNotFound
		}
		if u, err = o.cfg.Store.User(ctx, id); err != nil {
			return platform.Membership{}, o.storeErr("load user", err)
		}
	}
	if cur := findMember(members, u.ID); cur != nil && cur.Role == platform.RoleAdmin && in.Role != platform.RoleAdmin && adminCount(members) == 1 {
		return platform.Membership{}, fmt.Errorf("%w: %s is the organization's last admin; make someone else admin first", ErrConflict, u.Email)
	}
	m := platform.Membership{Org: org, User: u.ID, Role: in.Role}
	if err := o.cfg.Store.SetMember(ctx, scope, m); err != nil {
		return platform.Membership{}, o.storeErr("set member", err)
	}
	m.Email = u.Email
	return m, nil
}

// RemoveMember removes a user (an id or email address, as for SetMember)
// from the organization (admins only). The last admin cannot be removed.
func (o *Ops) RemoveMember(ctx context.Context, c Caller, org int64, user string) error {
	scope, err := o.authorize(ctx, c, org, platform.RoleAdmin)
	if err != nil {
		return err
	}
	members, err := o.cfg.Store.Members(ctx, scope, org)
	if err != nil {
		return o.storeErr("list members", err)
	}
	var cur *platform.Membership
	if strings.Contains(user, "@") {
		u, err := o.cfg.Store.UserByEmail(ctx, strings.TrimSpace(user))
		if err != nil {
			return o.storeErr("find user", err)
		}
		cur = findMember(members, u.ID)
	} else if id, err := strconv.ParseInt(user, 10, 64); err == nil {
		cur = findMember(members, id)
	}
	if cur == nil {
		return ErrNotFound
	}
	if cur.Role == platform.RoleAdmin && adminCount(members) == 1 {
		return fmt.Errorf("%w: the organization's last admin cannot be removed", ErrConflict)
	}
	if err := o.cfg.Store.RemoveMember(ctx, scope, org, cur.User); err != nil {
		return o.storeErr("remove member", err)
	}
	return nil
}

// userByEmail finds the user with the address, creating them (named name,
// or after the address) when there is none.
func (o *Ops) userByEmail(ctx context.Context, email, name string) (platform.User, error) {
	u, err := o.cfg.Store.UserByEmail(ctx, email)
	if err == nil {
		return u, nil
	}
	if !errors.Is(err, platform.ErrNotFound) {
		return platform.User{}, fmt.Errorf("find user %s: %w", email, err)
	}
	if name == "" {
		name, _, _ = strings.Cut(email, "@")
	}
	u, err = o.cfg.Store.CreateUser(ctx, platform.User{Email: email, Name: name, CreatedAt: o.now()})
	if errors.Is(err, platform.ErrConflict) {
		// Created meanwhile by another request.
		u, err = o.cfg.Store.UserByEmail(ctx, email)
	}
	if err != nil {
		return platform.User{}, fmt.Errorf("create user %s: %w", email, err)
	}
	return u, nil
}

func findMember(ms []platform.Membership, user int64) *platform.Membership {
	for i := range ms {
		if ms[i].User == user {
			return &ms[i]
		}
	}
	return nil
}

func adminCount(ms []platform.Membership) int {
	n := 0
	for _, m := range ms {
		if m.Role == platform.RoleAdmin {
			n++
		}
	}
	return n
}

// checkName trims a display name and refuses an empty or overlong one, or
// one with control characters.
func checkName(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", invalid(field, "is required")
	case !utf8.ValidString(s):
		return "", invalid(field, "is not valid UTF-8")
	case utf8.RuneCountInString(s) > maxName:
		return "", invalid(field, "is longer than %d characters", maxName)
	case strings.ContainsFunc(s, unicode.IsControl):
		return "", invalid(field, "contains control characters")
	}
	return s, nil
}

// checkEmail accepts a bare email address ("a@example.com", not
// "A <a@example.com>").
func checkEmail(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) > maxEmail {
		return "", invalid(field, "is longer than %d characters", maxEmail)
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "", invalid(field, "is not an email address")
	}
	return s, nil
}
