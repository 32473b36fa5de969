package web

import (
	"crypto/sha256"
	"crypto/sha512"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

// staticFS holds the dashboard's stylesheet and scripts and the vendored
// htmx and uPlot (static/vendor/README.md names their source).
//
//go:embed static
var staticFS embed.FS

// asset is one embedded static file, ready to serve.
type asset struct {
	body        []byte
	contentType string
	version     string // the first 16 hex digits of the body's SHA-256, for cache busting
	integrity   string // "sha384-...", for the integrity attribute
}

// assets are the files under static/, by their path below it
// ("app.css", "vendor/htmx.min.js"). Only .css and .js files are served:
// the licences and the README stay in the tree and the binary, not on the
// web.
type assets map[string]asset

// loadAssets reads and hashes every served file of fsys (rooted at the
// directory that holds them).
func loadAssets(fsys fs.FS) (assets, error) {
	out := assets{}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		ext := path.Ext(name)
		if d.IsDir() || (ext != ".css" && ext != ".js") {
			return nil
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		sri := sha512.Sum384(body)
		out[name] = asset{
			body:        body,
			contentType: mime.TypeByExtension(ext),
			version:     hex.EncodeToString(sum[:8]),
			integrity:   "sha384-" + base64.StdEncoding.EncodeToString(sri[:]),
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load static files: %w", err)
	}
	return out, nil
}

// url is the address a page links the file by: its version in the query,
// so that a new release's file is a new URL and the old one may be cached
// for a year.
func (a assets) url(name string) (string, error) {
	f, ok := a[name]
	if !ok {
		return "", fmt.Errorf("no static file %q", name)
	}
	return "/static/" + name + "?v=" + f.version, nil
}

// integrity is the Subresource Integrity value of the file.
func (a assets) integrity(name string) (string, error) {
	f, ok := a[name]
	if !ok {
		return "", fmt.Errorf("no static file %q", name)
	}
	return f.integrity, nil
}

// serve answers GET /static/{name...}. The files never change within a
// release and every link carries their version, so they may be cached for
// a year; they carry no data, so the no-store rule of pages does not apply.
func (a assets) serve(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	f, ok := a[name]
	if !ok || strings.Contains(name, "..") {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Del("Pragma")
	h.Set("ETag", `"`+f.version+`"`)
	if match := r.Header.Get("If-None-Match"); match == `"`+f.version+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(f.body)
}
