package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecoscan/ecoscan/internal/finding"
	"github.com/ecoscan/ecoscan/internal/report/schema"
)

// TestForgeCommand scans the bundled example app as the README does: every
// check fires, and the report keeps the contract.
func TestForgeCommand(t *testing.T) {
	noData := []string{"ECOSCAN_DATA_DIR=" + t.TempDir(), "ECOSCAN_OSV_DB="}
	r := ecoscan(t, nil, noData, "forge", "../../examples/forge-app", "--osv-db", "../../examples/advisories", "--format", "json")
	if r.code != finding.ExitFindings {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	if err := schema.Validate([]byte(r.stdout)); err != nil {
		t.Errorf("report does not follow the schema: %v", err)
	}
	rep := decode(t, r.stdout)
	rules := map[string]bool{}
	for _, f := range rep.Findings {
		rules[f.Rule] = true
		if f.Location.File == "" || filepath.IsAbs(f.Location.File) || f.Location.Line == 0 {
			t.Errorf("%s: location %+v is not a relative source position", f.Rule, f.Location)
		}
	}
	for _, want := range []string{
		"forge/asapp-without-authorization", "forge/asapp-without-authorization-admin-only",
		"forge/webtrigger-unverified", "forge/webtrigger-timing-unsafe-compare", "forge/module-state-shared",
		"forge/unused-scope", "forge/egress-wildcard", "forge/hardcoded-key", "forge/hardcoded-authorization",
		"forge/secret-in-plain-storage", "forge/secret-logged", "forge/content-unsafe", "forge/sql-injection",
		"forge/prototype-pollution", "forge/ssrf", "forge/child-process", "forge/runtime-end-of-life",
		"forge/atlassian-credentials", "deps/vulnerable-dependency",
	} {
		if !rules[want] {
			t.Errorf("the example app does not show %s", want)
		}
	}
	if len(rep.Errors) != 0 {
		t.Errorf("errors: %+v", rep.Errors)
	}
	if rep.Target.Kind != "forge" || rep.Target.AppKey == "" {
		t.Errorf("target %+v", rep.Target)
	}
}

// TestForgeBadManifest: an unreadable manifest is exit 2 with the file,
// line and column, and no report.
func TestForgeBadManifest(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "manifest.yml"), []byte("app:\n  id: x\nmodules: [\n  - key: a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := ecoscan(t, nil, nil, "forge", dir, "--format", "json")
	if r.code != finding.ExitError || r.stdout != "" {
		t.Fatalf("exit %d, stdout %q: want exit 2 and no report", r.code, r.stdout)
	}
	if !strings.Contains(r.stderr, "manifest.yml:") {
		t.Errorf("stderr does not name the manifest's position: %s", r.stderr)
	}
	r = ecoscan(t, nil, nil, "forge", filepath.Join(dir, "missing"), "--format", "json")
	if r.code != finding.ExitError || r.stdout != "" {
		t.Fatalf("missing directory: exit %d, stdout %q", r.code, r.stdout)
	}
}
