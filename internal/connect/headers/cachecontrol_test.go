package headers

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// header builds an http.Header with the given field lines of one name.
func header(name string, values ...string) http.Header {
	h := http.Header{}
	for _, v := range values {
		h.Add(name, v)
	}
	return h
}

func TestParseCacheControl(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  CacheControl
	}{
		{"absent", nil, CacheControl{}},
		{"empty", []string{""}, CacheControl{Present: true}},
		{"no-store", []string{"no-store"}, CacheControl{Present: true, Directives: []Directive{{Name: "no-store"}}}},
		{"case-insensitive names", []string{"No-Store, MAX-AGE=0"}, CacheControl{Present: true, Directives: []Directive{
			{Name: "no-store"}, {Name: "max-age", Value: "0", HasValue: true}}}},
		{"several lines", []string{"private", "no-cache"}, CacheControl{Present: true, Directives: []Directive{
			{Name: "private"}, {Name: "no-cache"}}}},
		{"quoted argument with a comma", []string{`no-cache="Set-Cookie, Authorization", no-store`}, CacheControl{Present: true, Directives: []Directive{
			{Name: "no-cache", Value: "Set-Cookie, Authorization", HasValue: true}, {Name: "no-store"}}}},
		{"escaped quote", []string{`private="a\"b", no-store`}, CacheControl{Present: true, Directives: []Directive{
			{Name: "private", Value: `a"b`, HasValue: true}, {Name: "no-store"}}}},
		{"duplicates kept", []string{"max-age=1, max-age=2"}, CacheControl{Present: true, Directives: []Directive{
			{Name: "max-age", Value: "1", HasValue: true}, {Name: "max-age", Value: "2", HasValue: true}}}},
		{"whitespace", []string{" \tno-store\t ,  max-age = 5 "}, CacheControl{Present: true, Directives: []Directive{
			{Name: "no-store"}, {Name: "max-age", Value: "5", HasValue: true}}}},
		{"garbage skipped", []string{`,,, =x, "no-store", no store, max-age=1 2, no-store; x, no-store`}, CacheControl{Present: true, Directives: []Directive{
			{Name: "no-store"}}}},
		{"empty argument", []string{"no-store="}, CacheControl{Present: true, Directives: []Directive{
			{Name: "no-store", HasValue: true}}}},
		{"unterminated quote swallows the rest of its line only", []string{`no-cache="abc, no-store`, "private"}, CacheControl{Present: true, Directives: []Directive{
			{Name: "private"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParseCacheControl(header("Cache-Control", tt.lines...))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseCacheControl(%q) = %+v, want %+v", tt.lines, got, tt.want)
			}
		})
	}
}

func TestJudgeCacheControl(t *testing.T) {
	tests := []struct {
		name    string
		lines   []string
		ok      bool
		problem string // the exact problem text when it fails
	}{
		{"missing", nil, false, "no Cache-Control header: no no-store"},
		{"private alone is not enough", []string{"private, max-age=600"}, false, `Cache-Control is "private, max-age=600": no no-store`},
		{"private", []string{"private"}, false, `Cache-Control is "private": no no-store`},
		{"no-cache alone", []string{"no-cache"}, false, `Cache-Control is "no-cache": no no-store`},
		{"max-age=0 alone", []string{"max-age=0"}, false, `Cache-Control is "max-age=0": no no-store`},
		{"no-cache and max-age=0 over two lines", []string{"no-cache", "max-age=0"}, false, `Cache-Control is "no-cache, max-age=0": no no-store`},
		{"no-store with an argument", []string{"no-store=1"}, false, `Cache-Control is "no-store=1": no-store has an argument, which Chromium does not honour`},
		{"semicolons", []string{"no-store; max-age=0"}, false, `Cache-Control is "no-store; max-age=0": no no-store directive of its own (directives are separated by commas)`},
		{"quoted no-store", []string{`"no-store"`}, false, `Cache-Control is "\"no-store\"": no no-store directive of its own (directives are separated by commas)`},
		{"no-store", []string{"no-store"}, true, ""},
		{"upper case", []string{"NO-STORE"}, true, ""},
		{"private, no-store", []string{"private, no-store"}, true, ""},
		{"the usual set", []string{"no-cache, no-store, must-revalidate"}, true, ""},
		{"no-store on a second line", []string{"private", "no-store"}, true, ""},
		{"no-store after an argument-carrying one", []string{"no-store=x, no-store"}, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := JudgeCacheControl(header("Cache-Control", tt.lines...))
			if v.OK != tt.ok || v.Problem != tt.problem {
				t.Errorf("JudgeCacheControl(%q) = %+v, want OK %v, problem %q", tt.lines, v, tt.ok, tt.problem)
			}
		})
	}
}

func TestCacheControlEvidence(t *testing.T) {
	v := JudgeCacheControl(header("Cache-Control", "private", "max-age=600"))
	if want := "Cache-Control: private\nCache-Control: max-age=600"; v.Evidence != want {
		t.Errorf("evidence = %q, want %q", v.Evidence, want)
	}
	long := "private, " + strings.Repeat("x", 10000)
	v = JudgeCacheControl(header("Cache-Control", long))
	if len(v.Evidence) > maxEvidence+len("…") || !strings.HasSuffix(v.Evidence, "…") {
		t.Errorf("evidence of a long value is %d bytes: %q", len(v.Evidence), v.Evidence)
	}
	if len(v.Problem) > 2*maxEvidence {
		t.Errorf("problem of a long value is %d bytes", len(v.Problem))
	}
	v = JudgeCacheControl(header("Cache-Control", "private\x1b[2J\xff"))
	if want := `Cache-Control: private\x1b[2J\xff`; v.Evidence != want {
		t.Errorf("evidence = %q, want %q", v.Evidence, want)
	}
}

func TestCacheControlValueBound(t *testing.T) {
	// A directive past the first MaxValue bytes of a field is not read.
	v := JudgeCacheControl(header("Cache-Control", "private,"+strings.Repeat(" ", MaxValue)+"no-store"))
	if v.OK {
		t.Errorf("no-store past %d bytes was read", MaxValue)
	}
}
