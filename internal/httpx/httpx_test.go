package httpx_test

import (
	"bytes"
	"compress/gzip"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecoscan/ecoscan/internal/httpx"
	"github.com/ecoscan/ecoscan/internal/service/egress"
)

// kind is how a test server speaks.
type kind string

const (
	plain kind = "http"    // HTTP/1.1 in the clear
	tls1  kind = "https/1" // HTTP/1.1 over TLS (connections can be hijacked)
	h2    kind = "https/2" // HTTP/2 over TLS
)

// serve starts h on loopback and returns its URL and a Config that trusts it.
// The server stops when the test ends.
func serve(t *testing.T, k kind, h http.Handler) (string, httpx.Config) {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // hijacked and hung-up connections are the point
	t.Cleanup(srv.Close)
	var cfg httpx.Config
	if k == plain {
		srv.Start()
		return srv.URL, cfg
	}
	srv.EnableHTTP2 = k == h2
	srv.StartTLS()
	cfg.RootCAs = x509.NewCertPool()
	cfg.RootCAs.AddCert(srv.Certificate())
	return srv.URL, cfg
}

// client makes a client that drops its connections when the test ends
// (before the servers started earlier stop).
func client(t *testing.T, cfg httpx.Config) *httpx.Client {
	t.Helper()
	c := httpx.New(cfg)
	t.Cleanup(c.Close)
	return c
}

func get(t *testing.T, c *httpx.Client, url string) (*httpx.Response, error) {
	t.Helper()
	return c.Do(t.Context(), httpx.Request{Method: http.MethodGet, URL: url})
}

// secret rides in the query of the URLs that fail: no error may repeat it.
const secret = "secret-token"

// wantErr checks that a request failed with want (any error when want is
// nil), returned no response, and did not repeat the URL's query.
func wantErr(t *testing.T, resp *httpx.Response, err, want error) {
	t.Helper()
	if err == nil {
		t.Fatalf("answered %d, want error %v", resp.Status, want)
	}
	if resp != nil {
		t.Errorf("a response came with the error %v", err)
	}
	if want != nil && !errors.Is(err, want) {
		t.Errorf("error %q, want %v", err, want)
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("error %q repeats the URL's query", err)
	}
}

// pattern is n bytes that are not all the same, so that a prefix is checkable.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + i%26)
	}
	return b
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// sized serves /bytes/{n} (n bytes) and /gzip/{n} (n bytes, gzip-encoded).
func sized() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /bytes/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		w.Write(pattern(n))
	})
	mux.HandleFunc("GET /gzip/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(gzipped(pattern(n)))
	})
	return mux
}

func TestBodyBounds(t *testing.T) {
	const maxBody = 4096
	const bomb = 1 << 20
	if n := len(gzipped(pattern(bomb))); n >= maxBody {
		t.Fatalf("the bomb is %d bytes on the wire: it must fit in MaxBody to test decompressed counting", n)
	}
	cases := []struct {
		name     string
		path     string
		keep     int // Config.KeepBody
		reqKeep  int // Request.KeepBody
		err      error
		wantSize int
		wantKept int
	}{
		{"one byte over MaxBody", "/bytes/4097", 0, 0, httpx.ErrTooLarge, 0, 0},
		{"exactly MaxBody", "/bytes/4096", 0, 0, nil, maxBody, maxBody},
		{"KeepBody keeps a prefix, Size counts all", "/bytes/4096", 100, 0, nil, maxBody, 100},
		{"Request.KeepBody overrides KeepBody", "/bytes/4096", 100, 1000, nil, maxBody, 1000},
		{"gzip is counted inflated", "/gzip/4000", 0, 0, nil, 4000, 4000},
		{"gzip inflating beyond MaxBody", "/gzip/" + strconv.Itoa(bomb), 0, 0, httpx.ErrTooLarge, 0, 0},
	}
	for _, k := range []kind{plain, h2} {
		base, cfg := serve(t, k, sized())
		for _, c := range cases {
			t.Run(string(k)+"/"+c.name, func(t *testing.T) {
				cfg := cfg
				cfg.MaxBody, cfg.KeepBody = maxBody, c.keep
				resp, err := client(t, cfg).Do(t.Context(), httpx.Request{
					Method: http.MethodGet, URL: base + c.path + "?jwt=" + secret, KeepBody: c.reqKeep,
				})
				if c.err != nil {
					wantErr(t, resp, err, c.err)
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if resp.Size != int64(c.wantSize) || !bytes.Equal(resp.Body, pattern(c.wantSize)[:c.wantKept]) {
					t.Errorf("Size %d, %d bytes kept; want Size %d and the first %d bytes", resp.Size, len(resp.Body), c.wantSize, c.wantKept)
				}
			})
		}
	}
}

func TestTimeouts(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hang", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	mux.HandleFunc("GET /drip", func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			w.Write([]byte("x"))
			rc.Flush()
			select {
			case <-r.Context().Done():
				return
			case <-tick.C:
			}
		}
	})
	const timeout = 500 * time.Millisecond
	for _, k := range []kind{plain, h2} {
		base, cfg := serve(t, k, mux)
		cfg.Timeout = timeout
		for _, path := range []string{"/hang", "/drip"} {
			t.Run(string(k)+path, func(t *testing.T) {
				start := time.Now()
				resp, err := get(t, client(t, cfg), base+path+"?jwt="+secret)
				wantErr(t, resp, err, httpx.ErrTimeout)
				if d := time.Since(start); d > 10*timeout {
					t.Errorf("gave up after %s with Timeout %s", d, timeout)
				}
			})
		}
	}
}

// peak counts the requests being served at once and the most it saw.
type peak struct {
	mu       sync.Mutex
	cur, max int
}

func (p *peak) enter() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cur++
	p.max = max(p.max, p.cur)
}

func (p *peak) leave() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cur--
}

func (p *peak) seen() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.max
}

// busy answers after d, counted in every peak.
func busy(d time.Duration, peaks ...*peak) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, p := range peaks {
			p.enter()
			defer p.leave()
		}
		time.Sleep(d)
	})
}

// sendAll sends n GET requests to each URL at once and returns the errors.
func sendAll(t *testing.T, c *httpx.Client, n int, urls ...string) []error {
	t.Helper()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for range n {
		for _, u := range urls {
			wg.Go(func() {
				if _, err := get(t, c, u); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	return errs
}

func TestGates(t *testing.T) {
	cases := []struct {
		name              string
		concurrency, host int // Config.Concurrency, Config.PerHost
		hosts             int
		maxHost, wantAll  int // the most in flight per host, and in all (reached: the gates are not stricter than told)
	}{
		{"per host", 10, 3, 1, 3, 3},
		{"global, over two hosts", 4, 3, 2, 3, 4},
		{"PerHost above Concurrency", 2, 8, 1, 2, 2},
	}
	for _, k := range []kind{plain, h2} {
		for _, c := range cases {
			t.Run(string(k)+"/"+c.name, func(t *testing.T) {
				var all peak
				var urls []string
				var perHost []*peak
				var cfg httpx.Config
				for range c.hosts {
					p := &peak{}
					var u string
					u, cfg = serve(t, k, busy(50*time.Millisecond, p, &all)) // httptest's servers share one certificate
					urls, perHost = append(urls, u), append(perHost, p)
				}
				cfg.Concurrency, cfg.PerHost = c.concurrency, c.host
				if errs := sendAll(t, client(t, cfg), 20, urls...); len(errs) > 0 {
					t.Fatal(errs)
				}
				for i, p := range perHost {
					if p.seen() > c.maxHost {
						t.Errorf("host %d saw %d requests at once, more than %d", i, p.seen(), c.maxHost)
					}
				}
				if all.seen() != c.wantAll {
					t.Errorf("%d requests at once at most in all, want %d", all.seen(), c.wantAll)
				}
			})
		}
	}
}

func TestPerHostRate(t *testing.T) {
	base, cfg := serve(t, plain, http.NotFoundHandler())
	cfg.PerHostRate = 20
	start := time.Now()
	if errs := sendAll(t, client(t, cfg), 10, base); len(errs) > 0 {
		t.Fatal(errs)
	}
	// 10 requests at 20/s with a burst of 1: 9 waits of 50 ms.
	if d := time.Since(start); d < 400*time.Millisecond {
		t.Errorf("10 requests at 20/s took %s, want at least 400ms", d)
	}
}

func TestGateWaitIsNotTimed(t *testing.T) {
	// Three requests that each take 400 ms, one at a time: the last waits
	// 800 ms for its turn, more than the Timeout, and must still succeed.
	var p peak
	base, cfg := serve(t, plain, busy(400*time.Millisecond, &p))
	cfg.PerHost, cfg.Timeout = 1, time.Second
	if errs := sendAll(t, client(t, cfg), 3, base); len(errs) > 0 {
		t.Fatal(errs)
	}
	if p.seen() != 1 {
		t.Errorf("%d requests at once with PerHost 1", p.seen())
	}
}

// redirector serves the redirects of TestRedirects; away is another server.
func redirector(away string) http.Handler {
	mux := http.NewServeMux()
	redirect := func(pattern, to string, code int) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, to, code)
		})
	}
	redirect("/a", "/b", http.StatusFound)
	redirect("/b", "/c?x=1", http.StatusMovedPermanently)
	redirect("POST /post303", "/c", http.StatusSeeOther)
	redirect("POST /post307", "/c", http.StatusTemporaryRedirect)
	redirect("/away", away+"/c", http.StatusFound)
	redirect("/loop", "/loop2?jwt="+secret, http.StatusFound)
	redirect("/loop2", "/loop?jwt="+secret, http.StatusFound)
	mux.HandleFunc("/c", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %q", r.Method, b)
	})
	mux.HandleFunc("/hop/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		http.Redirect(w, r, fmt.Sprintf("/hop/%d?jwt=%s", n+1, secret), http.StatusFound)
	})
	mux.HandleFunc("/chain/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		if n > 0 {
			http.Redirect(w, r, fmt.Sprintf("/chain/%d", n-1), http.StatusFound)
		}
	})
	return mux
}

func TestRedirects(t *testing.T) {
	cases := []struct {
		name         string
		method, path string
		body         string
		follow       bool
		err          error
		status       int
		answer       string   // the final answer's body, when it matters
		redirects    []string // paths redirected from
		final        string   // path of the URL that answered
	}{
		{"same host is followed", "GET", "/a", "", true, nil, 200, `GET ""`, []string{"/a", "/b"}, "/c?x=1"},
		{"303 after POST is a GET without body", "POST", "/post303", "payload", true, nil, 200, `GET ""`, []string{"/post303"}, "/c"},
		{"307 after POST keeps POST and body", "POST", "/post307", "payload", true, nil, 200, `POST "payload"`, []string{"/post307"}, "/c"},
		{"MaxRedirects hops are followed", "GET", "/chain/3", "", true, nil, 200, "", []string{"/chain/3", "/chain/2", "/chain/1"}, "/chain/0"},
		{"another host:port is not followed", "GET", "/away", "", true, nil, 302, "", nil, "/away"},
		{"not following returns the 302", "GET", "/a", "", false, nil, 302, "", nil, "/a"},
		{"loop", "GET", "/loop?jwt=" + secret, "", true, httpx.ErrRedirectLoop, 0, "", nil, ""},
		{"more than MaxRedirects hops", "GET", "/hop/0?jwt=" + secret, "", true, httpx.ErrTooManyHops, 0, "", nil, ""},
	}
	for _, k := range []kind{plain, h2} {
		var strayed peak
		away, _ := serve(t, k, busy(0, &strayed))
		base, cfg := serve(t, k, redirector(away))
		cfg.MaxRedirects = 3
		for _, c := range cases {
			t.Run(string(k)+"/"+c.name, func(t *testing.T) {
				req := httpx.Request{Method: c.method, URL: base + c.path, FollowRedirects: c.follow}
				if c.body != "" {
					req.Body = []byte(c.body)
				}
				resp, err := client(t, cfg).Do(t.Context(), req)
				if c.err != nil {
					wantErr(t, resp, err, c.err)
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				var from []string
				for _, r := range resp.Redirects {
					from = append(from, strings.TrimPrefix(r, base))
				}
				if resp.Status != c.status || fmt.Sprint(from) != fmt.Sprint(c.redirects) || resp.URL != base+c.final {
					t.Errorf("%d from %q at %s, want %d from %q at %s", resp.Status, from, resp.URL, c.status, c.redirects, base+c.final)
				}
				if c.answer != "" && string(resp.Body) != c.answer {
					t.Errorf("answer %q, want %q", resp.Body, c.answer)
				}
			})
		}
		if strayed.seen() != 0 {
			t.Errorf("%s: a redirect to another host:port was followed", k)
		}
	}
}

// hijacked serves a handler that takes the connection over and does f with it.
func hijacked(f func(net.Conn)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil { // an HTTP/2 server: the test fails on the 500
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer conn.Close()
		f(conn)
	}
}

func TestBrokenConnections(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/reset", hijacked(func(conn net.Conn) {
		if tc, ok := conn.(*tls.Conn); ok {
			conn = tc.NetConn()
		}
		conn.(*net.TCPConn).SetLinger(0) // Close sends RST
	}))
	mux.Handle("/garbage", hijacked(func(conn net.Conn) {
		io.WriteString(conn, "this is not HTTP\r\n\r\n")
	}))
	mux.Handle("/truncated", hijacked(func(conn net.Conn) {
		io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort")
	}))
	cases := []struct {
		path string
		err  error // nil: any error
	}{
		{"/reset", httpx.ErrReset},
		{"/garbage", nil},
		{"/truncated", httpx.ErrReset},
	}
	for _, k := range []kind{plain, tls1} {
		base, cfg := serve(t, k, mux)
		cfg.Timeout = 10 * time.Second
		for _, c := range cases {
			t.Run(string(k)+c.path, func(t *testing.T) {
				resp, err := get(t, client(t, cfg), base+c.path+"?jwt="+secret)
				wantErr(t, resp, err, c.err)
				if errors.Is(err, httpx.ErrTimeout) {
					t.Errorf("%v: a broken connection must fail at once", err)
				}
			})
		}
	}
}

func TestErrorsHideQuery(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String()
	ln.Close()
	cases := []struct {
		name, url string
		err       error
	}{
		{"connection refused", refused + "/?jwt=" + secret, nil},
		{"not http(s)", "ftp://127.0.0.1/?jwt=" + secret, httpx.ErrBadRequestURL},
		{"no host", "https:///path?jwt=" + secret, httpx.ErrBadRequestURL},
		{"unparsable", "http://127.0.0.1:port/?jwt=" + secret, httpx.ErrBadRequestURL},
	}
	c := client(t, httpx.Config{Timeout: 5 * time.Second})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := get(t, c, tc.url)
			wantErr(t, resp, err, tc.err)
		})
	}
}

func TestAnswerFields(t *testing.T) {
	base, cfg := serve(t, plain, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ct := r.URL.Query().Get("ct"); ct != "" {
			w.Header().Set("Content-Type", ct)
		} else {
			w.Header()["Content-Type"] = nil // no sniffing: no Content-Type at all
		}
		io.WriteString(w, r.UserAgent())
	}))
	cases := []struct {
		name, agent, contentType string
		wantAgent, wantType      string
	}{
		{"defaults", "", "application/json", "ecoscan", "application/json"},
		{"parameters dropped, lower case", "ecoscan/1.2.3", "Text/HTML; Charset=UTF-8", "ecoscan/1.2.3", "text/html"},
		{"space before parameters", "ecoscan/1.2.3", "Application/Problem+JSON ; q=1", "ecoscan/1.2.3", "application/problem+json"},
		{"no Content-Type", "ecoscan/1.2.3", "", "ecoscan/1.2.3", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := cfg
			cfg.UserAgent = c.agent
			resp, err := get(t, client(t, cfg), base+"/?ct="+url.QueryEscape(c.contentType))
			if err != nil {
				t.Fatal(err)
			}
			if string(resp.Body) != c.wantAgent || resp.ContentType != c.wantType {
				t.Errorf("User-Agent %q, ContentType %q; want %q, %q", resp.Body, resp.ContentType, c.wantAgent, c.wantType)
			}
		})
	}
}

func TestHostPort(t *testing.T) {
	cases := []struct{ url, want string }{
		{"http://example.com/x", "example.com:80"},
		{"https://example.com", "example.com:443"},
		{"https://example.com:8443/", "example.com:8443"},
		{"http://[::1]/", "[::1]:80"},
		{"https://[::1]:9/", "[::1]:9"},
	}
	for _, c := range cases {
		u, err := url.Parse(c.url)
		if err != nil {
			t.Fatal(err)
		}
		if got := httpx.HostPort(u); got != c.want {
			t.Errorf("HostPort(%s) = %s, want %s", c.url, got, c.want)
		}
	}
}

func TestTLS(t *testing.T) {
	cases := []struct {
		name      string
		kind      kind
		trust     bool
		wantProto string // "" when the request must fail
	}{
		{"untrusted certificate", h2, false, ""},
		{"RootCAs, HTTP/2", h2, true, "HTTP/2.0"},
		{"RootCAs, HTTP/1.1", tls1, true, "HTTP/1.1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			base, cfg := serve(t, c.kind, http.NotFoundHandler())
			if !c.trust {
				cfg.RootCAs = nil
			}
			resp, err := get(t, client(t, cfg), base+"/?jwt="+secret)
			if c.wantProto == "" {
				wantErr(t, resp, err, nil)
				if !strings.Contains(err.Error(), "certificate") {
					t.Errorf("error %q does not name the certificate", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != http.StatusNotFound || resp.Proto != c.wantProto {
				t.Errorf("%d over %s, want 404 over %s", resp.Status, resp.Proto, c.wantProto)
			}
		})
	}
}

// TestControl: the service's egress guard vets every connection, including
// a redirect's, and no proxy gets round it.
func TestControl(t *testing.T) {
	u, cfg := serve(t, plain, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "ok")
	}))
	t.Setenv("HTTP_PROXY", "http://192.0.2.1:3128") // a proxy would hide the address from the guard
	blocked := cfg
	blocked.Control = egress.Guard(nil)
	resp, err := get(t, client(t, blocked), u)
	var be *egress.BlockedError
	if !errors.As(err, &be) {
		t.Fatalf("loopback without an allow-list: %v, %v; want the egress refusal", resp, err)
	}
	allowed := cfg
	allowed.Control = egress.Guard([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")})
	resp, err = get(t, client(t, allowed), u)
	if err != nil || resp.Status != 200 {
		t.Fatalf("loopback allowed: %v, %v", resp, err)
	}
}
