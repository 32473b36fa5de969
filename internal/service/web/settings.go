package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// settingsView is the settings page: the user's API tokens, and links to
// the member pages of the organizations they administer.
type settingsView struct {
	Tokens []platform.Token
	Admin  []orgView // organizations whose members the user manages
	CSRF   string
	// NewToken is the token just created, shown this once.
	NewToken     string
	NewTokenName string
	// Name and Days are the create form's values after a refusal.
	Name string
	Days string
	Now  time.Time
}

// settingsPage answers GET /settings.
func (s *server) settingsPage(w http.ResponseWriter, r *http.Request, c *signedIn) {
	s.showSettings(w, r, c, http.StatusOK, "", settingsView{Days: "90"})
}

func (s *server) showSettings(w http.ResponseWriter, r *http.Request, c *signedIn, status int, problem string, v settingsView) {
	tokens, err := s.cfg.Ops.Tokens(r.Context(), c.caller())
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	orgs, err := s.orgs(r.Context(), c)
	if err != nil {
		s.serverError(w, r, c, err)
		return
	}
	for _, o := range orgs {
		if o.IsAdmin() {
			v.Admin = append(v.Admin, o)
		}
	}
	v.Tokens, v.CSRF, v.Now = tokens, c.session.CSRF, s.now()
	p := layoutPage(c, "Settings", "settings")
	p.Body, p.Error = v, problem
	p.Notice = noticeText(r.URL.Query().Get("done"))
	if v.NewToken != "" {
		p.Notice = "Token created. Copy it now: it is not shown again."
	}
	s.render(w, r, status, "settings", p)
}

// maxTokenDays bounds the lifetime field before it becomes a duration.
const maxTokenDays = 100000

// createToken answers POST /settings/tokens. The new token is shown in the
// answer itself (no redirect), once: the page is no-store and the store
// keeps only its hash.
func (s *server) createToken(w http.ResponseWriter, r *http.Request, c *signedIn) {
	name := strings.TrimSpace(r.PostFormValue("name"))
	daysText := strings.TrimSpace(r.PostFormValue("days"))
	form := settingsView{Name: name, Days: daysText}
	days, err := strconv.Atoi(daysText)
	if err != nil || days <= 0 || days > maxTokenDays {
		s.showSettings(w, r, c, http.StatusUnprocessableEntity, "Lifetime: enter a whole number of days.", form)
		return
	}
	plain, tok, err := s.cfg.Ops.CreateToken(r.Context(), c.caller(), name, time.Duration(days)*24*time.Hour)
	if err != nil {
		s.refused(w, r, c, err, func(status int, msg string) { s.showSettings(w, r, c, status, msg, form) })
		return
	}
	s.log.Info("token created", "user", c.user.ID, "token", tok.ID)
	s.showSettings(w, r, c, http.StatusOK, "", settingsView{NewToken: plain, NewTokenName: tok.Name, Days: "90"})
}

// revokeToken answers POST /settings/tokens/{token}/revoke.
func (s *server) revokeToken(w http.ResponseWriter, r *http.Request, c *signedIn) {
	id, err := pathID(r, "token")
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	if err := s.cfg.Ops.RevokeToken(r.Context(), c.caller(), id); err != nil {
		s.fail(w, r, c, err)
		return
	}
	redirect(w, r, "/settings?done=revoked")
}
