package store

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/ecoscan/ecoscan/internal/service/platform"
)

func TestOrgsAndUsers(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		acme := must[platform.Org](t)(s.CreateOrg(ctx, "  Acme  "))
		beta := must[platform.Org](t)(s.CreateOrg(ctx, "beta"))
		if acme.Name != "Acme" || acme.ID == 0 || acme.CreatedAt.Location() != time.UTC {
			t.Errorf("created %+v", acme)
		}
		_, err := s.CreateOrg(ctx, "ACME")
		wantErr(t, "organization name taken in another case", err, platform.ErrConflict)
		_, err = s.CreateOrg(ctx, " ")
		wantErr(t, "blank organization name", err, platform.ErrInvalid)

		got := must[platform.Org](t)(s.Org(ctx, platform.AllScope(), acme.ID))
		if !reflect.DeepEqual(got, acme) {
			t.Errorf("Org = %+v, want %+v", got, acme)
		}
		_, err = s.Org(ctx, platform.AllScope(), 999)
		wantErr(t, "missing organization", err, platform.ErrNotFound)
		all := must[[]platform.Org](t)(s.ListOrgs(ctx, platform.AllScope()))
		if !reflect.DeepEqual(all, []platform.Org{acme, beta}) {
			t.Errorf("ListOrgs(all) = %+v", all)
		}
		one := must[[]platform.Org](t)(s.ListOrgs(ctx, platform.OrgScope(beta.ID)))
		if !reflect.DeepEqual(one, []platform.Org{beta}) {
			t.Errorf("ListOrgs(beta) = %+v", one)
		}

		u := must[platform.User](t)(s.CreateUser(ctx, platform.User{Email: "Ann@Acme.example", Name: "Ann", Platform: true,
			PasswordHash: "$argon2id$v=19$m=65536,t=1,p=4$c2FsdA$aGFzaA", CreatedAt: t0}))
		if u.ID == 0 || !u.CreatedAt.Equal(t0) {
			t.Errorf("created %+v", u)
		}
		for _, lookup := range []func() (platform.User, error){
			func() (platform.User, error) { return s.User(ctx, u.ID) },
			func() (platform.User, error) { return s.UserByEmail(ctx, "ann@acme.EXAMPLE") },
		} {
			if got := must[platform.User](t)(lookup()); !reflect.DeepEqual(got, u) {
				t.Errorf("read back %+v, want %+v", got, u)
			}
		}
		_, err = s.CreateUser(ctx, platform.User{Email: "ann@acme.example"})
		wantErr(t, "email taken in another case", err, platform.ErrConflict)
		for _, bad := range []string{"", "ann", "@acme.example", "ann@", "a@b@c", "an n@acme.example"} {
			_, err = s.CreateUser(ctx, platform.User{Email: bad})
			wantErr(t, "email "+bad, err, platform.ErrInvalid)
		}
		_, err = s.UserByEmail(ctx, "nobody@acme.example")
		wantErr(t, "unknown email", err, platform.ErrNotFound)
		_, err = s.User(ctx, 12345)
		wantErr(t, "unknown user", err, platform.ErrNotFound)
	})
}

func TestMemberships(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		acme := must[platform.Org](t)(s.CreateOrg(ctx, "acme"))
		beta := must[platform.Org](t)(s.CreateOrg(ctx, "beta"))
		ann := must[platform.User](t)(s.CreateUser(ctx, platform.User{Email: "ann@x.example"}))
		bob := must[platform.User](t)(s.CreateUser(ctx, platform.User{Email: "bob@x.example"}))
		sc := platform.OrgScope(acme.ID)
		check(t, s.SetMember(ctx, sc, platform.Membership{Org: acme.ID, User: ann.ID, Role: platform.RoleViewer}))
		check(t, s.SetMember(ctx, sc, platform.Membership{Org: acme.ID, User: ann.ID, Role: platform.RoleAdmin}))
		check(t, s.SetMember(ctx, sc, platform.Membership{Org: acme.ID, User: bob.ID, Role: platform.RoleMember}))
		check(t, s.SetMember(ctx, platform.AllScope(), platform.Membership{Org: beta.ID, User: ann.ID, Role: platform.RoleMember}))

		wantErr(t, "bad role", s.SetMember(ctx, sc, platform.Membership{Org: acme.ID, User: bob.ID, Role: "owner"}), platform.ErrInvalid)
		wantErr(t, "unknown user", s.SetMember(ctx, sc, platform.Membership{Org: acme.ID, User: 999, Role: platform.RoleViewer}), platform.ErrNotFound)
		wantErr(t, "unknown org", s.SetMember(ctx, platform.AllScope(), platform.Membership{Org: 999, User: bob.ID, Role: platform.RoleViewer}), platform.ErrNotFound)

		members := must[[]platform.Membership](t)(s.Members(ctx, sc, acme.ID))
		want := []platform.Membership{
			{Org: acme.ID, User: ann.ID, Role: platform.RoleAdmin, OrgName: "acme", Email: "ann@x.example"},
			{Org: acme.ID, User: bob.ID, Role: platform.RoleMember, OrgName: "acme", Email: "bob@x.example"},
		}
		if !reflect.DeepEqual(members, want) {
			t.Errorf("Members = %+v, want %+v", members, want)
		}
		of := must[[]platform.Membership](t)(s.MembershipsOf(ctx, ann.ID))
		wantOf := []platform.Membership{want[0], {Org: beta.ID, User: ann.ID, Role: platform.RoleMember, OrgName: "beta", Email: "ann@x.example"}}
		if !reflect.DeepEqual(of, wantOf) {
			t.Errorf("MembershipsOf = %+v, want %+v", of, wantOf)
		}
		check(t, s.RemoveMember(ctx, sc, acme.ID, bob.ID))
		wantErr(t, "remove again", s.RemoveMember(ctx, sc, acme.ID, bob.ID), platform.ErrNotFound)
		if got := must[[]platform.Membership](t)(s.MembershipsOf(ctx, bob.ID)); len(got) != 0 {
			t.Errorf("bob still a member: %+v", got)
		}
	})
}

// TestSetPassword: a user's hash is replaced; an unknown user is
// ErrNotFound and a value that is not an argon2id hash is refused.
func TestSetPassword(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		u := must[platform.User](t)(s.CreateUser(ctx, platform.User{Email: "dev@acme.example"}))
		const hash = "$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5"
		check(t, s.SetPassword(ctx, u.ID, hash))
		if got := must[platform.User](t)(s.User(ctx, u.ID)); got.PasswordHash != hash {
			t.Errorf("hash %q, want %q", got.PasswordHash, hash)
		}
		if err := s.SetPassword(ctx, u.ID+1000, hash); !errors.Is(err, platform.ErrNotFound) {
			t.Errorf("unknown user: %v, want ErrNotFound", err)
		}
		if err := s.SetPassword(ctx, u.ID, "correct horse battery"); !errors.Is(err, platform.ErrInvalid) {
			t.Errorf("a clear-text password: %v, want ErrInvalid", err)
		}
	})
}
