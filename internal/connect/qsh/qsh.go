// Package qsh computes the Atlassian Connect query string hash (the "qsh"
// claim of a Connect JWT), which binds a token to one request: its method,
// its path relative to the app's baseUrl, and its query.
//
// The canonical request is
//
//	METHOD + "&" + PATH + "&" + QUERY
//
// and the qsh is the lower-case hex SHA-256 of it. The rules (REFERENCE 3.3)
// are those of Atlassian's "Understanding JWT for Connect apps" and of the
// npm atlassian-jwt library; the golden vectors in the tests were checked
// against atlassian-jwt 2.0.3.
//
// Parameters are sorted by their percent-encoded names and values, as
// Atlassian's specification says. atlassian-jwt sorts the decoded names and
// values instead; the two orders differ only when two names (or two values of
// one name) first differ at a character that is encoded, such as "a." and
// "a/" (encoded "a." and "a%2F"). Probes should avoid such parameters.
//
// The scan engine uses this package to sign tokens that a correct app must
// accept (a qsh that matches the request) or must refuse (a qsh that belongs
// to another request, or the literal [Context]).
package qsh

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Context is the literal qsh of a context token (from AP.context.getToken()).
// Such tokens are not bound to a request, and endpoints that expect a
// URL-bound token must refuse them.
const Context = "context-qsh"

// Hash returns the qsh of a request: the lower-case hex SHA-256 of
// [CanonicalRequest](method, rawURL, baseURL).
func Hash(method, rawURL, baseURL string) (string, error) {
	c, err := CanonicalRequest(method, rawURL, baseURL)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(c))
	return hex.EncodeToString(sum[:]), nil
}

// CanonicalRequest returns the canonical request of a Connect qsh:
// METHOD + "&" + PATH + "&" + QUERY.
//
// rawURL is an absolute URL ("https://app.example.com/p?x=1") or a request-URI
// ("/p?x=1"); a fragment is ignored. baseURL is the app's baseUrl from its
// descriptor; its path, if any, is removed from the front of the request's
// path. It may be empty.
//
//   - METHOD is method in upper case; it must be an HTTP token.
//   - PATH is the path in its escaped form, as net/http sends it (for a path
//     that is already validly escaped, exactly as given; it is not decoded),
//     without the baseURL's path prefix. The prefix is removed as a plain
//     string prefix, as atlassian-jwt does. An empty result becomes "/", a
//     missing leading "/" is added, one trailing "/" is removed unless the
//     path is "/", and every "&" becomes "%26".
//   - QUERY is the query parsed into parameters (split on "&", "+" is a space,
//     percent-decoded), without any "jwt" parameter. Names and values are
//     percent-encoded keeping only the RFC 3986 unreserved characters
//     (A-Z a-z 0-9 - . _ ~) with upper-case hex; parameters are sorted by
//     their encoded names in byte order; a repeated name becomes one
//     name=v1,v2 with its encoded values sorted and joined with a literal
//     comma; parameters are joined with "&". A parameter without "=" has an
//     empty value; empty pieces ("a=1&&b=2") are skipped. No query gives an
//     empty QUERY, and the result still ends in "&".
//
// A malformed percent-escape anywhere in rawURL (such as "%zz" or a trailing
// "%4") is an error: a server would decode such a request in its own way, so
// no qsh can be trusted to match it. Errors never quote the URL, which may
// carry a token.
func CanonicalRequest(method, rawURL, baseURL string) (string, error) {
	if err := checkMethod(method); err != nil {
		return "", err
	}
	u, err := parseURL(rawURL)
	if err != nil {
		return "", fmt.Errorf("qsh: parse request URL: %w", err)
	}
	basePath := ""
	if baseURL != "" {
		b, err := parseURL(baseURL)
		if err != nil {
			return "", fmt.Errorf("qsh: parse base URL: %w", err)
		}
		basePath = b.EscapedPath()
	}
	query, err := canonicalQuery(u.RawQuery)
	if err != nil {
		return "", fmt.Errorf("qsh: canonicalize query: %w", err)
	}
	return strings.ToUpper(method) + "&" + canonicalPath(u.EscapedPath(), basePath) + "&" + query, nil
}

// checkMethod accepts an HTTP method that is an RFC 9110 token, so that it is
// plain ASCII and cannot smuggle spaces or control characters into the
// canonical request.
func checkMethod(method string) error {
	if method == "" {
		return errors.New("qsh: empty HTTP method")
	}
	for i := 0; i < len(method); i++ {
		if !isTokenChar(method[i]) {
			return fmt.Errorf("qsh: HTTP method has an invalid character %q at offset %d", method[i], i)
		}
	}
	return nil
}

func isTokenChar(c byte) bool {
	if isUnreserved(c) {
		return true
	}
	return strings.IndexByte("!#$%&'*+^`|", c) >= 0
}

// parseURL parses an absolute URL or a request-URI. It reports the parser's
// reason only, never the URL (which may carry a token).
func parseURL(raw string) (*url.URL, error) {
	if i := strings.IndexByte(raw, '#'); i >= 0 {
		raw = raw[:i]
	}
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			return nil, ue.Err
		}
		return nil, err
	}
	if u.Opaque != "" {
		return nil, errors.New("URL has no hierarchical path (opaque URL)")
	}
	return u, nil
}

// canonicalPath applies the PATH rules to an escaped path.
func canonicalPath(path, basePath string) string {
	if basePath != "" && strings.HasPrefix(path, basePath) {
		path = path[len(basePath):]
	}
	if path == "" {
		return "/"
	}
	path = strings.ReplaceAll(path, "&", "%26")
	if path[0] != '/' {
		path = "/" + path
	}
	if len(path) > 1 && path[len(path)-1] == '/' {
		path = path[:len(path)-1]
	}
	return path
}

// canonicalQuery applies the QUERY rules to a raw query string.
func canonicalQuery(rawQuery string) (string, error) {
	values := map[string][]string{} // encoded name -> encoded values
	for piece := range strings.SplitSeq(rawQuery, "&") {
		if piece == "" {
			continue
		}
		rawName, rawValue, _ := strings.Cut(piece, "=")
		name, err := decode(rawName)
		if err != nil {
			return "", fmt.Errorf("decode parameter name: %w", err)
		}
		value, err := decode(rawValue)
		if err != nil {
			return "", fmt.Errorf("decode value of parameter %q: %w", encode(name), err)
		}
		if name == "jwt" {
			continue
		}
		n := encode(name)
		values[n] = append(values[n], encode(value))
	}
	names := make([]string, 0, len(values))
	for n := range values {
		names = append(names, n)
	}
	slices.Sort(names)
	var b strings.Builder
	for i, n := range names {
		if i > 0 {
			b.WriteByte('&')
		}
		vs := values[n]
		slices.Sort(vs)
		b.WriteString(n)
		b.WriteByte('=')
		b.WriteString(strings.Join(vs, ","))
	}
	return b.String(), nil
}

// decode percent-decodes a query component, with "+" as a space. A "%" not
// followed by two hex digits is an error.
func decode(s string) (string, error) {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s, nil
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '+':
			b = append(b, ' ')
		case '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				end := min(i+3, len(s))
				return "", fmt.Errorf("malformed percent-escape %q at offset %d", s[i:end], i)
			}
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			b = append(b, c)
		}
	}
	return string(b), nil
}

// encode percent-encodes every byte of s that is not an RFC 3986 unreserved
// character, with upper-case hex.
func encode(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0x0f])
	}
	return b.String()
}

func isUnreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
