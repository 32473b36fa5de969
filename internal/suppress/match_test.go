package suppress

import (
	"path"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestMatchPath(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"src/index.ts", "src/index.ts", true},
		{"src/index.ts", "./src/index.ts", true},
		{"src/index.ts", "src/index.tsx", false},
		{"src/*.ts", "src/a.ts", true},
		{"src/*.ts", "src/lib/a.ts", false},
		{"src/**/*.ts", "src/a.ts", true},
		{"src/**/*.ts", "src/lib/deep/a.ts", true},
		{"src/**/*.ts", "test/a.ts", false},
		{"**/*.test.ts", "a.test.ts", true},
		{"**/*.test.ts", "x/y/a.test.ts", true},
		{"**", "anything/at/all", true},
		{"src/**", "src", true},
		{"src/**", "src/a/b", true},
		{"src/**", "srcx/a", false},
		{"**/fixtures/**", "a/fixtures/b/c.ts", true},
		{"**/fixtures/**", "a/fixture/b/c.ts", false},
		{"package-lock.json", "app/package-lock.json", false},
		{"*/package-lock.json", "app/package-lock.json", true},
		{"src/[ab].ts", "src/b.ts", true},
		{"src/?.ts", "src/ab.ts", false},
		{`src/\*.ts`, "src/*.ts", true},
		{`src/\*.ts`, "src/a.ts", false},
		{"src/a.ts", `src\a.ts`, false},
		{"src/[a.ts", "src/[a.ts", false}, // a bad segment never matches
	}
	for _, tt := range tests {
		if got := matchPath(tt.pattern, tt.name); got != tt.want {
			t.Errorf("matchPath(%q, %q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
}

func TestMatchWildcard(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"https://a.example/x", "https://a.example/x", true},
		{"https://a.example/x", "https://a.example/x?y=1", false},
		{"https://a.example/*", "https://a.example/x/y?z=1", true},
		{"https://a.example/*", "https://a.example.evil.example/", false},
		{"https://*.example/admin", "https://app.example/admin", true},
		{"https://*.example/admin", "https://app.example/admin/x", false},
		{"*", "", true},
		{"", "", true},
		{"", "x", false},
		{"a*b*c", "abc", true},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "aXbY", false},
		{"**", "x", true},
		{"?", "x", false}, // only * is special
	}
	for _, tt := range tests {
		if got := matchWildcard(tt.pattern, tt.s); got != tt.want {
			t.Errorf("matchWildcard(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

// TestMatchWorstCase checks that patterns built to make backtracking
// matchers blow up stay fast.
func TestMatchWorstCase(t *testing.T) {
	start := time.Now()
	name := strings.Repeat("a/", 200) + "b"
	if matchPath(strings.Repeat("**/", 100)+"c", name) {
		t.Error("matched a path that does not end in c")
	}
	if matchWildcard(strings.Repeat("*a", 200)+"b", strings.Repeat("a", 5000)) {
		t.Error("matched a string without b")
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %s", took)
	}
}

// wildcardRegexp is the regular expression of a wildcard pattern: the
// reference matchWildcard is held to.
func wildcardRegexp(pattern string) *regexp.Regexp {
	parts := strings.Split(pattern, "*")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile(`^(?s:` + strings.Join(parts, ".*") + `)$`)
}

func FuzzMatch(f *testing.F) {
	f.Add("src/*.ts", "src/a.ts")
	f.Add("https://*.example/*", "https://a.example/x")
	f.Add("**/a/**", "x/a/y")
	f.Add("a*b*c", "aXbYc")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		got := matchWildcard(pattern, s)
		// The reference reads UTF-8 only; matchWildcard reads bytes.
		if utf8.ValidString(pattern) && utf8.ValidString(s) {
			if want := wildcardRegexp(pattern).MatchString(s); got != want {
				t.Errorf("matchWildcard(%q, %q) = %v, want %v", pattern, s, got, want)
			}
		}
		got = matchPath(pattern, s)
		// Without ** and escapes, a path glob matches as path.Match does.
		if !strings.Contains(pattern, "**") && !strings.Contains(pattern, `\`) && !strings.HasPrefix(s, "./") {
			want, err := path.Match(pattern, s)
			if err == nil && got != want {
				t.Errorf("matchPath(%q, %q) = %v, path.Match says %v", pattern, s, got, want)
			}
		}
	})
}
