package connect

import (
	"path"
	"strings"

	"github.com/ecoscan/ecoscan/internal/connect/descriptor"
)

// The judge reads a target's exchanges the way REFERENCE 3.4 says: always
// against the no-token baseline, and, when a test installation is known,
// against the answer to a valid token (the positive control). It never judges
// by words in a body.

// control is the answer to the valid token when the app accepted it; nil when
// no test installation was given or the app refused the valid token.
func (t *Target) control() *Exchange {
	for _, where := range []placement{inQuery, inHeader} {
		if x := t.exchange(Probe{validToken, where}); x != nil && x.outcome() == answered {
			return x
		}
	}
	return nil
}

// controlFor is the valid-token answer in the same placement as x, falling back to any.
func (t *Target) controlFor(x *Exchange) *Exchange {
	if c := t.exchange(Probe{validToken, x.Probe.where}); c != nil && c.outcome() == answered {
		return c
	}
	return t.control()
}

// acceptance is the judge's reading of one token probe.
type acceptance int

const (
	notAccepted acceptance = iota
	acceptedMaybe
	acceptedSure
)

// accepted says whether the app accepted the token of exchange x.
//   - Baseline refused and x answered: accepted, for sure.
//   - Baseline answered (an open page or an error page served with 200): x is
//     accepted only when its answer differs from the baseline's; for sure when
//     it matches the valid token's answer, maybe when there is no control.
func (t *Target) accepted(x *Exchange) acceptance {
	b := t.baseline()
	if x == nil || b == nil || x.outcome() != answered {
		return notAccepted
	}
	switch b.outcome() {
	case refused:
		return acceptedSure
	case answered:
		if similar(x, b) {
			return notAccepted // the token made no difference
		}
		if c := t.controlFor(x); c != nil {
			if similar(x, c) {
				return acceptedSure
			}
			return notAccepted
		}
		if x.empty {
			return notAccepted
		}
		return acceptedMaybe
	}
	return notAccepted
}

// acceptedLikeControl says whether x, a token signed with the shared secret,
// got the authenticated answer. Without an accepted control, or where the
// valid token gets the same answer as no token at all (a public page), the
// token makes no difference and nothing can be said.
func (t *Target) acceptedLikeControl(x *Exchange) bool {
	c := t.controlFor(x)
	if x == nil || c == nil || x.outcome() != answered || !t.tokenMatters(c) {
		return false
	}
	return similar(x, c)
}

// tokenMatters reports whether the valid token's answer c differs from the
// no-token answer, so that other tokens can be judged against it.
func (t *Target) tokenMatters(c *Exchange) bool {
	b := t.baseline()
	return b != nil && (b.outcome() == refused || (b.outcome() == answered && !similar(b, c)))
}

// publicByDesign says why an endpoint may answer without a token, or "".
func (t *Target) publicByDesign(b *Exchange) string {
	if t.Kind == descriptor.Asset || isStatic(t.URL, b.ContentType) {
		return "static asset"
	}
	if t.Cacheable && (b.isHTML() || b.empty) {
		return "shell of a cacheable module"
	}
	return ""
}

var staticTypes = []string{"text/css", "application/javascript", "text/javascript", "application/x-javascript",
	"application/wasm", "application/font-woff", "application/vnd.ms-fontobject"}

var staticExtensions = map[string]bool{".js": true, ".mjs": true, ".css": true, ".map": true, ".png": true,
	".jpg": true, ".jpeg": true, ".gif": true, ".svg": true, ".ico": true, ".webp": true, ".woff": true,
	".woff2": true, ".ttf": true, ".eot": true, ".otf": true}

// isStatic reports whether an answer is a static asset: a script, style,
// image or font by content type, or by path when the type says nothing
// (never when the answer is HTML or JSON).
func isStatic(rawURL, contentType string) bool {
	if strings.HasPrefix(contentType, "image/") || strings.HasPrefix(contentType, "font/") {
		return true
	}
	for _, t := range staticTypes {
		if contentType == t {
			return true
		}
	}
	switch contentType {
	case "", "application/octet-stream", "text/plain":
		p := rawURL
		if i := strings.IndexAny(p, "?#"); i >= 0 {
			p = p[:i]
		}
		return staticExtensions[strings.ToLower(path.Ext(p))]
	}
	return false
}

// failures lists the exchanges of t that got no usable answer.
func (t *Target) failures() []*Exchange {
	var out []*Exchange
	for _, x := range t.Exchanges {
		if x.outcome() == failed {
			out = append(out, x)
		}
	}
	return out
}
