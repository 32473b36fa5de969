package resolve

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// toAny converts a parsed value to what encoding/json decodes into an
// interface value, for comparisons.
func toAny(v *jsonValue) any {
	switch v.kind {
	case jsonBool:
		return v.boolean
	case jsonNumber:
		f, err := strconv.ParseFloat(v.str, 64)
		if err != nil {
			return "bad number " + v.str
		}
		return f
	case jsonString:
		return v.str
	case jsonArray:
		out := []any{}
		for _, e := range v.elems {
			out = append(out, toAny(e))
		}
		return out
	case jsonObject:
		out := map[string]any{}
		for _, m := range v.members {
			out[m.key] = toAny(m.val)
		}
		return out
	}
	return nil
}

func TestParseJSONC(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want any
	}{
		{"object", `{"a": 1, "b": [true, false, null], "c": "x"}`, map[string]any{"a": 1.0, "b": []any{true, false, nil}, "c": "x"}},
		{"line comments", "// head\n{\"a\": 1 // tail\n}\n// end", map[string]any{"a": 1.0}},
		{"comment at end without newline", `{"a": 1} // end`, map[string]any{"a": 1.0}},
		{"block comments", "/* a\n b */{/**/\"a\"/* x */:/* y */1}", map[string]any{"a": 1.0}},
		{"trailing commas", `{"a": [1, 2,], "b": {"c": 3,},}`, map[string]any{"a": []any{1.0, 2.0}, "b": map[string]any{"c": 3.0}}},
		{"comment-like text in strings", `{"a": "// not a comment", "b": "/* nor */"}`, map[string]any{"a": "// not a comment", "b": "/* nor */"}},
		{"escapes", `"\" \\ \/ \b \f \n \r \t \u00e9 \ud83d\ude00"`, "\" \\ / \b \f \n \r \t é 😀"},
		{"lone surrogates", `["\ud83d", "\ude00", "\ud83d\u0041"]`, []any{"\uFFFD", "\uFFFD", "\uFFFDA"}},
		{"invalid UTF-8 in a string", "\"a\xffb\"", "a\uFFFDb"},
		{"byte order mark", "\xEF\xBB\xBF{}", map[string]any{}},
		{"numbers", `[0, -1, 1.5, 2e3, -0.5E-2]`, []any{0.0, -1.0, 1.5, 2000.0, -0.005}},
		{"duplicate keys: the last wins", `{"a": 1, "a": 2}`, map[string]any{"a": 2.0}},
		{"empty containers", `[{}, []]`, []any{map[string]any{}, []any{}}},
		{"deep but within the bound", strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth), nest(maxJSONDepth)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := parseJSONC([]byte(tt.in))
			if err != nil {
				t.Fatalf("parseJSONC: %v", err)
			}
			if got := toAny(v); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func nest(n int) any {
	if n == 1 {
		return []any{}
	}
	return []any{nest(n - 1)}
}

func TestParseJSONCErrors(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		line, col int
		msg       string
	}{
		{"empty", "  // nothing\n", 0, 0, "empty document"},
		{"unterminated block comment", "{} /* open", 1, 4, "unterminated /* comment"},
		{"missing colon", "{\n  \"a\" 1\n}", 2, 7, "expected ':'"},
		{"single quotes", "{'a': 1}", 1, 2, "expected a member name"},
		{"unquoted key", "{a: 1}", 1, 2, "expected a member name"},
		{"leading comma", "[,1]", 1, 2, "expected a value"},
		{"double comma", "[1,,2]", 1, 4, "expected a value"},
		{"missing comma", "[1 2]", 1, 4, "expected ',' or ']'"},
		{"unterminated string", `{"a": "b`, 1, 9, "unterminated string"},
		{"raw newline in string", "\"a\nb\"", 1, 3, "control character"},
		{"bad escape", `"\x"`, 1, 3, "invalid escape"},
		{"short unicode escape", `"\u12"`, 1, 4, "four hexadecimal digits"},
		{"leading zero", "01", 1, 2, "after the document's value"},
		{"bare minus", "-", 1, 2, "expected a digit"},
		{"dot without digits", "1.", 1, 3, "after '.'"},
		{"exponent without digits", "1e+", 1, 4, "expected an exponent"},
		{"bad literal", "tru", 1, 1, "expected a value"},
		{"two values", "{} {}", 1, 4, "after the document's value"},
		{"lone slash", "{}/", 1, 3, "after the document's value"},
		{"column counts characters", "{\"é\": x}", 1, 7, "expected a value"},
		{"too deep", strings.Repeat("[", maxJSONDepth+1), 1, maxJSONDepth + 1, "nested deeper"},
		{"unclosed object", `{"a": 1`, 1, 8, "expected ',' or '}'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseJSONC([]byte(tt.in))
			if err == nil {
				t.Fatal("parseJSONC succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not contain %q", err, tt.msg)
			}
			var se *jsonSyntaxError
			if !errors.As(err, &se) {
				if tt.line != 0 {
					t.Errorf("error %v has no position, want %d:%d", err, tt.line, tt.col)
				}
				return
			}
			if line, col := position([]byte(tt.in), se.off); line != tt.line || col != tt.col {
				t.Errorf("position %d:%d, want %d:%d", line, col, tt.line, tt.col)
			}
		})
	}
}

// checkJSONC checks parseJSONC against encoding/json on data: every
// document encoding/json decodes, parseJSONC decodes to the same value.
func checkJSONC(t *testing.T, data []byte) {
	t.Helper()
	v, err := parseJSONC(data)
	if err != nil {
		var se *jsonSyntaxError
		if !errors.As(err, &se) && !errors.Is(err, errEmptyJSON) {
			t.Fatalf("error %v is neither a syntax error nor errEmptyJSON", err)
		}
		if se != nil && (se.off < 0 || se.off > len(data)) {
			t.Fatalf("error offset %d outside the input of %d bytes", se.off, len(data))
		}
	}
	var want any
	if json.Unmarshal(data, &want) != nil || bytes.HasPrefix(data, []byte("\xEF\xBB\xBF")) {
		return
	}
	if err != nil {
		t.Fatalf("encoding/json decodes %q, parseJSONC fails: %v", data, err)
	}
	if got := toAny(v); !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: parseJSONC gives %#v, encoding/json %#v", data, got, want)
	}
}

func TestParseJSONCAgreesWithEncodingJSON(t *testing.T) {
	for _, in := range []string{
		`{"compilerOptions": {"baseUrl": ".", "paths": {"@/*": ["src/*"]}}}`,
		`[1, 2.5, -3e-2, "x\u0000y", {"": null}]`,
		"\"\xed\xa0\x80\"",
		`" \ud800\udbff\udc00 "`,
		` { "a" : [ ] , "b" : { } } `,
	} {
		checkJSONC(t, []byte(in))
	}
}

func TestPosition(t *testing.T) {
	data := []byte("ab\ncdé\nf")
	for _, tt := range []struct{ off, line, col int }{
		{0, 1, 1}, {2, 1, 3}, {3, 2, 1}, {5, 2, 3}, {7, 2, 4}, {8, 3, 1}, {99, 3, 2}, {-1, 1, 1},
	} {
		if line, col := position(data, tt.off); line != tt.line || col != tt.col {
			t.Errorf("position(%d) = %d:%d, want %d:%d", tt.off, line, col, tt.line, tt.col)
		}
	}
}
