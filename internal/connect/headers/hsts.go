package headers

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// OneYear is the HSTS max-age requirement 3 asks for, in seconds.
const OneYear = 31536000

// HSTS is a valid Strict-Transport-Security policy.
type HSTS struct {
	MaxAge            int64 // seconds, saturated at the largest int64
	IncludeSubDomains bool  // the policy covers the subdomains too
	Preload           bool  // the site asks to be on the browsers' preload lists
}

// ParseHSTS reads the Strict-Transport-Security field values of a response
// as RFC 6797 has a browser do: only the first field counts (section 8.1);
// directives are separated by ";" and their names are case-insensitive;
// max-age is required, its value digits only, quoted or not; a repeated
// directive, a directive that is not "token" or "token=value", or
// includeSubDomains with a value makes the whole field invalid; unknown
// directives are ignored, and so is preload with a value. The error says why a
// field is invalid.
func ParseHSTS(values []string) (HSTS, error) {
	if len(values) == 0 {
		return HSTS{}, errors.New("no Strict-Transport-Security field")
	}
	var hsts HSTS
	seen := map[string]bool{}
	for _, d := range splitQuoted(field(values[0]), ';') {
		d = trimOWS(d)
		if d == "" {
			continue // the grammar allows empty directives
		}
		name, value, hasValue := strings.Cut(d, "=")
		name, value = trimOWS(name), trimOWS(value)
		if !isToken(name) {
			return HSTS{}, fmt.Errorf("directive %s is not a token", quote(name))
		}
		name = lowerASCII(name)
		if seen[name] {
			return HSTS{}, fmt.Errorf("directive %s appears twice", name)
		}
		seen[name] = true
		if hasValue {
			v, ok := directiveValue(value)
			if !ok {
				return HSTS{}, fmt.Errorf("directive %s has a malformed value %s", name, quote(value))
			}
			value = v
		}
		switch name {
		case "max-age":
			n, ok := digits(value)
			if !ok {
				return HSTS{}, fmt.Errorf("max-age %s is not a number of seconds", quote(value))
			}
			hsts.MaxAge = n
		case "includesubdomains":
			if hasValue {
				return HSTS{}, errors.New("includeSubDomains has a value")
			}
			hsts.IncludeSubDomains = true
		case "preload":
			// Not RFC 6797's: the preload list's own, valueless.
			hsts.Preload = !hasValue
		}
	}
	if !seen["max-age"] {
		return HSTS{}, errors.New("no max-age directive")
	}
	return hsts, nil
}

// directiveValue reads a directive value: a token or a quoted string.
func directiveValue(v string) (string, bool) {
	if isToken(v) {
		return v, true
	}
	return unquote(v)
}

// JudgeHSTS judges the Strict-Transport-Security of an HTTPS response
// (requirement 3): OK when its first field is valid with a max-age of at
// least OneYear.
func JudgeHSTS(h http.Header) Verdict {
	values := h.Values("Strict-Transport-Security")
	if len(values) == 0 {
		return fail("", "no Strict-Transport-Security header")
	}
	ev := evidence("Strict-Transport-Security", values)
	hsts, err := ParseHSTS(values)
	if err != nil {
		return fail(ev, "Strict-Transport-Security %s is invalid, so browsers ignore it: %v", quote(values[0]), err)
	}
	if hsts.MaxAge < OneYear {
		return fail(ev, "Strict-Transport-Security max-age is %d seconds, less than one year (%d)", hsts.MaxAge, OneYear)
	}
	return Verdict{OK: true, Evidence: ev}
}
