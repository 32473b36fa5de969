// Package api is the JSON HTTP API of `ecoscan serve` and the operations
// behind it.
//
// The operations (Ops) are what people do on the platform: create
// organizations, manage members and API tokens, register apps and upload
// their source, run scans, read findings, move tickets, add webhooks. They
// check permissions and input, seal secrets and call the store and the job
// queue; the API's handlers only decode requests, call them and encode the
// answers, and the web dashboard calls the same operations from its forms.
// Status maps their errors to HTTP statuses in one place.
//
// The API (New) authenticates every /v1 request by an API token
// ("Authorization: Bearer eco_..."), scopes it to the organization in the
// path, limits the rate of each token (and of each remote address without
// a valid token), and answers JSON only, errors included:
//
//	{"error": {"code": "invalid", "message": "...", "field": "descriptor_url"}}
//
// Listings are pages, newest first: {"items": [...], "next": "<cursor>"},
// the next page being ?before=<cursor>. The routes are described by the
// OpenAPI document served at /v1/openapi.json.
package api

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ecoscan/ecoscan/internal/service/platform"
)

//go:embed openapi.json
var openAPIDocument []byte

// New returns the API's handler. It serves the paths of the route table
// (/v1/..., /healthz, /readyz, /metrics), whatever it is mounted under.
func New(cfg Config) http.Handler {
	ops := NewOps(cfg)
	s := &server{
		cfg:    ops.cfg,
		ops:    ops,
		mux:    http.NewServeMux(),
		tokens: newLimiters(ops.cfg.RateLimit, ops.cfg.Burst),
		ips:    newLimiters(ops.cfg.RateLimit, ops.cfg.Burst),
	}
	for _, rt := range routes {
		s.mux.Handle(rt.Method+" "+rt.Pattern, s.handler(rt))
	}
	s.mux.Handle("/", http.HandlerFunc(s.unmatched))
	return s
}

// server is the API's handler.
type server struct {
	cfg    Config
	ops    *Ops
	mux    *http.ServeMux
	tokens *limiters // by API token id
	ips    *limiters // by remote address, for requests without a valid token
}

// access is what the access log says about a request beyond the request
// itself; handlers fill it in through the request's context.
type access struct {
	user, token int64
	err         error // an internal error, logged and not shown
}

type accessKey struct{}

// ServeHTTP sets the security headers, recovers from panics and writes the
// access log around the route's handler.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := requestID()
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Strict-Transport-Security", "max-age=31536000")
	h.Set("X-Request-Id", id)

	rec := &recorder{ResponseWriter: w}
	acc := &access{}
	r = r.WithContext(context.WithValue(r.Context(), accessKey{}, acc))
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			acc.err = fmt.Errorf("panic: %v", p)
			if rec.status == 0 {
				writeError(rec, http.StatusInternalServerError, "internal", "internal error", "")
			}
		}
		attrs := []slog.Attr{
			slog.String("request_id", id),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", rec.statusOr200()),
			slog.Int64("bytes", rec.bytes),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
			slog.String("remote", remoteIP(r)),
		}
		if acc.user != 0 {
			attrs = append(attrs, slog.Int64("user_id", acc.user), slog.Int64("token_id", acc.token))
		}
		level := slog.LevelInfo
		if acc.err != nil {
			level = slog.LevelError
			attrs = append(attrs, slog.String("error", acc.err.Error()))
		}
		s.cfg.Logger.LogAttrs(r.Context(), level, "request", attrs...)
	}()
	s.mux.ServeHTTP(rec, r)
}

// handler wraps a route: authentication, rate limit, body limit, and the
// error answer.
func (s *server) handler(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		acc := r.Context().Value(accessKey{}).(*access)
		now := s.cfg.Now()
		var c Caller
		switch {
		case rt.Auth:
			var ok bool
			if c, ok = s.authenticate(w, r, acc, now); !ok {
				return
			}
		case rt.Limited:
			if ok, wait := s.ips.allow(remoteIP(r), now); !ok {
				tooMany(w, wait)
				return
			}
		}
		limit := s.cfg.MaxBody
		if rt.Archive {
			limit = s.cfg.MaxArchive
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		if err := rt.Handle(s, w, r, c); err != nil {
			s.fail(w, r, err)
		}
	})
}

// authenticate finds the caller of an authenticated route. On failure it
// has answered (401, or 429 when the remote address has failed too often,
// or when the token's rate is exceeded) and returns false.
func (s *server) authenticate(w http.ResponseWriter, r *http.Request, acc *access, now time.Time) (Caller, bool) {
	scheme, bearer, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	bearer = strings.TrimSpace(bearer)
	var (
		c   Caller
		tok platform.Token
		err error
	)
	if strings.EqualFold(scheme, "Bearer") && bearer != "" {
		c, tok, err = s.ops.CallerFromToken(r.Context(), bearer)
	} else {
		err = fmt.Errorf("%w: no bearer token", ErrUnauthorized)
	}
	if err != nil {
		if !errors.Is(err, ErrUnauthorized) {
			s.fail(w, r, err)
			return Caller{}, false
		}
		if ok, wait := s.ips.allow(remoteIP(r), now); !ok {
			tooMany(w, wait)
			return Caller{}, false
		}
		value := `Bearer realm="ecoscan"`
		if bearer != "" {
			value += `, error="invalid_token"`
		}
		w.Header().Set("WWW-Authenticate", value)
		writeError(w, http.StatusUnauthorized, errorCode(http.StatusUnauthorized), publicMessage(http.StatusUnauthorized, err), "")
		return Caller{}, false
	}
	acc.user, acc.token = c.User.ID, tok.ID
	if ok, wait := s.tokens.allow(strconv.FormatInt(tok.ID, 10), now); !ok {
		tooMany(w, wait)
		return Caller{}, false
	}
	return c, true
}

// fail answers an error of an operation.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := Status(err)
	field := ""
	var fe *FieldError
	if errors.As(err, &fe) {
		field = fe.Field
	}
	if status == http.StatusInternalServerError {
		if acc, ok := r.Context().Value(accessKey{}).(*access); ok {
			acc.err = err
		}
	}
	writeError(w, status, errorCode(status), publicMessage(status, err), field)
}

// unmatched answers the requests no route takes: 405 with Allow when the
// path exists for other methods, else 404.
func (s *server) unmatched(w http.ResponseWriter, r *http.Request) {
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "/" && pattern != "" {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeError(w, http.StatusMethodNotAllowed, errorCode(http.StatusMethodNotAllowed),
			fmt.Sprintf("%s is not allowed here; allowed: %s", r.Method, strings.Join(allowed, ", ")), "")
		return
	}
	writeError(w, http.StatusNotFound, errorCode(http.StatusNotFound), "no such route: "+r.URL.Path, "")
}

// errorBody is the one shape of every error answer.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func writeError(w http.ResponseWriter, status int, code, message, field string) {
	writeJSON(w, status, errorBody{errorDetail{Code: code, Message: message, Field: field}})
}

// tooMany answers 429 with the seconds to wait.
func tooMany(w http.ResponseWriter, wait time.Duration) {
	secs := max(1, int((wait+time.Second-1)/time.Second))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	writeError(w, http.StatusTooManyRequests, errorCode(http.StatusTooManyRequests),
		fmt.Sprintf("too many requests; retry in %d s", secs), "")
}

// writeJSON answers v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"error":{"code":"internal","message":"internal error"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// recorder remembers the status and size of an answer for the access log.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *recorder) statusOr200() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}

// remoteIP is the address the request came from (proxies' forwarding
// headers are not trusted).
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func requestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
