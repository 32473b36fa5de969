package headers

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// checkVerdict checks what holds for every Verdict: OK exactly when there is
// no problem, bounded texts, and evidence that is printable but for the line
// breaks between fields.
func checkVerdict(t *testing.T, v Verdict) {
	t.Helper()
	if v.OK != (v.Problem == "") {
		t.Errorf("verdict %+v: OK must go with an empty problem and only with one", v)
	}
	if len(v.Problem) > 4096 {
		t.Errorf("problem of %d bytes", len(v.Problem))
	}
	if len(v.Evidence) > maxEvidence+len("…") {
		t.Errorf("evidence of %d bytes", len(v.Evidence))
	}
	if !utf8.ValidString(v.Problem + v.Evidence) {
		t.Errorf("verdict %+v is not UTF-8", v)
	}
	for _, r := range v.Problem + v.Evidence {
		if r != '\n' && !strconv.IsPrint(r) {
			t.Errorf("verdict %+v has the unprintable %U", v, r)
			return
		}
	}
}

func FuzzParseSetCookie(f *testing.F) {
	for _, s := range []string{
		"connect.sid=s%3Aabc.def; Path=/; HttpOnly",
		"JSESSIONID=x; secure; httponly",
		"sid=x; HttpOnly; SameSite=None",
		"a=b; Domain=.Example.COM; Path=/x; Max-Age=-1; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
		"a=b; Max-Age=99999999999999999999999; SameSite=lax; SameSite",
		`a="quoted value"; ſecure; Secure=false`,
		"=x", "x", "", "a=b\x00", "a=b;;;=;",
	} {
		f.Add(s)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, line string) {
		c, err := ParseSetCookie(line)
		c2, err2 := ParseSetCookie(line)
		if c != c2 || fmt.Sprint(err) != fmt.Sprint(err2) {
			t.Fatalf("ParseSetCookie(%q) is not deterministic", line)
		}
		if err == nil {
			checkCookie(t, line, c, now)
		} else if c != (Cookie{}) {
			t.Errorf("ParseSetCookie(%q) failed with a cookie %+v", line, c)
		}

		// Put a canary in place of the value: no field of the cookie, no
		// verdict and no error may carry it, and nothing else may change.
		pair, _, _ := strings.Cut(line, ";")
		eq := strings.IndexByte(pair, '=')
		const canary = "Zq9CanaryValue7xW"
		if eq < 0 || len(line)+len(canary) > MaxValue || strings.Contains(line, canary) {
			return
		}
		line2 := line[:eq+1] + canary + line[len(pair):]
		c3, err3 := ParseSetCookie(line2)
		if err3 != nil {
			if strings.Contains(err3.Error(), canary) {
				t.Errorf("error %q carries the value", err3)
			}
			if err == nil && !errors.Is(err3, errTooLong) {
				t.Errorf("ParseSetCookie(%q) = %v after ParseSetCookie(%q) succeeded", line2, err3, line)
			}
			return
		}
		if strings.Contains(fmt.Sprintf("%#v", c3), canary) {
			t.Errorf("cookie %#v carries the value", c3)
		}
		for _, auth := range []bool{false, true} {
			for _, v := range JudgeCookie(c3, auth, now) {
				if strings.Contains(v.Problem+v.Evidence, canary) {
					t.Errorf("verdict %+v carries the value", v)
				}
			}
		}
		if err == nil {
			c3.ValueLen, c3.Redacted = c.ValueLen, c.Redacted
			if c3 != c {
				t.Errorf("changing the value changed the cookie:\n%+v\n%+v", c, c3)
			}
		}
	})
}

// checkCookie checks what holds for every parsed cookie and its verdicts.
func checkCookie(t *testing.T, line string, c Cookie, now time.Time) {
	t.Helper()
	if c.Name == "" || c.Name != trimOWS(c.Name) || c.ValueLen > len(line) {
		t.Errorf("ParseSetCookie(%q) = %+v: bad name or value length", line, c)
	}
	if c.SameSite != "" && c.SameSite != "lax" && c.SameSite != "strict" && c.SameSite != "none" {
		t.Errorf("SameSite %q", c.SameSite)
	}
	if c.Path != "" && !strings.HasPrefix(c.Path, "/") || c.Domain != lowerASCII(c.Domain) {
		t.Errorf("path %q or domain %q", c.Path, c.Domain)
	}
	if !c.HasMaxAge && c.MaxAge != 0 || !c.Expires.IsZero() && c.Expires.Location() != time.UTC {
		t.Errorf("max-age %v %d or expires %v", c.HasMaxAge, c.MaxAge, c.Expires)
	}
	for _, auth := range []bool{false, true} {
		vs := JudgeCookie(c, auth, now)
		judged := (auth || IsSessionName(c.Name)) && !c.Deleted(now)
		if judged != (vs != nil) || len(vs) > 3 {
			t.Errorf("JudgeCookie(%+v, %v) = %+v", c, auth, vs)
		}
		for _, v := range vs {
			checkVerdict(t, v)
			if v.OK && len(vs) != 1 {
				t.Errorf("an OK verdict among others: %+v", vs)
			}
		}
	}
}

func FuzzCacheControl(f *testing.F) {
	for _, s := range [][2]string{
		{"private, max-age=600", ""},
		{"no-store", "private"},
		{`no-cache="Set-Cookie, Authorization", NO-STORE`, "max-age=0"},
		{"no-store; max-age=0", `"no-store"`},
		{`no-cache="abc, no-store`, "no-store=1"},
		{",,, =x, no store", "\x1b[2J\xff"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		h := header("Cache-Control", a, b)
		cc := ParseCacheControl(h)
		v := JudgeCacheControl(h)
		if !reflect.DeepEqual(cc, ParseCacheControl(h)) || v != JudgeCacheControl(h) {
			t.Fatalf("Cache-Control %q, %q: not deterministic", a, b)
		}
		checkVerdict(t, v)
		if !cc.Present || v.OK != cc.NoStore() {
			t.Errorf("Cache-Control %q, %q: %+v, but NoStore is %v", a, b, v, cc.NoStore())
		}
		for _, d := range cc.Directives {
			if !isToken(d.Name) || d.Name != lowerASCII(d.Name) || d.Value != "" && !d.HasValue {
				t.Errorf("Cache-Control %q, %q: directive %+v", a, b, d)
			}
		}
		// A no-store line always makes it OK; another directive never spoils it.
		if !JudgeCacheControl(header("Cache-Control", a, b, "no-store")).OK {
			t.Errorf("Cache-Control %q, %q, then no-store: not OK", a, b)
		}
		if v.OK && !JudgeCacheControl(header("Cache-Control", a, b, "private")).OK {
			t.Errorf("Cache-Control %q, %q, then private: no longer OK", a, b)
		}
	})
}

func FuzzReferrerPolicy(f *testing.F) {
	f.Add("unsafe-url, strict-origin", []byte(""), "")
	f.Add("strict-origin, unsafe-url", []byte(""), "text/plain")
	f.Add("no-referrer, foo", []byte(`<meta name="referrer" content="always">`), "text/html; charset=utf-8")
	f.Add("", []byte(`<template><meta name=referrer content=never></template><META NAME=Referrer CONTENT=Origin>`), "text/html")
	f.Add(`"no-referrer", UNSAFE-URL`, []byte(`<script><meta name="referrer" content="no-referrer"></script><!--`), "application/xhtml+xml")
	f.Add("origin", []byte(`<svg><meta name="referrer" content="unsafe&#45;url" content=origin/><textarea>`), "TEXT/HTML")
	f.Fuzz(func(t *testing.T, value string, body []byte, contentType string) {
		h := header("Referrer-Policy", value)
		policy, source := EffectiveReferrerPolicy(h, body, contentType)
		v := JudgeReferrerPolicy(h, body, contentType)
		if p, s := EffectiveReferrerPolicy(h, body, contentType); p != policy || s != source || v != JudgeReferrerPolicy(h, body, contentType) {
			t.Fatalf("not deterministic")
		}
		checkVerdict(t, v)
		if (policy == "") != (source == "") || policy != "" && !referrerPolicies[policy] {
			t.Errorf("policy %q from %q", policy, source)
		}
		if source != "" && source != SourceHeader && source != SourceMeta || source == SourceMeta && !isHTML(contentType) {
			t.Errorf("source %q for content type %q", source, contentType)
		}
		if want := policy != "" && policy != "unsafe-url" && policy != "no-referrer-when-downgrade"; v.OK != want {
			t.Errorf("policy %q judged %+v", policy, v)
		}
		// A last header line that a browser recognises decides, unless a
		// <meta> overrides the header.
		h.Add("Referrer-Policy", "no-referrer")
		p2, s2 := EffectiveReferrerPolicy(h, body, contentType)
		if source == SourceMeta && (p2 != policy || s2 != SourceMeta) || source != SourceMeta && (p2 != "no-referrer" || s2 != SourceHeader) {
			t.Errorf("after a last no-referrer line: %q from %q, before: %q from %q", p2, s2, policy, source)
		}
		// Nothing past the first MaxBody bytes is read.
		if isHTML(contentType) && len(body) < MaxBody {
			padded := append(bytes.Clone(body), bytes.Repeat([]byte(" "), MaxBody-len(body))...)
			p3, s3 := EffectiveReferrerPolicy(h, padded, contentType)
			p4, s4 := EffectiveReferrerPolicy(h, append(padded, `<meta name="referrer" content="unsafe-url">`...), contentType)
			if p3 != p4 || s3 != s4 {
				t.Errorf("a <meta> past MaxBody changed %q from %q into %q from %q", p3, s3, p4, s4)
			}
		}
	})
}

func FuzzParseHSTS(f *testing.F) {
	for _, s := range [][2]string{
		{"max-age=31536000", ""},
		{"MAX-AGE=63072000; includeSubDomains; PRELOAD", "max-age=0"},
		{`max-age="300"; foo="a;b"`, ""},
		{"max-age=99999999999999999999999; includesubdomains", ""},
		{"max-age=1; max-age=2", "max-age=31536000"},
		{"max-age=1; includeSubDomains=yes; f o o", ""},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		hsts, err := ParseHSTS([]string{a})
		if h2, err2 := ParseHSTS([]string{a}); h2 != hsts || fmt.Sprint(err) != fmt.Sprint(err2) {
			t.Fatalf("ParseHSTS(%q) is not deterministic", a)
		}
		// Only the first field counts.
		if h2, err2 := ParseHSTS([]string{a, b}); h2 != hsts || fmt.Sprint(err) != fmt.Sprint(err2) {
			t.Errorf("ParseHSTS(%q, %q) = %+v, %v; without the second field %+v, %v", a, b, h2, err2, hsts, err)
		}
		v := JudgeHSTS(header("Strict-Transport-Security", a, b))
		checkVerdict(t, v)
		if v.OK != (err == nil && hsts.MaxAge >= OneYear) {
			t.Errorf("ParseHSTS(%q) = %+v, %v, judged %+v", a, hsts, err, v)
		}
		if err != nil {
			if hsts != (HSTS{}) {
				t.Errorf("ParseHSTS(%q) failed with %+v", a, hsts)
			}
			return
		}
		if hsts.MaxAge < 0 || !strings.Contains(lowerASCII(a), "max-age") {
			t.Errorf("ParseHSTS(%q) = %+v", a, hsts)
		}
		// The policy written back in canonical form reads the same.
		canonical := fmt.Sprintf("max-age=%d", hsts.MaxAge)
		if hsts.IncludeSubDomains {
			canonical += "; includeSubDomains"
		}
		if hsts.Preload {
			canonical += "; preload"
		}
		if again, err := ParseHSTS([]string{canonical}); err != nil || again != hsts {
			t.Errorf("ParseHSTS(%q) = %+v, %v; want %+v", canonical, again, err, hsts)
		}
	})
}
