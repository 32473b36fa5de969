package suppress

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// day is a date at 00:00 UTC.
func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []Suppression
	}{
		{
			name: "fingerprint",
			text: "version: 1\nsuppressions:\n  - fingerprint: 5f1c0a9e2b7d4c31\n    reason: accepted by the security team\n    expires: 2027-01-31\n",
			want: []Suppression{{Fingerprint: "5f1c0a9e2b7d4c31", Reason: "accepted by the security team", Expires: day("2027-01-31"), Line: 3}},
		},
		{
			name: "fingerprint in upper case, of digits only, quoted date",
			text: "version: 1\nsuppressions:\n- fingerprint: 5F1C0A9E2B7D4C31\n  reason: r\n  expires: \"2027-01-31\"\n- fingerprint: 1234567890123456\n  reason: yes\n  expires: '2027-02-01'\n",
			want: []Suppression{
				{Fingerprint: "5f1c0a9e2b7d4c31", Reason: "r", Expires: day("2027-01-31"), Line: 3},
				{Fingerprint: "1234567890123456", Reason: "yes", Expires: day("2027-02-01"), Line: 6},
			},
		},
		{
			name: "rule anywhere",
			text: "version: 1\nsuppressions:\n  - rule: forge/asapp-without-authorization\n    reason: the admin page checks permissions itself\n    expires: 2027-01-31\n",
			want: []Suppression{{Rule: "forge/asapp-without-authorization", Reason: "the admin page checks permissions itself", Expires: day("2027-01-31"), Line: 3}},
		},
		{
			name: "rule in files, flow mapping, block reason",
			text: "# accepted risks\nversion: 1\nsuppressions:\n  - rule: secrets/generic-api-key\n    location: {file: ./test/**/*.ts, line: 3}\n    reason: |\n      test fixtures,\n      not real keys\n    expires: 2027-01-31\n",
			want: []Suppression{{Rule: "secrets/generic-api-key", Location: &Location{File: "test/**/*.ts", Line: 3}, Reason: "test fixtures,\nnot real keys", Expires: day("2027-01-31"), Line: 4}},
		},
		{
			name: "rule at a url with a method",
			text: "version: 1\nsuppressions:\n  - rule: connect/cache-control-missing\n    location:\n      url: https://app.example.com/static/*\n      method: get\n    reason: public assets\n    expires: 2027-01-31\n",
			want: []Suppression{{Rule: "connect/cache-control-missing", Location: &Location{URL: "https://app.example.com/static/*", Method: "GET"}, Reason: "public assets", Expires: day("2027-01-31"), Line: 3}},
		},
		{
			name: "rule on a host and port",
			text: "version: 1\nsuppressions:\n  - rule: tls/protocol-below-1.2\n    location: {host: Legacy.Example.com, port: 8443}\n    reason: partner integration, retired in January\n    expires: 2027-01-31\n  - rule: tls/hsts-max-age\n    location: {host: '[::1]'}\n    reason: local test host\n    expires: 2027-01-31\n",
			want: []Suppression{
				{Rule: "tls/protocol-below-1.2", Location: &Location{Host: "legacy.example.com", Port: 8443}, Reason: "partner integration, retired in January", Expires: day("2027-01-31"), Line: 3},
				{Rule: "tls/hsts-max-age", Location: &Location{Host: "::1"}, Reason: "local test host", Expires: day("2027-01-31"), Line: 7},
			},
		},
		{name: "no suppressions", text: "version: 1\nsuppressions: []\n"},
		{name: "null suppressions", text: "version: 1\nsuppressions:\n"},
		{name: "version only", text: "---\nversion: 1\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseConfig(".ecoscan.yml", []byte(tt.text))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Path != ".ecoscan.yml" {
				t.Errorf("path %q", cfg.Path)
			}
			if !reflect.DeepEqual(cfg.Suppressions, tt.want) {
				t.Errorf("suppressions\n got %+v\nwant %+v", cfg.Suppressions, tt.want)
			}
		})
	}
}

func TestParseConfigErrors(t *testing.T) {
	const entry = "version: 1\nsuppressions:\n  - "
	tests := []struct {
		name string
		text string
		want []string // every error, as Error() spells it
	}{
		{"empty", "", []string{"c.yml:1:1: empty config: want version: 1 and a list of suppressions"}},
		{"comments only", "# nothing\n", []string{"c.yml:1:1: empty config"}},
		{"not a mapping", "- a\n", []string{"c.yml:1:1: the config: want a mapping of keys to values, got a list"}},
		{"missing version", "suppressions: []\n", []string{"c.yml:1:13: missing version: 1"}},
		{"version 2", "version: 2\n", []string{"c.yml:1:10: version: 2 is not supported"}},
		{"version as text", "version: one\n", []string{"c.yml:1:10: version: want a whole number, got text"}},
		{"unknown top-level key", "version: 1\nsupressions: []\n", []string{`c.yml:2:1: unknown key "supressions" (want version, suppressions)`}},
		{"suppressions a mapping", "version: 1\nsuppressions: {a: 1}\n", []string{"c.yml:2:15: suppressions: want a list, got a mapping"}},
		{"entry not a mapping", entry + "5f1c0a9e2b7d4c31\n", []string{"c.yml:3:5: a suppression: want a mapping of keys to values, got text"}},
		{"unknown entry key", entry + "fingerprint: 5f1c0a9e2b7d4c31\n    reason: r\n    expires: 2027-01-31\n    until: 2027-01-31\n",
			[]string{`c.yml:6:5: unknown key "until" (want fingerprint or rule, location, reason, expires)`}},
		{"missing reason", entry + "fingerprint: 5f1c0a9e2b7d4c31\n    expires: 2027-01-31\n", []string{"c.yml:3:16: a suppression needs a reason"}},
		{"empty reason", entry + "fingerprint: 5f1c0a9e2b7d4c31\n    reason: '  '\n    expires: 2027-01-31\n", []string{"c.yml:4:13: reason: empty; say why the finding is accepted"}},
		{"null reason", entry + "fingerprint: 5f1c0a9e2b7d4c31\n    reason:\n    expires: 2027-01-31\n", []string{"c.yml:4:12: reason: missing value"}},
		{"missing expiry", entry + "fingerprint: 5f1c0a9e2b7d4c31\n    reason: r\n", []string{"c.yml:3:16: a suppression needs an expiry date (expires: 2027-01-31)"}},
		{"bad date", entry + "fingerprint: 5f1c0a9e2b7d4c31\n    reason: r\n    expires: 31/01/2027\n", []string{`c.yml:5:14: expires: "31/01/2027" is not a date such as 2027-01-31`}},
		{"February 30", entry + "fingerprint: 5f1c0a9e2b7d4c31\n    reason: r\n    expires: 2027-02-30\n", []string{`c.yml:5:14: expires: "2027-02-30" is not a date`}},
		{"date and time", entry + "fingerprint: 5f1c0a9e2b7d4c31\n    reason: r\n    expires: 2027-01-31T00:00:00Z\n", []string{`c.yml:5:14: expires: "2027-01-31T00:00:00Z" is not a date`}},
		{"short fingerprint", entry + "fingerprint: 5f1c0a9e\n    reason: r\n    expires: 2027-01-31\n", []string{`c.yml:3:18: fingerprint: "5f1c0a9e" is not a finding's fingerprint (16 hex digits)`}},
		{"neither fingerprint nor rule", entry + "reason: r\n    expires: 2027-01-31\n", []string{"c.yml:3:11: a suppression needs a fingerprint or a rule"}},
		{"both", entry + "fingerprint: 5f1c0a9e2b7d4c31\n    rule: forge/x\n    reason: r\n    expires: 2027-01-31\n", []string{"c.yml:4:5: a suppression has a fingerprint or a rule, not both"}},
		{"location with fingerprint", entry + "fingerprint: 5f1c0a9e2b7d4c31\n    location: {file: a.ts}\n    reason: r\n    expires: 2027-01-31\n", []string{"c.yml:4:5: location goes with rule"}},
		{"bad rule id", entry + "rule: Forge/X Y\n    reason: r\n    expires: 2027-01-31\n", []string{`c.yml:3:11: rule: "Forge/X Y" is not a rule id`}},
		{"rule as a list", entry + "rule: [forge/x]\n    reason: r\n    expires: 2027-01-31\n", []string{"c.yml:3:11: rule: want text, got a list"}},
		{"two location shapes", entry + "rule: forge/x\n    location: {file: a.ts, host: h}\n    reason: r\n    expires: 2027-01-31\n", []string{"c.yml:4:15: location has one of file, url or host"}},
		{"empty location", entry + "rule: forge/x\n    location: {}\n    reason: r\n    expires: 2027-01-31\n", []string{"c.yml:4:15: location needs file, url or host"}},
		{"line without file", entry + "rule: forge/x\n    location: {url: 'https://a.example/x', line: 3}\n    reason: r\n    expires: 2027-01-31\n", []string{"c.yml:4:44: line goes with file"}},
		{"port without host", entry + "rule: forge/x\n    location: {file: a.ts, port: 443}\n    reason: r\n    expires: 2027-01-31\n", []string{"c.yml:4:28: port goes with host"}},
		{"line 0", entry + "rule: forge/x\n    location: {file: a.ts, line: 0}\n    reason: r\n    expires: 2027-01-31\n", []string{"c.yml:4:34: line: 0 is not a line number"}},
		{"port 70000", entry + "rule: tls/x\n    location: {host: h, port: 70000}\n    reason: r\n    expires: 2027-01-31\n", []string{"c.yml:4:31: port: 70000 is not a port"}},
		{"huge line", entry + "rule: forge/x\n    location: {file: a.ts, line: 99999999999999999999}\n    reason: r\n    expires: 2027-01-31\n", []string{"c.yml:4:34: line: 99999999999999999999 is out of range"}},
		{"absolute file", entry + "rule: forge/x\n    location: {file: /etc/passwd}\n    reason: r\n    expires: 2027-01-31\n", []string{`c.yml:4:22: file: "/etc/passwd" is absolute`}},
		{"file outside the tree", entry + "rule: forge/x\n    location: {file: src/../../x.ts}\n    reason: r\n    expires: 2027-01-31\n", []string{`c.yml:4:22: file: "src/../../x.ts" leaves the scanned directory`}},
		{"bad glob", entry + "rule: forge/x\n    location: {file: 'src/[a.ts'}\n    reason: r\n    expires: 2027-01-31\n", []string{`c.yml:4:22: file: "src/[a.ts" is not a valid glob`}},
		{"relative url", entry + "rule: connect/x\n    location: {url: /admin}\n    reason: r\n    expires: 2027-01-31\n", []string{`c.yml:4:21: url: "/admin" is not an http(s) URL`}},
		{"bad method", entry + "rule: connect/x\n    location: {url: 'https://a.example/', method: 'G T'}\n    reason: r\n    expires: 2027-01-31\n", []string{`c.yml:4:51: method: "G T" is not an HTTP method`}},
		{"bad host", entry + "rule: tls/x\n    location: {host: 'a/b'}\n    reason: r\n    expires: 2027-01-31\n", []string{`c.yml:4:22: host: "a/b" is not a host name`}},
		{"unknown location key", entry + "rule: tls/x\n    location: {path: a.ts}\n    reason: r\n    expires: 2027-01-31\n", []string{`c.yml:4:16: unknown key "path" (want file and line, url and method, or host and port)`}},
		{"anchor and alias", "version: 1\nsuppressions:\n  - &a\n    fingerprint: 5f1c0a9e2b7d4c31\n    reason: r\n    expires: 2027-01-31\n  - *a\n",
			[]string{"c.yml:3:5: a suppression: YAML anchors, aliases, tags and merge keys are not supported", "c.yml:7:5: a suppression: YAML anchors"}},
		{"tag", entry + "fingerprint: !!str 5f1c0a9e2b7d4c31\n    reason: r\n    expires: 2027-01-31\n", []string{"c.yml:3:18: fingerprint: YAML anchors, aliases, tags and merge keys are not supported"}},
		{"two documents", "version: 1\n---\nversion: 1\n", []string{"c.yml:3:8: a second YAML document"}},
		{"duplicate key", "version: 1\nversion: 1\n", []string{`c.yml:2:1: mapping key "version" already defined at [1:1]`}},
		{"syntax error", "version: 1\nsuppressions: [\n", []string{"c.yml:2:15: "}},
		{"several problems at once", entry + "fingerprint: x\n    reason: r\n    expires: never\n  - rule: forge/x\n    expires: 2027-01-31\n",
			[]string{`c.yml:3:18: fingerprint: "x" is not`, `c.yml:5:14: expires: "never" is not a date`, "c.yml:6:9: a suppression needs a reason"}},
		{"not UTF-8", "version: 1\n# caf\xe9\n", []string{"c.yml:2:6: not UTF-8 text"}},
		{"too large", "version: 1\n#" + strings.Repeat("x", MaxConfigSize), []string{"c.yml: larger than 64 KiB"}},
		{"deep flow nesting", "version: " + strings.Repeat("[", 40) + strings.Repeat("]", 40), []string{"c.yml:1:41: collections nested deeper than 32 levels"}},
		{"deep block nesting", strings.Repeat("- ", 40) + "a\n", []string{"c.yml:1:65: collections nested deeper than 32 levels"}},
		{"long tag chain", "version: " + strings.Repeat("!a ", 40) + "1\n", []string{"c.yml:1:74: collections nested deeper than 32 levels"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseConfig("c.yml", []byte(tt.text))
			if err == nil {
				t.Fatalf("accepted: %+v", cfg)
			}
			var got []string
			for _, e := range unjoin(err) {
				var ce *Error
				if !errors.As(e, &ce) {
					t.Errorf("%v is not an *Error", e)
				}
				got = append(got, e.Error())
			}
			if len(got) != len(tt.want) {
				t.Fatalf("errors %q, want %d like %q", got, len(tt.want), tt.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("error %q, want one that begins %q", got[i], tt.want[i])
				}
			}
		})
	}
}

// unjoin lists the errors errors.Join combined (or err alone).
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// TestParseConfigErrorCap checks that a file full of mistakes yields a
// bounded list of errors.
func TestParseConfigErrorCap(t *testing.T) {
	text := "version: 1\nsuppressions:\n" + strings.Repeat("  - {fingerprint: x, reason: r, expires: 2027-01-31}\n", 50)
	_, err := ParseConfig("c.yml", []byte(text))
	if n := len(unjoin(err)); n != maxErrors {
		t.Errorf("%d errors, want %d", n, maxErrors)
	}
}

// TestParseConfigLargest times the parse of the largest files accepted, of
// the shapes that cost the YAML parser most: many entries, many keys.
func TestParseConfigLargest(t *testing.T) {
	tests := []struct {
		name, head, line string
		valid            bool
	}{
		{"many suppressions", "version: 1\nsuppressions:\n", "  - {fingerprint: 5f1c0a9e2b7d4c31, reason: r, expires: 2027-01-31}\n", true},
		{"many keys", "version: 1\n", "k%d: v\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			b.WriteString(tt.head)
			for i := 0; b.Len() < MaxConfigSize-200; i++ {
				if strings.Contains(tt.line, "%d") {
					fmt.Fprintf(&b, tt.line, i)
				} else {
					b.WriteString(tt.line)
				}
			}
			start := time.Now()
			_, err := ParseConfig("c.yml", []byte(b.String()))
			if (err == nil) != tt.valid {
				t.Fatalf("error %v, want valid %v", err, tt.valid)
			}
			if took := time.Since(start); took > 30*time.Second {
				t.Errorf("parsing %d bytes took %s", b.Len(), took)
			}
			t.Logf("%d bytes in %s", b.Len(), time.Since(start))
		})
	}
}

func TestLoadAndFindConfig(t *testing.T) {
	const valid = "version: 1\nsuppressions:\n  - {fingerprint: 5f1c0a9e2b7d4c31, reason: r, expires: 2027-01-31}\n"
	tests := []struct {
		name    string
		setup   func(t *testing.T, root string)
		wantN   int    // suppressions found; -1: no config
		wantErr string // part of the error
	}{
		{"no config", func(*testing.T, string) {}, -1, ""},
		{"config", func(t *testing.T, root string) { write(t, filepath.Join(root, ConfigFile), valid) }, 1, ""},
		{"invalid config", func(t *testing.T, root string) { write(t, filepath.Join(root, ConfigFile), "version: 1\nx: 1\n") }, 0, ConfigFile + `:2:1: unknown key "x"`},
		{"config is a directory", func(t *testing.T, root string) {
			if err := os.Mkdir(filepath.Join(root, ConfigFile), 0o755); err != nil {
				t.Fatal(err)
			}
		}, 0, "not a regular file"},
		{"config is a symbolic link", func(t *testing.T, root string) {
			target := filepath.Join(t.TempDir(), "elsewhere.yml")
			write(t, target, valid)
			if err := os.Symlink(target, filepath.Join(root, ConfigFile)); err != nil {
				t.Fatal(err)
			}
		}, 0, "is a symbolic link"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			tt.setup(t, root)
			cfg, err := FindConfig(root)
			switch {
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one with %q", err, tt.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			case tt.wantN < 0 && cfg != nil:
				t.Fatalf("found a config: %+v", cfg)
			case tt.wantN >= 0 && (cfg == nil || len(cfg.Suppressions) != tt.wantN || cfg.Path != filepath.Join(root, ConfigFile)):
				t.Fatalf("config %+v, want %d suppressions from %s", cfg, tt.wantN, filepath.Join(root, ConfigFile))
			}
		})
	}
	if cfg, err := FindConfig(filepath.Join(t.TempDir(), "missing")); cfg != nil || err != nil {
		t.Errorf("a missing tree: %v, %v", cfg, err)
	}
	if _, err := LoadConfig(filepath.Join(t.TempDir(), "missing.yml")); err == nil || !strings.Contains(err.Error(), "read config") {
		t.Errorf("a missing --config file: %v", err)
	}
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
