package connecttest

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"html"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ecoscan/ecoscan/internal/connect/qsh"
)

// hostilePaths are the Hostile flaw's extra pages.
var hostilePaths = []string{"/hang", "/loop", "/stream", "/bomb", "/reset", "/garbage", "/fail"}

func (a *App) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /atlassian-connect.json", a.serveDescriptor)
	mux.HandleFunc("GET /static/{file}", a.serveStatic)
	mux.HandleFunc("GET /glance", a.serveShell)
	mux.HandleFunc("GET /glance-content", a.serveShell)
	mux.HandleFunc("GET /page", a.page("/page", false))
	mux.HandleFunc("GET /help", a.page("/help", false))
	mux.HandleFunc("GET /admin-report", a.page("/admin-report", true))
	mux.HandleFunc("GET /admin", a.page("/admin", true))
	mux.HandleFunc("GET /configure", a.page("/configure", true))
	mux.HandleFunc("GET /panel/{issue}/{project}", a.page("/panel", false))
	mux.HandleFunc("GET /p/{n}", a.page("/p", false))
	mux.HandleFunc("POST /webhook/issue-created", a.hook("/webhook"))
	mux.HandleFunc("POST /enabled", a.hook("/enabled"))
	mux.HandleFunc("POST /disabled", a.hook("/disabled"))
	mux.HandleFunc("POST /installed", a.install(true))
	mux.HandleFunc("POST /uninstalled", a.install(false))
	if a.has(Hostile) {
		gzipBomb()
		a.hostileRoutes(mux)
	}
	return mux
}

// headers sets what every answer of the app carries. The Referrer-Policy
// lists an unsafe value first: browsers use the last one they know, so this
// is safe (CSRT reads the first and is wrong about it).
func (a *App) headers(w http.ResponseWriter, path string) {
	policy := "unsafe-url, strict-origin-when-cross-origin"
	if a.has(ReferrerUnsafe) && path == "/page" {
		policy = "strict-origin-when-cross-origin, unsafe-url"
	}
	w.Header().Set("Referrer-Policy", policy)
	w.Header().Set("Cache-Control", "no-store, no-cache")
	if path == "/page" {
		cookie := "connect.sid=s%3Afixture-session; Path=/; secure; httponly; SameSite=None"
		if a.has(CookieInsecure) {
			cookie = "connect.sid=s%3Afixture-session; Path=/; Secure; SameSite=Lax"
		}
		w.Header().Add("Set-Cookie", cookie)
	}
}

// refuse answers like atlassian-connect-express: an HTML error page.
func (a *App) refuse(w http.ResponseWriter, path string, status int, why string) {
	a.headers(w, path)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!doctype html><html><head><title>%d</title></head><body><h1>%s</h1><p>%s</p></body></html>",
		status, http.StatusText(status), html.EscapeString(why))
}

// page serves a module page: the data of an issue, for the authenticated user.
func (a *App) page(path string, adminOnly bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !a.wait(r) {
			return
		}
		sub, status, why := a.authenticate(r, path)
		if status != 0 && !(a.has(OpenPage) && path == "/page") {
			a.refuse(w, path, status, why)
			return
		}
		openToUser := (a.has(AdminOpenToUser) && path == "/admin") || (a.has(ReportOpenToUser) && path == "/admin-report")
		if adminOnly && sub != adminAccount && !openToUser {
			a.refuse(w, path, http.StatusForbidden, "administrators only")
			return
		}
		a.render(w, path, sub)
	}
}

// render writes a module page full of an issue's data.
func (a *App) render(w http.ResponseWriter, path, sub string) {
	a.headers(w, path)
	if a.has(CachePrivate) && path == "/page" {
		w.Header().Set("Cache-Control", "private, max-age=600")
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	meta := `<meta name="referrer" content="same-origin">`
	if a.has(ReferrerMetaUnsafe) && path == "/page" {
		meta = `<meta name="referrer" content="unsafe-url">`
	}
	fmt.Fprintf(w, `<!doctype html><html><head>%s<title>Issue report</title></head><body>
<h1>Issue report for %s</h1><table><tr><th>Issue</th><th>Summary</th><th>Assignee</th></tr>
<tr><td>ECO-1</td><td>Customer invoice export fails for large accounts</td><td>Mia Jones</td></tr>
<tr><td>ECO-2</td><td>Payroll spreadsheet shared with the wrong team</td><td>Ravi Patel</td></tr>
</table><p>Generated at %s for %s.</p></body></html>`, meta, html.EscapeString(path), time.Now().Format(time.RFC3339Nano), html.EscapeString(sub))
}

// wait sleeps the configured delay; false when the request went away.
func (a *App) wait(r *http.Request) bool {
	if a.cfg.Delay <= 0 {
		return true
	}
	t := time.NewTimer(a.cfg.Delay)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-a.stopping:
		return false
	}
}

// hook serves a webhook or an enabled/disabled lifecycle call.
func (a *App) hook(path string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, status, why := a.authenticate(r, path)
		if status != 0 && !(a.has(OpenWebhook) && path == "/webhook") {
			a.refuse(w, path, status, why)
			return
		}
		a.headers(w, path)
		w.WriteHeader(http.StatusNoContent)
	}
}

// install serves installed and uninstalled: signed install, RS256 with a key
// that Atlassian's install-keys service must know. The fixture knows no such
// key, so it refuses every token, as a careful app refuses keys it cannot fetch.
// The install flaws break only /installed.
func (a *App) install(installed bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a.verifyInstall(w, r, installed)
	}
}

func (a *App) verifyInstall(w http.ResponseWriter, r *http.Request, installed bool) {
	tok := tokenOf(r)
	switch {
	case a.has(UnsignedInstall) && installed && tok == "":
		a.headers(w, "/installed")
		w.WriteHeader(http.StatusNoContent)
		return
	case tok == "":
		a.refuse(w, "/installed", http.StatusUnauthorized, "no token")
		return
	}
	t, _, err := jwt.NewParser().ParseUnverified(tok, jwt.MapClaims{})
	if err != nil || t.Method.Alg() != "RS256" {
		a.refuse(w, "/installed", http.StatusUnauthorized, "signed install needs an RS256 token")
		return
	}
	if a.has(ForgedInstall) && installed {
		a.headers(w, "/installed")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	a.refuse(w, "/installed", http.StatusNotFound, "unknown key id")
}

// tokenOf reads the JWT from the Authorization header or the jwt parameter.
func tokenOf(r *http.Request) string {
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "JWT ") {
		return strings.TrimPrefix(h, "JWT ")
	}
	return r.URL.Query().Get("jwt")
}

// authenticate verifies a URL-bound Connect JWT the way a careful app does and
// returns the user's account id, or the status and reason of a refusal. The
// flaws weaken it on one endpoint each.
func (a *App) authenticate(r *http.Request, path string) (sub string, status int, why string) {
	flawed := func(f Flaw, p string) bool { return a.has(f) && path == p }
	tok := tokenOf(r)
	if tok == "" {
		return "", http.StatusUnauthorized, "no token"
	}
	unverified, _, err := jwt.NewParser().ParseUnverified(tok, jwt.MapClaims{})
	if err != nil {
		return "", http.StatusUnauthorized, "malformed token"
	}
	claims := unverified.Claims.(jwt.MapClaims)
	iss, _ := claims["iss"].(string)
	a.mu.Lock()
	secret, known := a.installs[iss]
	a.mu.Unlock()
	switch {
	case unverified.Method.Alg() == "none":
		if !flawed(AlgNoneAccepted, "/page") {
			return "", http.StatusUnauthorized, "unsigned token"
		}
	case flawed(ForgedAccepted, "/panel"):
		// reads the claims without verifying the signature
	default:
		if !known {
			if !flawed(IssuerNotVerified, "/page") {
				return "", http.StatusUnauthorized, "unknown issuer"
			}
			secret = a.SharedSecret
		}
		_, err := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithoutClaimsValidation()).
			Parse(tok, func(*jwt.Token) (any, error) { return []byte(secret), nil })
		if err != nil {
			return "", http.StatusBadRequest, "invalid signature"
		}
	}
	exp, err := claims.GetExpirationTime()
	if (err != nil || exp == nil || exp.Before(time.Now())) && !flawed(ExpiredAccepted, "/page") {
		return "", http.StatusUnauthorized, "expired token"
	}
	got, _ := claims["qsh"].(string)
	switch {
	case flawed(QSHIgnored, "/page"):
	case got == qsh.Context:
		if !flawed(ContextQSHAccepted, "/page") {
			return "", http.StatusUnauthorized, "context token on a URL-bound endpoint"
		}
	default:
		want, err := qsh.Hash(r.Method, r.URL.RequestURI(), a.BaseURL)
		if err != nil || got != want {
			return "", http.StatusUnauthorized, "qsh does not match the request"
		}
	}
	sub, _ = claims["sub"].(string)
	return sub, 0, ""
}

// serveStatic serves public assets.
func (a *App) serveStatic(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=86400")
	switch r.PathValue("file") {
	case "icon.png":
		w.Header().Set("Content-Type", "image/png")
		w.Write([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))
	case "app.js":
		w.Header().Set("Content-Type", "text/javascript")
		w.Write([]byte("AP.context.getToken().then(t => fetch('/api/data', {headers: {Authorization: 'JWT ' + t}}));"))
	default:
		http.NotFound(w, r)
	}
}

// serveShell is the cacheable glance: a public shell that authenticates later
// with a context token.
func (a *App) serveShell(w http.ResponseWriter, r *http.Request) {
	if a.has(CacheableForged) && r.URL.Path == "/glance" && tokenOf(r) != "" {
		a.render(w, "/glance", "") // takes any token for a real one
		return
	}
	w.Header().Set("Referrer-Policy", "strict-origin-when-cross-origin")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprint(w, `<!doctype html><html><head><script src="https://connect-cdn.atl-paas.net/all.js"></script>`+
		`<script src="/static/app.js"></script></head><body><div id="app">Loading</div></body></html>`)
}

// hostileRoutes are the endpoints of a hostile app.
func (a *App) hostileRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /hang", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-a.stopping:
		}
	})
	mux.HandleFunc("GET /loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop2?"+r.URL.RawQuery, http.StatusFound)
	})
	mux.HandleFunc("GET /loop2", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop?"+r.URL.RawQuery, http.StatusFound)
	})
	mux.HandleFunc("GET /stream", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		chunk := bytes.Repeat([]byte("<p>more</p>"), 8192)
		for {
			select {
			case <-r.Context().Done():
				return
			case <-a.stopping:
				return
			default:
			}
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("GET /bomb", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(gzipBomb())
	})
	mux.HandleFunc("GET /reset", func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		if tc, ok := conn.(interface{ NetConn() net.Conn }); ok {
			if tcp, ok := tc.NetConn().(*net.TCPConn); ok {
				tcp.SetLinger(0)
			}
		}
		conn.Close()
	})
	mux.HandleFunc("GET /garbage", func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		buf.WriteString("HTTP/1.1 2OO WHATEVER\r\nContent-Length: banana\r\n\r\n\x00\x01")
		buf.Flush()
		conn.Close()
	})
	mux.HandleFunc("GET /fail", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "internal error", http.StatusInternalServerError)
	})
}

var (
	bombOnce sync.Once
	bomb     []byte
)

// gzipBomb is about 30 KB of gzip that inflates to 32 MB, eight times what
// the scanner reads of one answer. It is made once, before the app serves.
func gzipBomb() []byte {
	bombOnce.Do(func() {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		zeros := make([]byte, 1<<20)
		for range 32 {
			zw.Write(zeros)
		}
		zw.Close()
		bomb = buf.Bytes()
	})
	return bomb
}
