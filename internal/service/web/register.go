package web

import (
	"errors"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ecoscan/ecoscan/internal/connect/token"
	"github.com/ecoscan/ecoscan/internal/service/api"
	"github.com/ecoscan/ecoscan/internal/service/auth"
	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// newAppView is the page with the forms that register apps.
type newAppView struct {
	Org  orgView
	CSRF string
	// Key is the registration's idempotency key: a form sent twice (a
	// double click, a retried post) registers one app.
	Key string
	// The Connect form's values after a refusal (never the secrets).
	Kind          platform.AppKind
	Name          string
	DescriptorURL string
	Interval      string
}

// intervalChoice is one option of the scan interval select.
type intervalChoice struct {
	Hours    int
	Label    string
	Selected bool
}

// intervalOptions is the select of one form: its id and choices.
type intervalOptions struct {
	ID      string
	Choices []intervalChoice
}

// intervalSelect marks the choice the form had (24 hours by default).
func intervalSelect(id string, v newAppView) intervalOptions {
	out := intervalOptions{ID: id}
	chosen := v.Interval
	if chosen == "" {
		chosen = "24"
	}
	for _, c := range intervalChoices {
		c.Selected = strconv.Itoa(c.Hours) == chosen
		out.Choices = append(out.Choices, c)
	}
	return out
}

var intervalChoices = []intervalChoice{
	{Hours: 1, Label: "every hour"}, {Hours: 6, Label: "every 6 hours"}, {Hours: 12, Label: "every 12 hours"},
	{Hours: 24, Label: "every day"}, {Hours: 168, Label: "every week"},
}

// newApp answers GET /orgs/{org}/apps/new.
func (s *server) newApp(w http.ResponseWriter, r *http.Request, c *signedIn) {
	s.showNewApp(w, r, c, http.StatusOK, "", newAppView{Interval: "24"})
}

func (s *server) showNewApp(w http.ResponseWriter, r *http.Request, c *signedIn, status int, problem string, v newAppView) {
	o, err := s.org(r, c)
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	v.Org, v.CSRF, v.Key = o, c.session.CSRF, auth.NewSecret()
	p := layoutPage(c, "Register an app · "+o.Name, "apps")
	p.Org, p.Body, p.Error = &o, v, problem
	s.render(w, r, status, "newapp", p)
}

// formInterval reads the interval select (hours).
func formInterval(r *http.Request) (time.Duration, error) {
	v := r.PostFormValue("interval_hours")
	if v == "" {
		return 0, nil
	}
	h, err := strconv.Atoi(v)
	if err != nil || h <= 0 || h > 24*366 {
		return 0, errors.New("scan interval: choose one of the options")
	}
	return time.Duration(h) * time.Hour, nil
}

// registerConnect answers POST /orgs/{org}/apps/connect.
func (s *server) registerConnect(w http.ResponseWriter, r *http.Request, c *signedIn) {
	o, err := s.org(r, c)
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	form := newAppView{Kind: platform.Connect, Name: r.PostFormValue("name"), DescriptorURL: r.PostFormValue("descriptor_url"),
		Interval: r.PostFormValue("interval_hours")}
	interval, err := formInterval(r)
	if err != nil {
		s.showNewApp(w, r, c, http.StatusUnprocessableEntity, err.Error(), form)
		return
	}
	app, _, err := s.cfg.Ops.CreateApp(r.Context(), c.caller(), o.ID, api.AppInput{
		Kind:           platform.Connect,
		Name:           form.Name,
		DescriptorURL:  strings.TrimSpace(form.DescriptorURL),
		SharedSecret:   token.Secret(strings.TrimSpace(r.PostFormValue("shared_secret"))),
		ClientKey:      token.Secret(strings.TrimSpace(r.PostFormValue("client_key"))),
		UserJWT:        token.Secret(strings.TrimSpace(r.PostFormValue("user_jwt"))),
		Interval:       interval,
		IdempotencyKey: r.PostFormValue("key"),
	})
	if err != nil {
		s.refused(w, r, c, err, func(status int, msg string) { s.showNewApp(w, r, c, status, msg, form) })
		return
	}
	s.log.Info("app registered", "org", o.ID, "app", app.ID, "user", c.user.ID)
	redirect(w, r, appURL(o.ID, app.ID)+"?done=registered")
}

// registerForge answers POST /orgs/{org}/apps/forge: registers a Forge app
// and uploads its first source archive.
func (s *server) registerForge(w http.ResponseWriter, r *http.Request, c *signedIn) {
	o, err := s.org(r, c)
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	form := newAppView{Kind: platform.Forge, Name: r.PostFormValue("name"), Interval: r.PostFormValue("interval_hours")}
	again := func(status int, msg string) { s.showNewApp(w, r, c, status, msg, form) }
	interval, err := formInterval(r)
	if err != nil {
		again(http.StatusUnprocessableEntity, err.Error())
		return
	}
	archive, err := formFile(r, "archive")
	if err != nil {
		again(http.StatusUnprocessableEntity, err.Error())
		return
	}
	defer archive.Close()
	app, _, err := s.cfg.Ops.CreateApp(r.Context(), c.caller(), o.ID, api.AppInput{
		Kind: platform.Forge, Name: form.Name, Interval: interval, IdempotencyKey: r.PostFormValue("key"),
	})
	if err != nil {
		s.refused(w, r, c, err, again)
		return
	}
	if err := s.putArchive(r, c, o, app.ID, archive); err != nil {
		// The app exists: its page says so and takes another archive.
		s.refused(w, r, c, err, func(status int, msg string) {
			s.errorPage(w, r, c, status, "The app was registered, but its archive was refused: "+msg)
		})
		return
	}
	s.log.Info("forge app registered", "org", o.ID, "app", app.ID, "user", c.user.ID)
	redirect(w, r, appURL(o.ID, app.ID)+"?done=archive")
}

// uploadArchive answers POST /orgs/{org}/apps/{app}/archive: a new source
// archive of a Forge app.
func (s *server) uploadArchive(w http.ResponseWriter, r *http.Request, c *signedIn) {
	o, app, err := s.app(r, c)
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	again := func(status int, msg string) { s.errorPage(w, r, c, status, "The archive was refused: "+msg) }
	archive, err := formFile(r, "archive")
	if err != nil {
		again(http.StatusUnprocessableEntity, err.Error())
		return
	}
	defer archive.Close()
	if err := s.putArchive(r, c, o, app.ID, archive); err != nil {
		s.refused(w, r, c, err, again)
		return
	}
	redirect(w, r, appURL(o.ID, app.ID)+"?done=archive")
}

// errNoArchive: the form came without a file.
var errNoArchive = errors.New("choose a .zip or .tar.gz file of the app's source")

// formFile opens an uploaded file of the multipart form (parsed and
// limited by the CSRF check); the caller closes it.
func formFile(r *http.Request, field string) (multipart.File, error) {
	if err := parseForm(r); err != nil {
		return nil, err
	}
	f, hdr, err := r.FormFile(field)
	if err != nil {
		return nil, errNoArchive
	}
	if hdr.Size == 0 {
		f.Close()
		return nil, errNoArchive
	}
	return f, nil
}

// appURL is the address of an app's page.
func appURL(org, app int64) string {
	return "/orgs/" + strconv.FormatInt(org, 10) + "/apps/" + strconv.FormatInt(app, 10)
}
