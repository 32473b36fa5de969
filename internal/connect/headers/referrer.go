package headers

import (
	"bytes"
	"net/http"
	"strings"

	"golang.org/x/net/html"
)

// The referrer policies of the Referrer Policy specification.
var referrerPolicies = map[string]bool{
	"no-referrer":                     true,
	"no-referrer-when-downgrade":      true,
	"same-origin":                     true,
	"origin":                          true,
	"strict-origin":                   true,
	"origin-when-cross-origin":        true,
	"strict-origin-when-cross-origin": true,
	"unsafe-url":                      true,
}

// legacyMetaPolicies are the keywords HTML still accepts in a
// <meta name="referrer">, and the policies they stand for.
var legacyMetaPolicies = map[string]string{
	"never":                   "no-referrer",
	"always":                  "unsafe-url",
	"origin-when-crossorigin": "origin-when-cross-origin",
	"default":                 "strict-origin-when-cross-origin",
}

// Where EffectiveReferrerPolicy found the policy.
const (
	SourceHeader = "header" // the Referrer-Policy header
	SourceMeta   = "meta"   // a <meta name="referrer"> of an HTML body
)

// referrer is what a response says about its referrer policy.
type referrer struct {
	policy, source string
	meta           string // the content of the deciding <meta>, when source is SourceMeta
}

// EffectiveReferrerPolicy is the referrer policy a browser applies to a
// document served with header h and body, and where it came from
// (SourceHeader, SourceMeta, or "" with policy "" when none is set).
//
// The Referrer-Policy header may hold a comma-separated list and may be
// repeated: the last token a browser recognises wins (case-insensitively;
// unknown tokens are ignored). When contentType is text/html or
// application/xhtml+xml, each <meta name="referrer"> in the first MaxBody
// bytes of body with a recognised content (the legacy keywords never, always,
// origin-when-crossorigin and default included) then overrides it, so the
// last one wins. A <meta> inside a <template>, or in text such as a comment or
// a <script>, has no effect.
func EffectiveReferrerPolicy(h http.Header, body []byte, contentType string) (policy, source string) {
	r := effectiveReferrer(h, body, contentType)
	return r.policy, r.source
}

// effectiveReferrer does the work of EffectiveReferrerPolicy, keeping the
// deciding <meta>'s content for evidence.
func effectiveReferrer(h http.Header, body []byte, contentType string) referrer {
	var r referrer
	for _, v := range h.Values("Referrer-Policy") {
		for _, tok := range splitQuoted(field(v), ',') {
			if p := lowerASCII(trimOWS(tok)); referrerPolicies[p] {
				r = referrer{policy: p, source: SourceHeader}
			}
		}
	}
	if !isHTML(contentType) {
		return r
	}
	if len(body) > MaxBody {
		body = body[:MaxBody]
	}
	z := html.NewTokenizer(bytes.NewReader(body))
	templates := 0 // how deep inside <template> elements the tokenizer is
	for {
		switch z.Next() {
		case html.ErrorToken:
			return r
		case html.EndTagToken:
			if name, _ := z.TagName(); string(name) == "template" && templates > 0 {
				templates--
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			// HTML ignores the self-closing flag of <template/>: it opens one.
			switch name, hasAttr := z.TagName(); string(name) {
			case "template":
				templates++
			case "meta":
				if content, ok := metaReferrer(z, hasAttr); ok && templates == 0 {
					if p := metaPolicy(content); p != "" {
						r = referrer{policy: p, source: SourceMeta, meta: content}
					}
				}
			}
		}
	}
}

// metaReferrer reads the attributes of a <meta> tag: whether it is
// name="referrer" and its content. Of repeated attributes the first counts,
// as in HTML.
func metaReferrer(z *html.Tokenizer, more bool) (content string, ok bool) {
	var seenName, seenContent bool
	for more {
		var key, val []byte
		key, val, more = z.TagAttr()
		switch string(key) {
		case "name":
			if !seenName {
				seenName = true
				ok = lowerASCII(string(val)) == "referrer"
			}
		case "content":
			if !seenContent {
				seenContent = true
				content = string(val)
			}
		}
	}
	return content, ok
}

// metaPolicy is the policy a <meta name="referrer"> content sets, or "". As
// in HTML, the content is one keyword, compared without trimming.
func metaPolicy(content string) string {
	p := lowerASCII(content)
	if legacy, ok := legacyMetaPolicies[p]; ok {
		return legacy
	}
	if referrerPolicies[p] {
		return p
	}
	return ""
}

// isHTML reports whether a Content-Type names an HTML document.
func isHTML(contentType string) bool {
	mediaType, _, _ := strings.Cut(contentType, ";")
	switch lowerASCII(trimOWS(mediaType)) {
	case "text/html", "application/xhtml+xml":
		return true
	}
	return false
}

// JudgeReferrerPolicy judges the referrer policy of a response (requirement
// 7.2), as EffectiveReferrerPolicy finds it: it fails when none is set or
// when the policy is unsafe-url or no-referrer-when-downgrade, which send the
// full URL (path and query, Connect's JWT included) to other origins.
func JudgeReferrerPolicy(h http.Header, body []byte, contentType string) Verdict {
	values := h.Values("Referrer-Policy")
	r := effectiveReferrer(h, body, contentType)
	ev := evidence("Referrer-Policy", values)
	var says string
	switch r.source {
	case SourceMeta:
		ev = clip(printable(`<meta name="referrer" content="`+clip(r.meta, maxEvidence)+`">`), maxEvidence)
		says = `<meta name="referrer"> is ` + quote(r.meta)
	case SourceHeader:
		says = "Referrer-Policy is " + quote(joinValues(values))
	default:
		if len(values) > 0 {
			return fail(ev, "Referrer-Policy is %s: no policy a browser recognises", quote(joinValues(values)))
		}
		return fail(ev, "no Referrer-Policy header and no <meta name=\"referrer\">")
	}
	switch r.policy {
	case "unsafe-url", "no-referrer-when-downgrade":
		return fail(ev, "%s: the effective policy is %s, which sends the full URL to other origins", says, r.policy)
	}
	return Verdict{OK: true, Evidence: ev}
}
