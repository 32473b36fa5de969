// Package connecttest is a real Atlassian Connect app, served over TLS on
// loopback, for the scanner's tests, benchmarks and the bundled example. Its
// correct variant does what a careful app does (atlassian-connect-express is
// the model: every JWT verified by HS256 with the installation's secret, exp,
// iss and qsh checked, context tokens refused on URL-bound endpoints, signed
// installs verified, admins checked on the server, safe headers and cookies).
// Each Flaw breaks exactly one of those things on exactly one endpoint, so a
// test can expect exactly one finding.
package connecttest

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ecoscan/ecoscan/internal/connect/qsh"
)

// Flaw is one vulnerability the app can be started with; "" is the correct app.
type Flaw string

// The flaws, each with the finding a scan must report.
const (
	Correct            Flaw = ""
	ForgedAccepted     Flaw = "forged-accepted"      // /panel/{id} does not verify signatures
	AlgNoneAccepted    Flaw = "alg-none-accepted"    // /page accepts alg none
	OpenPage           Flaw = "open-page"            // /page serves data without a token
	OpenWebhook        Flaw = "open-webhook"         // the webhook accepts requests without a token
	ForgedInstall      Flaw = "forged-install"       // /installed accepts any RS256 token
	UnsignedInstall    Flaw = "unsigned-install"     // /installed accepts requests without a token
	SignedInstallOff   Flaw = "signed-install-off"   // the descriptor does not opt into signed install
	AdminOpenToUser    Flaw = "admin-open-to-user"   // /admin (an adminPages module) does not check that the user is an admin
	ReportOpenToUser   Flaw = "report-open-to-user"  // /admin-report (admin by its entry's condition) does not either
	ExpiredAccepted    Flaw = "expired-accepted"     // /page does not check exp
	IssuerNotVerified  Flaw = "issuer-not-verified"  // /page verifies with the one secret it knows, whatever the issuer
	QSHIgnored         Flaw = "qsh-ignored"          // /page does not check qsh
	ContextQSHAccepted Flaw = "context-qsh-accepted" // /page accepts context tokens
	CachePrivate       Flaw = "cache-private"        // /page sends Cache-Control: private
	ReferrerUnsafe     Flaw = "referrer-unsafe"      // /page's Referrer-Policy ends in unsafe-url
	ReferrerMetaUnsafe Flaw = "referrer-meta-unsafe" // /page's <meta name="referrer"> says unsafe-url
	CookieInsecure     Flaw = "cookie-insecure"      // /page's connect.sid lacks HttpOnly
	CacheableForged    Flaw = "cacheable-forged"     // the cacheable /glance serves data to any token
	HSTSShort          Flaw = "hsts-short"           // every answer's HSTS max-age is 300 seconds
	Hostile            Flaw = "hostile"              // extra endpoints that hang, loop, stream, bomb, reset, break HTTP, fail
)

// Flaws lists every flaw but Hostile, for tests that walk them all.
var Flaws = []Flaw{ForgedAccepted, AlgNoneAccepted, OpenPage, OpenWebhook, ForgedInstall, UnsignedInstall,
	SignedInstallOff, AdminOpenToUser, ReportOpenToUser, ExpiredAccepted, IssuerNotVerified, QSHIgnored, ContextQSHAccepted,
	CachePrivate, ReferrerUnsafe, ReferrerMetaUnsafe, CookieInsecure, CacheableForged, HSTSShort}

// App is a running fixture app.
type App struct {
	DescriptorURL string
	BaseURL       string
	ClientKey     string // the test installation
	SharedSecret  string
	UserJWT       string // a non-admin user's context token
	AdminJWT      string // an admin's context token
	CertPEM       []byte // the server's certificate, to trust it
	Pool          *x509.CertPool

	cfg      Config
	server   *httptest.Server
	mu       sync.Mutex
	installs map[string]string // clientKey -> shared secret
	stopping chan struct{}
	requests atomic.Int64 // requests served, for Requests
}

const (
	adminAccount = "557058:admin-0001"
	userAccount  = "557058:user-0002"
)

// Config shapes a fixture app.
type Config struct {
	// Flaws are the vulnerabilities to build in; none is the correct app.
	// They can be combined when they concern different endpoints.
	Flaws []Flaw
	// Pages adds this many more general pages, /p/0 to /p/N-1, each a
	// correctly protected module (the benchmark's app).
	Pages int
	// Delay is how long every module page, added or not, takes to answer.
	Delay time.Duration
	// Addr is the loopback address to listen on; 127.0.0.1:0 when empty.
	Addr string
}

// Start starts the app with the given flaws on 127.0.0.1 over TLS.
func Start(flaws ...Flaw) (*App, error) { return StartWith(Config{Flaws: flaws}) }

// StartWith starts the app as cfg says.
func StartWith(cfg Config) (*App, error) {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	a := &App{
		cfg:          cfg,
		ClientKey:    "fixture-client-0001",
		SharedSecret: "fixture-shared-secret-0123456789abcdef",
		stopping:     make(chan struct{}),
	}
	a.installs = map[string]string{a.ClientKey: a.SharedSecret}
	a.server = httptest.NewUnstartedServer(a.counted(a.routes()))
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on loopback: %w", err)
	}
	a.server.Listener = ln
	a.server.Config.ErrorLog = log.New(io.Discard, "", 0) // clients that hang up are the point of some tests
	a.server.StartTLS()
	a.server.Config.SetKeepAlivesEnabled(true)
	a.BaseURL = a.server.URL
	a.DescriptorURL = a.server.URL + "/atlassian-connect.json"
	cert := a.server.Certificate()
	a.CertPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
	a.Pool = x509.NewCertPool()
	a.Pool.AddCert(cert)
	a.UserJWT = a.contextToken(userAccount)
	a.AdminJWT = a.contextToken(adminAccount)
	return a, nil
}

// has reports whether the app was started with flaw f.
func (a *App) has(f Flaw) bool { return slices.Contains(a.cfg.Flaws, f) }

// Requests is how many requests the app has been sent since it started,
// every route and answer included: the benchmark's count of a scan's requests.
func (a *App) Requests() int64 { return a.requests.Load() }

// counted counts every request before h serves it, and sets HSTS on every
// answer, as a front proxy of a careful app does.
func (a *App) counted(h http.Handler) http.Handler {
	hsts := "max-age=63072000; includeSubDomains"
	if a.has(HSTSShort) {
		hsts = "max-age=300"
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.requests.Add(1)
		w.Header().Set("Strict-Transport-Security", hsts)
		h.ServeHTTP(w, r)
	})
}

// Close stops the app and every connection it holds.
func (a *App) Close() {
	close(a.stopping)
	a.server.CloseClientConnections()
	a.server.Close()
}

// WriteCert writes the server's certificate to dir and returns the file's
// path, for SSL_CERT_FILE.
func (a *App) WriteCert(dir string) (string, error) {
	p := filepath.Join(dir, "fixture-ca.pem")
	return p, os.WriteFile(p, a.CertPEM, 0o600)
}

// TLSConfig trusts the app's certificate.
func (a *App) TLSConfig() *tls.Config { return &tls.Config{RootCAs: a.Pool} }

func (a *App) contextToken(account string) string {
	now := time.Now()
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": a.ClientKey, "sub": account, "qsh": qsh.Context,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"context": map[string]any{"jira": map[string]any{"issue": map[string]any{"key": "ECO-1"}}},
	})
	s, _ := tok.SignedString([]byte(a.SharedSecret))
	return s
}

// descriptor is the app's atlassian-connect.json.
func (a *App) descriptor() map[string]any {
	d := map[string]any{
		"key":            "com.example.ecoscan-fixture",
		"name":           "ecoscan fixture app",
		"baseUrl":        a.BaseURL,
		"authentication": map[string]any{"type": "jwt"},
		"scopes":         []string{"READ", "WRITE"},
		"apiMigrations":  map[string]any{"signed-install": true, "context-qsh": true, "gdpr": true},
		"lifecycle": map[string]any{
			"installed": "/installed", "uninstalled": "/uninstalled",
			"enabled": "/enabled", "disabled": "/disabled",
		},
		"modules": map[string]any{
			"generalPages": []any{
				map[string]any{"key": "main-page", "name": map[string]any{"value": "Main"},
					"url": "/page?project={project.key}&issue={issue.key}"},
				map[string]any{"key": "report-page", "name": map[string]any{"value": "Report"},
					"url":        "/admin-report",
					"conditions": []any{map[string]any{"condition": "user_is_logged_in"}, map[string]any{"condition": "user_is_admin"}}},
				map[string]any{"key": "help-page", "name": map[string]any{"value": "Help"},
					"url":        "/help",
					"conditions": []any{map[string]any{"condition": "user_is_admin", "invert": true}}},
			},
			"adminPages": []any{
				map[string]any{"key": "admin", "name": map[string]any{"value": "Admin"}, "url": "/admin"},
			},
			"configurePage": map[string]any{"key": "configure", "name": map[string]any{"value": "Configure"}, "url": "/configure"},
			"webPanels": []any{
				map[string]any{"key": "issue-panel", "location": "atl.jira.view.issue.right.context",
					"name": map[string]any{"value": "Panel"}, "url": "/panel/{issue.id}/{project.id}"},
			},
			"jiraIssueGlances": []any{
				map[string]any{"key": "glance", "name": map[string]any{"value": "Glance"},
					"icon":      map[string]any{"width": 24, "height": 24, "url": "/static/icon.png"},
					"content":   map[string]any{"type": "label", "label": map[string]any{"value": "glance"}},
					"target":    map[string]any{"type": "issueContext", "url": "/glance-content"},
					"url":       "/glance?issue={issue.key}",
					"cacheable": true},
			},
			"webItems": []any{
				map[string]any{"key": "product-link", "location": "system.top.navigation.bar", "context": "product",
					"name": map[string]any{"value": "Issues"}, "url": "/issues/?jql=assignee=currentUser()"},
			},
			"webhooks": []any{
				map[string]any{"event": "jira:issue_created", "url": "/webhook/issue-created"},
			},
		},
	}
	for i := range a.cfg.Pages {
		modules := d["modules"].(map[string]any)
		modules["generalPages"] = append(modules["generalPages"].([]any),
			map[string]any{"key": fmt.Sprintf("p%d", i), "name": map[string]any{"value": "Page"}, "url": fmt.Sprintf("/p/%d?issue={issue.key}", i)})
	}
	if a.has(SignedInstallOff) {
		d["apiMigrations"] = map[string]any{"context-qsh": true}
	}
	if a.has(Hostile) {
		var pages []any
		for _, p := range hostilePaths {
			pages = append(pages, map[string]any{"key": "hostile" + strings.ReplaceAll(p, "/", "-"), "url": p})
		}
		pages = append(pages, map[string]any{"key": "elsewhere", "url": "https://127.0.0.2:9/page"})
		d["modules"].(map[string]any)["generalPages"] = append(d["modules"].(map[string]any)["generalPages"].([]any), pages...)
	}
	return d
}

func (a *App) serveDescriptor(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(a.descriptor())
}
