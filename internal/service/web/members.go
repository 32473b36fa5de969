package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/ecoscan/ecoscan/internal/service/api"
	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// membersView is the members page of an organization.
type membersView struct {
	Org     orgView
	Members []platform.Membership
	Roles   []platform.Role
	Self    int64 // the signed-in user, who is marked in the list
	CSRF    string
	// Email and Role are the add form's values after a refusal.
	Email string
	Role  platform.Role
}

// membersPage answers GET /orgs/{org}/members (admins).
func (s *server) membersPage(w http.ResponseWriter, r *http.Request, c *signedIn) {
	s.showMembers(w, r, c, http.StatusOK, "", membersView{Role: platform.RoleMember})
}

// showMembers renders the members page with an error from a refused change
// and the values of the add form.
func (s *server) showMembers(w http.ResponseWriter, r *http.Request, c *signedIn, status int, problem string, form membersView) {
	o, err := s.org(r, c)
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	members, err := s.cfg.Ops.Members(r.Context(), c.caller(), o.ID)
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	v := membersView{Org: o, Members: members, Roles: []platform.Role{platform.RoleAdmin, platform.RoleMember, platform.RoleViewer},
		Self: c.user.ID, CSRF: c.session.CSRF, Email: form.Email, Role: form.Role}
	p := layoutPage(c, "Members · "+o.Name, "members")
	p.Org, p.Body, p.Error = &o, v, problem
	p.Notice = noticeText(r.URL.Query().Get("done"))
	s.render(w, r, status, "members", p)
}

// setMember answers POST /orgs/{org}/members: add a member by e-mail address
// or change a member's role (user is then their id).
func (s *server) setMember(w http.ResponseWriter, r *http.Request, c *signedIn) {
	o, err := s.org(r, c)
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	user := strings.TrimSpace(r.PostFormValue("user"))
	role := platform.Role(r.PostFormValue("role"))
	if _, err := s.cfg.Ops.SetMember(r.Context(), c.caller(), o.ID, user, api.MemberInput{Role: role}); err != nil {
		s.refused(w, r, c, err, func(status int, msg string) {
			form := membersView{Role: role}
			if strings.Contains(user, "@") {
				form.Email = user
			}
			s.showMembers(w, r, c, status, msg, form)
		})
		return
	}
	redirect(w, r, "/orgs/"+strconv.FormatInt(o.ID, 10)+"/members?done=member")
}

// removeMember answers POST /orgs/{org}/members/{user}/remove.
func (s *server) removeMember(w http.ResponseWriter, r *http.Request, c *signedIn) {
	o, err := s.org(r, c)
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	user, err := pathID(r, "user")
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	if err := s.cfg.Ops.RemoveMember(r.Context(), c.caller(), o.ID, strconv.FormatInt(user, 10)); err != nil {
		s.refused(w, r, c, err, func(status int, msg string) {
			s.showMembers(w, r, c, status, msg, membersView{Role: platform.RoleMember})
		})
		return
	}
	to := "/orgs/" + strconv.FormatInt(o.ID, 10) + "/members?done=removed"
	if user == c.user.ID {
		to = "/"
	}
	redirect(w, r, to)
}

// refused handles an error of an operation: a refusal the person can act
// on is shown by again, with its status and message; anything else is
// answered as by fail.
func (s *server) refused(w http.ResponseWriter, r *http.Request, c *signedIn, err error, again func(status int, message string)) {
	if status, msg, ok := refusal(err); ok {
		again(status, msg)
		return
	}
	s.fail(w, r, c, err)
}

// refusal reports whether err is an operation's refusal the person can act
// on (an invalid value, a conflict, a missing permission, a deleted app, a
// too large upload), with its status and message.
func refusal(err error) (status int, message string, ok bool) {
	switch status := api.Status(err); status {
	case http.StatusBadRequest, http.StatusUnprocessableEntity, http.StatusConflict, http.StatusForbidden,
		http.StatusGone, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
		return status, clean(err.Error()), true
	}
	return 0, "", false
}
