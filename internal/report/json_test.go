package report

import (
	"bytes"
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ecoscan/ecoscan/internal/finding"
)

func TestJSONRoundTrip(t *testing.T) {
	for name, report := range map[string]func() *finding.Report{"sample": sampleReport, "empty": emptyReport} {
		t.Run(name, func(t *testing.T) {
			out := render(t, "json", report(), Options{})
			if !bytes.HasSuffix(out, []byte("}\n")) {
				t.Error("json output does not end in a newline")
			}
			var got finding.Report
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatal(err)
			}
			if want := report(); !reflect.DeepEqual(&got, want) {
				t.Errorf("round trip changed the report:\ngot  %+v\nwant %+v", got, *want)
			}
		})
	}
}

// contractKeys are the fields of REPORT-CONTRACT.md's JSON report: required
// ones, and those that may be left out.
var contractKeys = map[string]struct{ required, optional []string }{
	"report":   {required: []string{"schema", "tool", "target", "started_at", "finished_at", "findings", "checks", "errors"}},
	"tool":     {required: []string{"name", "version"}},
	"target":   {required: []string{"kind", "ref"}, optional: []string{"app_key", "app_name"}},
	"finding":  {required: []string{"rule", "requirement", "severity", "cvss", "title", "message", "location", "evidence", "remediation", "fingerprint", "due"}, optional: []string{"needs_review", "package", "advisory"}},
	"check":    {required: []string{"requirement", "status", "detail"}},
	"error":    {required: []string{"scope", "message"}},
	"package":  {required: []string{"ecosystem", "name", "version"}},
	"advisory": {required: []string{"id"}, optional: []string{"aliases", "fixed"}},
}

// checkKeys reports an error unless obj has every required key of its kind
// and no key the contract does not name.
func checkKeys(t *testing.T, kind string, obj map[string]any) {
	t.Helper()
	want := contractKeys[kind]
	for _, k := range want.required {
		if _, ok := obj[k]; !ok {
			t.Errorf("%s lacks %q: %v", kind, k, obj)
		}
	}
	for k := range obj {
		if !slices.Contains(want.required, k) && !slices.Contains(want.optional, k) {
			t.Errorf("%s has %q, which the contract does not name", kind, k)
		}
	}
}

func TestJSONContractFields(t *testing.T) {
	out := render(t, "json", sampleReport(), Options{})
	var doc map[string]any
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	checkKeys(t, "report", doc)
	if doc["schema"] != "ecoscan.report/v1" {
		t.Errorf("schema = %v", doc["schema"])
	}
	checkKeys(t, "tool", doc["tool"].(map[string]any))
	checkKeys(t, "target", doc["target"].(map[string]any))
	var sawPackage, sawAdvisory bool
	for _, f := range doc["findings"].([]any) {
		f := f.(map[string]any)
		checkKeys(t, "finding", f)
		if sev := f["severity"]; !slices.Contains([]any{"critical", "high", "medium", "low"}, sev) {
			t.Errorf("severity %v is not one of critical, high, medium, low", sev)
		}
		if _, ok := f["requirement"].(string); !ok {
			t.Errorf("requirement %v is not a string", f["requirement"])
		}
		if p, ok := f["package"]; ok {
			sawPackage = true
			checkKeys(t, "package", p.(map[string]any))
		}
		if a, ok := f["advisory"]; ok {
			sawAdvisory = true
			checkKeys(t, "advisory", a.(map[string]any))
		}
	}
	if !sawPackage || !sawAdvisory {
		t.Error("the sample has no dependency finding with package and advisory")
	}
	for _, c := range doc["checks"].([]any) {
		checkKeys(t, "check", c.(map[string]any))
	}
	for _, e := range doc["errors"].([]any) {
		checkKeys(t, "error", e.(map[string]any))
	}
}

// TestJSONLocationShape checks that every location of the sample has exactly
// one of the contract's three shapes, and that the sample has all three.
func TestJSONLocationShape(t *testing.T) {
	shapes := []struct {
		name               string
		required, optional []string
	}{
		{"endpoint", []string{"url", "method"}, nil},
		{"host", []string{"host", "port"}, nil},
		{"source", []string{"file"}, []string{"line", "column"}},
	}
	out := render(t, "json", sampleReport(), Options{})
	var doc struct {
		Findings []struct {
			Location map[string]any `json:"location"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range doc.Findings {
		keys := slices.Sorted(maps.Keys(f.Location))
		var matched []string
		for _, s := range shapes {
			hasRequired := !slices.ContainsFunc(s.required, func(k string) bool { return !slices.Contains(keys, k) })
			onlyKnown := !slices.ContainsFunc(keys, func(k string) bool {
				return !slices.Contains(s.required, k) && !slices.Contains(s.optional, k)
			})
			if hasRequired && onlyKnown {
				matched = append(matched, s.name)
			}
		}
		if len(matched) != 1 {
			t.Errorf("location %v matches shapes %v, want exactly one", f.Location, matched)
			continue
		}
		seen[matched[0]] = true
	}
	for _, s := range shapes {
		if !seen[s.name] {
			t.Errorf("the sample has no %s location", s.name)
		}
	}
}

// TestJSONUnfinished checks that a report that was never finished still
// keeps the contract: lists are [], never null, and the schema is named. The
// report itself is not changed.
func TestJSONUnfinished(t *testing.T) {
	r := &finding.Report{
		Findings: []finding.Finding{ruleHSTS.New(finding.Host("app.example.com", 443), "max-age=0")},
	}
	out := string(render(t, "json", r, Options{}))
	for _, want := range []string{`"schema": "ecoscan.report/v1"`, `"evidence": []`, `"checks": []`, `"errors": []`} {
		if !strings.Contains(out, want) {
			t.Errorf("json output lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "null") {
		t.Errorf("json output has null:\n%s", out)
	}
	if r.Schema != "" || r.Findings[0].Evidence != nil || r.Checks != nil || r.Errors != nil {
		t.Errorf("writing changed the report: %+v", r)
	}
}
