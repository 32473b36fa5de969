package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/ecoscan/ecoscan/internal/connect/connecttest"
	"github.com/ecoscan/ecoscan/internal/service/pgtest"
)

// service is a running `ecoscan serve` process.
type service struct {
	base   string
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan error
}

// syncBuffer collects a process's output while the test reads it.
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

// startServe runs `ecoscan serve` with args, trusting app's certificate, and
// waits until it listens (roles api and all) or has started (worker). The
// process is stopped with SIGTERM when the test ends, and must exit 0.
func startServe(t *testing.T, app *connecttest.App, env []string, args ...string) *service {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	if app != nil {
		cert, err := app.WriteCert(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		cmd.Env = append(cmd.Env, "SSL_CERT_FILE="+cert)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &service{cmd: cmd, stderr: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if addr, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				listening <- addr
			}
		}
		close(listening)
	}()
	go func() { s.done <- cmd.Wait() }()
	t.Cleanup(func() { s.stop(t) })
	worker := strings.Contains(strings.Join(args, " "), "--role worker")
	if worker {
		deadline := time.Now().Add(30 * time.Second)
		for !strings.Contains(s.stderr.String(), "worker started") {
			if time.Now().After(deadline) {
				t.Fatalf("worker did not start:\n%s", s.stderr.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
		return s
	}
	select {
	case addr, ok := <-listening:
		if !ok {
			t.Fatalf("serve exited before listening:\n%s", s.stderr.String())
		}
		s.base = addr
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not listen within 60 s:\n%s", s.stderr.String())
	}
	return s
}

// stop sends SIGTERM and expects a graceful exit 0.
func (s *service) stop(t *testing.T) {
	if s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("serve exited with %v after SIGTERM:\n%s", err, tail(s.stderr.String(), 3000))
		}
	case <-time.After(45 * time.Second):
		_ = s.cmd.Process.Kill()
		t.Errorf("serve did not stop within 45 s of SIGTERM")
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// call sends one API request and decodes the JSON answer into out (when
// not nil); it returns the status.
func (s *service) call(t *testing.T, token, method, path string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, s.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		if _, raw := body.([]byte); raw {
			req.Header.Set("Content-Type", "application/gzip")
		} else {
			req.Header.Set("Content-Type", "application/json")
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, data, err)
		}
	}
	if resp.StatusCode >= 300 {
		t.Logf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	return resp.StatusCode
}

var tokenLine = regexp.MustCompile(`API token \(shown once\): (eco_[A-Za-z0-9_-]+)`)

// bootstrap makes the platform user and returns its token.
func bootstrap(t *testing.T, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"admin", "bootstrap", "--email", "sec@example.com"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("admin bootstrap: %v\n%s", err, out)
	}
	m := tokenLine.FindSubmatch(out)
	if m == nil {
		t.Fatalf("no token in %s", out)
	}
	return string(m[1])
}

// adminToken makes a new API token for an existing user with
// `ecoscan admin token`.
func adminToken(t *testing.T, db, email string) string {
	t.Helper()
	out, err := exec.Command(binary, "admin", "token", "--database", db, "--email", email).CombinedOutput()
	if err != nil {
		t.Fatalf("admin token: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`\(shown once\): (eco_[A-Za-z0-9_-]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no token in %s", out)
	}
	return string(m[1])
}

type idBody struct {
	ID int64 `json:"id"`
}

type scanBody struct {
	ID      int64          `json:"id"`
	App     int64          `json:"app_id"`
	State   string         `json:"state"`
	Trigger string         `json:"trigger"`
	Error   string         `json:"error"`
	Counts  map[string]int `json:"counts"`
}

type listBody[T any] struct {
	Items []T `json:"items"`
}

// waitScans polls an app's scans until want(scans) holds.
func (s *service) waitScans(t *testing.T, token string, org, app int64, what string, want func([]scanBody) bool) []scanBody {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		var l listBody[scanBody]
		s.call(t, token, "GET", fmt.Sprintf("/v1/orgs/%d/apps/%d/scans", org, app), nil, &l)
		if want(l.Items) {
			return l.Items
		}
		if time.Now().After(deadline) {
			t.Fatalf("app %d: no %s within 90 s; scans %+v\n%s", app, what, l.Items, tail(s.stderr.String(), 4000))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func hasScan(trigger string) func([]scanBody) bool {
	return func(ss []scanBody) bool {
		for _, s := range ss {
			if s.Trigger == trigger && s.State == "done" {
				return true
			}
		}
		return false
	}
}

// forgeArchive packs examples/forge-app (one flaw per check) as tar.gz.
func forgeArchive(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	root := filepath.Join("..", "..", "examples", "forge-app")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if err := tw.WriteHeader(&tar.Header{Name: filepath.ToSlash(rel), Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err = tw.Write(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestServeEndToEnd is the "done when", as a person does it: start
// the service, make the platform user, an organization and a vendor token,
// register a loopback Connect app and a Forge archive, see both scanned on
// schedule and on demand, follow a ticket through its states, back the
// database up while it runs, and stop it gracefully.
func TestServeEndToEnd(t *testing.T) {
	app := start(t, connecttest.OpenPage)
	dir := t.TempDir()
	db := filepath.Join(dir, "ecoscan.db")
	platformToken := bootstrap(t, nil, "--database", db)
	s := startServe(t, app, nil, "--database", db, "--allow", "127.0.0.0/8", "--skip-host-checks",
		"--schedule-every", "1s", "--insecure-cookies")
	if _, err := os.Stat(filepath.Join(dir, "ecoscan.keys")); err != nil {
		t.Fatalf("no key file made beside the database: %v", err)
	}

	for _, p := range []string{"/healthz", "/readyz"} {
		if code := s.call(t, "", "GET", p, nil, nil); code != 200 {
			t.Errorf("%s: %d", p, code)
		}
	}
	var org idBody
	if code := s.call(t, platformToken, "POST", "/v1/orgs", map[string]string{"name": "Acme", "admin_email": "dev@acme.example"}, &org); code != 201 {
		t.Fatalf("create org: %d", code)
	}
	var other idBody
	s.call(t, platformToken, "POST", "/v1/orgs", map[string]string{"name": "Other", "admin_email": "dev@other.example"}, &other)
	// The operator onboards each vendor's admin: a dashboard password and a
	// first API token; the vendor does the rest.
	vendorToken := adminToken(t, db, "dev@acme.example")
	otherToken := adminToken(t, db, "dev@other.example")
	pw := exec.Command(binary, "admin", "password", "--database", db, "--email", "dev@acme.example")
	pw.Stdin = strings.NewReader("a long vendor password\n")
	if out, err := pw.CombinedOutput(); err != nil {
		t.Fatalf("admin password: %v\n%s", err, out)
	}

	var connectApp, forgeApp idBody
	if code := s.call(t, vendorToken, "POST", fmt.Sprintf("/v1/orgs/%d/apps", org.ID), map[string]string{
		"name": "Acme for Jira", "descriptor_url": app.DescriptorURL,
		"shared_secret": app.SharedSecret, "client_key": app.ClientKey,
	}, &connectApp); code != 201 {
		t.Fatalf("register the Connect app: %d", code)
	}
	if code := s.call(t, vendorToken, "POST", fmt.Sprintf("/v1/orgs/%d/apps", org.ID), map[string]string{
		"name": "Acme Forge", "kind": "forge",
	}, &forgeApp); code != 201 {
		t.Fatalf("register the Forge app: %d", code)
	}
	if code := s.call(t, vendorToken, "PUT", fmt.Sprintf("/v1/orgs/%d/apps/%d/archive", org.ID, forgeApp.ID), forgeArchive(t), nil); code != 200 && code != 204 {
		t.Fatalf("upload the Forge archive: %d", code)
	}

	// On schedule: a new Connect app is due at once; the scheduler looks
	// every second.
	s.waitScans(t, platformToken, org.ID, connectApp.ID, "scheduled scan", hasScan("schedule"))
	// On demand, both kinds.
	for _, a := range []int64{connectApp.ID, forgeApp.ID} {
		var sc scanBody
		if code := s.call(t, vendorToken, "POST", fmt.Sprintf("/v1/orgs/%d/apps/%d/scans", org.ID, a), nil, &sc); code != 202 {
			t.Fatalf("scan app %d: %d", a, code)
		}
		s.waitScans(t, platformToken, org.ID, a, "manual scan", func(ss []scanBody) bool {
			for _, x := range ss {
				if x.ID == sc.ID && x.State == "done" {
					return true
				}
				if x.ID == sc.ID && (x.State == "failed" || x.State == "canceled") {
					t.Fatalf("scan %d of app %d ended %s: %s", x.ID, a, x.State, x.Error)
				}
			}
			return false
		})
	}

	type ticket struct {
		ID          int64  `json:"id"`
		App         int64  `json:"app_id"`
		State       string `json:"state"`
		Requirement string `json:"requirement"`
		Severity    string `json:"severity"`
		Due         string `json:"due"`
	}
	var tickets listBody[ticket]
	s.call(t, platformToken, "GET", fmt.Sprintf("/v1/orgs/%d/tickets?limit=500", org.ID), nil, &tickets)
	perApp := map[int64]int{}
	for _, tk := range tickets.Items {
		perApp[tk.App]++
		if tk.State != "needs-patch" || tk.Due == "" {
			t.Errorf("new ticket %+v: want needs-patch with a due date", tk)
		}
	}
	if perApp[connectApp.ID] == 0 || perApp[forgeApp.ID] == 0 {
		t.Fatalf("tickets per app %v: want some for both apps", perApp)
	}

	// A ticket through its states, and the record of it.
	tk := tickets.Items[0]
	path := fmt.Sprintf("/v1/orgs/%d/tickets/%d/transitions", org.ID, tk.ID)
	// The vendor asks for review, then for an extension; only the platform
	// role grants it.
	for _, step := range []struct{ token, to, due string }{
		{vendorToken, "needs-security-review", ""}, {vendorToken, "extension-requested", ""},
		{platformToken, "needs-patch", time.Now().AddDate(0, 6, 0).Format("2006-01-02")},
	} {
		body := map[string]string{"to": step.to, "reason": "step to " + step.to}
		if step.due != "" {
			body["due"] = step.due
		}
		if code := s.call(t, step.token, "POST", path, body, nil); code != 200 {
			t.Fatalf("transition to %s: %d", step.to, code)
		}
	}
	if code := s.call(t, vendorToken, "POST", path, map[string]string{"to": "accepted-risk", "reason": "we think it is fine"}, nil); code != 403 {
		t.Errorf("a vendor accepting a risk: %d, want 403", code)
	}
	var detail struct {
		State  string `json:"state"`
		Events []struct {
			From, To, Reason, Actor string
		} `json:"events"`
	}
	s.call(t, platformToken, "GET", fmt.Sprintf("/v1/orgs/%d/tickets/%d", org.ID, tk.ID), nil, &detail)
	if detail.State != "needs-patch" || len(detail.Events) < 4 {
		t.Errorf("ticket after three moves: %+v", detail)
	}

	// Isolation: the other vendor sees none of it, by any path.
	for _, p := range []string{
		fmt.Sprintf("/v1/orgs/%d/tickets/%d", org.ID, tk.ID), fmt.Sprintf("/v1/orgs/%d/tickets/%d", other.ID, tk.ID),
		fmt.Sprintf("/v1/orgs/%d/apps/%d", org.ID, connectApp.ID), fmt.Sprintf("/v1/orgs/%d/apps/%d", other.ID, connectApp.ID),
	} {
		if code := s.call(t, otherToken, "GET", p, nil, nil); code != 404 {
			t.Errorf("another vendor GET %s: %d, want 404", p, code)
		}
	}

	// Metrics.
	resp, err := http.Get(s.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, m := range []string{"ecoscan_scans_total", "ecoscan_queue_depth", "ecoscan_tickets_overdue"} {
		if !bytes.Contains(metrics, []byte(m)) {
			t.Errorf("metrics lack %s", m)
		}
	}

	// An online backup while the service runs, and the copy is usable.
	backup := filepath.Join(dir, "copy.db")
	out, err := exec.Command(binary, "backup", "--database", db, backup).CombinedOutput()
	if err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	copyDB, err := sql.Open("sqlite", backup)
	if err != nil {
		t.Fatal(err)
	}
	defer copyDB.Close()
	var n int
	if err := copyDB.QueryRow("SELECT count(*) FROM tickets").Scan(&n); err != nil || n != len(tickets.Items) {
		t.Errorf("backup holds %d tickets (%v), want %d", n, err, len(tickets.Items))
	}

	// No secret in the database or the logs in clear text.
	s.stop(t)
	raw, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{app.SharedSecret, platformToken, vendorToken} {
		if bytes.Contains(raw, []byte(secret)) || strings.Contains(s.stderr.String(), secret) {
			t.Errorf("a secret is stored or logged in clear text")
		}
	}
}

// TestServeWorkersSharePostgres: an API process and two worker processes
// share one PostgreSQL database; they split the scans of many apps and run
// none twice.
func TestServeWorkersSharePostgres(t *testing.T) {
	dbURL := pgtest.URL(t)
	app := start(t)
	keys := "ECOSCAN_KEYS=k1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	env := []string{"ECOSCAN_DATABASE=" + dbURL, keys}
	platformToken := bootstrap(t, env)
	apiProc := startServe(t, app, env, "--role", "api", "--allow", "127.0.0.0/8")
	w1 := startServe(t, app, env, "--role", "worker", "--workers", "3", "--allow", "127.0.0.0/8", "--skip-host-checks", "--schedule-every", "1s")
	w2 := startServe(t, app, env, "--role", "worker", "--workers", "3", "--allow", "127.0.0.0/8", "--skip-host-checks", "--schedule-every", "1s")

	var org idBody
	if code := apiProc.call(t, platformToken, "POST", "/v1/orgs", map[string]string{"name": "Acme"}, &org); code != 201 {
		t.Fatalf("create org: %d", code)
	}
	const apps = 24
	ids := make([]int64, apps)
	for i := range ids {
		var a idBody
		if code := apiProc.call(t, platformToken, "POST", fmt.Sprintf("/v1/orgs/%d/apps", org.ID), map[string]string{
			"name": fmt.Sprintf("app %d", i), "descriptor_url": app.DescriptorURL + "?app=" + fmt.Sprint(i),
		}, &a); code != 201 {
			t.Fatalf("register app %d: %d", i, code)
		}
		ids[i] = a.ID
	}
	for _, id := range ids {
		apiProc.waitScans(t, platformToken, org.ID, id, "scheduled scan", hasScan("schedule"))
	}
	time.Sleep(2 * time.Second) // a second look of both schedulers must queue nothing more
	for _, id := range ids {
		var l listBody[scanBody]
		apiProc.call(t, platformToken, "GET", fmt.Sprintf("/v1/orgs/%d/apps/%d/scans", org.ID, id), nil, &l)
		if len(l.Items) != 1 {
			t.Errorf("app %d has %d scans, want exactly 1: %+v", id, len(l.Items), l.Items)
		}
	}
	// Both workers took part: each logged scans of its own.
	for i, w := range []*service{w1, w2} {
		if n := strings.Count(w.stderr.String(), `"msg":"scan started"`); n == 0 {
			t.Errorf("worker %d ran no scan:\n%s", i+1, tail(w.stderr.String(), 2000))
		}
	}
}
