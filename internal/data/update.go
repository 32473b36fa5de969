package data

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Errors Update wraps, so that callers can tell the failures apart.
var (
	ErrTooLarge  = errors.New("too large")
	ErrTruncated = errors.New("cut off")
	ErrStalled   = errors.New("stalled")
	ErrTimeout   = errors.New("timed out")
	ErrCorrupt   = errors.New("not valid")
)

// defaultIdleTimeout is how long a download may receive nothing.
const defaultIdleTimeout = time.Minute

// UpdateOptions adjusts Update. The zero value fetches every source from its
// published location.
type UpdateOptions struct {
	// Sources are the datasets to fetch; nil means Sources().
	Sources []Source
	// BaseURLs replaces the beginning of source URLs, for mirrors and tests:
	// {"https://developer.atlassian.com": "http://127.0.0.1:8080"} fetches
	// http://127.0.0.1:8080/cloud/jira/platform/swagger-v3.v3.json. The
	// longest matching key wins; a key matches up to a "/" or the URL's end.
	BaseURLs map[string]string
	// HTTPClient sends the requests; nil means a client that honours
	// HTTPS_PROXY/NO_PROXY and SSL_CERT_FILE and refuses redirects from
	// https to http. Its own Timeout, if any, applies on top of each source's.
	HTTPClient *http.Client
	// Now is the clock of the fetched-at times; nil means time.Now.
	Now func() time.Time
	// IdleTimeout is how long a download may receive nothing before it is
	// abandoned; 0 means a minute.
	IdleTimeout time.Duration
	// Progress, when set, is told the bytes received of a dataset so far, and
	// the total when the server announced it (else -1). It is called from
	// several goroutines at once.
	Progress func(name string, done, total int64)
}

// Update fetches every source into dir (created if need be), each into a
// temporary file beside its destination, streamed and bounded in size and
// time. Each download is checked (the OSV zip: every entry an OSV record; a
// spec: an OpenAPI document whose operations list OAuth scopes, from which the
// scope table is derived) and then renamed over the old copy, so that a cut-off
// or invalid download leaves the old copy as it was. The manifest records each
// dataset installed. Sources are fetched in parallel; one failing does not
// stop the others: the error names every dataset that failed, and the
// manifest returned (never nil) records what is installed after the run.
func Update(ctx context.Context, dir string, opts UpdateOptions) (*Manifest, error) {
	if dir == "" {
		return &Manifest{}, errors.New("update the data: no data directory")
	}
	srcs := opts.Sources
	if srcs == nil {
		srcs = Sources()
	}
	if err := checkSources(srcs); err != nil {
		return &Manifest{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return &Manifest{}, fmt.Errorf("make the data directory: %w", err)
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = defaultClient()
	}
	// An unreadable manifest is replaced by one recording this run.
	manifest, _ := readManifest(dir)

	var mu sync.Mutex
	errs := make([]error, len(srcs))
	var wg sync.WaitGroup
	for i, src := range srcs {
		wg.Go(func() {
			url := rewriteURL(src.URL, opts.BaseURLs)
			d, err := updateOne(ctx, dir, src, url, opts)
			if err != nil {
				errs[i] = fmt.Errorf("update %s from %s: %w", src.Name, url, err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			manifest.set(d)
			if err := writeManifest(dir, manifest); err != nil {
				errs[i] = fmt.Errorf("update %s: %w", src.Name, err)
			}
		})
	}
	wg.Wait()

	var failed []string
	for i, err := range errs {
		if err != nil {
			failed = append(failed, srcs[i].Name)
		}
	}
	if len(failed) > 0 {
		return manifest, fmt.Errorf("update failed for %s: %w", strings.Join(failed, ", "), errors.Join(errs...))
	}
	return manifest, nil
}

// checkSources refuses a source list Update cannot use safely.
func checkSources(srcs []Source) error {
	seen := map[string]bool{}
	for _, s := range srcs {
		switch {
		case s.Name == "" || seen["name "+s.Name]:
			return fmt.Errorf("update the data: source %q: no name, or named twice", s.Name)
		case seen["file "+s.File]:
			return fmt.Errorf("update the data: source %s: file %q is another source's", s.Name, s.File)
		case s.Kind != KindOSV && s.Kind != KindOpenAPI:
			return fmt.Errorf("update the data: source %s: unknown kind %q", s.Name, s.Kind)
		case !filepath.IsLocal(filepath.FromSlash(s.File)) || s.File == manifestFile:
			return fmt.Errorf("update the data: source %s: file %q is not a path inside the data directory", s.Name, s.File)
		case s.MaxSize <= 0 || s.Timeout <= 0:
			return fmt.Errorf("update the data: source %s: no size or time limit", s.Name)
		}
		seen["name "+s.Name], seen["file "+s.File] = true, true
	}
	return nil
}

// rewriteURL applies the longest matching base URL replacement.
func rewriteURL(u string, bases map[string]string) string {
	best := ""
	for from := range bases {
		trimmed := strings.TrimSuffix(from, "/")
		if len(from) > len(best) && (u == trimmed || strings.HasPrefix(u, trimmed+"/")) {
			best = from
		}
	}
	if best == "" {
		return u
	}
	return strings.TrimSuffix(bases[best], "/") + strings.TrimPrefix(u, strings.TrimSuffix(best, "/"))
}

// updateOne downloads, checks and installs one source.
func updateOne(ctx context.Context, dir string, src Source, url string, opts UpdateOptions) (Dataset, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, src.Timeout, fmt.Errorf("%w after %s", ErrTimeout, src.Timeout))
	defer cancel()
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	target := filepath.Join(dir, filepath.FromSlash(src.File))
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return Dataset{}, fmt.Errorf("make the dataset's directory: %w", err)
	}
	removeLeftovers(target, src.Timeout)
	dl, err := download(ctx, url, filepath.Dir(target), src, opts)
	if err != nil {
		return Dataset{}, err
	}
	defer os.Remove(dl.path) // gone already once renamed into place
	fetched := now().UTC().Truncate(time.Second)
	d := Dataset{Name: src.Name, File: src.File, Source: url, FetchedAt: fetched, Date: fetched.Format(dateLayout)}

	switch src.Kind {
	case KindOSV:
		n, skipped, err := checkOSV(ctx, dl.path)
		if err != nil {
			return Dataset{}, fmt.Errorf("check the OSV database: %w", err)
		}
		if err := os.Rename(dl.path, target); err != nil {
			return Dataset{}, fmt.Errorf("install the OSV database: %w", err)
		}
		d.Size, d.SHA256, d.Detail = dl.size, dl.sha256, fmt.Sprintf("%d advisories", n)
		if skipped > 0 {
			d.Detail += fmt.Sprintf(" (%d skipped: not OSV records)", skipped)
		}
	case KindOpenAPI:
		table, err := specTable(dl.path, src.Name)
		if err != nil {
			return Dataset{}, err
		}
		title := table.SpecTitle
		if title == "" {
			title = src.Name
		}
		table.Source = fmt.Sprintf("%s OpenAPI spec as published by Atlassian (%s), fetched %s", title, url, d.Date)
		b, err := encodeTable(table)
		if err != nil {
			return Dataset{}, err
		}
		if err := writeAtomic(target, b); err != nil {
			return Dataset{}, fmt.Errorf("install the scope table: %w", err)
		}
		sum := sha256.Sum256(b)
		d.Size, d.SHA256, d.Detail = int64(len(b)), hex.EncodeToString(sum[:]), table.detail()
	}
	return d, nil
}

// removeLeftovers removes the temporary files of target that an update killed
// midway left behind: those older than the dataset's time limit, which no
// running update can still be writing.
func removeLeftovers(target string, limit time.Duration) {
	base := filepath.Base(target)
	entries, err := os.ReadDir(filepath.Dir(target))
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, "."+base+".download-") && !strings.HasPrefix(name, "."+base+".tmp-") {
			continue
		}
		if fi, err := e.Info(); err == nil && fi.Mode().IsRegular() && time.Since(fi.ModTime()) > limit {
			os.Remove(filepath.Join(filepath.Dir(target), name))
		}
	}
}

// specTable derives the scope table from a downloaded spec, refusing a spec
// where no operation lists a scope: Atlassian would have changed the format,
// and the table would say nothing.
func specTable(path, product string) (*ProductTable, error) {
	spec, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the downloaded spec: %w", err)
	}
	table, err := DeriveScopes(product, spec)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if _, scoped := table.counts(); scoped == 0 {
		return nil, fmt.Errorf("%w: no operation of the spec lists x-atlassian-oauth2-scopes", ErrCorrupt)
	}
	return table, nil
}

// downloaded is a download's temporary file.
type downloaded struct {
	path   string
	size   int64
	sha256 string
}

// download streams url into a temporary file in dir with opts.HTTPClient,
// bounded by src.MaxSize and the idle timeout (ctx carries the overall one). A short body, an error
// status, a stall or too many bytes is an error, and no file is left.
func download(ctx context.Context, url, dir string, src Source, opts UpdateOptions) (downloaded, error) {
	idle := opts.IdleTimeout
	if idle <= 0 {
		idle = defaultIdleTimeout
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stall := time.AfterFunc(idle, func() { cancel(fmt.Errorf("%w: nothing received for %s", ErrStalled, idle)) })
	defer stall.Stop()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return downloaded{}, fmt.Errorf("make the request: %w", err)
	}
	req.Header.Set("User-Agent", "ecoscan")
	resp, err := opts.HTTPClient.Do(req)
	if err != nil {
		return downloaded{}, fmt.Errorf("download: %w", explain(ctx, err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return downloaded{}, fmt.Errorf("download: HTTP status %s", resp.Status)
	}
	total := resp.ContentLength
	if total > src.MaxSize {
		return downloaded{}, fmt.Errorf("download: %w: %d bytes announced, more than the limit of %d", ErrTooLarge, total, src.MaxSize)
	}

	f, err := os.CreateTemp(dir, "."+filepath.Base(src.File)+".download-*")
	if err != nil {
		return downloaded{}, fmt.Errorf("make a temporary file: %w", err)
	}
	h := sha256.New()
	size, err := copyBounded(io.MultiWriter(f, h), resp.Body, src.MaxSize, func(n int64) {
		stall.Reset(idle)
		if opts.Progress != nil {
			opts.Progress(src.Name, n, total)
		}
	})
	switch {
	case err != nil && errors.Is(err, ErrTooLarge):
		err = fmt.Errorf("download: %w", err)
	case err != nil:
		err = fmt.Errorf("download: after %d bytes: %w", size, explain(ctx, err))
	case total >= 0 && size != total:
		err = fmt.Errorf("download: %w: %d of %d bytes received", ErrTruncated, size, total)
	}
	if err == nil {
		if err = f.Sync(); err != nil {
			err = fmt.Errorf("write the download: %w", err)
		}
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("write the download: %w", cerr)
	}
	if err != nil {
		os.Remove(f.Name())
		return downloaded{}, err
	}
	return downloaded{path: f.Name(), size: size, sha256: hex.EncodeToString(h.Sum(nil))}, nil
}

// copyBounded copies r to w, failing once more than max bytes arrive, and
// tells progress the running total after each read.
func copyBounded(w io.Writer, r io.Reader, max int64, progress func(int64)) (int64, error) {
	buf := make([]byte, 256<<10)
	var n int64
	for {
		k, rerr := r.Read(buf)
		if k > 0 {
			n += int64(k)
			if n > max {
				return n, fmt.Errorf("%w: more than the limit of %d bytes", ErrTooLarge, max)
			}
			if _, err := w.Write(buf[:k]); err != nil {
				return n, fmt.Errorf("write the download: %w", err)
			}
			progress(n)
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, rerr
		}
	}
}

// explain names a transfer failure: the stall or time limit that cut it, or a
// connection closed early.
func explain(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		if cause := context.Cause(ctx); cause != nil {
			return cause
		}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: the connection closed early: %w", ErrTruncated, err)
	}
	return err
}

// defaultClient is the HTTP client of downloads: proxies from the environment,
// the system's roots (SSL_CERT_FILE), bounded handshakes and header waits, no
// overall time limit (the caller's context has it, sized to the dataset), and
// no redirect from https down to http.
func defaultClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy: http.ProxyFromEnvironment,
			DialContext: (&net.Dialer{
				Timeout:   30 * time.Second,
				KeepAlive: 30 * time.Second,
			}).DialContext,
			TLSHandshakeTimeout:   30 * time.Second,
			ResponseHeaderTimeout: time.Minute,
			IdleConnTimeout:       90 * time.Second,
			ForceAttemptHTTP2:     true,
		},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 10 {
				return errors.New("more than 10 redirects")
			}
			if via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
				return fmt.Errorf("redirect from https to %s refused", req.URL.Scheme)
			}
			return nil
		},
	}
}
