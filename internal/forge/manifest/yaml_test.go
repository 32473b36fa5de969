package manifest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

// billionLaughs doubles... ten times per level: 10^9 strings once expanded.
const billionLaughs = `app:
  id: lol
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
`

// mergeBomb doubles a mapping with merge keys.
const mergeBomb = `a: &a {k0: 0, k1: 1}
b: &b {<<: *a, b: 1}
c: &c {<<: [*a, *b], c: 1}
`

func TestErrors(t *testing.T) {
	tests := []struct {
		name      string
		yaml      string
		line, col int
		msg       string
	}{
		{"empty", "", 1, 1, "the manifest is empty"},
		{"comments only", "# nothing\n\n# here\n", 1, 1, "the manifest is empty"},
		{"list", "- app\n- modules\n", 1, 1, "the manifest must be a mapping (app:, modules:, permissions: ...), found a list"},
		{"scalar", "\n  hello\n", 2, 3, `found the scalar "hello"`},
		{"first document empty", "---\n# none\n---\napp:\n  id: x\n", 1, 1, "the first YAML document of the manifest is empty"},
		{"tab indentation", "app:\n\tid: x\n", 2, 1, "invalid YAML: found character '\t' that cannot start any token"},
		{"unclosed flow sequence", "permissions:\n  scopes: [read:jira-work, write:jira-work\n", 2, 11, "invalid YAML: sequence end token ']' not found"},
		{"mapping value in a scalar", "app:\n  id: a: b\n", 2, 7, "invalid YAML: mapping value is not allowed in this context"},
		{"duplicate key", "app:\n  id: a\n  id: b\n", 3, 3, `invalid YAML: mapping key "id" already defined at [2:3]`},
		{"duplicate key in a flow mapping", "app: {id: a, id: b}\n", 1, 14, `invalid YAML: mapping key "id" already defined at [1:7]`},
		{"duplicate key through an alias", "k: &k id\napp: {*k : a, id: b}\n", 2, 15, `duplicate key "id" (first at 1:7): YAML forbids it and readers disagree on which wins`},
		{"undefined alias", "app:\n  id: *nope\n", 2, 7, "alias *nope refers to no anchor defined before it"},
		{"recursive alias", "app: &app\n  self: *app\n", 2, 9, "alias *app refers to no anchor defined before it (recursive aliases are not allowed)"},
		{"billion laughs", billionLaughs, 8, 7, "the manifest expands to more than 200000 YAML nodes here (aliases count at every use)"},
		{"merge of a scalar", "a: &a 1\nb:\n  <<: *a\n", 3, 3, "a merge key (<<) takes a mapping or a list of mappings, found the scalar \"1\""},
		{"merge of a list of scalars", "a: &a {x: 1}\nb:\n  <<: [*a, 2]\n", 3, 12, "a merge key (<<) takes a mapping or a list of mappings, found a scalar in the list"},
		{"deep nesting", "a: " + strings.Repeat("[", 70) + strings.Repeat("]", 70) + "\n", 1, 9, "the manifest nests deeper than 64 levels here (aliases count at every use)"},
		{"deeper nesting", strings.Repeat("- ", 150) + "x\n", 1, 201, "YAML nested deeper than 100 levels"},
		{"complex key", "? [a, b]\n: c\n", 2, 1, "invalid YAML: found an invalid key for this map"},
		{"mapping as a key through an alias", "x: &a {k: v}\n*a : v\n", 2, 1, "a mapping key must be a scalar, found a mapping"},
		{"invalid UTF-8", "app:\n  id: ab\xffc\n", 2, 9, "the manifest is not valid UTF-8"},
		{"app not a mapping", "app: my-app\n", 1, 6, `app: expected a mapping, found the scalar "my-app"`},
		{"app.id a list", "app:\n  id: [a]\n", 2, 7, "app.id: expected a string, found a list"},
		{"modules a list", "modules: [function]\n", 1, 10, "modules: expected a mapping, found a list"},
		{"module entries a scalar", "modules:\n  jira:issuePanel: panel\n", 2, 20, `modules.jira:issuePanel: expected a list, found the scalar "panel"`},
		{"module entry a scalar", "modules:\n  jira:issuePanel:\n    - panel\n", 3, 7, `modules.jira:issuePanel[0]: expected a module entry (a mapping), found the scalar "panel"`},
		{"handler a list", "modules:\n  function:\n    - key: f\n      handler: [a]\n", 4, 16, "modules.function[0].handler: expected a string, found a list"},
		{"handler missing", "modules:\n  function:\n    - key: f\n", 3, 12, `modules.function[0].handler: function "f" has no handler`},
		{"function key missing", "modules:\n  function:\n    - handler: index.run\n", 3, 7, "modules.function[0]: a function has no key"},
		{"function a mapping", "modules:\n  webtrigger:\n    - key: w\n      function: {key: f}\n", 4, 17, "modules.webtrigger[0].function: expected a string, found a mapping"},
		{"resolver a string", "modules:\n  jira:issuePanel:\n    - key: p\n      resolver: r\n", 4, 17, `modules.jira:issuePanel[0].resolver: expected a mapping, found the scalar "r"`},
		{"resolver without a function", "modules:\n  jira:issuePanel:\n    - key: p\n      resolver:\n        method: x\n", 5, 9, "modules.jira:issuePanel[0].resolver: a resolver names neither a function nor an endpoint"},
		{"resolver function empty", "modules:\n  jira:issuePanel:\n    - key: p\n      resolver:\n        function:\n", 5, 19, "modules.jira:issuePanel[0].resolver.function: expected a string, found an empty value"},
		{"scopes a scalar", "permissions:\n  scopes: read:jira-work\n", 2, 11, `permissions.scopes: expected a list of scopes or a mapping of scopes, found the scalar "read:jira-work"`},
		{"scope a mapping", "permissions:\n  scopes:\n    - {a: b}\n", 3, 7, "permissions.scopes[0]: expected a string, found a mapping"},
		{"egress entry a list", "permissions:\n  external:\n    fetch:\n      backend:\n        - [a]\n", 5, 11, "permissions.external.fetch.backend[0]: expected an address, found a list"},
		{"content a scalar", "permissions:\n  content:\n    scripts: unsafe-inline\n", 3, 14, `permissions.content.scripts: expected a list, found the scalar "unsafe-inline"`},
		{"provider remotes a scalar", "providers:\n  auth:\n    - key: p\n      remotes: r\n", 4, 16, `providers.auth[0].remotes: expected a list, found the scalar "r"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			m, err := Parse("manifest.yml", []byte(tt.yaml))
			if elapsed := time.Since(start); elapsed > time.Second {
				t.Errorf("took %v", elapsed)
			}
			if err == nil {
				t.Fatalf("no error; problems %v", m.Problems)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v is not an *Error", err, err)
			}
			if e.File != "manifest.yml" || e.Line != tt.line || e.Column != tt.col || !strings.Contains(e.Msg, tt.msg) {
				t.Errorf("got %q\nwant manifest.yml:%d:%d: ...%s...", err, tt.line, tt.col, tt.msg)
			}
			if !strings.HasPrefix(err.Error(), "manifest.yml:") {
				t.Errorf("%q does not start with the file name", err)
			}
		})
	}
}

// TestMergeBomb: merge keys that copy mappings into each other are
// bounded like aliases.
func TestMergeBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString(mergeBomb)
	prev := "c"
	for i := range 40 {
		name := "m" + strings.Repeat("x", i)
		b.WriteString(name + ": &" + name + " {<<: [*" + prev + ", *" + prev + "], " + name + ": 1, list: [*" + prev + ", *" + prev + "]}\n")
		prev = name
	}
	start := time.Now()
	_, err := Parse("manifest.yml", []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "expands to more than") {
		t.Fatalf("err = %v, want the expansion refused", err)
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("took %v", elapsed)
	}
}

const plain = "app:\n  id: ari:cloud:ecosystem::app/x\n  runtime:\n    name: nodejs22.x\nmodules:\n  webtrigger:\n    - key: hook\n      function: f\n  function:\n    - key: f\n      handler: index.run\n"

func utf16Bytes(s string, big bool) []byte {
	units := utf16.Encode([]rune(s))
	out := []byte{0xFF, 0xFE}
	if big {
		out = []byte{0xFE, 0xFF}
	}
	for _, u := range units {
		if big {
			out = append(out, byte(u>>8), byte(u))
		} else {
			out = append(out, byte(u), byte(u>>8))
		}
	}
	return out
}

// TestEncodings: a byte order mark, CRLF line ends, UTF-16 and trailing
// documents do not change what is read nor where.
func TestEncodings(t *testing.T) {
	tests := []struct {
		name     string
		data     []byte
		lines    int // lines before plain's
		problems int
	}{
		{"plain", []byte(plain), 0, 0},
		{"UTF-8 byte order mark", append([]byte("\xEF\xBB\xBF"), plain...), 0, 0},
		{"CRLF", []byte(strings.ReplaceAll(plain, "\n", "\r\n")), 0, 0},
		{"UTF-16LE", utf16Bytes(plain, false), 0, 0},
		{"UTF-16BE", utf16Bytes(plain, true), 0, 0},
		{"document markers", []byte("%YAML 1.2\n---\n" + plain + "...\n"), 2, 0},
		{"two documents", []byte(plain + "---\napp:\n  id: other\n"), 0, 1},
		{"tabs inside values", []byte(strings.Replace(plain, "key: hook", "key:\thook", 1)), 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse("manifest.yml", tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if m.AppID != "ari:cloud:ecosystem::app/x" || m.AppIDPos != (Pos{2 + tt.lines, 7}) {
				t.Errorf("app.id %q at %v", m.AppID, m.AppIDPos)
			}
			if m.Runtime != (Value{"nodejs22.x", Pos{4 + tt.lines, 11}}) {
				t.Errorf("runtime %+v", m.Runtime)
			}
			if len(m.Entries) != 1 || m.Entries[0].Kind != WebTrigger || m.Entries[0].ModuleKey != "hook" || m.Entries[0].Pos != (Pos{8 + tt.lines, 17}) {
				t.Errorf("entries %+v", m.Entries)
			}
			if f := m.Functions["f"]; f == nil || f.Module != "index" || f.Export != "run" {
				t.Errorf("function f %+v", f)
			}
			if len(m.Problems) != tt.problems {
				t.Errorf("problems %v, want %d", m.Problems, tt.problems)
			}
		})
	}
}

func TestEncodingErrors(t *testing.T) {
	lone := utf16Bytes("app:\n  id: x", false)
	lone = append(lone, 0x00, 0xD8) // a high surrogate with nothing after it
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"UTF-16 odd length", append(utf16Bytes("app: {}", false), 'x'), "manifest.yml:1:1: the manifest is UTF-16 with an odd number of bytes"},
		{"UTF-16 unpaired surrogate", lone, "manifest.yml:2:8: the manifest is UTF-16 with an unpaired surrogate"},
		{"too large", make([]byte, MaxSize+1), "manifest.yml: manifest is 1048577 bytes, more than the 1048576 bytes ecoscan reads"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("manifest.yml", tt.data)
			if err == nil || err.Error() != tt.want {
				t.Errorf("err = %v, want %s", err, tt.want)
			}
		})
	}
}

// TestMerge checks merge key semantics on the resolved tree: explicit keys
// win, the first merged mapping that sets a key wins, merged pairs take the
// merge key's place and keep their own positions.
func TestMerge(t *testing.T) {
	doc, err := parseYAML([]byte(`base: &base
  a: base-a
  b: base-b
other: &other
  b: other-b
  c: other-c
m:
  first: 1
  <<: [*base, *other]
  a: own-a
`))
	if err != nil {
		t.Fatal(err)
	}
	m := doc.root.get("m")
	var got []string
	for _, p := range m.pairs {
		got = append(got, p.key+"="+p.value.text+"@"+posString(p.value.pos))
	}
	want := []string{"first=1@8:10", "b=base-b@3:6", "c=other-c@6:6", "a=own-a@10:6"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("merged pairs %v, want %v", got, want)
	}
	if m.size != 9 || m.height != 2 {
		t.Errorf("size %d height %d, want 9 and 2", m.size, m.height)
	}
}

func posString(p Pos) string { return fmt.Sprintf("%d:%d", p.Line, p.Column) }

// TestAliasSharing: an alias is the anchored node itself, counted at every
// use.
func TestAliasSharing(t *testing.T) {
	doc, err := parseYAML([]byte("a: &x [1, 2, 3]\nb: *x\nc: [*x, *x]\n"))
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := doc.root.get("a"), doc.root.get("b"), doc.root.get("c")
	if a != b || c.items[0] != a || c.items[1] != a {
		t.Error("aliases are not the anchored node")
	}
	// root: 1 + 3 pairs + a(4) + b(4) + c(1 + 4 + 4)
	if doc.root.size != 1+3+4+4+9 {
		t.Errorf("root size %d", doc.root.size)
	}
}
