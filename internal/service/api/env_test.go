package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"golang.org/x/time/rate"

	"github.com/ecoscan/ecoscan/internal/service/auth"
	"github.com/ecoscan/ecoscan/internal/service/keyring"
	"github.com/ecoscan/ecoscan/internal/service/platform"
	"github.com/ecoscan/ecoscan/internal/service/store"
)

// env is one API under test: the real SQLite store, a recording queue, an
// httptest server on 127.0.0.1, and a clock the test moves.
type env struct {
	t     testing.TB
	st    *store.Store
	queue *testQueue
	keys  *keyring.KeyRing
	srv   *httptest.Server
	cfg   Config
	logs  *syncBuffer

	mu      sync.Mutex
	now     time.Time
	answers [][]byte // every answer body, to look for secrets in
}

type envOption func(*Config)

func withAllow(prefixes ...string) envOption {
	return func(c *Config) {
		for _, p := range prefixes {
			c.Allow = append(c.Allow, netip.MustParsePrefix(p))
		}
	}
}

func withRate(limit rate.Limit, burst int) envOption {
	return func(c *Config) { c.RateLimit, c.Burst = limit, burst }
}

func withLimits(maxBody, maxArchive int64) envOption {
	return func(c *Config) {
		c.MaxBody, c.MaxArchive = maxBody, maxArchive
		c.ArchiveLimits.MaxFileSize, c.ArchiveLimits.MaxTotal = 2*maxArchive, 4*maxArchive
	}
}

// fakeResolver answers from a table; other names do not resolve.
type fakeResolver map[string][]netip.Addr

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := f[host]; ok {
		return a, nil
	}
	return nil, errors.New("no such host")
}

// testResolver knows a public, a private and a metadata name.
var testResolver = fakeResolver{
	"app.example.com":      {netip.MustParseAddr("93.184.216.34")},
	"hooks.example.com":    {netip.MustParseAddr("93.184.216.35")},
	"intranet.example.com": {netip.MustParseAddr("93.184.216.36"), netip.MustParseAddr("10.1.2.3")},
	"metadata.example.com": {netip.MustParseAddr("169.254.169.254")},
}

func newEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	return newEnvOn(t, "sqlite:"+filepath.Join(t.TempDir(), "api.db"), opts...)
}

// newEnvOn is newEnv on the database of dbURL (pgtest.URL for PostgreSQL).
func newEnvOn(t testing.TB, dbURL string, opts ...envOption) *env {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dbURL, store.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	keys := keyring.New()
	if _, err := keys.Generate("k1"); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, st: st, keys: keys, logs: &syncBuffer{}, now: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
	e.queue = &testQueue{st: st, now: e.clock}
	e.cfg = Config{
		Store: st, Queue: e.queue, Keys: keys, Now: e.clock,
		Logger:    slog.New(slog.NewJSONHandler(e.logs, nil)),
		Metrics:   http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ecoscan_apps 3\n") }),
		RateLimit: rate.Inf, Version: "test", Resolver: testResolver,
	}
	for _, o := range opts {
		o(&e.cfg)
	}
	e.srv = httptest.NewServer(New(e.cfg))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
}

// principal is a user with an API token.
type principal struct {
	user  platform.User
	token string
}

// user creates a user with a token, a member of org with role (org 0: of
// none).
func (e *env) user(email string, org int64, role platform.Role, platformTeam bool) principal {
	e.t.Helper()
	ctx := context.Background()
	u, err := e.st.CreateUser(ctx, platform.User{Email: email, Name: email, Platform: platformTeam, CreatedAt: e.clock()})
	if err != nil {
		e.t.Fatalf("create user %s: %v", email, err)
	}
	if org != 0 {
		if err := e.st.SetMember(ctx, platform.OrgScope(org), platform.Membership{Org: org, User: u.ID, Role: role}); err != nil {
			e.t.Fatalf("member %s: %v", email, err)
		}
	}
	return principal{user: u, token: e.token(u.ID, nil)}
}

// token makes an API token for user in the store.
func (e *env) token(user int64, expires *time.Time) string {
	e.t.Helper()
	plain, prefix, hash := auth.NewToken()
	if _, err := e.st.CreateToken(context.Background(), platform.Token{User: user, Name: "test", Prefix: prefix, Hash: hash, CreatedAt: e.clock(), ExpiresAt: expires}); err != nil {
		e.t.Fatalf("create token: %v", err)
	}
	return plain
}

func (e *env) org(name string) int64 {
	e.t.Helper()
	o, err := e.st.CreateOrg(context.Background(), name)
	if err != nil {
		e.t.Fatalf("create org: %v", err)
	}
	return o.ID
}

// answer is one response, read.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("decode %s: %v", a.body, err)
	}
}

// errorCode is the code of an error answer.
func (a answer) errorCode(t *testing.T) (code, message, field string) {
	t.Helper()
	var b errorBody
	a.decode(t, &b)
	return b.Error.Code, b.Error.Message, b.Error.Field
}

// req is a request to send.
type req struct {
	method, path, token string
	json                any    // encoded as the body unless nil
	raw                 []byte // the body as is
	contentType         string
	header              map[string]string
}

// do sends a request and checks the answer against the OpenAPI document
// and the headers every answer carries.
func (e *env) do(r req) answer {
	e.t.Helper()
	var body io.Reader
	ct := r.contentType
	switch {
	case r.json != nil:
		b, err := json.Marshal(r.json)
		if err != nil {
			e.t.Fatal(err)
		}
		body = bytes.NewReader(b)
		if ct == "" {
			ct = "application/json"
		}
	case r.raw != nil:
		body = bytes.NewReader(r.raw)
	}
	hr, err := http.NewRequest(r.method, e.srv.URL+r.path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if ct != "" {
		hr.Header.Set("Content-Type", ct)
	}
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	resp, err := e.srv.Client().Do(hr)
	if err != nil {
		e.t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	a := answer{status: resp.StatusCode, header: resp.Header, body: b}
	e.mu.Lock()
	e.answers = append(e.answers, b)
	e.mu.Unlock()
	checkCommonHeaders(e.t, r, a)
	if err := validateAnswer(hr, a); err != nil {
		e.t.Error(err)
	}
	return a
}

// expect sends a request and fails unless the status is want.
func (e *env) expect(want int, r req) answer {
	e.t.Helper()
	a := e.do(r)
	if a.status != want {
		e.t.Fatalf("%s %s: status %d, want %d: %s", r.method, r.path, a.status, want, a.body)
	}
	return a
}

// noAnswerHolds fails if any answer so far contains one of the secrets.
func (e *env) noAnswerHolds(secrets ...string) {
	e.t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, b := range e.answers {
		for _, s := range secrets {
			if bytes.Contains(b, []byte(s)) {
				e.t.Errorf("an answer holds the secret %q: %s", s, b)
			}
		}
	}
}

func checkCommonHeaders(t testing.TB, r req, a answer) {
	t.Helper()
	for h, want := range map[string]string{
		"Cache-Control":          "no-store",
		"X-Content-Type-Options": "nosniff",
	} {
		if got := a.header.Get(h); got != want {
			t.Errorf("%s %s: %s = %q, want %q", r.method, r.path, h, got, want)
		}
	}
	if csp := a.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("%s %s: Content-Security-Policy %q is not restrictive", r.method, r.path, csp)
	}
	if a.status >= 400 && !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
		t.Errorf("%s %s: error answer of type %q", r.method, r.path, a.header.Get("Content-Type"))
	}
}

// The OpenAPI document, loaded once for every test.
var (
	specOnce   sync.Once
	spec       *openapi3.T
	specRouter routers.Router
	specErr    error
)

func loadSpec() (*openapi3.T, routers.Router, error) {
	specOnce.Do(func() {
		loader := openapi3.NewLoader()
		spec, specErr = loader.LoadFromData(openAPIDocument)
		if specErr != nil {
			return
		}
		if specErr = spec.Validate(loader.Context); specErr != nil {
			return
		}
		// Route by path alone: the document's one server is "/".
		routing := *spec
		routing.Servers = nil
		specRouter, specErr = legacy.NewRouter(&routing)
	})
	return spec, specRouter, specErr
}

// validateAnswer checks an answer against the document's schema for its
// route and status.
func validateAnswer(hr *http.Request, a answer) error {
	_, router, err := loadSpec()
	if err != nil {
		return fmt.Errorf("OpenAPI document: %w", err)
	}
	probe := hr.Clone(context.Background())
	route, params, err := router.FindRoute(probe)
	if err != nil {
		// Requests for routes that do not exist (404, 405) have no schema.
		if a.status != http.StatusNotFound && a.status != http.StatusMethodNotAllowed {
			return fmt.Errorf("%s %s answered %d but has no route in the document: %w", hr.Method, hr.URL.Path, a.status, err)
		}
		return nil
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: probe, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
		},
		Status:  a.status,
		Header:  a.header,
		Body:    io.NopCloser(bytes.NewReader(a.body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return fmt.Errorf("%s %s answered %d, which the document does not describe: %w\n%s", hr.Method, hr.URL.Path, a.status, err, a.body)
	}
	return nil
}

// testQueue records what the API asks of the job queue; ScanNow creates
// the scan row as the real queue does.
type testQueue struct {
	st  platform.Store
	now func() time.Time

	mu       sync.Mutex
	scanned  []queueCall
	canceled []queueCall
}

type queueCall struct {
	scope platform.Scope
	id    int64
}

func (q *testQueue) ScanNow(ctx context.Context, s platform.Scope, app int64) (platform.Scan, error) {
	q.mu.Lock()
	q.scanned = append(q.scanned, queueCall{s, app})
	q.mu.Unlock()
	a, err := q.st.App(ctx, s, app)
	if err != nil {
		return platform.Scan{}, err
	}
	return q.st.CreateScan(ctx, s, platform.Scan{Org: a.Org, App: app, State: platform.ScanQueued, Trigger: "manual", QueuedAt: q.now()})
}

func (q *testQueue) CancelScan(ctx context.Context, s platform.Scope, scan int64) error {
	q.mu.Lock()
	q.canceled = append(q.canceled, queueCall{s, scan})
	q.mu.Unlock()
	return q.st.FailScan(ctx, s, scan, platform.ScanCanceled, q.now(), "canceled")
}

func (q *testQueue) Depth(context.Context) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.scanned), nil
}

func (q *testQueue) calls() (scanned, canceled []queueCall) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]queueCall(nil), q.scanned...), append([]queueCall(nil), q.canceled...)
}

// syncBuffer is a buffer the logger and the test share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestMain(m *testing.M) {
	if _, _, err := loadSpec(); err != nil {
		os.Stderr.WriteString("OpenAPI document: " + err.Error() + "\n")
		os.Exit(1)
	}
	os.Exit(m.Run())
}
