// Package web is the dashboard of `ecoscan serve`: the pages people use to
// see their organizations' apps, scans, findings and tickets, to register
// apps and run scans, to move tickets through the fix workflow, and to
// manage members and API tokens.
//
// Pages are html/template documents; htmx 2 (for the scan button, the scan
// status and ticket changes) and uPlot (the scan history chart) are
// vendored under static/vendor and embedded, so the binary serves
// everything itself: no CDN and no build step. Every form works without
// script too.
//
// Every read and change goes through api.Ops, the operations the REST API
// uses, so the dashboard has no validation or permission rules of its own:
// a user sees the organizations they belong to (the platform security team
// sees all), and anything of another organization answers 404, as a page
// that does not exist. The store is used directly only for what precedes
// a caller: users, passwords and sessions.
//
// Its own security: sessions live in the store (the cookie holds a random
// id, the store its SHA-256 hash); cookies are HttpOnly, SameSite and, with
// Config.SecureCookies, Secure with the __Host- prefix; every POST, PUT and
// DELETE needs the session's CSRF token (a hidden form field, or the
// X-CSRF-Token header that static/app.js sets on htmx requests) and must
// not come from another origin; failed sign-ins are limited per e-mail
// address and per client address; every answer carries a strict
// Content-Security-Policy without 'unsafe-inline', HSTS, Referrer-Policy
// no-referrer and nosniff, and every page Cache-Control: no-store.
package web

import (
	"cmp"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/ecoscan/ecoscan/internal/service/api"
	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// Config is what the dashboard needs.
type Config struct {
	Store platform.Store // required
	Ops   *api.Ops       // required: every change goes through it
	// Queue is the scan queue; the app page shows how many scans wait
	// ahead when a scan is queued. Optional.
	Queue  platform.Queue
	Now    func() time.Time // default time.Now
	Logger *slog.Logger     // default slog.Default()
	// SecureCookies marks the cookies Secure and names them with the
	// __Host- prefix. Set it whenever browsers reach the service over
	// HTTPS, directly or through a proxy that terminates TLS: that is every
	// deployment. Only a test server on plain http://127.0.0.1 leaves it
	// false, because browsers do not send Secure cookies over plain HTTP.
	SecureCookies bool
	// SessionTTL is how long a sign-in lasts; default 12 hours.
	SessionTTL time.Duration
	// SignInLimits bound failed sign-ins; zero fields take the defaults.
	SignInLimits SignInLimits
}

// DefaultSessionTTL is the length of a session when Config.SessionTTL is
// zero.
const DefaultSessionTTL = 12 * time.Hour

// maxConcurrentPasswordChecks bounds the argon2id checks running at once
// (each takes 64 MiB and a core for a while).
const maxConcurrentPasswordChecks = 2

// server is the dashboard.
type server struct {
	cfg       Config
	log       *slog.Logger
	assets    assets
	templates map[string]*template.Template

	byEmail, byIP *failureLimiter
	hashing       chan struct{}

	decoyOnce sync.Once
	decoy     string
	decoyErr  error
}

// New makes the dashboard's handler, to be mounted at "/".
func New(cfg Config) (http.Handler, error) {
	if cfg.Store == nil {
		return nil, errors.New("web: no store")
	}
	if cfg.Ops == nil {
		return nil, errors.New("web: no api.Ops")
	}
	if cfg.SessionTTL < 0 {
		return nil, fmt.Errorf("web: negative session lifetime %v", cfg.SessionTTL)
	}
	cfg.SessionTTL = cmp.Or(cfg.SessionTTL, DefaultSessionTTL)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.SignInLimits = cfg.SignInLimits.withDefaults()

	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	files, err := loadAssets(sub)
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	s := &server{
		cfg:     cfg,
		log:     cfg.Logger.With("component", "web"),
		assets:  files,
		byEmail: newFailureLimiter(cfg.SignInLimits.PerEmail, cfg.SignInLimits.Refill),
		byIP:    newFailureLimiter(cfg.SignInLimits.PerIP, cfg.SignInLimits.Refill),
		hashing: make(chan struct{}, maxConcurrentPasswordChecks),
	}
	if s.templates, err = parseTemplates(s.funcs()); err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	return s.routes(), nil
}

func (s *server) now() time.Time { return s.cfg.Now().UTC() }

// Body limits of the form posts.
const (
	// maxArchiveUpload bounds a Forge archive upload; api.Ops applies the
	// archive rules themselves.
	maxArchiveUpload = 64 << 20
)

func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /static/{name...}", s.assets.serve)
	mux.HandleFunc("GET /signin", s.showSignIn)
	mux.HandleFunc("POST /signin", s.signIn)
	mux.Handle("POST /signout", s.authed(maxForm, s.signOut))

	mux.Handle("GET /{$}", s.authed(0, s.overview))
	mux.Handle("GET /orgs/{org}/apps/new", s.authed(0, s.newApp))
	mux.Handle("POST /orgs/{org}/apps/connect", s.authed(maxForm, s.registerConnect))
	mux.Handle("POST /orgs/{org}/apps/forge", s.authed(maxArchiveUpload, s.registerForge))
	mux.Handle("GET /orgs/{org}/apps/{app}", s.authed(0, s.appPage))
	mux.Handle("GET /orgs/{org}/apps/{app}/history", s.authed(0, s.appHistory))
	mux.Handle("GET /orgs/{org}/apps/{app}/scans/{scan}/status", s.authed(0, s.scanStatusFragment))
	mux.Handle("POST /orgs/{org}/apps/{app}/scan", s.authed(maxForm, s.scanNow))
	mux.Handle("POST /orgs/{org}/apps/{app}/archive", s.authed(maxArchiveUpload, s.uploadArchive))
	mux.Handle("GET /orgs/{org}/tickets", s.authed(0, s.ticketsPage))
	mux.Handle("GET /orgs/{org}/tickets/{ticket}", s.authed(0, s.ticketPage))
	mux.Handle("POST /orgs/{org}/tickets/{ticket}/state", s.authed(maxForm, s.changeTicket))
	mux.Handle("GET /orgs/{org}/members", s.authed(0, s.membersPage))
	mux.Handle("POST /orgs/{org}/members", s.authed(maxForm, s.setMember))
	mux.Handle("POST /orgs/{org}/members/{user}/remove", s.authed(maxForm, s.removeMember))
	mux.Handle("GET /settings", s.authed(0, s.settingsPage))
	mux.Handle("POST /settings/tokens", s.authed(maxForm, s.createToken))
	mux.Handle("POST /settings/tokens/{token}/revoke", s.authed(maxForm, s.revokeToken))
	mux.HandleFunc("/", s.notFound)

	// A browser's state change from another origin is refused before
	// anything else looks at it (Sec-Fetch-Site, else Origin against Host).
	origin := http.NewCrossOriginProtection()
	origin.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		noStore(w)
		s.render(w, r, http.StatusForbidden, "error", &page{Title: "Refused",
			Body: errorView{Message: "This request came from another site and was refused."}})
	}))
	return securityHeaders(origin.Handler(mux))
}

// authedHandler serves a signed-in request.
type authedHandler func(w http.ResponseWriter, r *http.Request, c *signedIn)

// authed wraps a handler of signed-in users: without a session it sends the
// browser to the sign-in page; with one it marks the answer no-store and,
// for anything but GET and HEAD, limits the body to limit bytes and checks
// the CSRF token.
func (s *server) authed(limit int64, h authedHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		noStore(w)
		c, err := s.session(r)
		if err != nil {
			s.serverError(w, r, nil, err)
			return
		}
		if c == nil {
			if safeMethod(r.Method) {
				redirect(w, r, "/signin?next="+urlQueryEscape(r.URL.RequestURI()))
			} else {
				redirect(w, r, "/signin")
			}
			return
		}
		if !safeMethod(r.Method) {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			if err := checkCSRF(r, c.session.CSRF); err != nil {
				status := http.StatusForbidden
				if errors.Is(err, errTooLarge) {
					status = http.StatusRequestEntityTooLarge
				} else if errors.Is(err, errBadForm) {
					status = http.StatusBadRequest
				}
				s.errorPage(w, r, c, status, err.Error())
				return
			}
		}
		h(w, r, c)
	})
}

// redirect sends the browser on with 303 See Other; htmx requests get
// HX-Redirect instead, so that the whole page changes rather than a
// fragment.
func redirect(w http.ResponseWriter, r *http.Request, to string) {
	if isHTMX(r) {
		w.Header().Set("HX-Redirect", to)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// isHTMX reports whether htmx sent the request (and wants a fragment).
func isHTMX(r *http.Request) bool { return r.Header.Get("HX-Request") == "true" }

// pathID reads the numeric id named name from the request path; a bad one
// is not found.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%s %q: %w", name, r.PathValue(name), platform.ErrNotFound)
	}
	return id, nil
}
