package web

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"html"
	"io/fs"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestVendoredFiles checks the vendored files against the SHA-256 sums
// static/vendor/README.md records for them, so that a changed file cannot
// pass for the release it names.
func TestVendoredFiles(t *testing.T) {
	readme, err := fs.ReadFile(staticFS, "static/vendor/README.md")
	if err != nil {
		t.Fatal(err)
	}
	files := regexp.MustCompile(`(?s)Files \(SHA-256\): (.*?)\n\n`).FindSubmatch(readme)
	if files == nil {
		t.Fatal("the README lists no file sums")
	}
	sums := regexp.MustCompile(`([\w.]+) ([0-9a-f]{64})`).FindAllSubmatch(files[1], -1)
	if len(sums) != 3 {
		t.Fatalf("want the sums of 3 files, got %d", len(sums))
	}
	for _, m := range sums {
		body, err := fs.ReadFile(staticFS, "static/vendor/"+string(m[1]))
		if err != nil {
			t.Fatal(err)
		}
		if got := sha256.Sum256(body); hex.EncodeToString(got[:]) != string(m[2]) {
			t.Errorf("%s: SHA-256 %x, the README says %s", m[1], got, m[2])
		}
	}
	for _, licence := range []string{"LICENSE.htmx", "LICENSE.uplot"} {
		if _, err := fs.ReadFile(staticFS, "static/vendor/"+licence); err != nil {
			t.Errorf("licence missing: %v", err)
		}
	}
}

// TestStaticFiles checks what /static serves: the stylesheets and scripts,
// long-cached, with the integrity hash the pages name; nothing else.
func TestStaticFiles(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	b := f.browser()
	page := b.get("/signin")
	links := regexp.MustCompile(`(?:src|href)="(/static/[^"]+)" integrity="([^"]+)"`).FindAllStringSubmatch(page.body, -1)
	if len(links) < 3 {
		t.Fatalf("the sign-in page links %d static files", len(links))
	}
	for _, l := range links {
		u, integrity := html.UnescapeString(l[1]), html.UnescapeString(l[2])
		r := b.get(u)
		if r.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", u, r.StatusCode)
			continue
		}
		sum := sha512.Sum384([]byte(r.body))
		if want := "sha384-" + base64.StdEncoding.EncodeToString(sum[:]); integrity != want {
			t.Errorf("%s: integrity %s, the file hashes to %s", u, integrity, want)
		}
		if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") || !strings.Contains(cc, "immutable") {
			t.Errorf("%s: Cache-Control %q", u, cc)
		}
		ct := r.Header.Get("Content-Type")
		if !strings.HasPrefix(ct, "text/css") && !strings.HasPrefix(ct, "text/javascript") {
			t.Errorf("%s: Content-Type %q", u, ct)
		}
		req, _ := http.NewRequest(http.MethodGet, f.server.URL+u, nil)
		req.Header.Set("If-None-Match", r.Header.Get("ETag"))
		if again := b.do(req); again.StatusCode != http.StatusNotModified {
			t.Errorf("%s with its ETag: %d", u, again.StatusCode)
		}
	}
	for _, p := range []string{"/static/vendor/LICENSE.htmx", "/static/vendor/README.md", "/static/nope.js", "/static/"} {
		if r := b.get(p); r.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, r.StatusCode)
		}
	}
}
