package headers

import (
	"errors"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestParseSetCookie(t *testing.T) {
	epoch := time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		line string
		want Cookie // Redacted is checked only when set here
	}{
		{"express session", "connect.sid=s%3Aabc.def; Path=/; HttpOnly",
			Cookie{Name: "connect.sid", ValueLen: 11, Path: "/", HttpOnly: true, Redacted: "connect.sid=[11 bytes]; Path=/; HttpOnly"}},
		{"CSRT: lower-case httponly and secure", "JSESSIONID=x; secure; httponly",
			Cookie{Name: "JSESSIONID", ValueLen: 1, Secure: true, HttpOnly: true}},
		{"upper-case attributes", "SID=x; SECURE; HTTPONLY; SAMESITE=NONE",
			Cookie{Name: "SID", ValueLen: 1, Secure: true, HttpOnly: true, SameSite: "none"}},
		{"SameSite lax", "a=b; SameSite=Lax", Cookie{Name: "a", ValueLen: 1, SameSite: "lax"}},
		{"SameSite last wins", "a=b; SameSite=Lax; samesite=strict", Cookie{Name: "a", ValueLen: 1, SameSite: "strict"}},
		{"SameSite unknown", "a=b; SameSite=None; SameSite=bogus", Cookie{Name: "a", ValueLen: 1}},
		{"SameSite without value", "a=b; SameSite", Cookie{Name: "a", ValueLen: 1}},
		{"Secure with a value is Secure", "a=b; Secure=false", Cookie{Name: "a", ValueLen: 1, Secure: true}},
		{"long s is not s", "a=b; ſecure", Cookie{Name: "a", ValueLen: 1}},
		{"attribute value over 1024 bytes ignored", "a=b; Secure=" + strings.Repeat("x", 1025), Cookie{Name: "a", ValueLen: 1}},
		{"domain", "a=b; Domain=.Example.COM", Cookie{Name: "a", ValueLen: 1, Domain: "example.com"}},
		{"empty domain ignored", "a=b; Domain=example.com; Domain=", Cookie{Name: "a", ValueLen: 1, Domain: "example.com"}},
		{"relative path is the default path", "a=b; Path=/x; Path=foo", Cookie{Name: "a", ValueLen: 1}},
		{"whitespace", " a \t= b c ;  secure ", Cookie{Name: "a", ValueLen: 3, Secure: true}},
		{"quoted value keeps its quotes", `a="quoted value"`, Cookie{Name: "a", ValueLen: 14}},
		{"empty value", "a=", Cookie{Name: "a", Redacted: "a=[0 bytes]"}},
		{"value with =", "a=b=c", Cookie{Name: "a", ValueLen: 3}},
		{"name with colon", "express:sess=x", Cookie{Name: "express:sess", ValueLen: 1}},
		{"empty attributes", "a=b;;; ;HttpOnly", Cookie{Name: "a", ValueLen: 1, HttpOnly: true}},
		{"Max-Age 0", "a=b; Max-Age=0", Cookie{Name: "a", ValueLen: 1, HasMaxAge: true}},
		{"Max-Age negative", "a=b; max-age=-1", Cookie{Name: "a", ValueLen: 1, HasMaxAge: true, MaxAge: -1}},
		{"Max-Age last valid wins", "a=b; Max-Age=10; Max-Age=abc", Cookie{Name: "a", ValueLen: 1, HasMaxAge: true, MaxAge: 10}},
		{"Max-Age plus sign", "a=b; Max-Age=+5", Cookie{Name: "a", ValueLen: 1}},
		{"Max-Age minus alone", "a=b; Max-Age=-", Cookie{Name: "a", ValueLen: 1}},
		{"Max-Age huge", "a=b; Max-Age=99999999999999999999999", Cookie{Name: "a", ValueLen: 1, HasMaxAge: true, MaxAge: math.MaxInt64}},
		{"Max-Age huge negative", "a=b; Max-Age=-99999999999999999999999", Cookie{Name: "a", ValueLen: 1, HasMaxAge: true, MaxAge: math.MinInt64}},
		{"Expires", "a=b; Expires=Thu, 01 Jan 1970 00:00:00 GMT", Cookie{Name: "a", ValueLen: 1, Expires: epoch}},
		{"Expires invalid", "a=b; Expires=never", Cookie{Name: "a", ValueLen: 1}},
		{"attributes past MaxValue are not read", "a=b; Path=/" + strings.Repeat("x", 1000) + strings.Repeat(";", MaxValue) + "; Secure",
			Cookie{Name: "a", ValueLen: 1, Path: "/" + strings.Repeat("x", 1000)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSetCookie(tt.line)
			if err != nil {
				t.Fatalf("ParseSetCookie(%q): %v", clip(tt.line, 100), err)
			}
			if tt.want.Redacted == "" {
				got.Redacted = ""
			}
			if got != tt.want {
				t.Errorf("ParseSetCookie(%q) =\n%+v, want\n%+v", clip(tt.line, 100), got, tt.want)
			}
		})
	}
}

func TestParseSetCookieErrors(t *testing.T) {
	tests := []struct {
		name string
		line string
		want error
	}{
		{"empty", "", errNoPair},
		{"no =", "secretvalue; Secure", errNoPair},
		{"= in an attribute only", "secretvalue; Path=/", errNoPair},
		{"empty name", "=secretvalue", errNoName},
		{"blank name", " \t=secretvalue", errNoName},
		{"NUL", "a=secret\x00value", errControl},
		{"newline", "a=b\r\nSet-Cookie: c=d", errControl},
		{"DEL in an attribute", "a=b; Path=/\x7f", errControl},
		{"too long", "a=" + strings.Repeat("x", 4096), errTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSetCookie(tt.line)
			if !errors.Is(err, tt.want) {
				t.Errorf("ParseSetCookie(%q) error = %v, want %v", clip(tt.line, 50), err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("error %q quotes the value", err)
			}
		})
	}
	if _, err := ParseSetCookie("a=" + strings.Repeat("x", 4095)); err != nil {
		t.Errorf("a name and value of 4096 bytes: %v", err)
	}
}

func TestCookieDate(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time // zero when invalid
	}{
		{"Sun, 06 Nov 1994 08:49:37 GMT", time.Date(1994, 11, 6, 8, 49, 37, 0, time.UTC)},
		{"Sunday, 06-Nov-94 08:49:37 GMT", time.Date(1994, 11, 6, 8, 49, 37, 0, time.UTC)},
		{"Sun Nov  6 08:49:37 1994", time.Date(1994, 11, 6, 8, 49, 37, 0, time.UTC)},
		{"Wed, 21-Oct-2015 07:28:00 GMT", time.Date(2015, 10, 21, 7, 28, 0, 0, time.UTC)},
		{"1 january 2030 1:2:3", time.Date(2030, 1, 1, 1, 2, 3, 0, time.UTC)},
		{"Thu, 01 Jan 69 00:00:00 GMT", time.Date(2069, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"Thu, 01 Jan 70 00:00:00 GMT", time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"Thu, 01 Jan 00 00:00:00 GMT", time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"29 Feb 2024 00:00:00", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"1st Dec 2020 00:00:00Z", time.Date(2020, 12, 1, 0, 0, 0, 0, time.UTC)},
		{"29 Feb 2023 00:00:00", time.Time{}},
		{"31 Apr 2020 00:00:00", time.Time{}},
		{"01 Jan 1600 00:00:00", time.Time{}},
		{"01 Jan 2020 24:00:00", time.Time{}},
		{"01 Jan 2020 00:60:00", time.Time{}},
		{"01 Jan 2020 00:00:60", time.Time{}},
		{"01 Jan 2020 1a:00:00", time.Time{}},
		{"01 Jan 2020 001:00:00", time.Time{}},
		{"00 Jan 2020 00:00:00", time.Time{}},
		{"32 Jan 2020 00:00:00", time.Time{}},
		{"01 Jan 2020", time.Time{}},
		{"01 2020 00:00:00", time.Time{}},
		{"Foo 01 2020 00:00:00", time.Time{}},
		{"", time.Time{}},
	}
	for _, tt := range tests {
		got, ok := cookieDate(tt.in)
		if ok != !tt.want.IsZero() || !got.Equal(tt.want) {
			t.Errorf("cookieDate(%q) = %v, %v; want %v", tt.in, got, ok, tt.want)
		}
	}
}

func TestDeleted(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		line    string
		deleted bool
	}{
		{"a=b", false},
		{"a=; Max-Age=0", true},
		{"a=; Max-Age=-1", true},
		{"a=b; Max-Age=60", false},
		{"a=; Expires=Thu, 01 Jan 1970 00:00:00 GMT", true},
		{"a=; Expires=Thu, 01 Jan 2026 00:00:00 GMT", true},
		{"a=b; Expires=Fri, 01 Jan 2027 00:00:00 GMT", false},
		{"a=b; Max-Age=60; Expires=Thu, 01 Jan 1970 00:00:00 GMT", false},
		{"a=; Max-Age=0; Expires=Fri, 01 Jan 2027 00:00:00 GMT", true},
		{"a=b; Max-Age=junk; Expires=Thu, 01 Jan 1970 00:00:00 GMT", true},
	}
	for _, tt := range tests {
		c, err := ParseSetCookie(tt.line)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Deleted(now); got != tt.deleted {
			t.Errorf("ParseSetCookie(%q).Deleted = %v, want %v", tt.line, got, tt.deleted)
		}
	}
}

func TestIsSessionName(t *testing.T) {
	sessions := []string{
		"connect.sid", // CSRT misses it
		"JSESSIONID", "PHPSESSID", "ASP.NET_SessionId", "session", "sid", "SID",
		"laravel_session", "_session_id", "express:sess", "koa.sess", "koa:sess",
		"sessionid", "_myapp_session", "rack.session", "PLAY_SESSION", "ci_session",
		".AspNetCore.Session", ".ASPXAUTH", ".AspNetCore.Cookies", "CFID", "CFTOKEN",
		"__Host-sid", "__Secure-connect.sid", "__host-SID", "__Host-session", "__Secure-next-auth.session-token",
	}
	for _, name := range sessions {
		if !IsSessionName(name) {
			t.Errorf("IsSessionName(%q) = false, want true", name)
		}
	}
	others := []string{"", "theme", "_ga", "csrftoken", "XSRF-TOKEN", "lang", "sidebar", "connect.sid.sig", "__Host-", "ſid", "AWSALB"}
	for _, name := range others {
		if IsSessionName(name) {
			t.Errorf("IsSessionName(%q) = true, want false", name)
		}
	}
}

func TestJudgeCookie(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const secret = "s3cr3tV4lu3"
	tests := []struct {
		name     string
		line     string
		auth     bool
		problems []string // nil: not judged; empty: one OK verdict
	}{
		{"CSRT: connect.sid is a session cookie", "connect.sid=" + secret + "; Path=/", false, []string{
			`session cookie "connect.sid" has no Secure attribute: it is sent over plain HTTP`,
			`session cookie "connect.sid" has no HttpOnly attribute: scripts can read it`,
		}},
		{"CSRT: lower-case httponly counts", "JSESSIONID=" + secret + "; secure; httponly", false, []string{}},
		{"missing HttpOnly only", "PHPSESSID=" + secret + "; Secure; SameSite=Lax", false, []string{
			`session cookie "PHPSESSID" has no HttpOnly attribute: scripts can read it`,
		}},
		{"SameSite=None without Secure", "sid=" + secret + "; HttpOnly; SameSite=None", false, []string{
			`session cookie "sid" has no Secure attribute: it is sent over plain HTTP`,
			`session cookie "sid" has SameSite=None without Secure`,
		}},
		{"SameSite=None with Secure", "sid=" + secret + "; HttpOnly; Secure; SameSite=None", false, []string{}},
		{"other cookie not judged", "theme=" + secret, false, nil},
		{"other cookie from an authenticated response", "theme=" + secret + "; HttpOnly", true, []string{
			`cookie "theme" (set by an authenticated response) has no Secure attribute: it is sent over plain HTTP`,
		}},
		{"deletion by Max-Age", "connect.sid=; Max-Age=0", false, nil},
		{"deletion by Expires", "connect.sid=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT", true, nil},
		{"Max-Age beats an old Expires", "connect.sid=" + secret + "; Max-Age=3600; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Secure", false, []string{
			`session cookie "connect.sid" has no HttpOnly attribute: scripts can read it`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseSetCookie(tt.line)
			if err != nil {
				t.Fatal(err)
			}
			vs := JudgeCookie(c, tt.auth, now)
			if tt.problems == nil {
				if vs != nil {
					t.Errorf("JudgeCookie(%q) = %+v, want not judged", tt.line, vs)
				}
				return
			}
			var got []string
			for _, v := range vs {
				if strings.Contains(v.Problem+v.Evidence, secret) {
					t.Errorf("verdict %+v carries the value", v)
				}
				if v.OK {
					if len(vs) != 1 || v.Problem != "" {
						t.Errorf("JudgeCookie(%q) = %+v: an OK verdict must stand alone, with no problem", tt.line, vs)
					}
					continue
				}
				got = append(got, v.Problem)
			}
			if strings.Join(got, "\n") != strings.Join(tt.problems, "\n") {
				t.Errorf("JudgeCookie(%q) problems =\n%s\nwant\n%s", tt.line, strings.Join(got, "\n"), strings.Join(tt.problems, "\n"))
			}
		})
	}
}

func TestJudgeCookieEvidence(t *testing.T) {
	c, err := ParseSetCookie("connect.sid=s%3Asecret; Path=/; HttpOnly; Secure")
	if err != nil {
		t.Fatal(err)
	}
	vs := JudgeCookie(c, false, time.Now())
	if want := "Set-Cookie: connect.sid=[10 bytes]; Path=/; HttpOnly; Secure"; len(vs) != 1 || vs[0].Evidence != want {
		t.Errorf("JudgeCookie = %+v, want one verdict with evidence %q", vs, want)
	}
}

func TestCookiesOf(t *testing.T) {
	h := http.Header{}
	h.Add("Set-Cookie", "connect.sid=abc; Secure; HttpOnly")
	h.Add("Set-Cookie", "secretvalue")
	h.Add("Set-Cookie", "theme=dark")
	cookies, errs := CookiesOf(h)
	if len(cookies) != 2 || cookies[0].Name != "connect.sid" || cookies[1].Name != "theme" {
		t.Errorf("CookiesOf = %+v, want connect.sid and theme", cookies)
	}
	if len(errs) != 1 || !errors.Is(errs[0], errNoPair) || !strings.Contains(errs[0].Error(), "Set-Cookie line 2") || strings.Contains(errs[0].Error(), "secret") {
		t.Errorf("CookiesOf errors = %v, want one for line 2 that does not quote it", errs)
	}
	if cookies, errs := CookiesOf(http.Header{}); cookies != nil || errs != nil {
		t.Errorf("CookiesOf(no cookies) = %v, %v", cookies, errs)
	}
}
