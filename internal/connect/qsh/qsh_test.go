package qsh

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

// golden are the vectors of REFERENCE 3.3, checked against npm atlassian-jwt 2.0.3.
var golden = []struct {
	method, url, baseURL string
	canonical, hash      string
}{
	{
		"GET", "http://localhost:2990/path/to/service?zee_last=param&repeated=parameter%201&first=param&repeated=parameter%202", "",
		"GET&/path/to/service&first=param&repeated=parameter%201,parameter%202&zee_last=param",
		"e52bb281606c3bd9ca16cfe96fe2df78f5d9ffa126f06befd750dfa10fa1a897",
	},
	{
		"GET", "https://api.bitbucket.org/test?param=value", "",
		"GET&/test&param=value",
		"be16910858a41fd19ea5c1b4e9decca9a784d1024cb00b2158defe2f29dc86dd",
	},
	{
		"get", "https://addon.example.com/jira-connector/issue/?b=2&a=1&jwt=xyz", "https://addon.example.com/jira-connector",
		"GET&/issue&a=1&b=2",
		"3da9fd33958125e98f29d3b1edb805d7fcf5ba88daf6fbcfe592f77c0b60edaf",
	},
	{
		"POST", "https://app.example.com/installed", "",
		"POST&/installed&",
		"4a2e1de8ca74e6cafe8862d332fa3ac7a8e51e692bc6d798ea4dfedc14948bf4",
	},
	{
		"GET", "https://x.example.com/p?B=1&a=2&A=3&b=4&q=a+b%2Bc", "",
		"GET&/p&A=3&B=1&a=2&b=4&q=a%20b%2Bc",
		"912e9a7461c522cc15a7d0b432976ccee23481924ac499bc3f57fc8ef28b1c2d",
	},
	{
		"GET", "https://x.example.com/p?a=1,2", "",
		"GET&/p&a=1%2C2",
		"41921308a7bd415a8eff3390d2a7ef07e837035e5639d71b516fba564adba7fc",
	},
	{
		"GET", "https://x.example.com/p?a=1&a=2", "",
		"GET&/p&a=1,2",
		"b729b823f3ee63c6699eebe9b930a63eab04780116612edc763deaaa9b08ce12",
	},
	{
		"GET", "https://x.example.com/rest/api/3/issue/ABC-1?expand=names,renderedFields&jwt=x&b=2&b=1&a%20b=c%26d", "",
		"GET&/rest/api/3/issue/ABC-1&a%20b=c%26d&b=1,2&expand=names%2CrenderedFields",
		"532d79648ba8b206d6aef23d10fa04d88d67cfa7c4788c1aa2de4d4a5f98fe32",
	},
	{
		"GET", "https://x.example.com/?x=a+b%20~*", "",
		"GET&/&x=a%20b%20~%2A",
		"5116be5833ed242329b8dfb94e315cc0aa469003f0e1cff8ae0999a1bf78da31",
	},
}

func TestGolden(t *testing.T) {
	for _, g := range golden {
		t.Run(g.canonical, func(t *testing.T) {
			c, err := CanonicalRequest(g.method, g.url, g.baseURL)
			if err != nil {
				t.Fatalf("CanonicalRequest: %v", err)
			}
			if c != g.canonical {
				t.Errorf("CanonicalRequest = %q, want %q", c, g.canonical)
			}
			h, err := Hash(g.method, g.url, g.baseURL)
			if err != nil {
				t.Fatalf("Hash: %v", err)
			}
			if h != g.hash {
				t.Errorf("Hash = %s, want %s", h, g.hash)
			}
		})
	}
}

func TestCanonicalRequest(t *testing.T) {
	tests := []struct {
		name, method, url, baseURL, want string
	}{
		{"no query", "GET", "https://a.example.com/x", "", "GET&/x&"},
		{"empty query", "GET", "https://a.example.com/x?", "", "GET&/x&"},
		{"empty path", "GET", "https://a.example.com", "", "GET&/&"},
		{"empty path with query", "GET", "https://a.example.com?b=1", "", "GET&/&b=1"},
		{"root", "PUT", "https://a.example.com/", "", "PUT&/&"},
		{"request-URI", "GET", "/rest/x?b=2&a=1", "", "GET&/rest/x&a=1&b=2"},
		{"request-URI root", "delete", "/", "", "DELETE&/&"},
		{"empty URL", "GET", "", "", "GET&/&"},
		{"fragment ignored", "GET", "https://a.example.com/x?a=1#frag?b=2", "", "GET&/x&a=1"},
		{"one trailing slash removed", "GET", "https://a.example.com/x//", "", "GET&/x/&"},
		{"baseUrl without trailing slash", "GET", "https://a.example.com/app/page/", "https://a.example.com/app", "GET&/page&"},
		{"baseUrl with trailing slash", "GET", "https://a.example.com/app/page/", "https://a.example.com/app/", "GET&/page&"},
		{"baseUrl equals path", "GET", "https://a.example.com/app", "https://a.example.com/app", "GET&/&"},
		{"baseUrl equals path with slash", "GET", "https://a.example.com/app/", "https://a.example.com/app", "GET&/&"},
		{"baseUrl without path", "GET", "https://a.example.com/app/page", "https://a.example.com", "GET&/app/page&"},
		{"baseUrl root", "GET", "https://a.example.com/app/page", "https://a.example.com/", "GET&/app/page&"},
		{"baseUrl not a prefix", "GET", "https://a.example.com/other/page", "https://a.example.com/app", "GET&/other/page&"},
		// atlassian-jwt strips the baseUrl path as a plain string prefix.
		{"baseUrl string prefix", "GET", "https://a.example.com/application/x", "https://a.example.com/app", "GET&/lication/x&"},
		{"baseUrl and request-URI", "GET", "/app/page?x=1", "https://a.example.com/app", "GET&/page&x=1"},
		{"path with &", "GET", "https://a.example.com/a&b/c?x=1", "", "GET&/a%26b/c&x=1"},
		{"path with & only", "GET", "https://a.example.com/&", "", "GET&/%26&"},
		{"path kept escaped", "GET", "https://a.example.com/a%2Fb/c%20d", "", "GET&/a%2Fb/c%20d&"},
		{"path escape case kept", "GET", "https://a.example.com/a%2fb", "", "GET&/a%2fb&"},
		{"path + kept", "GET", "https://a.example.com/a+b", "", "GET&/a+b&"},
		{"unicode path as net/http sends it", "GET", "https://a.example.com/ü", "", "GET&/%C3%BC&"},
		{"unicode query", "GET", "https://a.example.com/p?n=ü&é=1", "", "GET&/p&%C3%A9=1&n=%C3%BC"},
		{"unicode query escaped", "GET", "https://a.example.com/p?n=%C3%BC", "", "GET&/p&n=%C3%BC"},
		{"repeated names sorted values", "GET", "/p?a=z&a=b&a=m&b=1", "", "GET&/p&a=b,m,z&b=1"},
		{"repeated equal values", "GET", "/p?a=1&a=1", "", "GET&/p&a=1,1"},
		{"values sorted encoded", "GET", "/p?a=b&a=%20", "", "GET&/p&a=%20,b"},
		{"jwt dropped", "GET", "/p?jwt=eyJ.a.b", "", "GET&/p&"},
		{"jwt repeated dropped", "GET", "/p?jwt=1&x=2&jwt=3", "", "GET&/p&x=2"},
		{"jwt escaped name dropped", "GET", "/p?j%77t=1&x=2", "", "GET&/p&x=2"},
		{"JWT upper case kept", "GET", "/p?JWT=1", "", "GET&/p&JWT=1"},
		{"no equals", "GET", "/p?flag&a=1", "", "GET&/p&a=1&flag="},
		{"empty value", "GET", "/p?a=", "", "GET&/p&a="},
		{"empty pieces", "GET", "/p?&a=1&&b=2&", "", "GET&/p&a=1&b=2"},
		{"value with =", "GET", "/p?a=b=c", "", "GET&/p&a=b%3Dc"},
		{"reserved characters", "GET", "/p?a=!'()*;:@$/?", "", "GET&/p&a=%21%27%28%29%2A%3B%3A%40%24%2F%3F"},
		{"unreserved kept", "GET", "/p?a=AZaz09-._~", "", "GET&/p&a=AZaz09-._~"},
		{"lower-case escape upper-cased", "GET", "/p?a=%2f", "", "GET&/p&a=%2F"},
		{"plus and escaped plus", "GET", "/p?a=1+2%2B3", "", "GET&/p&a=1%202%2B3"},
		{"semicolon is not a separator", "GET", "/p?a=1;b=2", "", "GET&/p&a=1%3Bb%3D2"},
		// Atlassian's specification sorts encoded names; atlassian-jwt would
		// sort the decoded ones and give "a.=1&a%2F=2" (see the package doc).
		{"names sorted by encoded bytes", "GET", "/p?a.=1&a/=2", "", "GET&/p&a%2F=2&a.=1"},
		{"invalid UTF-8 bytes", "GET", "/p?a=%FF", "", "GET&/p&a=%FF"},
		{"method upper-cased", "patch", "/p", "", "PATCH&/p&"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CanonicalRequest(tt.method, tt.url, tt.baseURL)
			if err != nil {
				t.Fatalf("CanonicalRequest(%q, %q, %q): %v", tt.method, tt.url, tt.baseURL, err)
			}
			if got != tt.want {
				t.Errorf("CanonicalRequest(%q, %q, %q) = %q, want %q", tt.method, tt.url, tt.baseURL, got, tt.want)
			}
			h, err := Hash(tt.method, tt.url, tt.baseURL)
			if err != nil {
				t.Fatalf("Hash: %v", err)
			}
			sum := sha256.Sum256([]byte(tt.want))
			if want := hex.EncodeToString(sum[:]); h != want {
				t.Errorf("Hash = %s, want %s", h, want)
			}
		})
	}
}

func TestCanonicalRequestErrors(t *testing.T) {
	tests := []struct {
		name, method, url, baseURL, wantErr string
	}{
		{"bad escape in value", "GET", "/p?a=%zz", "", `malformed percent-escape "%zz" at offset 0`},
		{"bad escape in name", "GET", "/p?a%g1=1", "", `decode parameter name: malformed percent-escape "%g1"`},
		{"truncated escape", "GET", "/p?a=1%4", "", `malformed percent-escape "%4" at offset 1`},
		{"lone percent", "GET", "/p?a=%", "", `malformed percent-escape "%"`},
		{"bad escape in jwt value", "GET", "/p?jwt=%x", "", `malformed percent-escape`},
		{"bad escape in path", "GET", "https://a.example.com/a%zzb", "", `parse request URL: invalid URL escape "%zz"`},
		{"bad escape in base path", "GET", "/p", "https://a.example.com/%", "parse base URL"},
		{"control character", "GET", "/p\n?x=1", "", "parse request URL"},
		{"opaque URL", "GET", "mailto:someone@example.com", "", "opaque"},
		{"empty method", "", "/p", "", "empty HTTP method"},
		{"method with space", "GE T", "/p", "", "invalid character ' '"},
		{"non-ASCII method", "GÉT", "/p", "", "invalid character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CanonicalRequest(tt.method, tt.url, tt.baseURL)
			if err == nil {
				t.Fatalf("CanonicalRequest(%q, %q, %q) = %q, want an error", tt.method, tt.url, tt.baseURL, got)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "qsh: ") {
				t.Errorf("error %q does not say it comes from qsh", err)
			}
			if _, err := Hash(tt.method, tt.url, tt.baseURL); err == nil {
				t.Errorf("Hash accepted what CanonicalRequest refused")
			}
		})
	}
}

// TestErrorsDoNotQuoteToken checks that a token in a malformed URL does not
// end up in the error, which may be logged.
func TestErrorsDoNotQuoteToken(t *testing.T) {
	const tok = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
	for _, u := range []string{
		"https://a.example.com/%zz?jwt=" + tok,
		"https://a.example.com/p?jwt=" + tok + "&a=%zz",
		"https://a.example.com:bad/p?jwt=" + tok,
	} {
		_, err := CanonicalRequest("GET", u, "")
		if err == nil {
			t.Fatalf("CanonicalRequest(%q) succeeded, want an error", u)
		}
		if strings.Contains(err.Error(), tok) {
			t.Errorf("error %q quotes the token", err)
		}
	}
}

func TestContext(t *testing.T) {
	if Context != "context-qsh" {
		t.Errorf("Context = %q", Context)
	}
}

func FuzzCanonicalRequest(f *testing.F) {
	for _, g := range golden {
		f.Add(g.method, g.url, g.baseURL)
	}
	f.Add("GET", "/p?jwt=a&jwt=b&x=%C3%BC", "https://a.example.com/")
	f.Add("post", "https://a.example.com/a&b/?x=1;y=2", "https://a.example.com/a")
	f.Fuzz(func(t *testing.T, method, rawURL, baseURL string) {
		got, err := CanonicalRequest(method, rawURL, baseURL)
		again, err2 := CanonicalRequest(method, rawURL, baseURL)
		if got != again || (err == nil) != (err2 == nil) {
			t.Fatalf("not deterministic: %q, %v then %q, %v", got, err, again, err2)
		}
		if err != nil {
			if got != "" {
				t.Fatalf("error %v with a result %q", err, got)
			}
			return
		}
		prefix := strings.ToUpper(method) + "&"
		if !strings.HasPrefix(got, prefix) {
			t.Fatalf("%q does not start with %q", got, prefix)
		}
		path, query, ok := strings.Cut(got[len(prefix):], "&")
		if !ok {
			t.Fatalf("%q has no query part", got)
		}
		if !strings.HasPrefix(path, "/") {
			t.Fatalf("path %q does not start with /", path)
		}
		for i := 0; i < len(query); i++ {
			if c := query[i]; !isUnreserved(c) && !strings.ContainsRune("%=,&", rune(c)) {
				t.Fatalf("query %q has character %q", query, c)
			}
		}
		if query != "" {
			for param := range strings.SplitSeq(query, "&") {
				name, _, ok := strings.Cut(param, "=")
				if !ok {
					t.Fatalf("query %q has a parameter without =: %q", query, param)
				}
				if name == "jwt" {
					t.Fatalf("query %q keeps a jwt parameter", query)
				}
			}
		}
		h, err := Hash(method, rawURL, baseURL)
		if err != nil || len(h) != 64 {
			t.Fatalf("Hash = %q, %v after CanonicalRequest succeeded", h, err)
		}
	})
}
