package headers

import (
	"net/http"
	"strings"
)

// CacheControl is the Cache-Control of a response: the directives of all its
// Cache-Control field lines, in the order received.
type CacheControl struct {
	Present    bool        // the response has at least one Cache-Control field line
	Directives []Directive // the well-formed directives; malformed ones are skipped
}

// Directive is one Cache-Control directive.
type Directive struct {
	Name     string // lower case
	Value    string // the argument, unquoted; "" when there is none
	HasValue bool   // the directive has an "=" argument, even an empty one
}

// ParseCacheControl reads the Cache-Control field lines of h. Each line is a
// comma-separated list (commas inside quoted strings do not separate);
// directive names are case-insensitive and arguments may be tokens or quoted
// strings. Duplicates are kept; elements that are not "token" or
// "token=argument" are skipped.
func ParseCacheControl(h http.Header) CacheControl {
	values := h.Values("Cache-Control")
	cc := CacheControl{Present: len(values) > 0}
	for _, v := range values {
		for _, elem := range splitQuoted(field(v), ',') {
			if d, ok := parseDirective(trimOWS(elem)); ok {
				cc.Directives = append(cc.Directives, d)
			}
		}
	}
	return cc
}

// parseDirective reads one list element "name" or "name=argument".
func parseDirective(elem string) (Directive, bool) {
	name, arg, hasValue := strings.Cut(elem, "=")
	name = trimOWS(name)
	if !isToken(name) {
		return Directive{}, false
	}
	d := Directive{Name: lowerASCII(name), HasValue: hasValue}
	if !hasValue {
		return d, true
	}
	arg = trimOWS(arg)
	if strings.HasPrefix(arg, `"`) {
		u, ok := unquote(arg)
		if !ok {
			return Directive{}, false
		}
		d.Value = u
		return d, true
	}
	if arg != "" && !isToken(arg) {
		return Directive{}, false
	}
	d.Value = arg
	return d, true
}

// NoStore reports whether the response carries a no-store directive that
// browsers honour: one without an argument. Chromium compares each list
// element with "no-store" as a whole, so "no-store=1" does not count.
func (cc CacheControl) NoStore() bool {
	for _, d := range cc.Directives {
		if d.Name == "no-store" && !d.HasValue {
			return true
		}
	}
	return false
}

// JudgeCacheControl judges the Cache-Control of a response that carries data
// (requirement 7.3): it is OK only with no-store. private, no-cache or
// max-age=0 without no-store all let a browser or proxy keep a copy on disk.
func JudgeCacheControl(h http.Header) Verdict {
	values := h.Values("Cache-Control")
	ev := evidence("Cache-Control", values)
	cc := ParseCacheControl(h)
	switch {
	case !cc.Present:
		return fail("", "no Cache-Control header: no no-store")
	case cc.NoStore():
		return Verdict{OK: true, Evidence: ev}
	}
	joined := joinValues(values)
	for _, d := range cc.Directives {
		if d.Name == "no-store" {
			return fail(ev, "Cache-Control is %s: no-store has an argument, which Chromium does not honour", quote(joined))
		}
	}
	for _, v := range values {
		if strings.Contains(lowerASCII(field(v)), "no-store") {
			return fail(ev, "Cache-Control is %s: no no-store directive of its own (directives are separated by commas)", quote(joined))
		}
	}
	return fail(ev, "Cache-Control is %s: no no-store", quote(joined))
}
