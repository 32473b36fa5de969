package web

import (
	"context"
	"fmt"
	"net/http"
	"sort"

	"github.com/ecoscan/ecoscan/internal/service/api"
	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// orgView is an organization as the signed-in user sees it.
type orgView struct {
	ID   int64
	Name string
	// Role is the user's role in it; "" for a platform user who is not a
	// member.
	Role platform.Role
	// Platform: the user is of the platform security team.
	Platform bool
}

// CanChange reports whether the user's role lets them register apps, run
// scans and move tickets. It only decides which forms to show; api.Ops
// decides what is allowed.
func (o orgView) CanChange() bool { return o.Platform || o.Role.AtLeast(platform.RoleMember) }

// IsAdmin reports whether the user manages the organization's members
// (again, for showing forms only).
func (o orgView) IsAdmin() bool { return o.Platform || o.Role.AtLeast(platform.RoleAdmin) }

// caller is the signed-in user as api.Ops knows callers.
func (c *signedIn) caller() api.Caller {
	return api.Caller{User: c.user, Memberships: c.memberships}
}

// role is the user's role in org, "" when not a member.
func (c *signedIn) role(org int64) platform.Role {
	for _, m := range c.memberships {
		if m.Org == org {
			return m.Role
		}
	}
	return ""
}

// orgs lists the organizations the user may see, by name, as api.Ops
// decides: their memberships, and every organization for the platform team.
func (s *server) orgs(ctx context.Context, c *signedIn) ([]orgView, error) {
	orgs, err := s.cfg.Ops.ListOrgs(ctx, c.caller())
	if err != nil {
		return nil, fmt.Errorf("list organizations: %w", err)
	}
	out := make([]orgView, 0, len(orgs))
	for _, o := range orgs {
		out = append(out, orgView{ID: o.ID, Name: o.Name, Role: c.role(o.ID), Platform: c.user.Platform})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// org is the organization the request's {org} names, if the user may see
// it (api.Ops decides); otherwise a not-found error, so that other
// organizations' pages are indistinguishable from pages that do not exist.
func (s *server) org(r *http.Request, c *signedIn) (orgView, error) {
	id, err := pathID(r, "org")
	if err != nil {
		return orgView{}, err
	}
	o, err := s.cfg.Ops.Org(r.Context(), c.caller(), id)
	if err != nil {
		return orgView{}, fmt.Errorf("organization %d: %w", id, err)
	}
	return orgView{ID: o.ID, Name: o.Name, Role: c.role(o.ID), Platform: c.user.Platform}, nil
}
