package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ecoscan/ecoscan/internal/service/auth"
	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// The cookies. With SecureCookies they carry the __Host- prefix, which
// browsers accept only with Secure, Path=/ and no Domain, so that no
// sibling host and no plain-HTTP page can set or shadow them.
const (
	sessionCookie = "ecoscan_session" // the session id (the store keeps its hash)
	signInCookie  = "ecoscan_signin"  // the sign-in form's CSRF token (double submit)
	hostPrefix    = "__Host-"
)

// signInCookieTTL is how long a sign-in form stays usable.
const signInCookieTTL = time.Hour

// maxEmail bounds the e-mail address of a sign-in.
const maxEmail = 320

// signedIn is who made a request: the session and its user with the
// user's memberships, read afresh on every request so that a removed
// member loses access at once.
type signedIn struct {
	session     platform.Session
	user        platform.User
	memberships []platform.Membership
}

func (s *server) cookieName(base string) string {
	if s.cfg.SecureCookies {
		return hostPrefix + base
	}
	return base
}

// setCookie sets a cookie of the dashboard: host-only, path /, HttpOnly,
// SameSite as given, Secure unless the service runs on plain HTTP.
func (s *server) setCookie(w http.ResponseWriter, name, value string, maxAge time.Duration, sameSite http.SameSite) {
	c := &http.Cookie{
		Name:     s.cookieName(name),
		Value:    value,
		Path:     "/",
		MaxAge:   int(maxAge / time.Second),
		Secure:   s.cfg.SecureCookies,
		HttpOnly: true,
		SameSite: sameSite,
	}
	if maxAge < 0 {
		c.MaxAge = -1
		c.Value = ""
	}
	http.SetCookie(w, c)
}

// session finds the request's session: nil without a valid one.
func (s *server) session(r *http.Request) (*signedIn, error) {
	c, err := r.Cookie(s.cookieName(sessionCookie))
	if err != nil || c.Value == "" || len(c.Value) > 128 {
		return nil, nil
	}
	ctx := r.Context()
	sess, err := s.cfg.Store.SessionByHash(ctx, auth.HashToken(c.Value), s.now())
	if errors.Is(err, platform.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read session: %w", err)
	}
	user, err := s.cfg.Store.User(ctx, sess.User)
	if errors.Is(err, platform.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read session user: %w", err)
	}
	ms, err := s.cfg.Store.MembershipsOf(ctx, user.ID)
	if err != nil {
		return nil, fmt.Errorf("read memberships: %w", err)
	}
	return &signedIn{session: sess, user: user, memberships: ms}, nil
}

// signInForm is what the sign-in page shows.
type signInForm struct {
	Email string
	Next  string
}

// showSignIn answers GET /signin: the form, with a fresh double-submit
// CSRF token in a cookie and in the form.
func (s *server) showSignIn(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	if c, err := s.session(r); err == nil && c != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	s.renderSignIn(w, r, http.StatusOK, signInForm{Next: safeNext(r.URL.Query().Get("next"))}, "")
}

func (s *server) renderSignIn(w http.ResponseWriter, r *http.Request, status int, form signInForm, problem string) {
	token := auth.NewSecret()
	s.setCookie(w, signInCookie, token, signInCookieTTL, http.SameSiteStrictMode)
	s.render(w, r, status, "signin", &page{Title: "Sign in", CSRF: token, Error: problem, Body: form})
}

// signIn answers POST /signin.
func (s *server) signIn(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := parseForm(r); err != nil {
		s.renderSignIn(w, r, http.StatusBadRequest, signInForm{}, err.Error())
		return
	}
	form := signInForm{Email: strings.TrimSpace(r.PostFormValue("email")), Next: safeNext(r.PostFormValue("next"))}
	cookie, err := r.Cookie(s.cookieName(signInCookie))
	if err != nil || cookie.Value == "" ||
		subtle.ConstantTimeCompare([]byte(cookie.Value), []byte(r.PostFormValue(csrfField))) != 1 {
		s.renderSignIn(w, r, http.StatusForbidden, form, errCSRF.Error())
		return
	}
	password := r.PostFormValue("password")
	if form.Email == "" || password == "" {
		s.renderSignIn(w, r, http.StatusBadRequest, form, "Enter your e-mail address and your password.")
		return
	}
	if len(form.Email) > maxEmail || len(password) > auth.MaxPassword {
		s.renderSignIn(w, r, http.StatusBadRequest, form, "The e-mail address or the password is too long.")
		return
	}

	now := s.now()
	emailKey, ipKey := strings.ToLower(form.Email), clientIP(r)
	if wait := max(s.byEmail.retryAfter(emailKey, now), s.byIP.retryAfter(ipKey, now)); wait > 0 {
		minutes := int(math.Ceil(wait.Minutes()))
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		s.renderSignIn(w, r, http.StatusTooManyRequests, form,
			fmt.Sprintf("Too many failed sign-ins. Try again in %d minute%s.", minutes, pluralS(minutes)))
		return
	}

	user, ok, err := s.checkPassword(r.Context(), form.Email, password)
	if err != nil {
		s.serverError(w, r, nil, fmt.Errorf("sign in: %w", err))
		return
	}
	if !ok {
		s.byEmail.fail(emailKey, now)
		s.byIP.fail(ipKey, now)
		s.log.Info("failed sign-in", "ip", ipKey)
		s.renderSignIn(w, r, http.StatusUnauthorized, form, "The e-mail address or the password is wrong.")
		return
	}
	s.byEmail.forget(emailKey)

	// A new id at every sign-in: a session id planted before it is worth
	// nothing after.
	if old, err := r.Cookie(s.cookieName(sessionCookie)); err == nil && old.Value != "" {
		if err := s.cfg.Store.DeleteSession(r.Context(), auth.HashToken(old.Value)); err != nil && !errors.Is(err, platform.ErrNotFound) {
			s.log.Warn("drop previous session", "err", err)
		}
	}
	plain, hash := auth.NewSessionID()
	sess := platform.Session{Hash: hash, User: user.ID, CSRF: auth.NewSecret(), CreatedAt: now, ExpiresAt: now.Add(s.cfg.SessionTTL)}
	if err := s.cfg.Store.CreateSession(r.Context(), sess); err != nil {
		s.serverError(w, r, nil, fmt.Errorf("create session: %w", err))
		return
	}
	s.setCookie(w, sessionCookie, plain, s.cfg.SessionTTL, http.SameSiteLaxMode)
	s.setCookie(w, signInCookie, "", -1, http.SameSiteStrictMode)
	s.log.Info("signed in", "user", user.ID)
	http.Redirect(w, r, form.Next, http.StatusSeeOther)
}

// checkPassword finds the user and checks the password. An unknown address
// or a user without a password costs the same hashing as a wrong password,
// so the answer time does not tell which addresses exist. At most
// cap(s.hashing) checks run at once: each takes 64 MiB.
func (s *server) checkPassword(ctx context.Context, email, password string) (platform.User, bool, error) {
	user, err := s.cfg.Store.UserByEmail(ctx, email)
	if err != nil && !errors.Is(err, platform.ErrNotFound) {
		return platform.User{}, false, fmt.Errorf("find user: %w", err)
	}
	hash := user.PasswordHash
	if err != nil || hash == "" {
		if hash, err = s.decoyHash(); err != nil {
			return platform.User{}, false, err
		}
	}
	select {
	case s.hashing <- struct{}{}:
	case <-ctx.Done():
		return platform.User{}, false, ctx.Err()
	}
	ok := auth.CheckPassword(hash, password)
	<-s.hashing
	return user, ok && user.ID != 0 && user.PasswordHash != "", nil
}

// decoyHash is a hash of a random password, made once, that unknown
// addresses are checked against.
func (s *server) decoyHash() (string, error) {
	s.decoyOnce.Do(func() {
		s.decoy, s.decoyErr = auth.HashPassword(auth.NewSecret())
	})
	return s.decoy, s.decoyErr
}

// signOut answers POST /signout: the session is deleted, not just the
// cookie.
func (s *server) signOut(w http.ResponseWriter, r *http.Request, c *signedIn) {
	if err := s.cfg.Store.DeleteSession(r.Context(), c.session.Hash); err != nil && !errors.Is(err, platform.ErrNotFound) {
		s.serverError(w, r, c, fmt.Errorf("sign out: %w", err))
		return
	}
	s.setCookie(w, sessionCookie, "", -1, http.SameSiteLaxMode)
	redirect(w, r, "/signin")
}

// clientIP is the address the request came from, as the connection says:
// X-Forwarded-For is not trusted, because anyone can send it.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// safeNext is where to go after signing in: a path of this site only, never
// another host ("//evil", "/\evil", "https://evil") and nothing that a
// browser could read as one. The dashboard's own addresses are printable
// ASCII (RequestURI is escaped), so anything else is refused.
func safeNext(next string) string {
	if next == "" || len(next) > 2048 || next[0] != '/' || strings.HasPrefix(next, "/signin") {
		return "/"
	}
	if len(next) > 1 && (next[1] == '/' || next[1] == '\\') {
		return "/"
	}
	for _, c := range next {
		if c < 0x21 || c > 0x7e || c == '\\' {
			return "/"
		}
	}
	if u, err := url.ParseRequestURI(next); err != nil || u.Scheme != "" || u.Host != "" {
		return "/"
	}
	return next
}

func pluralS(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
