// Package headers reads the security-relevant parts of an HTTP response and
// judges them against Atlassian's requirements for cloud apps: HSTS
// (requirement 3), Referrer-Policy (7.2), Cache-Control (7.3) and session
// cookies (7.4).
//
// Everything here is a pure function over an http.Header and, for the
// Referrer-Policy, a prefix of the body: no network, no clock (callers pass the
// time where it matters), no panics on any input. The parsers follow what
// browsers do rather than what a lenient library would accept, because a
// directive a browser ignores protects nobody. The judges return Verdicts, not
// findings: the scan engine decides which responses are judged and turns
// failing verdicts into findings.
//
// The work is bounded: each header field value is read up to MaxValue bytes
// and an HTML body up to MaxBody bytes. Cookie values are never kept, so no
// Verdict, error or evidence text can carry one.
package headers

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxValue is the number of bytes of one header field value that is parsed;
// the rest is ignored.
const MaxValue = 8 << 10

// MaxBody is the number of bytes of a body that is tokenised when looking for
// a <meta name="referrer">; the rest is ignored.
const MaxBody = 64 << 10

// maxEvidence bounds the length of evidence and of the values quoted in
// problem texts.
const maxEvidence = 200

// Verdict is the judgement of one security header or cookie of one response.
type Verdict struct {
	OK       bool   // the response meets the requirement
	Problem  string // what is wrong, in one sentence; "" when OK
	Evidence string // the header field(s) as received, truncated and made printable
}

// fail makes a failing Verdict.
func fail(evidence, format string, args ...any) Verdict {
	return Verdict{Problem: fmt.Sprintf(format, args...), Evidence: evidence}
}

// field returns the first MaxValue bytes of a header field value.
func field(v string) string {
	if len(v) > MaxValue {
		return v[:MaxValue]
	}
	return v
}

// clip shortens s to at most n bytes, cut on a rune boundary and marked with
// an ellipsis when something was cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

// quote is s clipped for a problem text and quoted with Go escapes.
func quote(s string) string {
	return strconv.Quote(clip(s, maxEvidence))
}

// evidence renders header field lines "Name: value" as received, each value
// clipped and escaped where it is not printable, the whole clipped again.
func evidence(name string, values []string) string {
	var b strings.Builder
	for i, v := range values {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(name)
		b.WriteString(": ")
		b.WriteString(printable(clip(v, maxEvidence)))
		if b.Len() > maxEvidence {
			break
		}
	}
	return clip(b.String(), maxEvidence)
}

// printable escapes the control characters and invalid UTF-8 of s, so that
// evidence cannot hide text or drive a terminal.
func printable(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case strconv.IsPrint(r):
			b.WriteString(s[i : i+size])
		default:
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		}
		i += size
	}
	return b.String()
}

// splitQuoted splits s at each sep that is outside a double-quoted string
// (in which a backslash escapes the next byte). An unterminated quoted string
// runs to the end of s.
func splitQuoted(s string, sep byte) []string {
	var parts []string
	start, inQuote := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case inQuote && c == '\\':
			i++
		case c == '"':
			inQuote = !inQuote
		case !inQuote && c == sep:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// trimOWS trims the optional whitespace of HTTP (spaces and tabs).
func trimOWS(s string) string {
	return strings.Trim(s, " \t")
}

// unquote reads s as an HTTP quoted-string, which must span all of s.
func unquote(s string) (string, bool) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return "", false
	}
	var b strings.Builder
	for i := 1; i < len(s)-1; i++ {
		switch s[i] {
		case '\\':
			i++
			if i == len(s)-1 {
				return "", false // the closing quote was escaped
			}
		case '"':
			return "", false // a quote before the end
		}
		b.WriteByte(s[i])
	}
	return b.String(), true
}

// isToken reports whether s is a non-empty HTTP token (RFC 9110 section 5.6.2).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// digits parses a non-empty string of ASCII digits, saturating at the
// largest int64 instead of overflowing.
func digits(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if n > (math.MaxInt64-d)/10 {
			n = math.MaxInt64
			continue
		}
		n = n*10 + d
	}
	return n, true
}

// joinValues joins the values of a repeated header field with ", " as a
// problem text shows them, stopping once the text is too long to show.
func joinValues(values []string) string {
	var b strings.Builder
	for i, v := range values {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(clip(v, maxEvidence))
		if b.Len() > maxEvidence {
			break
		}
	}
	return b.String()
}

// lowerASCII lower-cases the ASCII letters of s and nothing else: HTTP and
// HTML compare names ASCII case-insensitively, and Unicode folding would
// take "ſecure" (with a long s) for "secure".
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
