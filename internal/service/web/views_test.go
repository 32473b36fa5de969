package web

import (
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ecoscan/ecoscan/internal/service/platform"
)

func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"plain text":            "plain text",
		"two\nlines\tand a tab": "two\nlines\tand a tab",
		"bell\x07":              `bell\u0007`,
		"abc\u202edcba":         `abc\u202edcba`,
		"\u2066isolate\u2069":   `\u2066isolate\u2069`,
		"\ufeffbom":             `\ufeffbom`,
		"cr\r":                  `cr\u000d`,
		"ünïcödé ok":            "ünïcödé ok",
	} {
		if got := clean(in); got != want {
			t.Errorf("clean(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzClean checks that clean leaves no control or bidirectional
// character but line breaks and tabs, and that cleaning twice changes
// nothing more.
func FuzzClean(f *testing.F) {
	for _, s := range []string{"", "a\u202eb", "\x00\x1b[31m", "\xff\xfe", "line\nline", "\u200f\u061c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := clean(in)
		if !utf8.ValidString(out) {
			t.Fatalf("clean(%q) = %q is not UTF-8", in, out)
		}
		for _, r := range out {
			if needsEscape(r) || (unicode.IsControl(r) && r != '\n' && r != '\t') {
				t.Fatalf("clean(%q) = %q keeps %U", in, out, r)
			}
		}
		if again := clean(out); again != out {
			t.Fatalf("clean is not stable on %q: %q then %q", in, out, again)
		}
	})
}

func TestNewReportView(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	raw := mustJSON(t, openPageReport(platform.App{DescriptorURL: "https://127.0.0.1:8443/atlassian-connect.json"}, at))
	v := newReportView(raw, map[string]int64{})
	if v.Unreadable || len(v.Findings) != 1 || len(v.Checks) != 2 || v.Checks[0].Title == "" {
		t.Fatalf("report view: %+v", v)
	}
	f := v.Findings[0]
	if f.Severity != "medium" || f.CVSS != "5.3" || !strings.Contains(f.Evidence, `\u202e`) || f.Due == "" {
		t.Errorf("finding view: %+v", f)
	}
	if v := newReportView([]byte("{not json"), nil); !v.Unreadable {
		t.Error("a broken report reads")
	}
}

func TestEvery(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Hour: "every hour", 6 * time.Hour: "every 6 hours", 24 * time.Hour: "every day",
		7 * 24 * time.Hour: "every 7 days", 90 * time.Minute: "every 1h30m0s", 0: "never",
	} {
		if got := every(d); got != want {
			t.Errorf("every(%v) = %q, want %q", d, got, want)
		}
	}
}
