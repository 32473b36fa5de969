package secrets

import (
	"strings"
	"testing"
)

func TestWildmatch(t *testing.T) {
	for _, c := range []struct {
		pattern, name string
		want          bool
	}{
		{"*.log", "app.log", true},
		{"*.log", "app.log.1", false},
		{"*", "", true},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
		{"a**b", "axyb", true}, // other runs of asterisks are one asterisk
		{"?.js", "a.js", true},
		{"?.js", "ab.js", false},
		{"?.js", "é.js", true}, // ? is one character, not one byte
		{"[abc].txt", "b.txt", true},
		{"[abc].txt", "d.txt", false},
		{"[!abc].txt", "d.txt", true},
		{"[^abc].txt", "a.txt", false},
		{"[a-c]x", "bx", true},
		{"[a-c]x", "dx", false},
		{"[]]x", "]x", true},
		{"[a\\]]x", "]x", true},
		{"[a-]x", "-x", true},
		{"[ab", "[ab", true}, // an unclosed class is literal
		{"\\*.js", "*.js", true},
		{"\\*.js", "a.js", false},
		{"\\#notes", "#notes", true},
		{"foo\\", "foo\\", true},
		{"*.min.*", "app.min.js", true},
		{"*aaa*b", strings.Repeat("a", 40), false},
	} {
		if got := wildmatch(c.pattern, c.name); got != c.want {
			t.Errorf("wildmatch(%q, %q) = %v, want %v", c.pattern, c.name, got, c.want)
		}
	}
}

func TestParseIgnoreLine(t *testing.T) {
	for _, c := range []struct {
		line string
		ok   bool
		want ignorePattern
	}{
		{"", false, ignorePattern{}},
		{"# comment", false, ignorePattern{}},
		{"   ", false, ignorePattern{}},
		{"/", false, ignorePattern{}},
		{"\\#file", true, ignorePattern{segments: []string{"\\#file"}}},
		{"!keep.log", true, ignorePattern{segments: []string{"keep.log"}, negate: true}},
		{"\\!bang", true, ignorePattern{segments: []string{"\\!bang"}}},
		{"build/", true, ignorePattern{segments: []string{"build"}, dirOnly: true}},
		{"/dist", true, ignorePattern{segments: []string{"dist"}, anchored: true}},
		{"a/b", true, ignorePattern{segments: []string{"a", "b"}, anchored: true}},
		{"**/tmp/", true, ignorePattern{segments: []string{"**", "tmp"}, anchored: true, dirOnly: true}},
		{"trailing   ", true, ignorePattern{segments: []string{"trailing"}}},
		{"escaped\\ ", true, ignorePattern{segments: []string{"escaped\\ "}}},
		{"crlf\r", true, ignorePattern{segments: []string{"crlf"}}},
	} {
		got, ok := parseIgnoreLine(c.line)
		if ok != c.ok || (ok && (strings.Join(got.segments, "|") != strings.Join(c.want.segments, "|") ||
			got.negate != c.want.negate || got.dirOnly != c.want.dirOnly || got.anchored != c.want.anchored)) {
			t.Errorf("parseIgnoreLine(%q) = %+v, %v; want %+v, %v", c.line, got, ok, c.want, c.ok)
		}
	}
}

func TestIgnored(t *testing.T) {
	root := parseIgnore("", []byte(strings.Join([]string{
		"*.log",
		"!keep.log",
		"/dist/",
		"build/",
		"docs/*.pdf",
		"**/cache",
		"logs/**",
		"a/**/z",
		"!a/keep/z",
		"secret.txt",
	}, "\n")))
	sub := parseIgnore("pkg", []byte("*.js\n!main.js\n/local\n"))
	stack := []*ignoreFile{root, sub}
	for _, c := range []struct {
		path  string
		isDir bool
		want  bool
	}{
		{"app.log", false, true},
		{"deep/dir/app.log", false, true},
		{"keep.log", false, false},
		{"deep/keep.log", false, false},
		{"dist", true, true},
		{"dist", false, false},      // directory only
		{"src/dist", true, false},   // anchored at the root
		{"build", true, true},       // not anchored: any depth
		{"src/build", true, true},   // ...
		{"src/build", false, false}, // but directories only
		{"docs/a.pdf", false, true},
		{"docs/sub/a.pdf", false, false}, // * does not cross /
		{"cache", true, true},
		{"x/y/cache", false, true},
		{"logs", true, false}, // logs/** matches inside logs, not logs itself
		{"logs/a", false, true},
		{"logs/a/b", false, true},
		{"a/z", false, true}, // /**/ matches zero directories
		{"a/b/c/z", false, true},
		{"a/keep/z", false, false},
		{"b/z", false, false},
		{"secret.txt", false, true},
		{"pkg/secret.txt", false, true},
		{"pkg/index.js", false, true},
		{"pkg/main.js", false, false},
		{"pkg/sub/main.js", false, false},
		{"pkg/local", false, true},
		{"pkg/sub/local", false, false},
		{"pkglocal", false, false},
		{"other/index.js", false, false}, // pkg's file does not apply outside pkg
	} {
		if got := ignored(stack, c.path, c.isDir); got != c.want {
			t.Errorf("ignored(%q, dir=%v) = %v, want %v", c.path, c.isDir, got, c.want)
		}
	}
}

// TestIgnoreDeeperOverrides: a deeper .gitignore re-includes what a
// shallower one excludes, and the reverse.
func TestIgnoreDeeperOverrides(t *testing.T) {
	stack := []*ignoreFile{
		parseIgnore("", []byte("*.env\n")),
		parseIgnore("app", []byte("!prod.env\n")),
	}
	if ignored(stack, "app/prod.env", false) || !ignored(stack, "app/dev.env", false) || !ignored(stack, "prod.env", false) {
		t.Error("a deeper negation does not override")
	}
}

func TestMatchSegmentsManyStars(t *testing.T) {
	pat := strings.Split(strings.Repeat("**/", 200)+"x", "/")
	path := strings.Split(strings.Repeat("a/", 300)+"y", "/")
	if matchSegments(pat, path) {
		t.Error("matched")
	}
}

func TestParseIgnoreBounds(t *testing.T) {
	long := strings.Repeat("a", maxIgnorePatternSz+10)
	f := parseIgnore("", []byte("first\n"+long+"\nlast\n"))
	if len(f.patterns) != 1 || f.patterns[0].segments[0] != "first" {
		t.Errorf("patterns: %+v", f.patterns)
	}
	many := strings.Repeat("x\n", maxIgnorePatterns+5)
	if n := len(parseIgnore("", []byte(many)).patterns); n != maxIgnorePatterns {
		t.Errorf("%d patterns", n)
	}
}
