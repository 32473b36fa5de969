package web

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
)

// contentSecurityPolicy allows the dashboard's own files and nothing else:
// no inline script or style (the pages have none; htmx is told not to add
// its indicator styles), no plugins, no framing, no <base>, and forms that
// post only here.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// hsts asks browsers to use HTTPS only for two years. It is sent on every
// answer, also over plain HTTP (where browsers ignore it), because the
// service usually sits behind a proxy that terminates TLS.
const hsts = "max-age=63072000; includeSubDomains"

// securityHeaders sets the headers every answer carries, static files and
// errors included. Answers are no-store unless they say otherwise (only
// the static files do), so that even the mux's own answers (405) are
// not kept.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		noStore(w)
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("Strict-Transport-Security", hsts)
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		next.ServeHTTP(w, r)
	})
}

// noStore marks an answer that carries data: no browser or proxy keeps a
// copy.
func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
}

// safeMethod reports whether a request's method changes nothing; every
// other method must pass the cross-origin and CSRF checks.
func safeMethod(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}

// The names the CSRF token travels under: a form field, or a header that
// app.js adds to every htmx request from the page's csrf-token meta tag.
const (
	csrfField  = "csrf"
	csrfHeader = "X-CSRF-Token"
)

// errCSRF is a state change without the session's CSRF token.
var errCSRF = errors.New("the form has expired or did not come from this site: reload the page and try again")

// checkCSRF compares the request's CSRF token, from the header or the form,
// with want in constant time. The form is parsed here, so the body must
// already be limited.
func checkCSRF(r *http.Request, want string) error {
	got := r.Header.Get(csrfHeader)
	if got == "" {
		if err := parseForm(r); err != nil {
			return err
		}
		got = r.PostFormValue(csrfField)
	}
	if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return errCSRF
	}
	return nil
}

// maxForm bounds the body of an ordinary form post.
const maxForm = 64 << 10

// maxMultipartMemory is how much of a multipart body (an archive upload) is
// kept in memory; the rest goes to a temporary file.
const maxMultipartMemory = 8 << 20

// parseForm reads a url-encoded or multipart form body once.
func parseForm(r *http.Request) error {
	if r.Form != nil || r.MultipartForm != nil {
		return nil
	}
	var err error
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		err = r.ParseMultipartForm(maxMultipartMemory)
	} else {
		err = r.ParseForm()
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return errTooLarge
	}
	if err != nil {
		return errBadForm
	}
	return nil
}

var (
	errTooLarge = errors.New("the upload is too large")
	errBadForm  = errors.New("the form could not be read")
)
