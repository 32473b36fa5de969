package headers

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Cookie is what one Set-Cookie line sets, as a browser reads it (RFC 6265
// section 5.2 and its revision, RFC 6265bis). It never holds the cookie's
// value: values are secrets.
type Cookie struct {
	Name      string    // as sent, without surrounding whitespace
	ValueLen  int       // the length of the value in bytes
	Domain    string    // lower case, without a leading dot; "" for a host-only cookie
	Path      string    // "" when absent or not starting with "/" (the default path)
	Secure    bool      // the Secure attribute
	HttpOnly  bool      // the HttpOnly attribute
	SameSite  string    // "strict", "lax", "none", or "" when absent or not one of those
	HasMaxAge bool      // a valid Max-Age attribute was given
	MaxAge    int64     // its seconds, saturated; meaningful only with HasMaxAge
	Expires   time.Time // a valid Expires attribute, in UTC; zero when absent or invalid
	Redacted  string    // the Set-Cookie line with the value replaced by its length, for evidence
}

// The reasons a Set-Cookie line sets no cookie. None quotes the line, since
// the value may be a secret.
var (
	errControl = errors.New("control character in Set-Cookie line")
	errNoPair  = errors.New("no name=value pair in Set-Cookie line")
	errNoName  = errors.New("empty cookie name in Set-Cookie line")
	errTooLong = errors.New("cookie name and value longer than 4096 bytes")
)

// maxAttrValue is the longest attribute value a browser reads; longer ones
// are ignored (RFC 6265bis section 5.6).
const maxAttrValue = 1024

// ParseSetCookie reads one Set-Cookie field value, up to MaxValue bytes of it.
// It rejects the lines a browser drops (a control character, no "=", an empty
// name, a name and value over 4096 bytes); otherwise attribute names are
// case-insensitive, unknown attributes are ignored and, of repeated ones, the
// last wins. Max-Age and Expires are kept only when valid.
func ParseSetCookie(line string) (Cookie, error) {
	line = field(line)
	for i := 0; i < len(line); i++ {
		if c := line[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return Cookie{}, errControl
		}
	}
	pair, attrs, _ := strings.Cut(line, ";")
	name, value, ok := strings.Cut(pair, "=")
	if !ok {
		return Cookie{}, errNoPair
	}
	name, value = trimOWS(name), trimOWS(value)
	switch {
	case name == "":
		return Cookie{}, errNoName
	case len(name)+len(value) > 4096:
		return Cookie{}, errTooLong
	}
	c := Cookie{Name: name, ValueLen: len(value)}
	c.Redacted = name + "=[" + strconv.Itoa(len(value)) + " bytes]"
	if strings.Contains(line, ";") {
		c.Redacted += ";" + attrs
	}
	for _, av := range strings.Split(attrs, ";") {
		key, val, _ := strings.Cut(av, "=")
		key, val = lowerASCII(trimOWS(key)), trimOWS(val)
		if len(val) > maxAttrValue {
			continue
		}
		c.attribute(key, val)
	}
	return c, nil
}

// attribute applies one cookie attribute to c.
func (c *Cookie) attribute(key, val string) {
	switch key {
	case "secure":
		c.Secure = true
	case "httponly":
		c.HttpOnly = true
	case "samesite":
		switch v := lowerASCII(val); v {
		case "strict", "lax", "none":
			c.SameSite = v
		default:
			c.SameSite = ""
		}
	case "domain":
		if val != "" {
			c.Domain = lowerASCII(strings.TrimPrefix(val, "."))
		}
	case "path":
		c.Path = ""
		if strings.HasPrefix(val, "/") {
			c.Path = val
		}
	case "max-age":
		if n, ok := deltaSeconds(val); ok {
			c.HasMaxAge, c.MaxAge = true, n
		}
	case "expires":
		if t, ok := cookieDate(val); ok {
			c.Expires = t
		}
	}
}

// deltaSeconds reads a Max-Age value: an optional "-" and digits, saturated.
func deltaSeconds(s string) (int64, bool) {
	neg := strings.HasPrefix(s, "-")
	n, ok := digits(strings.TrimPrefix(s, "-"))
	if !ok {
		return 0, false
	}
	if neg {
		if n == math.MaxInt64 {
			return math.MinInt64, true
		}
		return -n, true
	}
	return n, true
}

// Deleted reports whether the cookie removes itself rather than setting a
// value, as at time now: Max-Age zero or less, or, without a Max-Age, an
// Expires at or before now.
func (c Cookie) Deleted(now time.Time) bool {
	if c.HasMaxAge {
		return c.MaxAge <= 0
	}
	return !c.Expires.IsZero() && !c.Expires.After(now)
}

// sessionNames are cookie names that hold a session or an authentication
// ticket and do not contain "sess" (which IsSessionName matches anyway),
// lower case.
var sessionNames = map[string]bool{
	"connect.sid":         true, // Express (express-session)
	"sid":                 true, // a common short name
	".aspxauth":           true, // ASP.NET forms authentication ticket
	".aspnetcore.cookies": true, // ASP.NET Core cookie authentication
	"cfid":                true, // ColdFusion client id
	"cftoken":             true, // ColdFusion client token
}

// IsSessionName reports whether a cookie name looks like a session cookie's:
// a name that contains "sess" (JSESSIONID, PHPSESSID, ASP.NET_SessionId,
// session, laravel_session, _session_id, express:sess, koa.sess...) or one of
// a few known names that do not (connect.sid, sid, .ASPXAUTH...), compared
// ASCII case-insensitively and with a __Host- or __Secure- prefix allowed.
func IsSessionName(name string) bool {
	n := lowerASCII(name)
	if strings.Contains(n, "sess") {
		return true
	}
	for _, prefix := range []string{"__host-", "__secure-"} {
		n = strings.TrimPrefix(n, prefix)
	}
	return sessionNames[n]
}

// JudgeCookie judges one cookie against requirement 7.4 when it is a session
// cookie by its name or was set by a response to an authenticated request,
// and is not being deleted at time now; otherwise it returns nil. A judged
// cookie gets one failing Verdict per problem (no Secure, no HttpOnly,
// SameSite=None without Secure), or a single OK one. No Verdict holds the
// cookie's value.
func JudgeCookie(c Cookie, fromAuthenticatedResponse bool, now time.Time) []Verdict {
	var what string
	switch {
	case IsSessionName(c.Name):
		what = "session cookie " + quote(c.Name)
	case fromAuthenticatedResponse:
		what = "cookie " + quote(c.Name) + " (set by an authenticated response)"
	default:
		return nil
	}
	if c.Deleted(now) {
		return nil
	}
	ev := evidence("Set-Cookie", []string{c.Redacted})
	var vs []Verdict
	if !c.Secure {
		vs = append(vs, fail(ev, "%s has no Secure attribute: it is sent over plain HTTP", what))
	}
	if !c.HttpOnly {
		vs = append(vs, fail(ev, "%s has no HttpOnly attribute: scripts can read it", what))
	}
	if c.SameSite == "none" && !c.Secure {
		vs = append(vs, fail(ev, "%s has SameSite=None without Secure", what))
	}
	if vs == nil {
		vs = []Verdict{{OK: true, Evidence: ev}}
	}
	return vs
}

// CookiesOf reads every Set-Cookie line of h. A line that sets no cookie is
// skipped and reported by an error that names its position, never its text.
func CookiesOf(h http.Header) ([]Cookie, []error) {
	var cookies []Cookie
	var errs []error
	for i, line := range h.Values("Set-Cookie") {
		c, err := ParseSetCookie(line)
		if err != nil {
			errs = append(errs, fmt.Errorf("Set-Cookie line %d: %w", i+1, err))
			continue
		}
		cookies = append(cookies, c)
	}
	return cookies, errs
}
