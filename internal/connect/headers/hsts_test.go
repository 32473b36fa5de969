package headers

import (
	"math"
	"strings"
	"testing"
)

func TestParseHSTS(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   HSTS
		err    string // a part of the error when the field is invalid
	}{
		{"one year", []string{"max-age=31536000"}, HSTS{MaxAge: 31536000}, ""},
		{"all directives, any case", []string{"MAX-AGE=63072000; includeSubDomains; PRELOAD"}, HSTS{MaxAge: 63072000, IncludeSubDomains: true, Preload: true}, ""},
		{"quoted max-age", []string{`max-age="31536000"`}, HSTS{MaxAge: 31536000}, ""},
		{"whitespace", []string{" max-age = 300 ;\tincludesubdomains "}, HSTS{MaxAge: 300, IncludeSubDomains: true}, ""},
		{"empty directives", []string{";max-age=1;;"}, HSTS{MaxAge: 1}, ""},
		{"zero", []string{"max-age=0"}, HSTS{}, ""},
		{"leading zeros", []string{"max-age=000031536000"}, HSTS{MaxAge: 31536000}, ""},
		{"huge saturates", []string{"max-age=99999999999999999999999999"}, HSTS{MaxAge: math.MaxInt64}, ""},
		{"unknown directive ignored", []string{"max-age=1; foo=bar; baz"}, HSTS{MaxAge: 1}, ""},
		{"unknown quoted value with a semicolon", []string{`max-age=1; foo="a;b"`}, HSTS{MaxAge: 1}, ""},
		{"only the first field counts", []string{"max-age=300", "max-age=31536000"}, HSTS{MaxAge: 300}, ""},
		{"an invalid second field does not matter", []string{"max-age=31536000", "garbage"}, HSTS{MaxAge: 31536000}, ""},

		{"no field", nil, HSTS{}, "no Strict-Transport-Security field"},
		{"empty", []string{""}, HSTS{}, "no max-age directive"},
		{"no max-age", []string{"includeSubDomains; preload"}, HSTS{}, "no max-age directive"},
		{"max-age without value", []string{"max-age"}, HSTS{}, "not a number of seconds"},
		{"max-age empty", []string{"max-age="}, HSTS{}, "malformed value"},
		{"max-age not digits", []string{"max-age=abc"}, HSTS{}, "not a number of seconds"},
		{"max-age negative", []string{"max-age=-1"}, HSTS{}, "not a number of seconds"},
		{"max-age fraction", []string{"max-age=1.5"}, HSTS{}, "not a number of seconds"},
		{"max-age quoted empty", []string{`max-age=""`}, HSTS{}, "not a number of seconds"},
		{"max-age with a space", []string{"max-age=1 2"}, HSTS{}, "malformed value"},
		{"unterminated quote", []string{`max-age="1`}, HSTS{}, "malformed value"},
		{"duplicate max-age", []string{"max-age=300; max-age=31536000"}, HSTS{}, "appears twice"},
		{"duplicate in other case", []string{"max-age=1; includeSubDomains; INCLUDESUBDOMAINS"}, HSTS{}, "appears twice"},
		{"duplicate unknown", []string{"max-age=1; foo; Foo=1"}, HSTS{}, "appears twice"},
		{"includeSubDomains with a value", []string{"max-age=1; includeSubDomains=yes"}, HSTS{}, "includeSubDomains has a value"},
		{"preload with a value is not preload", []string{"max-age=1; preload=yes"}, HSTS{MaxAge: 1}, ""},
		{"not a token", []string{"max-age=1; f o o"}, HSTS{}, "not a token"},
		{"comma list is not HSTS", []string{"max-age=1, max-age=2"}, HSTS{}, "malformed value"},
		{"the first field decides even when invalid", []string{"max-age=abc", "max-age=31536000"}, HSTS{}, "not a number of seconds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseHSTS(tt.values)
			if tt.err == "" {
				if err != nil || got != tt.want {
					t.Errorf("ParseHSTS(%q) = %+v, %v; want %+v", tt.values, got, err, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseHSTS(%q) error = %v, want one that says %q", tt.values, err, tt.err)
			}
		})
	}
}

func TestJudgeHSTS(t *testing.T) {
	tests := []struct {
		name    string
		values  []string
		ok      bool
		problem string
	}{
		{"missing", nil, false, "no Strict-Transport-Security header"},
		{"CSRT: present with max-age=300 fails", []string{"max-age=300"}, false, "Strict-Transport-Security max-age is 300 seconds, less than one year (31536000)"},
		{"just under a year", []string{"max-age=31535999; includeSubDomains"}, false, "Strict-Transport-Security max-age is 31535999 seconds, less than one year (31536000)"},
		{"invalid", []string{"max-age=31536000; max-age=31536000"}, false, `Strict-Transport-Security "max-age=31536000; max-age=31536000" is invalid, so browsers ignore it: directive max-age appears twice`},
		{"weak first field, strong second", []string{"max-age=0", "max-age=31536000"}, false, "Strict-Transport-Security max-age is 0 seconds, less than one year (31536000)"},
		{"one year", []string{"max-age=31536000"}, true, ""},
		{"two years with preload", []string{"max-age=63072000; includeSubDomains; preload"}, true, ""},
		{"huge", []string{"max-age=99999999999999999999999999"}, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := JudgeHSTS(header("Strict-Transport-Security", tt.values...))
			if v.OK != tt.ok || v.Problem != tt.problem {
				t.Errorf("JudgeHSTS(%q) = %+v, want OK %v, problem %q", tt.values, v, tt.ok, tt.problem)
			}
			if len(tt.values) > 0 && !strings.HasPrefix(v.Evidence, "Strict-Transport-Security: "+tt.values[0]) {
				t.Errorf("evidence %q does not quote the field", v.Evidence)
			}
		})
	}
}
