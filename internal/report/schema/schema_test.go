package schema

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// example is the JSON report of REPORT-CONTRACT.md, decoded.
func example(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "contract-example.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// encode is doc as JSON.
func encode(t *testing.T, doc any) []byte {
	t.Helper()
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// obj is the object at key of m.
func obj(m map[string]any, key string) map[string]any { return m[key].(map[string]any) }

// first is the first element of the list at key of m, an object.
func first(m map[string]any, key string) map[string]any { return m[key].([]any)[0].(map[string]any) }

// finding0 is the first finding of doc, and loc0 its location.
func finding0(doc map[string]any) map[string]any { return first(doc, "findings") }
func loc0(doc map[string]any) map[string]any     { return obj(finding0(doc), "location") }

// setLocation replaces the first finding's location.
func setLocation(loc map[string]any) func(map[string]any) {
	return func(doc map[string]any) { finding0(doc)["location"] = loc }
}

func TestSchemaHeader(t *testing.T) {
	var s struct {
		Schema string `json:"$schema"`
		ID     string `json:"$id"`
	}
	if err := json.Unmarshal(ReportV1, &s); err != nil {
		t.Fatal(err)
	}
	if s.Schema != "https://json-schema.org/draft/2020-12/schema" || s.ID != ID {
		t.Errorf("$schema %q, $id %q", s.Schema, s.ID)
	}
	if _, err := compiled(); err != nil {
		t.Fatal(err)
	}
}

func TestContractExample(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "contract-example.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(b); err != nil {
		t.Fatalf("the contract's own example does not validate: %v", err)
	}
}

// TestGoldenReports validates the JSON format's golden outputs.
func TestGoldenReports(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 2 {
		t.Fatalf("golden JSON reports: %v, want sample.json and empty.json at least", files)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if err := Validate(b); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestValidVariants checks what the contract allows beyond its example: the
// other location shapes, the optional fields, and fields added later.
func TestValidVariants(t *testing.T) {
	tests := map[string]func(map[string]any){
		"host location":       setLocation(map[string]any{"host": "app.example.com", "port": 8443}),
		"IPv6 host":           setLocation(map[string]any{"host": "::1", "port": 443}),
		"source with column":  setLocation(map[string]any{"file": "src/index.ts", "line": 12, "column": 5}),
		"source, no column":   setLocation(map[string]any{"file": "package-lock.json", "line": 120}),
		"dotted file names":   setLocation(map[string]any{"file": "./.github/..hidden/a..b/x.ts", "line": 1}),
		"colon in file name":  setLocation(map[string]any{"file": "c:colon/first.ts", "line": 1}),
		"endpoint with query": setLocation(map[string]any{"url": "https://app.example.com/panel?issueKey=TEST-1", "method": "POST"}),
		"http endpoint":       setLocation(map[string]any{"url": "http://localhost:3000/installed", "method": "POST"}),
		"without app key": func(doc map[string]any) {
			delete(obj(doc, "target"), "app_key")
			delete(obj(doc, "target"), "app_name")
		},
		"time with offset": func(doc map[string]any) { doc["started_at"] = "2026-11-22T11:00:00.123+01:00" },
		"empty lists": func(doc map[string]any) {
			doc["findings"], doc["checks"], doc["errors"] = []any{}, []any{}, []any{}
		},
		"empty evidence":     func(doc map[string]any) { finding0(doc)["evidence"] = []any{} },
		"needs review":       func(doc map[string]any) { finding0(doc)["needs_review"] = true },
		"cvss 0":             func(doc map[string]any) { finding0(doc)["cvss"] = 0 },
		"empty check detail": func(doc map[string]any) { first(doc, "checks")["detail"] = "" },
		"cvss 10":            func(doc map[string]any) { finding0(doc)["cvss"] = 10 },
		"requirement 7":      func(doc map[string]any) { finding0(doc)["requirement"] = "7" },
		"dependency finding": dependency,
		"advisory with only an id": func(doc map[string]any) {
			dependency(doc)
			finding0(doc)["advisory"] = map[string]any{"id": "GHSA-p6mc-m468-83gw"}
		},
		"suppressed by fingerprint": func(doc map[string]any) {
			finding0(doc)["suppression"] = map[string]any{"by": "fingerprint", "reason": "accepted", "expires": "2027-01-31", "source": ".ecoscan.yml:4"}
		},
		"suppressed by rule, no source": func(doc map[string]any) {
			finding0(doc)["suppression"] = map[string]any{"by": "rule", "reason": "accepted", "expires": "2027-01-31"}
		},
		"baseline":          func(doc map[string]any) { doc["baseline"] = map[string]any{"file": "old.json", "known": 3} },
		"baseline, 0 known": func(doc map[string]any) { doc["baseline"] = map[string]any{"file": "old.json", "known": 0} },
		"warnings": func(doc map[string]any) {
			doc["warnings"] = []any{map[string]any{"scope": ".ecoscan.yml:7", "message": "expired"}}
		},
		"no warnings":           func(doc map[string]any) { doc["warnings"] = []any{} },
		"added top-level field": func(doc map[string]any) { doc["summary"] = map[string]any{"high": 1} },
		"added finding field":   func(doc map[string]any) { finding0(doc)["cwe"] = "CWE-347" },
		"added check field":     func(doc map[string]any) { first(doc, "checks")["count"] = 3 },
	}
	for name, edit := range tests {
		t.Run(name, func(t *testing.T) {
			doc := example(t)
			edit(doc)
			if err := Validate(encode(t, doc)); err != nil {
				t.Error(err)
			}
		})
	}
}

// dependency makes the first finding a dependency finding, as the contract
// spells one.
func dependency(doc map[string]any) {
	f := finding0(doc)
	f["rule"] = "deps/known-vulnerability"
	f["requirement"] = "9"
	f["location"] = map[string]any{"file": "package-lock.json", "line": 120}
	f["package"] = map[string]any{"ecosystem": "npm", "name": "lodash", "version": "4.17.15"}
	f["advisory"] = map[string]any{"id": "GHSA-p6mc-m468-83gw", "aliases": []any{"CVE-2020-8203"}, "fixed": "4.17.19"}
}

// TestInvalidVariants breaks the contract's example one rule at a time; the
// schema must reject each, for that rule.
func TestInvalidVariants(t *testing.T) {
	tests := []struct {
		name string
		edit func(map[string]any)
		want string // a regexp that matches the part of the error that shows the right rule failed
	}{
		// The report.
		{"missing checks", func(d map[string]any) { delete(d, "checks") }, "missing property 'checks'"},
		{"missing findings", func(d map[string]any) { delete(d, "findings") }, "missing property 'findings'"},
		{"missing errors", func(d map[string]any) { delete(d, "errors") }, "missing property 'errors'"},
		{"missing tool", func(d map[string]any) { delete(d, "tool") }, "missing property 'tool'"},
		{"missing finished_at", func(d map[string]any) { delete(d, "finished_at") }, "missing property 'finished_at'"},
		{"null findings", func(d map[string]any) { d["findings"] = nil }, "at '/findings'"},
		{"other schema", func(d map[string]any) { d["schema"] = "ecoscan.report/v2" }, "at '/schema'"},
		{"tool without version", func(d map[string]any) { delete(obj(d, "tool"), "version") }, "at '/tool': missing property 'version'"},
		{"target without ref", func(d map[string]any) { delete(obj(d, "target"), "ref") }, "missing property 'ref'"},
		{"target without kind", func(d map[string]any) { delete(obj(d, "target"), "kind") }, "missing property 'kind'"},
		{"app key not a string", func(d map[string]any) { obj(d, "target")["app_key"] = 1 }, "at '/target/app_key'"},
		{"started_at with a space", func(d map[string]any) { d["started_at"] = "2026-11-22 10:00:00Z" }, "at '/started_at'"},
		{"started_at without zone", func(d map[string]any) { d["started_at"] = "2026-11-22T10:00:00" }, "at '/started_at'"},
		{"finished_at month 13", func(d map[string]any) { d["finished_at"] = "2026-13-22T10:00:04Z" }, "at '/finished_at'"},

		// The findings.
		{"severity Medium", func(d map[string]any) { finding0(d)["severity"] = "Medium" }, "at '/findings/0/severity'"},
		{"severity info", func(d map[string]any) { finding0(d)["severity"] = "info" }, "at '/findings/0/severity'"},
		{"fingerprint of 8", func(d map[string]any) { finding0(d)["fingerprint"] = "5f1c0a9e" }, "at '/findings/0/fingerprint'"},
		{"fingerprint upper case", func(d map[string]any) { finding0(d)["fingerprint"] = "5F1C0A9E2B7D4C31" }, "at '/findings/0/fingerprint'"},
		{"due with slashes", func(d map[string]any) { finding0(d)["due"] = "2027/01/03" }, "at '/findings/0/due'"},
		{"due February 30", func(d map[string]any) { finding0(d)["due"] = "2027-02-30" }, "at '/findings/0/due'"},
		{"due with time", func(d map[string]any) { finding0(d)["due"] = "2027-01-03T00:00:00Z" }, "at '/findings/0/due'"},
		{"rule of unknown engine", func(d map[string]any) { finding0(d)["rule"] = "web/forged-jwt" }, "at '/findings/0/rule'"},
		{"rule in upper case", func(d map[string]any) { finding0(d)["rule"] = "connect/Forged-JWT" }, "at '/findings/0/rule'"},
		{"rule without name", func(d map[string]any) { finding0(d)["rule"] = "connect/" }, "at '/findings/0/rule'"},
		{"requirement as a number", func(d map[string]any) { finding0(d)["requirement"] = 1.1 }, "at '/findings/0/requirement'"},
		{"unknown requirement", func(d map[string]any) { finding0(d)["requirement"] = "12" }, "at '/findings/0/requirement'"},
		{"cvss above 10", func(d map[string]any) { finding0(d)["cvss"] = 10.1 }, "at '/findings/0/cvss'"},
		{"cvss below 0", func(d map[string]any) { finding0(d)["cvss"] = -1 }, "at '/findings/0/cvss'"},
		{"cvss as a string", func(d map[string]any) { finding0(d)["cvss"] = "8.8" }, "at '/findings/0/cvss'"},
		{"missing title", func(d map[string]any) { delete(finding0(d), "title") }, "missing property 'title'"},
		{"missing remediation", func(d map[string]any) { delete(finding0(d), "remediation") }, "missing property 'remediation'"},
		{"missing due", func(d map[string]any) { delete(finding0(d), "due") }, "missing property 'due'"},
		{"missing location", func(d map[string]any) { delete(finding0(d), "location") }, "missing property 'location'"},
		{"evidence as a string", func(d map[string]any) { finding0(d)["evidence"] = "GET /panel -> 200" }, "at '/findings/0/evidence'"},
		{"evidence of numbers", func(d map[string]any) { finding0(d)["evidence"] = []any{401} }, "at '/findings/0/evidence/0'"},
		{"needs_review as a string", func(d map[string]any) { finding0(d)["needs_review"] = "yes" }, "at '/findings/0/needs_review'"},
		{"package without version", func(d map[string]any) { dependency(d); delete(obj(finding0(d), "package"), "version") }, "at '/findings/0/package': missing property 'version'"},
		{"advisory without id", func(d map[string]any) { dependency(d); delete(obj(finding0(d), "advisory"), "id") }, "at '/findings/0/advisory': missing property 'id'"},
		{"aliases as a string", func(d map[string]any) { dependency(d); obj(finding0(d), "advisory")["aliases"] = "CVE-2020-8203" }, "at '/findings/0/advisory/aliases'"},

		// Locations: exactly one closed shape.
		{"location with two shapes", func(d map[string]any) { loc0(d)["host"] = "app.example.com"; loc0(d)["port"] = 443 }, `additional properties '(host|port)', '(host|port)' not allowed`},
		{"location with no shape", setLocation(map[string]any{}), "'oneOf' failed, none matched"},
		{"location with an extra field", func(d map[string]any) { loc0(d)["status"] = 200 }, "additional properties 'status' not allowed"},
		{"endpoint without method", func(d map[string]any) { delete(loc0(d), "method") }, "missing property 'method'"},
		{"method in lower case", func(d map[string]any) { loc0(d)["method"] = "get" }, "at '/findings/0/location/method'"},
		{"relative url", func(d map[string]any) { loc0(d)["url"] = "/panel" }, "at '/findings/0/location/url'"},
		{"port 0", setLocation(map[string]any{"host": "app.example.com", "port": 0}), "at '/findings/0/location/port'"},
		{"port 65536", setLocation(map[string]any{"host": "app.example.com", "port": 65536}), "at '/findings/0/location/port'"},
		{"port as a string", setLocation(map[string]any{"host": "app.example.com", "port": "443"}), "at '/findings/0/location/port'"},
		{"host with empty name", setLocation(map[string]any{"host": "", "port": 443}), "at '/findings/0/location/host'"},
		{"absolute source path", setLocation(map[string]any{"file": "/src/index.ts", "line": 12}), "at '/findings/0/location/file'"},
		{"Windows absolute path", setLocation(map[string]any{"file": `C:\app\src\index.ts`, "line": 12}), "at '/findings/0/location/file'"},
		{"leading .. segment", setLocation(map[string]any{"file": "../index.ts", "line": 12}), "at '/findings/0/location/file'"},
		{"inner .. segment", setLocation(map[string]any{"file": "src/../../etc/passwd", "line": 12}), "at '/findings/0/location/file'"},
		{"trailing .. segment", setLocation(map[string]any{"file": "src/..", "line": 12}), "at '/findings/0/location/file'"},
		{"empty file", setLocation(map[string]any{"file": "", "line": 12}), "at '/findings/0/location/file'"},
		{"source without line", setLocation(map[string]any{"file": "src/index.ts"}), "missing property 'line'"},
		{"line 0", setLocation(map[string]any{"file": "src/index.ts", "line": 0}), "at '/findings/0/location/line'"},
		{"column 0", setLocation(map[string]any{"file": "src/index.ts", "line": 12, "column": 0}), "at '/findings/0/location/column'"},
		{"line not an integer", setLocation(map[string]any{"file": "src/index.ts", "line": 1.5}), "at '/findings/0/location/line'"},

		// Suppressions, baseline and warnings.
		{"suppression without reason", func(d map[string]any) {
			finding0(d)["suppression"] = map[string]any{"by": "rule", "expires": "2027-01-31"}
		}, "at '/findings/0/suppression': missing property 'reason'"},
		{"suppression with empty reason", func(d map[string]any) {
			finding0(d)["suppression"] = map[string]any{"by": "rule", "reason": "", "expires": "2027-01-31"}
		}, "at '/findings/0/suppression/reason'"},
		{"suppression without expiry", func(d map[string]any) {
			finding0(d)["suppression"] = map[string]any{"by": "rule", "reason": "r"}
		}, "at '/findings/0/suppression': missing property 'expires'"},
		{"suppression expiring on no date", func(d map[string]any) {
			finding0(d)["suppression"] = map[string]any{"by": "rule", "reason": "r", "expires": "2027-02-30"}
		}, "at '/findings/0/suppression/expires'"},
		{"suppression by path", func(d map[string]any) {
			finding0(d)["suppression"] = map[string]any{"by": "path", "reason": "r", "expires": "2027-01-31"}
		}, "at '/findings/0/suppression/by'"},
		{"suppression as true", func(d map[string]any) { finding0(d)["suppression"] = true }, "at '/findings/0/suppression'"},
		{"baseline without file", func(d map[string]any) { d["baseline"] = map[string]any{"known": 3} }, "at '/baseline': missing property 'file'"},
		{"baseline with negative count", func(d map[string]any) { d["baseline"] = map[string]any{"file": "a.json", "known": -1} }, "at '/baseline/known'"},
		{"warnings as a string", func(d map[string]any) { d["warnings"] = "expired" }, "at '/warnings'"},
		{"warning without message", func(d map[string]any) { d["warnings"] = []any{map[string]any{"scope": "x"}} }, "at '/warnings/0': missing property 'message'"},

		// The checks and errors.
		{"status ok", func(d map[string]any) { first(d, "checks")["status"] = "ok" }, "at '/checks/0/status'"},
		{"status in upper case", func(d map[string]any) { first(d, "checks")["status"] = "PASS" }, "at '/checks/0/status'"},
		{"check of unknown requirement", func(d map[string]any) { first(d, "checks")["requirement"] = "1.3" }, "at '/checks/0/requirement'"},
		{"check without detail", func(d map[string]any) { delete(first(d, "checks"), "detail") }, "at '/checks/0': missing property 'detail'"},
		{"error without scope", func(d map[string]any) { delete(first(d, "errors"), "scope") }, "at '/errors/0': missing property 'scope'"},
		{"error without message", func(d map[string]any) { delete(first(d, "errors"), "message") }, "at '/errors/0': missing property 'message'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := example(t)
			tt.edit(doc)
			err := Validate(encode(t, doc))
			if err == nil {
				t.Fatal("the schema accepted it")
			}
			if !regexp.MustCompile(tt.want).MatchString(err.Error()) {
				t.Errorf("the error does not say %s:\n%v", tt.want, err)
			}
		})
	}
}

func TestValidateNotJSON(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "contract-example.json"))
	if err != nil {
		t.Fatal(err)
	}
	for name, doc := range map[string][]byte{
		"empty":         nil,
		"truncated":     b[:len(b)/2],
		"two documents": append(bytes.Clone(b), b...),
		"an array":      []byte("[]"),
		"null":          []byte("null"),
	} {
		if Validate(doc) == nil {
			t.Errorf("%s: Validate accepted it", name)
		}
	}
}

// TestPatternsWithoutFormats checks that a consumer whose validator only
// annotates formats (the draft 2020-12 default) still rejects malformed dates,
// times and URLs: the schema backs those formats with patterns.
func TestPatternsWithoutFormats(t *testing.T) {
	raw, err := jsonschema.UnmarshalJSON(bytes.NewReader(ReportV1))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(ID, raw); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(ID)
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]func(map[string]any){
		"due with slashes":        func(d map[string]any) { finding0(d)["due"] = "2027/01/03" },
		"started_at with a space": func(d map[string]any) { d["started_at"] = "2026-11-22 10:00:00Z" },
		"relative url":            func(d map[string]any) { loc0(d)["url"] = "/panel" },
	}
	for name, edit := range tests {
		t.Run(name, func(t *testing.T) {
			doc := example(t)
			edit(doc)
			v, err := jsonschema.UnmarshalJSON(bytes.NewReader(encode(t, doc)))
			if err != nil {
				t.Fatal(err)
			}
			if s.Validate(v) == nil {
				t.Error("the schema accepted it without format assertion")
			}
		})
	}
}
