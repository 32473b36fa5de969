package data

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// osvZip builds an OSV database of records, compressed.
func osvZip(t *testing.T, records ...string) []byte {
	t.Helper()
	return osvZipMethod(t, zip.Deflate, records...)
}

// osvZipMethod builds an OSV database of records, stored with method.
func osvZipMethod(t *testing.T, method uint16, records ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i, rec := range records {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("RECORD-%d.json", i), Method: method})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(rec)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// advisory is an OSV record of an npm package.
func advisory(id, pkg string) string {
	return fmt.Sprintf(`{"id": %q, "modified": "2025-06-01T00:00:00Z", "aliases": ["CVE-2025-0001"],
		"affected": [{"package": {"ecosystem": "npm", "name": %q},
		"ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.2.3"}]}]}]}`, id, pkg)
}

// smallSpec is an OpenAPI spec with one operation per path, each allowed by
// one scope.
func smallSpec(title string, scopeOf map[string]string) []byte {
	var paths []string
	for path, scope := range scopeOf {
		paths = append(paths, fmt.Sprintf(`%q: {"get": {"x-atlassian-oauth2-scopes": [{"scheme": "OAuth2", "state": "Current", "scopes": [%q]}]}}`, path, scope))
	}
	return []byte(fmt.Sprintf(`{"openapi": "3.0.1", "info": {"title": %q, "version": "1"}, "paths": {%s}}`, title, strings.Join(paths, ",")))
}

// mirror is a test server that serves the sources at their published paths,
// with a handler per path that a test can replace.
type mirror struct {
	srv *httptest.Server
	mu  sync.Mutex
	h   map[string]http.HandlerFunc
}

func serveBytes(b []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.Write(b)
	}
}

// newMirror serves a valid copy of every source: two advisories, and a small
// spec per product.
func newMirror(t *testing.T) *mirror {
	m := &mirror{h: map[string]http.HandlerFunc{
		"/npm/all.zip": serveBytes(osvZip(t, advisory("GHSA-1111-2222-3333", "left-pad"), advisory("MAL-2025-1", "evil"))),
		"/cloud/jira/platform/swagger-v3.v3.json": serveBytes(smallSpec("Jira platform fixture",
			map[string]string{"/rest/api/3/issue/{issueIdOrKey}": "read:fixture:jira", "/rest/api/3/myself": "read:jira-user"})),
		"/cloud/jira/software/swagger.v3.json":     serveBytes(smallSpec("Jira Software fixture", map[string]string{"/rest/agile/1.0/board/{boardId}": "read:board:fixture"})),
		"/cloud/jira/service-desk/swagger.v3.json": serveBytes(smallSpec("JSM fixture", map[string]string{"/rest/servicedeskapi/request": "read:request:fixture"})),
		"/cloud/confluence/openapi-v2.v3.json":     serveBytes(smallSpec("Confluence fixture", map[string]string{"/pages/{id}": "read:page:fixture"})),
	}}
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		h := m.h[r.URL.Path]
		m.mu.Unlock()
		if h == nil {
			http.NotFound(w, r)
			return
		}
		h(w, r)
	}))
	t.Cleanup(m.srv.Close)
	return m
}

func (m *mirror) set(path string, h http.HandlerFunc) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.h[path] = h
}

var testNow = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// options points an update at the mirror.
func (m *mirror) options() UpdateOptions {
	return UpdateOptions{
		BaseURLs: map[string]string{
			"https://osv-vulnerabilities.storage.googleapis.com": m.srv.URL,
			"https://developer.atlassian.com/":                   m.srv.URL + "/",
		},
		HTTPClient:  m.srv.Client(),
		Now:         func() time.Time { return testNow },
		IdleTimeout: 5 * time.Second,
	}
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func TestUpdate(t *testing.T) {
	m := newMirror(t)
	dir := filepath.Join(t.TempDir(), "not", "yet", "made")
	opts := m.options()
	var mu sync.Mutex
	progress := map[string]int64{}
	opts.Progress = func(name string, done, total int64) {
		mu.Lock()
		defer mu.Unlock()
		if total >= 0 && done > total {
			t.Errorf("%s: %d of %d bytes", name, done, total)
		}
		progress[name] = done
	}
	manifest, err := Update(context.Background(), dir, opts)
	if err != nil {
		t.Fatal(err)
	}

	details := map[string]string{
		"osv-npm":                 "2 advisories",
		"jira-platform":           "2 operations (2 with scopes)",
		"jira-software":           "1 operations (1 with scopes)",
		"jira-service-management": "1 operations (1 with scopes)",
		"confluence-v2":           "1 operations (1 with scopes)",
	}
	if len(manifest.Datasets) != len(details) {
		t.Fatalf("manifest has %d datasets: %+v", len(manifest.Datasets), manifest.Datasets)
	}
	for i, d := range manifest.Datasets {
		src := Sources()[i]
		path := filepath.Join(dir, filepath.FromSlash(src.File))
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatalf("%s: %v", d.Name, err)
		}
		want := Dataset{Name: src.Name, File: src.File, Source: rewriteURL(src.URL, opts.BaseURLs), FetchedAt: testNow,
			Date: "2026-03-04", Size: fi.Size(), SHA256: sha256File(t, path), Detail: details[src.Name]}
		if !reflect.DeepEqual(d, want) {
			t.Errorf("dataset\n got %+v\nwant %+v", d, want)
		}
		if !strings.HasPrefix(d.Source, m.srv.URL+"/") {
			t.Errorf("%s fetched from %s", d.Name, d.Source)
		}
		if progress[src.Name] == 0 {
			t.Errorf("%s: no progress reported", src.Name)
		}
	}

	// The manifest on disk says the same.
	onDisk, err := readManifest(dir)
	if err != nil || !reflect.DeepEqual(onDisk, manifest) {
		t.Errorf("manifest on disk %+v, %v", onDisk, err)
	}
	// No temporary file is left.
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(d.Name(), ".") {
			t.Errorf("left behind: %s", path)
		}
		return nil
	})

	if path, ok := OSVDBPath(dir); !ok || path != filepath.Join(dir, "osv-scalibr", "npm", "all.zip") {
		t.Errorf("OSVDBPath = %s, %v", path, ok)
	}

	// The downloaded tables are used, said to be so, Confluence under its base.
	st, info, err := Scopes(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, ti := range info.Tables {
		if ti.Embedded || ti.Date != "2026-03-04" || !strings.HasPrefix(ti.Source, m.srv.URL) || ti.Problem != "" {
			t.Errorf("table info %+v", ti)
		}
	}
	for path, scope := range map[string]string{
		"/rest/api/3/issue/A-1":        "read:fixture:jira",
		"/rest/api/2/myself":           "read:jira-user",
		"/rest/agile/1.0/board/7":      "read:board:fixture",
		"/rest/servicedeskapi/request": "read:request:fixture",
		"/wiki/api/v2/pages/9":         "read:page:fixture",
	} {
		if alts, ok := st.Lookup("GET", path); !ok || !reflect.DeepEqual(alts, [][]string{{scope}}) {
			t.Errorf("Lookup(GET, %s) = %v, %v", path, alts, ok)
		}
	}
	// The installed table names its spec and day.
	b, err := os.ReadFile(filepath.Join(dir, "atlassian-scopes", "jira-platform.json"))
	if err != nil {
		t.Fatal(err)
	}
	table, err := parseTable("jira-platform", b)
	if err != nil || table.Source != "Jira platform fixture OpenAPI spec as published by Atlassian ("+m.srv.URL+"/cloud/jira/platform/swagger-v3.v3.json), fetched 2026-03-04" {
		t.Errorf("installed table %+v, %v", table, err)
	}

	installed, err := Installed(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(installed, manifest.Datasets) {
		t.Errorf("Installed = %+v", installed)
	}
}

// updated runs a first, good update and returns the directory with each
// dataset's content then.
func updated(t *testing.T, m *mirror) (string, map[string]string) {
	t.Helper()
	dir := t.TempDir()
	if _, err := Update(context.Background(), dir, m.options()); err != nil {
		t.Fatal(err)
	}
	return dir, snapshot(t, dir)
}

// snapshot is the sha256 of every file under dir.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		if !d.IsDir() {
			files[path] = sha256File(t, path)
		}
		return nil
	})
	return files
}

// TestUpdateRefused: each bad download fails its own dataset with an error
// naming it and saying why; the old copy and its manifest record stay as they
// were, no temporary file is left, and the other datasets still update.
func TestUpdateRefused(t *testing.T) {
	spec := "/cloud/jira/platform/swagger-v3.v3.json"
	for _, tc := range []struct {
		name    string
		path    string
		handler http.HandlerFunc
		sources func([]Source) // adjusts the sources, e.g. their limits
		idle    time.Duration
		want    error  // the error wrapped, if any
		says    string // what the message says
	}{
		{name: "cut off midway", path: "/npm/all.zip", want: ErrTruncated, says: "cut off",
			handler: func(w http.ResponseWriter, r *http.Request) {
				b := osvZip(t, advisory("GHSA-aaaa-bbbb-cccc", "x"))
				w.Header().Set("Content-Length", strconv.Itoa(len(b)*2))
				w.Write(b) // and the connection closes with half the promised bytes
			}},
		{name: "cut off, chunked", path: "/npm/all.zip", want: ErrTruncated, says: "cut off",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Write([]byte("PK\x03\x04partial"))
				w.(http.Flusher).Flush()
				conn, _, err := w.(http.Hijacker).Hijack()
				if err == nil {
					conn.Close() // no closing chunk
				}
			}},
		{name: "not a zip", path: "/npm/all.zip", want: ErrCorrupt, says: "not a zip archive",
			handler: serveBytes([]byte("<html>Service Unavailable</html>"))},
		{name: "zip of other JSON", path: "/npm/all.zip", want: ErrCorrupt, says: "not an OSV record",
			handler: serveBytes(osvZip(t, advisory("GHSA-1", "a"), `{"name": "package.json"}`))},
		{name: "zip of broken JSON", path: "/npm/all.zip", want: ErrCorrupt, says: "not an OSV record",
			handler: serveBytes(osvZip(t, `{"id": "GHSA-1", "modified": "2025`))},
		{name: "zip of another ecosystem", path: "/npm/all.zip", want: ErrCorrupt, says: "no record concerns an npm package",
			handler: serveBytes(osvZip(t, strings.ReplaceAll(advisory("PYSEC-1", "django"), `"npm"`, `"PyPI"`)))},
		{name: "empty zip", path: "/npm/all.zip", want: ErrCorrupt, says: "no records",
			handler: serveBytes(osvZip(t))},
		{name: "zip with a bad checksum", path: "/npm/all.zip", want: ErrCorrupt, says: "checksum",
			// Stored uncompressed, one letter of the record changed: still JSON.
			handler: serveBytes(bytes.Replace(osvZipMethod(t, zip.Store, advisory("GHSA-1", "left-pad")), []byte("left-pad"), []byte("left-pat"), 1))},
		{name: "too large, announced", path: "/npm/all.zip", want: ErrTooLarge, says: "announced",
			sources: func(s []Source) { s[0].MaxSize = 100 },
			handler: serveBytes(bytes.Repeat([]byte("x"), 1000))},
		{name: "too large, chunked", path: "/npm/all.zip", want: ErrTooLarge, says: "more than the limit of 100 bytes",
			sources: func(s []Source) { s[0].MaxSize = 100 },
			handler: func(w http.ResponseWriter, r *http.Request) {
				for range 10 {
					w.Write(bytes.Repeat([]byte("x"), 100))
					w.(http.Flusher).Flush()
				}
			}},
		{name: "not found", path: "/npm/all.zip", says: "HTTP status 404", handler: http.NotFound},
		{name: "stalled", path: "/npm/all.zip", want: ErrStalled, says: "nothing received for 200ms", idle: 200 * time.Millisecond,
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", "1000")
				w.Write([]byte("PK"))
				w.(http.Flusher).Flush()
				<-r.Context().Done()
			}},
		{name: "too slow", path: "/npm/all.zip", want: ErrTimeout, says: "timed out after 300ms",
			sources: func(s []Source) { s[0].Timeout = 300 * time.Millisecond },
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", "1000")
				for range 1000 {
					if _, err := w.Write([]byte("x")); err != nil {
						return
					}
					w.(http.Flusher).Flush()
					select {
					case <-r.Context().Done():
						return
					case <-time.After(20 * time.Millisecond):
					}
				}
			}},
		{name: "spec not JSON", path: spec, want: ErrCorrupt, says: "parse the OpenAPI spec of jira-platform",
			handler: serveBytes([]byte("<html>moved</html>"))},
		{name: "spec without scopes", path: spec, want: ErrCorrupt, says: "no operation of the spec lists x-atlassian-oauth2-scopes",
			handler: serveBytes([]byte(`{"openapi": "3.0.1", "paths": {"/rest/api/3/myself": {"get": {"security": [{"OAuth2": ["read:jira-user"]}]}}}}`))},
		{name: "spec too large", path: spec, want: ErrTooLarge, says: "more than the limit",
			sources: func(s []Source) { s[1].MaxSize = 10 },
			handler: serveBytes(smallSpec("big", map[string]string{"/a": "b"}))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMirror(t)
			dir, before := updated(t, m)
			manifestBefore, err := readManifest(dir)
			if err != nil {
				t.Fatal(err)
			}
			// The good datasets change on the second run, to show that they update.
			m.set("/cloud/confluence/openapi-v2.v3.json", serveBytes(smallSpec("Confluence v2", map[string]string{"/spaces": "read:space:fixture"})))
			m.set(tc.path, tc.handler)
			opts := m.options()
			opts.Sources = Sources()
			if tc.sources != nil {
				tc.sources(opts.Sources)
			}
			if tc.idle > 0 {
				opts.IdleTimeout = tc.idle
			}
			opts.Now = func() time.Time { return testNow.Add(24 * time.Hour) }

			manifest, err := Update(context.Background(), dir, opts)
			name := "osv-npm"
			if tc.path == spec {
				name = "jira-platform"
			}
			if err == nil {
				t.Fatal("no error")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("error %q is not %q", err, tc.want)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "update failed for "+name+": update "+name+" from http://") || !strings.Contains(msg, tc.says) {
				t.Errorf("error %q does not name %s or say %q", msg, name, tc.says)
			}

			after := snapshot(t, dir)
			src, _ := sourceNamed(name)
			file := filepath.Join(dir, filepath.FromSlash(src.File))
			if after[file] != before[file] {
				t.Errorf("%s changed", file)
			}
			for path := range after {
				if _, ok := before[path]; !ok {
					t.Errorf("left behind: %s", path)
				}
			}
			confluence := filepath.Join(dir, "atlassian-scopes", "confluence-v2.json")
			if after[confluence] == before[confluence] {
				t.Error("the other datasets were not updated")
			}
			failed, _ := manifest.Dataset(name)
			old, _ := manifestBefore.Dataset(name)
			if !reflect.DeepEqual(failed, old) {
				t.Errorf("manifest record of %s changed: %+v", name, failed)
			}
			if d, _ := manifest.Dataset("confluence-v2"); !d.FetchedAt.Equal(testNow.Add(24 * time.Hour)) {
				t.Errorf("confluence-v2 record not updated: %+v", d)
			}
		})
	}
}

// TestUpdateFirstFailure: a dataset that fails on the first run is simply
// absent; the others are installed, and the error lists every failure.
func TestUpdateFirstFailure(t *testing.T) {
	m := newMirror(t)
	m.set("/npm/all.zip", serveBytes([]byte("garbage")))
	m.set("/cloud/jira/software/swagger.v3.json", http.NotFound)
	dir := t.TempDir()
	manifest, err := Update(context.Background(), dir, m.options())
	if err == nil || !strings.HasPrefix(err.Error(), "update failed for osv-npm, jira-software: ") {
		t.Fatalf("error %v", err)
	}
	if _, ok := OSVDBPath(dir); ok {
		t.Error("a garbage OSV database was installed")
	}
	if len(manifest.Datasets) != 3 {
		t.Errorf("manifest %+v", manifest.Datasets)
	}
	installed, err := Installed(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range installed {
		switch d.Name {
		case "osv-npm":
			if !d.Absent || d.Embedded {
				t.Errorf("%+v", d)
			}
		case "jira-software":
			if !d.Embedded || d.Date != "July 2022" || d.SHA256 == "" {
				t.Errorf("%+v", d)
			}
		default:
			if d.Embedded || d.Absent || d.Date != "2026-03-04" {
				t.Errorf("%+v", d)
			}
		}
	}
	_, info, _ := Scopes(dir)
	if info.Embedded() || !info.Tables[1].Embedded || info.Tables[0].Embedded {
		t.Errorf("info %+v", info)
	}
}

// TestUpdateCancelled: a cancelled context stops every download, and nothing
// is installed.
func TestUpdateCancelled(t *testing.T) {
	m := newMirror(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	_, err := Update(ctx, dir, m.options())
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v", err)
	}
	if files := snapshot(t, dir); len(files) != 0 {
		t.Errorf("files %v", files)
	}
}

func TestUpdateBadSources(t *testing.T) {
	good := Sources()[1]
	for name, change := range map[string]func(*Source){
		"no name":      func(s *Source) { s.Name = "" },
		"unknown kind": func(s *Source) { s.Kind = "tarball" },
		"escapes":      func(s *Source) { s.File = "../elsewhere.json" },
		"absolute":     func(s *Source) { s.File = "/etc/passwd" },
		"manifest":     func(s *Source) { s.File = "manifest.json" },
		"no size":      func(s *Source) { s.MaxSize = 0 },
		"no time":      func(s *Source) { s.Timeout = 0 },
	} {
		t.Run(name, func(t *testing.T) {
			src := good
			change(&src)
			dir := t.TempDir()
			if _, err := Update(context.Background(), dir, UpdateOptions{Sources: []Source{src}}); err == nil {
				t.Error("no error")
			}
		})
	}
	if _, err := Update(context.Background(), t.TempDir(), UpdateOptions{Sources: []Source{good, good}}); err == nil {
		t.Error("a source twice: no error")
	}
	other := good
	other.Name = "other"
	if _, err := Update(context.Background(), t.TempDir(), UpdateOptions{Sources: []Source{good, other}}); err == nil {
		t.Error("two sources into one file: no error")
	}
	if _, err := Update(context.Background(), "", UpdateOptions{}); err == nil {
		t.Error("no directory: no error")
	}
}

func TestRewriteURL(t *testing.T) {
	bases := map[string]string{
		"https://developer.atlassian.com":            "http://127.0.0.1:1",
		"https://developer.atlassian.com/cloud/jira": "http://mirror.example/jira/",
		"https://osv.example/npm/all.zip":            "http://127.0.0.1:2/osv.zip",
	}
	for in, want := range map[string]string{
		"https://developer.atlassian.com/cloud/confluence/openapi-v2.v3.json": "http://127.0.0.1:1/cloud/confluence/openapi-v2.v3.json",
		"https://developer.atlassian.com/cloud/jira/platform/x.json":          "http://mirror.example/jira/platform/x.json",
		"https://developer.atlassian.com.evil.example/x":                      "https://developer.atlassian.com.evil.example/x",
		"https://osv.example/npm/all.zip":                                     "http://127.0.0.1:2/osv.zip",
		"https://other.example/a":                                             "https://other.example/a",
	} {
		if got := rewriteURL(in, bases); got != want {
			t.Errorf("rewriteURL(%s) = %s; want %s", in, got, want)
		}
	}
}

func TestDir(t *testing.T) {
	t.Setenv("ECOSCAN_DATA_DIR", "/some/where")
	if d, err := Dir(); err != nil || d != "/some/where" {
		t.Errorf("Dir() = %s, %v", d, err)
	}
	t.Setenv("ECOSCAN_DATA_DIR", "")
	t.Setenv("XDG_CACHE_HOME", "/cache/home")
	t.Setenv("HOME", "/home/someone")
	if d, err := Dir(); err != nil || d != "/cache/home/ecoscan" {
		t.Errorf("Dir() = %s, %v", d, err)
	}
}

// TestDirUpdate: an update into Dir() when ECOSCAN_DATA_DIR is set lands there.
func TestDirUpdate(t *testing.T) {
	m := newMirror(t)
	want := t.TempDir()
	t.Setenv("ECOSCAN_DATA_DIR", want)
	dir, err := Dir()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Update(context.Background(), dir, m.options()); err != nil {
		t.Fatal(err)
	}
	if path, ok := OSVDBPath(want); !ok || !strings.HasPrefix(path, want) {
		t.Errorf("OSVDBPath(%s) = %s, %v", want, path, ok)
	}
}

// TestInstalledNothing: an empty directory has the embedded scope tables and
// no advisories.
func TestInstalledNothing(t *testing.T) {
	dir := t.TempDir()
	got, err := Installed(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 || !got[0].Absent || got[0].Source != Sources()[0].URL {
		t.Fatalf("Installed = %+v", got)
	}
	for _, d := range got[1:] {
		if !d.Embedded || d.Absent || d.Size == 0 || d.SHA256 == "" || !strings.Contains(d.Detail, "operations") || d.Date == "" {
			t.Errorf("%+v", d)
		}
	}
	if got[1].Detail != "595 operations (579 with scopes)" {
		t.Errorf("jira-platform: %s", got[1].Detail)
	}
	if _, ok := OSVDBPath(dir); ok {
		t.Error("OSVDBPath found a database in an empty directory")
	}
}

// TestInstalledUnrecorded: a database copied in by hand (osv-scanner's
// layout) is found and listed; a corrupt manifest is reported, the list is
// still complete.
func TestInstalledUnrecorded(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "osv-scalibr", "npm", "all.zip")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, osvZip(t, advisory("GHSA-1", "a")), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, manifestFile), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Installed(dir)
	if err == nil || !strings.Contains(err.Error(), "manifest") {
		t.Errorf("error %v", err)
	}
	if len(got) != 5 || got[0].Absent || got[0].Size == 0 || !strings.Contains(got[0].Source, "unknown") {
		t.Errorf("Installed = %+v", got)
	}
	if p, ok := OSVDBPath(dir); !ok || p != path {
		t.Errorf("OSVDBPath = %s, %v", p, ok)
	}
}

// TestUpdateLeftovers: temporary files an update killed midway left, older
// than the dataset's time limit, are removed; a recent one, maybe another
// update's, and unrelated files stay.
func TestUpdateLeftovers(t *testing.T) {
	m := newMirror(t)
	dir := t.TempDir()
	npm := filepath.Join(dir, "osv-scalibr", "npm")
	if err := os.MkdirAll(npm, 0o755); err != nil {
		t.Fatal(err)
	}
	long := time.Now().Add(-2 * time.Hour)
	files := map[string]bool{ // name -> kept
		".all.zip.download-123": false,
		".all.zip.tmp-456":      false,
		".all.zip.download-new": true,
		"notes.txt":             true,
	}
	for name, kept := range files {
		path := filepath.Join(npm, name)
		if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if !kept || name == "notes.txt" {
			if err := os.Chtimes(path, long, long); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := Update(context.Background(), dir, m.options()); err != nil {
		t.Fatal(err)
	}
	for name, kept := range files {
		if _, err := os.Stat(filepath.Join(npm, name)); (err == nil) != kept {
			t.Errorf("%s: kept %v, want %v", name, err == nil, kept)
		}
	}
}

// TestDefaultClient: downloads refuse a redirect from https down to http.
func TestDefaultClient(t *testing.T) {
	hc := defaultClient()
	if tr, ok := hc.Transport.(*http.Transport); !ok || tr.Proxy == nil {
		t.Error("the default client does not take proxies from the environment")
	}
	req := func(u string) *http.Request {
		r, err := http.NewRequest(http.MethodGet, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	from := []*http.Request{req("https://osv.example/npm/all.zip")}
	if err := hc.CheckRedirect(req("http://mirror.example/all.zip"), from); err == nil {
		t.Error("https to http: followed")
	}
	if err := hc.CheckRedirect(req("https://mirror.example/all.zip"), from); err != nil {
		t.Errorf("https to https: %v", err)
	}
}

// TestUpdateOddRecords: a few entries that are not OSV records among many
// (one in a hundred at most) are tolerated and counted; more are refused.
func TestUpdateOddRecords(t *testing.T) {
	records := []string{`{"not": "a record"}`}
	for i := range 120 {
		records = append(records, advisory(fmt.Sprintf("GHSA-%d", i), "p"))
	}
	m := newMirror(t)
	m.set("/npm/all.zip", serveBytes(osvZip(t, records...)))
	dir := t.TempDir()
	manifest, err := Update(context.Background(), dir, m.options())
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := manifest.Dataset("osv-npm"); d.Detail != "120 advisories (1 skipped: not OSV records)" {
		t.Errorf("detail %q", d.Detail)
	}

	m.set("/npm/all.zip", serveBytes(osvZip(t, append(records, "[]", "null")...)))
	_, err = Update(context.Background(), dir, m.options())
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "3 of 123 entries are not OSV records") {
		t.Errorf("error %v", err)
	}
}
