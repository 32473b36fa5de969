package headers

import (
	"strings"
	"testing"
)

func TestEffectiveReferrerPolicy(t *testing.T) {
	const html = "text/html; charset=utf-8"
	tests := []struct {
		name        string
		lines       []string
		body        string
		contentType string
		policy      string
		source      string
	}{
		{"none", nil, "", "", "", ""},
		{"one value", []string{"strict-origin-when-cross-origin"}, "", "", "strict-origin-when-cross-origin", SourceHeader},
		// CSRT reads the first value; browsers use the last one they recognise.
		{"CSRT: unsafe-url, strict-origin", []string{"unsafe-url, strict-origin"}, "", "", "strict-origin", SourceHeader},
		{"CSRT: strict-origin, unsafe-url", []string{"strict-origin, unsafe-url"}, "", "", "unsafe-url", SourceHeader},
		{"CSRT: no-referrer, foo", []string{"no-referrer, foo"}, "", "", "no-referrer", SourceHeader},
		{"repeated header, last line wins", []string{"strict-origin", "unsafe-url"}, "", "", "unsafe-url", SourceHeader},
		{"unknown last line ignored", []string{"unsafe-url", "foo"}, "", "", "unsafe-url", SourceHeader},
		{"case-insensitive", []string{"UNSAFE-URL"}, "", "", "unsafe-url", SourceHeader},
		{"whitespace and empty elements", []string{" origin ,, \tsame-origin\t,"}, "", "", "same-origin", SourceHeader},
		{"only unknown", []string{"foo, bar"}, "", "", "", ""},
		{"quoted token is not a policy", []string{`"no-referrer"`}, "", "", "", ""},
		{"legacy keyword not in the header", []string{"never"}, "", "", "", ""},
		{"long s is not s", []string{"ſame-origin"}, "", "", "", ""},
		{"empty", []string{""}, "", "", "", ""},

		{"meta overrides the header", []string{"unsafe-url"}, `<meta name="referrer" content="no-referrer">`, html, "no-referrer", SourceMeta},
		{"meta case and order", nil, `<META CONTENT="Unsafe-URL" NAME="Referrer">`, html, "unsafe-url", SourceMeta},
		{"unquoted attributes", nil, `<meta name=referrer content=origin>`, html, "origin", SourceMeta},
		{"last meta wins", nil, `<meta name="referrer" content="no-referrer"><meta name="referrer" content="unsafe-url">`, html, "unsafe-url", SourceMeta},
		{"invalid meta keeps the earlier one", nil, `<meta name="referrer" content="no-referrer"><meta name="referrer" content="bogus">`, html, "no-referrer", SourceMeta},
		{"invalid meta keeps the header", []string{"same-origin"}, `<meta name="referrer" content="bogus">`, html, "same-origin", SourceHeader},
		{"legacy never", nil, `<meta name="referrer" content="never">`, html, "no-referrer", SourceMeta},
		{"legacy always", nil, `<meta name="referrer" content="always">`, html, "unsafe-url", SourceMeta},
		{"legacy origin-when-crossorigin", nil, `<meta name="referrer" content="origin-when-crossorigin">`, html, "origin-when-cross-origin", SourceMeta},
		{"legacy default", nil, `<meta name="referrer" content="Default">`, html, "strict-origin-when-cross-origin", SourceMeta},
		{"meta in the body", nil, `<html><head></head><body><p>x<meta name="referrer" content="unsafe-url"></body></html>`, html, "unsafe-url", SourceMeta},
		{"self-closing meta", nil, `<meta name="referrer" content="origin" />`, html, "origin", SourceMeta},
		{"entity in content", nil, `<meta name="referrer" content="unsafe&#45;url">`, html, "unsafe-url", SourceMeta},
		{"first of repeated attributes", nil, `<meta name="referrer" content="no-referrer" content="unsafe-url">`, html, "no-referrer", SourceMeta},
		{"first name decides", nil, `<meta name="description" name="referrer" content="unsafe-url">`, html, "", ""},
		{"content is one keyword", nil, `<meta name="referrer" content="no-referrer, unsafe-url">`, html, "", ""},
		{"content is not trimmed", nil, `<meta name="referrer" content=" no-referrer">`, html, "", ""},
		{"no content", []string{"origin"}, `<meta name="referrer">`, html, "origin", SourceHeader},
		{"other meta", nil, `<meta name="viewport" content="no-referrer">`, html, "", ""},
		{"meta in a comment", nil, `<!-- <meta name="referrer" content="unsafe-url"> -->`, html, "", ""},
		{"meta in a script", nil, `<script>document.write('<meta name="referrer" content="unsafe-url">')</script>`, html, "", ""},
		{"meta in a textarea", nil, `<textarea><meta name="referrer" content="unsafe-url"></textarea>`, html, "", ""},
		{"meta in noscript", nil, `<noscript><meta name="referrer" content="unsafe-url"></noscript>`, html, "", ""},
		{"meta in a template", nil, `<template><meta name="referrer" content="unsafe-url"></template>`, html, "", ""},
		{"meta in a nested template", nil, `<template><template></template><meta name="referrer" content="unsafe-url"></template>`, html, "", ""},
		{"meta after a template", nil, `<template></template><meta name="referrer" content="unsafe-url">`, html, "unsafe-url", SourceMeta},
		{"self-closing template still opens", nil, `<template/><meta name="referrer" content="unsafe-url">`, html, "", ""},
		{"stray template end tag", nil, `</template><meta name="referrer" content="origin">`, html, "origin", SourceMeta},
		{"meta in svg breaks out", nil, `<svg><meta name="referrer" content="origin"></svg>`, html, "origin", SourceMeta},
		{"xhtml", nil, `<meta name="referrer" content="origin"/>`, "application/xhtml+xml", "origin", SourceMeta},
		{"content type case", nil, `<meta name="referrer" content="origin">`, "TEXT/HTML", "origin", SourceMeta},
		{"not html", []string{"strict-origin"}, `<meta name="referrer" content="unsafe-url">`, "text/plain", "strict-origin", SourceHeader},
		{"no content type", nil, `<meta name="referrer" content="unsafe-url">`, "", "", ""},
		{"meta past the body bound", nil, strings.Repeat(" ", MaxBody) + `<meta name="referrer" content="unsafe-url">`, html, "", ""},
		{"meta just inside the body bound", nil, strings.Repeat(" ", MaxBody-len(`<meta name=referrer content=origin>`)) + `<meta name=referrer content=origin>`, html, "origin", SourceMeta},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			policy, source := EffectiveReferrerPolicy(header("Referrer-Policy", tt.lines...), []byte(tt.body), tt.contentType)
			if policy != tt.policy || source != tt.source {
				t.Errorf("EffectiveReferrerPolicy(%q, %q, %q) = %q, %q; want %q, %q", tt.lines, clip(tt.body, 100), tt.contentType, policy, source, tt.policy, tt.source)
			}
		})
	}
}

func TestJudgeReferrerPolicy(t *testing.T) {
	tests := []struct {
		name     string
		lines    []string
		body     string
		ok       bool
		problem  string
		evidence string
	}{
		{"missing", nil, "", false, `no Referrer-Policy header and no <meta name="referrer">`, ""},
		{"unrecognised", []string{"foo"}, "", false, `Referrer-Policy is "foo": no policy a browser recognises`, "Referrer-Policy: foo"},
		{"unsafe-url", []string{"unsafe-url"}, "", false,
			`Referrer-Policy is "unsafe-url": the effective policy is unsafe-url, which sends the full URL to other origins`, "Referrer-Policy: unsafe-url"},
		{"no-referrer-when-downgrade", []string{"no-referrer-when-downgrade"}, "", false,
			`Referrer-Policy is "no-referrer-when-downgrade": the effective policy is no-referrer-when-downgrade, which sends the full URL to other origins`, "Referrer-Policy: no-referrer-when-downgrade"},
		{"CSRT: strict-origin, unsafe-url fails", []string{"strict-origin, unsafe-url"}, "", false,
			`Referrer-Policy is "strict-origin, unsafe-url": the effective policy is unsafe-url, which sends the full URL to other origins`, "Referrer-Policy: strict-origin, unsafe-url"},
		{"CSRT: unsafe-url, strict-origin passes", []string{"unsafe-url, strict-origin"}, "", true, "", "Referrer-Policy: unsafe-url, strict-origin"},
		{"CSRT: no-referrer, foo passes", []string{"no-referrer, foo"}, "", true, "", "Referrer-Policy: no-referrer, foo"},
		{"strict-origin-when-cross-origin", []string{"strict-origin-when-cross-origin"}, "", true, "", "Referrer-Policy: strict-origin-when-cross-origin"},
		{"meta makes it unsafe", []string{"no-referrer"}, `<meta name="referrer" content="always">`, false,
			`<meta name="referrer"> is "always": the effective policy is unsafe-url, which sends the full URL to other origins`, `<meta name="referrer" content="always">`},
		{"meta makes it safe", []string{"unsafe-url"}, `<meta name="referrer" content="same-origin">`, true, "", `<meta name="referrer" content="same-origin">`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := JudgeReferrerPolicy(header("Referrer-Policy", tt.lines...), []byte(tt.body), "text/html")
			if v.OK != tt.ok || v.Problem != tt.problem || v.Evidence != tt.evidence {
				t.Errorf("JudgeReferrerPolicy(%q, %q) = %+v, want OK %v, problem %q, evidence %q", tt.lines, tt.body, v, tt.ok, tt.problem, tt.evidence)
			}
		})
	}
}
