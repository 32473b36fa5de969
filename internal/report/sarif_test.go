package report

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/ecoscan/ecoscan/internal/finding"
)

// sarifPackage is the package of go-sarif that holds the SARIF 2.1.0 schema,
// as the unexported constant "schema" of schema.go.
const sarifPackage = "github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

// sarifSchema compiles the SARIF 2.1.0 JSON schema (draft-04) that go-sarif
// carries. The constant is unexported, so it is read from the package's
// source in the module cache, where the go command says it is.
var sarifSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	dir, err := exec.Command("go", "list", "-f", "{{.Dir}}", sarifPackage).Output()
	if err != nil {
		return nil, fmt.Errorf("find %s: %w", sarifPackage, err)
	}
	file := filepath.Join(strings.TrimSpace(string(dir)), "schema.go")
	src, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", file, err)
	}
	var text string
	for _, decl := range src.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.CONST {
			continue
		}
		for _, spec := range gen.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok && name.Name == "schema" && lit.Kind == token.STRING {
					if text, err = strconv.Unquote(lit.Value); err != nil {
						return nil, fmt.Errorf("read the schema constant of %s: %w", file, err)
					}
				}
			}
		}
	}
	if text == "" {
		return nil, fmt.Errorf("no schema constant in %s", file)
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(text))
	if err != nil {
		return nil, fmt.Errorf("decode the SARIF schema: %w", err)
	}
	const loc = "sarif-schema-2.1.0.json"
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	if err := c.AddResource(loc, doc); err != nil {
		return nil, fmt.Errorf("add the SARIF schema: %w", err)
	}
	return c.Compile(loc)
})

// validateSARIF fails the test unless out is valid SARIF 2.1.0.
func validateSARIF(t *testing.T, out []byte) {
	t.Helper()
	schema, err := sarifSchema()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("sarif output is not JSON: %v", err)
	}
	if err := schema.Validate(doc); err != nil {
		t.Fatalf("sarif output does not validate against the SARIF 2.1.0 schema: %v", err)
	}
}

func TestSARIFValidates(t *testing.T) {
	odd := finding.Rule{ID: "forge/odd-paths", Requirement: "8", Title: "Odd paths", CVSS: 5}
	oddPaths := &finding.Report{Findings: []finding.Finding{
		odd.New(finding.Source("src/with space/#hash%.ts", 3, 1), "space, hash and percent"),
		odd.New(finding.Source("c:colon/first.ts", 1, 0), "colon in the first segment"),
		odd.New(finding.Source("README", 0, 0), "no line"),
		odd.New(finding.Location{}, "no location at all"),
	}}
	tests := map[string]*finding.Report{
		"sample":     sampleReport(),
		"empty":      emptyReport(),
		"unfinished": {},
		"odd paths":  oddPaths,
	}
	for name, r := range tests {
		t.Run(name, func(t *testing.T) {
			validateSARIF(t, render(t, "sarif", r, Options{}))
		})
	}
}

// TestSARIFSchemaRejects checks that the validation has teeth: outputs broken
// on purpose do not pass it.
func TestSARIFSchemaRejects(t *testing.T) {
	schema, err := sarifSchema()
	if err != nil {
		t.Fatal(err)
	}
	out := string(render(t, "sarif", sampleReport(), Options{}))
	tests := map[string][2]string{
		"unknown level":    {`"level": "error"`, `"level": "fatal"`},
		"line 0":           {"\"startLine\": 12\n", "\"startLine\": 0\n"},
		"unknown kind":     {`"kind": "fail"`, `"kind": "broken"`},
		"unknown property": {`"ruleId":`, `"rule_id":`},
		"wrong version":    {`"version": "2.1.0"`, `"version": "2.0.0"`},
	}
	for name, edit := range tests {
		t.Run(name, func(t *testing.T) {
			broken := strings.Replace(out, edit[0], edit[1], 1)
			if broken == out {
				t.Fatalf("the output has no %s", edit[0])
			}
			doc, err := jsonschema.UnmarshalJSON(strings.NewReader(broken))
			if err != nil {
				t.Fatal(err)
			}
			if schema.Validate(doc) == nil {
				t.Errorf("the schema accepted SARIF with %s", edit[1])
			}
		})
	}
}

// TestSARIFContent reads the sample's SARIF back and checks it finding by
// finding against the report.
func TestSARIFContent(t *testing.T) {
	r := sampleReport()
	doc, err := sarif.FromBytes(render(t, "sarif", r, Options{}))
	if err != nil {
		t.Fatal(err)
	}
	if doc.Version != "2.1.0" || len(doc.Runs) != 1 {
		t.Fatalf("version %q with %d runs, want 2.1.0 with 1", doc.Version, len(doc.Runs))
	}
	run := doc.Runs[0]
	driver := run.Tool.Driver
	if deref(driver.Name) != "ecoscan" || deref(driver.Version) != "0.1.0" || deref(driver.InformationURI) == "" {
		t.Errorf("driver name %q version %q informationUri %q", deref(driver.Name), deref(driver.Version), deref(driver.InformationURI))
	}

	// One rule per distinct rule id.
	var wantRules []string
	for _, f := range r.Findings {
		if !slices.Contains(wantRules, f.Rule) {
			wantRules = append(wantRules, f.Rule)
		}
	}
	var gotRules []string
	for _, rule := range driver.Rules {
		gotRules = append(gotRules, deref(rule.ID))
	}
	slices.Sort(wantRules)
	if !slices.Equal(slices.Sorted(slices.Values(gotRules)), wantRules) {
		t.Errorf("rules %v, want %v", gotRules, wantRules)
	}

	levels := map[finding.Severity]string{finding.Critical: "error", finding.High: "error", finding.Medium: "warning", finding.Low: "note"}
	if len(run.Results) != len(r.Findings) {
		t.Fatalf("%d results for %d findings", len(run.Results), len(r.Findings))
	}
	for _, f := range r.Findings {
		i := slices.IndexFunc(run.Results, func(res *sarif.Result) bool {
			return res.PartialFingerprints["ecoscan/v1"] == f.Fingerprint
		})
		if i < 0 {
			t.Errorf("no result with fingerprint %s (%s)", f.Fingerprint, f.Rule)
			continue
		}
		res := run.Results[i]
		if deref(res.RuleID) != f.Rule || res.Level != levels[f.Severity] {
			t.Errorf("%s: ruleId %q level %q, want %q", f.Rule, deref(res.RuleID), res.Level, levels[f.Severity])
		}
		if res.RuleIndex < 0 || res.RuleIndex >= len(driver.Rules) || deref(driver.Rules[res.RuleIndex].ID) != f.Rule {
			t.Errorf("%s: ruleIndex %d does not point at its rule", f.Rule, res.RuleIndex)
		}
		text := deref(res.Message.Text)
		for _, want := range append([]string{f.Message}, f.Evidence...) {
			if !strings.Contains(text, want) {
				t.Errorf("%s: message %q lacks %q", f.Rule, text, want)
			}
		}
		props := res.Properties.Properties
		for key, want := range map[string]any{"requirement": f.Requirement, "severity": f.Severity.String(), "due": f.Due, "needs_review": f.NeedsReview} {
			if props[key] != want {
				t.Errorf("%s: property %s = %v, want %v", f.Rule, key, props[key], want)
			}
		}
		checkSARIFLocation(t, f, res.Locations)
	}

	rule := driver.Rules[slices.IndexFunc(driver.Rules, func(d *sarif.ReportingDescriptor) bool {
		return deref(d.ID) == ruleVulnDep.ID
	})]
	if got := deref(rule.ShortDescription.Text); got != ruleVulnDep.Title {
		t.Errorf("shortDescription %q, want %q", got, ruleVulnDep.Title)
	}
	if got := deref(rule.Help.Text); got != ruleVulnDep.Remediation {
		t.Errorf("help %q, want %q", got, ruleVulnDep.Remediation)
	}
	// The rule's severity is the worst of its findings' (one is critical, one high).
	if p := rule.Properties; p.Properties["requirement"] != "9" || p.Properties["severity"] != "critical" ||
		p.Properties["security-severity"] != "9.8" || !slices.Equal(p.Tags, []string{"security", "requirement-9"}) {
		t.Errorf("rule properties %v, tags %v", p.Properties, p.Tags)
	}

	inv := run.Invocations[0]
	if inv.ExecutionSuccessful == nil || !*inv.ExecutionSuccessful {
		t.Error("executionSuccessful is not true")
	}
	var notes []string
	for _, n := range inv.ToolExecutionNotifications {
		notes = append(notes, n.Level+" "+deref(n.Message.Text))
	}
	wantNotes := []string{"error https://app.example.com/slow: timed out after 30s", "error cdn.example.com:443: connection reset by peer"}
	if !slices.Equal(notes, wantNotes) {
		t.Errorf("notifications %q, want %q", notes, wantNotes)
	}
	if checks, ok := run.Properties.Properties["checks"].([]any); !ok || len(checks) != len(r.Checks) {
		t.Errorf("run properties checks = %v", run.Properties.Properties["checks"])
	}
}

// checkSARIFLocation checks the one location of the result of f.
func checkSARIFLocation(t *testing.T, f finding.Finding, locs []*sarif.Location) {
	t.Helper()
	if len(locs) != 1 {
		t.Errorf("%s: %d locations, want 1", f.Location, len(locs))
		return
	}
	loc := locs[0]
	logical := func() (name, fqn, kind string) {
		if len(loc.LogicalLocations) != 1 {
			t.Errorf("%s: %d logical locations, want 1", f.Location, len(loc.LogicalLocations))
			return "", "", ""
		}
		l := loc.LogicalLocations[0]
		return deref(l.Name), deref(l.FullyQualifiedName), deref(l.Kind)
	}
	switch l := f.Location; {
	case l.URL != "":
		if loc.PhysicalLocation == nil || deref(loc.PhysicalLocation.ArtifactLocation.URI) != l.URL {
			t.Errorf("%s: physical location %+v, want the URL", l, loc.PhysicalLocation)
		}
		if _, fqn, kind := logical(); fqn != l.Method+" "+l.URL || kind != "resource" {
			t.Errorf("%s: logical location %q kind %q", l, fqn, kind)
		}
	case l.Host != "":
		if name, _, kind := logical(); name != l.String() || kind != "resource" {
			t.Errorf("%s: logical location %q kind %q", l, name, kind)
		}
	default:
		p := loc.PhysicalLocation
		if p == nil || deref(p.ArtifactLocation.URI) != l.File || deref(p.ArtifactLocation.URIBaseID) != "SRCROOT" {
			t.Fatalf("%s: physical location %+v", l, p)
		}
		wantColumn := &l.Column
		if l.Column == 0 {
			wantColumn = nil
		}
		if p.Region == nil || deref(p.Region.StartLine) != l.Line || deref(p.Region.StartColumn) != deref(wantColumn) {
			t.Errorf("%s: region %+v", l, p.Region)
		}
	}
}

func TestSARIFLevel(t *testing.T) {
	tests := []struct {
		sev     finding.Severity
		want    string
		wantErr bool
	}{
		{finding.Critical, "error", false},
		{finding.High, "error", false},
		{finding.Medium, "warning", false},
		{finding.Low, "note", false},
		{0, "", true},
		{finding.Critical + 1, "", true},
	}
	for _, tt := range tests {
		got, err := sarifLevel(tt.sev)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("sarifLevel(%v) = %q, %v; want %q, error %v", tt.sev, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestFileURI(t *testing.T) {
	tests := map[string]string{
		"src/index.ts":             "src/index.ts",
		"package-lock.json":        "package-lock.json",
		"src/with space/#hash%.ts": "src/with%20space/%23hash%25.ts",
		"c:colon/first.ts":         "./c:colon/first.ts",
	}
	for path, want := range tests {
		if got := fileURI(path); got != want {
			t.Errorf("fileURI(%q) = %q, want %q", path, got, want)
		}
	}
}

// deref is the value of p, or the zero value for nil.
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
