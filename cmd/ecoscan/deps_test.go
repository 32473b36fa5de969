package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecoscan/ecoscan/internal/finding"
	"github.com/ecoscan/ecoscan/internal/supply/deps/depstest"
)

// advisoryDB writes the dependency check's test advisories as an offline
// database and returns its directory.
func advisoryDB(t *testing.T) string {
	t.Helper()
	records, err := depstest.ReadRecords("../../internal/supply/deps/testdata/advisories")
	if err != nil || len(records) == 0 {
		t.Fatalf("read test advisories: %v (%d)", err, len(records))
	}
	dir := t.TempDir()
	if _, err := depstest.WriteDB(dir, records); err != nil {
		t.Fatal(err)
	}
	return dir
}

func row(rep finding.Report, req string) finding.Check {
	for _, c := range rep.Checks {
		if c.Requirement == req {
			return c
		}
	}
	return finding.Check{}
}

func TestDepsCommand(t *testing.T) {
	tree := "../../internal/supply/deps/testdata/lockfiles/npm-v3"
	db := advisoryDB(t)
	noData := []string{"ECOSCAN_DATA_DIR=" + t.TempDir(), "ECOSCAN_OSV_DB="}

	r := ecoscan(t, nil, noData, "deps", tree, "--osv-db", db, "--format", "json")
	rep := decode(t, r.stdout)
	if r.code != finding.ExitFindings || len(rep.Findings) == 0 {
		t.Fatalf("exit %d, %d findings: want findings\n%s", r.code, len(rep.Findings), r.stderr)
	}
	for _, f := range rep.Findings {
		if !strings.HasPrefix(f.Rule, "deps/") || f.Package == nil || f.Advisory == nil || f.Location.File == "" || filepath.IsAbs(f.Location.File) {
			t.Errorf("dependency finding without package, advisory or relative lockfile: %+v", f)
		}
	}
	if c := row(rep, "9"); c.Status != finding.Fail && c.Status != finding.Pass {
		t.Errorf("row 9 %+v", c)
	}

	// The same through the environment.
	r = ecoscan(t, nil, []string{"ECOSCAN_DATA_DIR=" + t.TempDir(), "ECOSCAN_OSV_DB=" + db}, "deps", tree, "--format", "json")
	if got := decode(t, r.stdout); len(got.Findings) != len(rep.Findings) {
		t.Errorf("ECOSCAN_OSV_DB: %d findings, --osv-db: %d", len(got.Findings), len(rep.Findings))
	}

	// No advisory data: skipped, never a pass, and no failure either.
	r = ecoscan(t, nil, noData, "deps", tree, "--format", "json")
	rep = decode(t, r.stdout)
	if c := row(rep, "9"); r.code != finding.ExitClean || c.Status != finding.Skipped || !strings.Contains(c.Detail, "ecoscan update") {
		t.Errorf("without data: exit %d, row 9 %+v", r.code, c)
	}

	if r := ecoscan(t, nil, noData, "deps", "/nonexistent/tree"); r.code != finding.ExitError || r.stdout != "" {
		t.Errorf("missing tree: exit %d stdout %q", r.code, r.stdout)
	}
}

func TestConnectWithSource(t *testing.T) {
	app := start(t)
	tree := "../../internal/supply/deps/testdata/lockfiles/npm-v3"
	r := ecoscan(t, app, []string{"ECOSCAN_DATA_DIR=" + t.TempDir()}, "connect", app.DescriptorURL, "--source", tree, "--osv-db", advisoryDB(t), "--format", "json")
	rep := decode(t, r.stdout)
	if r.code != finding.ExitFindings || len(rep.Findings) == 0 {
		t.Fatalf("exit %d, findings %d\n%s", r.code, len(rep.Findings), r.stderr)
	}
	for _, f := range rep.Findings {
		if !strings.HasPrefix(f.Rule, "deps/") {
			t.Errorf("the correct app's scan found %s at %s", f.Rule, f.Location)
		}
	}
	if c := row(rep, "5"); c.Status != finding.Pass {
		t.Errorf("row 5 (secrets of the tree) %+v", c)
	}
	if c := row(rep, "9"); c.Status == finding.NotApplicable || c.Status == finding.Skipped {
		t.Errorf("row 9 %+v", c)
	}
}
