package connect

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"net/http"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"

	"github.com/ecoscan/ecoscan/internal/connect/headers"
	"github.com/ecoscan/ecoscan/internal/connect/token"
	"github.com/ecoscan/ecoscan/internal/httpx"
)

// Exchange is one probe sent to one endpoint and what came back, kept small:
// the answer's body is reduced to an excerpt and a sketch for comparing
// answers, so that a scan of thousands of endpoints stays within memory.
type Exchange struct {
	Probe       Probe
	Method      string
	Status      int
	ContentType string
	Size        int64
	Header      http.Header
	Excerpt     string // the first characters of the body, tokens redacted
	Redirected  bool   // the answer came after same-host redirects
	Err         error  // the request failed: timed out, reset, too large, ...
	Referrer    headers.Verdict

	sketch []uint32 // hashed word shingles of the body, for similarity
	empty  bool     // the body held nothing but white space
}

// summarise reduces an httpx answer to an Exchange.
func summarise(p Probe, method string, r *httpx.Response, err error) *Exchange {
	x := &Exchange{Probe: p, Method: method, Err: err}
	if err != nil {
		return x
	}
	x.Status = r.Status
	x.ContentType = r.ContentType
	x.Size = r.Size
	x.Header = r.Header
	x.Redirected = len(r.Redirects) > 0
	x.Excerpt = excerpt(r.Body, r.ContentType, 120)
	x.sketch = sketch(r.Body)
	x.empty = len(bytes.TrimSpace(r.Body)) == 0
	x.Referrer = headers.JudgeReferrerPolicy(r.Header, r.Body, r.ContentType)
	return x
}

// outcome is how an answer reads to the judge.
type outcome int

const (
	failed   outcome = iota // no usable answer: error, 5xx
	refused                 // 4xx: the app said no
	answered                // 2xx or 3xx: the app served something
)

func (x *Exchange) outcome() outcome {
	switch {
	case x.Err != nil || x.Status >= 500 || x.Status < 200:
		return failed
	case x.Status >= 400:
		return refused
	default:
		return answered
	}
}

// problem says why an exchange failed, for the errors list.
func (x *Exchange) problem() string {
	if x.Err != nil {
		return token.Redact(x.Err.Error())
	}
	return fmt.Sprintf("answered %d %s", x.Status, http.StatusText(x.Status))
}

// isHTML reports whether the answer is an HTML document.
func (x *Exchange) isHTML() bool {
	return x.ContentType == "text/html" || x.ContentType == "application/xhtml+xml"
}

// similar reports whether two answers are the same page: the same status
// class and bodies whose word shingles mostly agree (numbers, ids and nonces
// are ignored, so a page that only differs by a timestamp is the same page).
func similar(a, b *Exchange) bool {
	if a.Status/100 != b.Status/100 {
		return false
	}
	if a.empty || b.empty {
		return a.empty == b.empty
	}
	if len(a.sketch) == 0 || len(b.sketch) == 0 {
		return len(a.sketch) == len(b.sketch)
	}
	return jaccard(a.sketch, b.sketch) >= 0.7
}

// describe is one line of evidence: the request and the answer.
func (x *Exchange) describe(path string) string {
	req := fmt.Sprintf("%s %s (%s)", x.Method, path, x.Probe.Label())
	if x.Err != nil {
		return req + " -> " + token.Redact(x.Err.Error())
	}
	s := fmt.Sprintf("%s -> %d", req, x.Status)
	if x.ContentType != "" {
		s += " " + x.ContentType
	}
	s += fmt.Sprintf(" %d bytes", x.Size)
	if x.Redirected {
		s += " after redirects"
	}
	if x.Excerpt != "" {
		s += fmt.Sprintf(": %q", x.Excerpt)
	}
	return s
}

const maxSketch = 256

// sketch hashes the body's word 3-shingles into at most maxSketch smallest
// values (a bottom-k sketch), skipping words with digits so that ids, times
// and nonces do not make two renderings of one page look different.
func sketch(body []byte) []uint32 {
	var words []string
	for _, w := range strings.FieldsFunc(string(body), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_'
	}) {
		if strings.IndexFunc(w, unicode.IsDigit) >= 0 {
			continue
		}
		words = append(words, strings.ToLower(w))
	}
	seen := map[uint32]bool{}
	add := func(s string) {
		h := fnv.New32a()
		h.Write([]byte(s))
		seen[h.Sum32()] = true
	}
	if len(words) < 3 {
		if len(words) > 0 {
			add(strings.Join(words, " "))
		}
	}
	for i := 0; i+3 <= len(words); i++ {
		add(words[i] + " " + words[i+1] + " " + words[i+2])
	}
	out := make([]uint32, 0, len(seen))
	for h := range seen {
		out = append(out, h)
	}
	slices.Sort(out)
	if len(out) > maxSketch {
		out = out[:maxSketch]
	}
	return out
}

// jaccard estimates the similarity of two bottom-k sketches.
func jaccard(a, b []uint32) float64 {
	k := min(maxSketch, len(a)+len(b))
	union := 0
	inter := 0
	i, j := 0, 0
	for union < k && (i < len(a) || j < len(b)) {
		switch {
		case j >= len(b) || (i < len(a) && a[i] < b[j]):
			i++
		case i >= len(a) || b[j] < a[i]:
			j++
		default:
			inter++
			i++
			j++
		}
		union++
	}
	if union == 0 {
		return 1
	}
	return float64(inter) / float64(union)
}

// excerpt is the first n characters of a body as one line of valid text:
// for HTML, its visible text (a title and a heading say more than markup).
func excerpt(body []byte, contentType string, n int) string {
	if contentType == "text/html" || contentType == "application/xhtml+xml" {
		if text := visibleText(body, 4*n); text != "" {
			body = []byte(text)
		}
	}
	if !utf8.Valid(body) {
		body = bytes.ToValidUTF8(body, []byte("?"))
	}
	s := strings.Join(strings.Fields(string(body)), " ")
	if utf8.RuneCountInString(s) > n {
		r := []rune(s)
		s = string(r[:n]) + "…"
	}
	return token.Redact(s)
}

// visibleText is the text of an HTML document outside scripts and styles, up
// to about max bytes.
func visibleText(body []byte, max int) string {
	z := html.NewTokenizer(bytes.NewReader(body))
	var out strings.Builder
	skip := 0
	for out.Len() < max {
		switch z.Next() {
		case html.ErrorToken:
			return out.String()
		case html.StartTagToken:
			if name, _ := z.TagName(); string(name) == "script" || string(name) == "style" {
				skip++
			}
		case html.EndTagToken:
			if name, _ := z.TagName(); (string(name) == "script" || string(name) == "style") && skip > 0 {
				skip--
			}
		case html.TextToken:
			if skip == 0 {
				if t := strings.TrimSpace(string(z.Text())); t != "" {
					out.WriteString(t)
					out.WriteByte(' ')
				}
			}
		}
	}
	return out.String()
}
