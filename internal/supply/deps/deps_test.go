package deps

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ecoscan/ecoscan/internal/finding"
)

// The matches that testdata/advisories gives each testdata lockfile.
var (
	appMatches = []string{
		"debug@2.6.8 ECOTEST-0002",
		"lodash@4.17.15 GHSA-35jh-r3h4-6jhm", "lodash@4.17.15 GHSA-p6mc-m468-83gw",
		"lodash@4.17.4 ECOTEST-0009", "lodash@4.17.4 GHSA-35jh-r3h4-6jhm", "lodash@4.17.4 GHSA-p6mc-m468-83gw",
		"minimist@0.0.8 GHSA-vh95-rmgr-6w4m", "minimist@0.0.8 GHSA-xvch-5gv4-984h",
		"minimist@1.2.0 GHSA-vh95-rmgr-6w4m", "minimist@1.2.0 GHSA-xvch-5gv4-984h",
		"mkdirp@0.5.1 ECOTEST-0001",
		"ms@2.0.0 ECOTEST-0003",
	}
	workspaceMatches = []string{
		"debug@2.6.8 ECOTEST-0002",
		"lodash@4.17.15 GHSA-35jh-r3h4-6jhm", "lodash@4.17.15 GHSA-p6mc-m468-83gw",
		"lodash@4.17.20 GHSA-35jh-r3h4-6jhm",
		"minimist@0.0.8 GHSA-vh95-rmgr-6w4m", "minimist@0.0.8 GHSA-xvch-5gv4-984h",
		"minimist@1.2.0 GHSA-vh95-rmgr-6w4m", "minimist@1.2.0 GHSA-xvch-5gv4-984h",
		"mkdirp@0.5.1 ECOTEST-0001",
		"ms@2.0.0 ECOTEST-0003",
	}
	berryWorkspaceMatches = append(slices.Clone(workspaceMatches),
		"lodash@4.17.4 ECOTEST-0009", "lodash@4.17.4 GHSA-35jh-r3h4-6jhm", "lodash@4.17.4 GHSA-p6mc-m468-83gw")
	pnpmWorkspaceMatches = append(slices.Clone(workspaceMatches), "js-tokens@4.0.0 ECOTEST-0006", "loose-envify@1.4.0 ECOTEST-0007")
)

var gitMatches = []string{
	"lodash@4.17.15 GHSA-35jh-r3h4-6jhm", "lodash@4.17.15 GHSA-p6mc-m468-83gw",
	"minimist@1.2.0 GHSA-vh95-rmgr-6w4m", "minimist@1.2.0 GHSA-xvch-5gv4-984h",
}

var testdataLockfiles = []struct {
	path    string
	format  string
	matches []string
	devOnly []string // name@version of the development-only packages
	chains  []string // expected chains, "a > b > c"
}{
	{"git-npm-v1/package-lock.json", "package-lock.json v1", []string{
		"lodash@4.17.15 GHSA-35jh-r3h4-6jhm", "lodash@4.17.15 GHSA-p6mc-m468-83gw",
		"minimist@ GHSA-vh95-rmgr-6w4m", "minimist@ GHSA-xvch-5gv4-984h", // from git, no version: every advisory
	}, nil, []string{"lodash@4.17.15", "minimist"}},
	{"git-npm-v3/package-lock.json", "package-lock.json v3", gitMatches, nil, []string{"git-app > minimist@1.2.0", "local-lib"}},
	{"git-pnpm-v9/pnpm-lock.yaml", "pnpm-lock.yaml v9", gitMatches, nil, []string{". > minimist@1.2.0"}},
	{"git-yarn-v1/yarn.lock", "yarn.lock v1", gitMatches, nil, []string{"minimist@1.2.0"}},
	{"npm-shrinkwrap/npm-shrinkwrap.json", "npm-shrinkwrap.json v3", appMatches, []string{"debug@2.6.8", "ms@2.0.0"},
		[]string{"demo-app > mkdirp@0.5.1 > minimist@0.0.8", "demo-app > debug@2.6.8 > ms@2.0.0"}},
	{"npm-v1/package-lock.json", "package-lock.json v1", appMatches, []string{"debug@2.6.8", "ms@2.0.0"},
		[]string{"demo-app > mkdirp@0.5.1 > minimist@0.0.8", "demo-app > lodash@4.17.4"}},
	{"npm-v2/package-lock.json", "package-lock.json v2", appMatches, []string{"debug@2.6.8", "ms@2.0.0"},
		[]string{"demo-app > mkdirp@0.5.1 > minimist@0.0.8"}},
	{"npm-v3/package-lock.json", "package-lock.json v3", appMatches, []string{"debug@2.6.8", "ms@2.0.0"},
		[]string{"demo-app > mkdirp@0.5.1 > minimist@0.0.8", "demo-app > lodash@4.17.4", "demo-app > debug@2.6.8 > ms@2.0.0"}},
	{"npm-workspaces/package-lock.json", "package-lock.json v3", workspaceMatches, []string{"debug@2.6.8", "lodash@4.17.15", "ms@2.0.0"},
		[]string{"@mono/b > mkdirp@0.5.1 > minimist@0.0.8", "@mono/a > lodash@4.17.20", "@mono/b > lodash@4.17.15", "mono > debug@2.6.8 > ms@2.0.0"}},
	{"pnpm-v5/pnpm-lock.yaml", "pnpm-lock.yaml v5", appMatches, []string{"debug@2.6.8", "ms@2.0.0"},
		[]string{". > mkdirp@0.5.1 > minimist@0.0.8", ". > lodash@4.17.4"}},
	{"pnpm-v6/pnpm-lock.yaml", "pnpm-lock.yaml v6", appMatches, []string{"debug@2.6.8", "ms@2.0.0"},
		[]string{". > mkdirp@0.5.1 > minimist@0.0.8", ". > lodash@4.17.4"}},
	{"pnpm-v6-workspaces/pnpm-lock.yaml", "pnpm-lock.yaml v6", pnpmWorkspaceMatches, []string{"debug@2.6.8", "lodash@4.17.15", "ms@2.0.0"},
		[]string{"packages/a > react@18.2.0 > loose-envify@1.4.0 > js-tokens@4.0.0", "packages/a > use-sync-external-store@1.2.0"}},
	{"pnpm-v9/pnpm-lock.yaml", "pnpm-lock.yaml v9", appMatches, []string{"debug@2.6.8", "ms@2.0.0"},
		[]string{". > mkdirp@0.5.1 > minimist@0.0.8", ". > lodash@4.17.4", ". > debug@2.6.8 > ms@2.0.0"}},
	{"pnpm-v9-workspaces/pnpm-lock.yaml", "pnpm-lock.yaml v9", pnpmWorkspaceMatches, []string{"debug@2.6.8", "lodash@4.17.15", "ms@2.0.0"},
		[]string{"packages/a > react@18.2.0 > loose-envify@1.4.0 > js-tokens@4.0.0", "packages/b > lodash@4.17.15", "packages/a > use-sync-external-store@1.2.0"}},
	{"yarn-berry-v6/yarn.lock", "yarn.lock berry (metadata 6)", appMatches, []string{"debug@2.6.8", "ms@2.0.0"},
		[]string{"demo-app > mkdirp@0.5.1 > minimist@0.0.8", "demo-app > lodash@4.17.4"}},
	{"yarn-berry-v8-workspaces/yarn.lock", "yarn.lock berry (metadata 8)", berryWorkspaceMatches, []string{"debug@2.6.8", "lodash@4.17.15", "ms@2.0.0"},
		[]string{"@mono/b > mkdirp@0.5.1 > minimist@0.0.8", "mono > lodash@4.17.4", "@mono/b > lodash@4.17.15"}},
	{"yarn-v1/yarn.lock", "yarn.lock v1", appMatches, []string{"debug@2.6.8", "ms@2.0.0"},
		[]string{"demo-app > mkdirp@0.5.1 > minimist@0.0.8", "demo-app > lodash@4.17.4", "demo-app > debug@2.6.8 > ms@2.0.0"}},
	{"yarn-v1-workspaces/yarn.lock", "yarn.lock v1", workspaceMatches, []string{"debug@2.6.8", "lodash@4.17.15", "ms@2.0.0"},
		[]string{"@mono/b > mkdirp@0.5.1 > minimist@0.0.8", "@mono/a > lodash@4.17.20", "@mono/b > lodash@4.17.15"}},
}

func scanTestdata(t *testing.T, cfg Config) *Result {
	t.Helper()
	res, err := Scan(context.Background(), "testdata/lockfiles", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if errs := res.Errors(); len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	return res
}

func TestScanEveryFormat(t *testing.T) {
	db, _ := testdataDB(t)
	res := scanTestdata(t, Config{DB: db})
	if len(res.Lockfiles) != len(testdataLockfiles) {
		var paths []string
		for _, lf := range res.Lockfiles {
			paths = append(paths, lf.Path)
		}
		t.Fatalf("lockfiles %q, want %d", paths, len(testdataLockfiles))
	}
	findings := map[string][]string{}
	for _, f := range res.Findings() {
		findings[f.Location.File] = append(findings[f.Location.File], f.Package.Name+"@"+f.Package.Version+" "+f.Advisory.ID)
	}
	for i, tt := range testdataLockfiles {
		t.Run(tt.path, func(t *testing.T) {
			lf := res.Lockfiles[i]
			if lf.Path != tt.path || lf.Format != tt.format {
				t.Fatalf("lockfile %d = %s (%s), want %s (%s)", i, lf.Path, lf.Format, tt.path, tt.format)
			}
			got := slices.Sorted(slices.Values(findings[tt.path]))
			want := slices.Sorted(slices.Values(tt.matches))
			if !slices.Equal(got, want) {
				t.Errorf("matches:\n got %q\nwant %q", got, want)
			}
			lines := readLines(t, filepath.Join("testdata/lockfiles", tt.path))
			var dev, chains []string
			for _, p := range lf.Packages {
				if p.Line < 1 || p.Line > len(lines) || !strings.Contains(lines[p.Line-1], p.Name[strings.LastIndex(p.Name, "/")+1:]) {
					t.Errorf("%s@%s: line %d does not name it", p.Name, p.Version, p.Line)
				}
				if p.Dev {
					dev = append(dev, p.Name+"@"+p.Version)
				}
				// A workspace's chain is itself, by name, as is that of a
				// package from git without a version.
				if !slices.Equal(p.Chain, []string{p.Name}) && (len(p.Chain) == 0 || p.Chain[len(p.Chain)-1] != p.Name+"@"+p.Version) {
					t.Errorf("%s@%s: chain %q does not end with it", p.Name, p.Version, p.Chain)
				}
				chains = append(chains, strings.Join(p.Chain, " > "))
			}
			if !slices.Equal(dev, tt.devOnly) {
				t.Errorf("development-only packages %q, want %q", dev, tt.devOnly)
			}
			for _, c := range tt.chains {
				if !slices.Contains(chains, c) {
					t.Errorf("no chain %q in %q", c, chains)
				}
			}
		})
	}
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

func TestFindingShape(t *testing.T) {
	db, _ := testdataDB(t)
	res := scanTestdata(t, Config{DB: db})
	var lodash, ms, debug *finding.Finding
	for _, f := range res.Findings() {
		if err := f.Location.Validate(); err != nil {
			t.Error(err)
		}
		if f.Rule != "deps/vulnerable-dependency" || f.Requirement != "9" || f.Title != "Dependency with a known vulnerability" {
			t.Errorf("finding %+v", f)
		}
		if f.Location.File != "npm-v3/package-lock.json" {
			continue
		}
		switch f.Package.Name + " " + f.Advisory.ID {
		case "lodash GHSA-p6mc-m468-83gw":
			if f.Package.Version == "4.17.15" {
				lodash = &f
			}
		case "ms ECOTEST-0003":
			ms = &f
		case "debug ECOTEST-0002":
			debug = &f
		}
	}
	if lodash == nil || ms == nil || debug == nil {
		t.Fatal("findings missing")
	}
	if lodash.Location != finding.Source("npm-v3/package-lock.json", 29, 0) ||
		*lodash.Package != (finding.Package{Ecosystem: "npm", Name: "lodash", Version: "4.17.15"}) ||
		lodash.Advisory.ID != "GHSA-p6mc-m468-83gw" || !slices.Equal(lodash.Advisory.Aliases, []string{"CVE-2020-8203"}) || lodash.Advisory.Fixed != "4.17.19" ||
		lodash.CVSS != 7.4 || lodash.Severity != finding.High {
		t.Errorf("lodash finding: %+v %+v %+v", lodash, lodash.Package, lodash.Advisory)
	}
	for _, want := range []string{
		"dependency chain: demo-app > lodash@4.17.15",
		"development only: false",
		"summary: Prototype Pollution in lodash",
		"affected: >=3.7.0 <4.17.19",
		"fixed: 4.17.19",
		"severity: CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H (base score 7.4)",
	} {
		if !slices.Contains(lodash.Evidence, want) {
			t.Errorf("lodash evidence %q lacks %q", lodash.Evidence, want)
		}
	}
	if !strings.Contains(lodash.Remediation, "Upgrade lodash to 4.17.19 or later") {
		t.Errorf("remediation %q", lodash.Remediation)
	}
	if ms.Severity != finding.Critical || ms.CVSS != 10 || !strings.Contains(ms.Message, "Development-only dependency") || ms.Advisory.Fixed != "" ||
		!strings.Contains(ms.Message, "No fixed version is known") {
		t.Errorf("ms finding: %+v", ms)
	}
	if debug.Severity != finding.Medium || debug.CVSS != 5.0 || !strings.Contains(debug.Message, "The advisory gives no severity: reported as medium") {
		t.Errorf("debug finding: %+v", debug)
	}
}

// TestFingerprintIgnoresLine: the same problem in an edited lockfile keeps
// its fingerprint; another lockfile path gives another.
func TestFingerprintIgnoresLine(t *testing.T) {
	db, _ := testdataDB(t)
	data, err := os.ReadFile("testdata/lockfiles/npm-v3/package-lock.json")
	if err != nil {
		t.Fatal(err)
	}
	prints := func(content []byte, sub string) map[string]int {
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, sub, "package-lock.json"), content, 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := Scan(context.Background(), dir, Config{DB: db})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int{}
		for _, f := range res.Findings() {
			out[f.Fingerprint] = f.Location.Line
		}
		return out
	}
	a := prints(data, "app")
	b := prints(append([]byte("\n\n\n"), data...), "app")
	c := prints(data, "other")
	if len(a) != len(appMatches) {
		t.Fatalf("%d distinct fingerprints, want %d", len(a), len(appMatches))
	}
	for fp, line := range a {
		if b[fp] != line+3 {
			t.Errorf("fingerprint %s: line %d, then %d", fp, line, b[fp])
		}
		if _, ok := c[fp]; ok {
			t.Errorf("fingerprint %s does not depend on the lockfile's path", fp)
		}
	}
}

func TestExcludeDev(t *testing.T) {
	db, _ := testdataDB(t)
	res := scanTestdata(t, Config{DB: db, ExcludeDev: true})
	for _, f := range res.Findings() {
		if f.Package.Name == "debug" || f.Package.Name == "ms" || (f.Package.Name == "lodash" && f.Package.Version == "4.17.15" && strings.Contains(f.Location.File, "workspaces")) {
			t.Errorf("development-only finding kept: %s %s@%s", f.Location.File, f.Package.Name, f.Package.Version)
		}
	}
	if row := res.Row(); !strings.Contains(row.Detail, "in development-only dependencies left out") {
		t.Errorf("row %+v does not say what was left out", row)
	}
}

func TestRow(t *testing.T) {
	db, dbDir := testdataDB(t)
	devCritical := loadDB(t,
		rec("CRIT", "ms", semverRange(`{"introduced": "0"}`), `"severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]`),
		rec("LOW", "mkdirp", semverRange(`{"introduced": "0"}`), `"database_specific": {"severity": "LOW"}`))
	_, loadErr := LoadDB(filepath.Join(dbDir, "nothing-here"))

	app := t.TempDir()
	copyFile(t, "testdata/lockfiles/npm-v3/package-lock.json", filepath.Join(app, "package-lock.json"))
	broken := t.TempDir()
	copyFile(t, "testdata/lockfiles/npm-v3/package-lock.json", filepath.Join(broken, "a", "package-lock.json"))
	writeFile(t, filepath.Join(broken, "b", "yarn.lock"), "garbage:\n  version")

	tests := []struct {
		name   string
		dir    string
		cfg    Config
		status finding.Status
		detail string
	}{
		{"no lockfile", t.TempDir(), Config{DB: db}, finding.NotApplicable, "no lockfile found"},
		{"no lockfile, no database", t.TempDir(), Config{}, finding.NotApplicable, "no lockfile found"},
		{"no database", app, Config{}, finding.Skipped, "no advisory data (run ecoscan update)"},
		{"no database installed", app, Config{DBError: fmt.Errorf("look in the cache: %w", ErrNoDB)}, finding.Skipped, "no advisory data (run ecoscan update)"},
		{"database failed to load", app, Config{DBError: loadErr}, finding.Skipped, "no advisory data (run ecoscan update): load advisory database"},
		{"critical", app, Config{DB: db}, finding.Fail, "5 packages with critical or high advisories (7 findings) among 7 packages in 1 lockfile; 5 lower-severity findings reported"},
		{"development critical", app, Config{DB: devCritical}, finding.Fail, "1 package with critical or high advisories (1 finding)"},
		{"development critical excluded", app, Config{DB: devCritical, ExcludeDev: true}, finding.Pass,
			"no critical or high advisories among 7 packages in 1 lockfile; 1 lower-severity finding reported; 1 finding in development-only dependencies left out"},
		{"nothing matches", app, Config{DB: loadDB(t, rec("X", "left-pad", `"versions": ["1.0.0"]`))}, finding.Pass, "no critical or high advisories among 7 packages in 1 lockfile"},
		{"unreadable lockfile", broken, Config{DB: devCritical, ExcludeDev: true}, finding.Errored, "1 of 2 lockfiles could not be read"},
		{"unreadable lockfile and critical", broken, Config{DB: db}, finding.Fail, "1 of 2 lockfiles could not be read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Scan(context.Background(), tt.dir, tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			row := res.Row()
			if row.Requirement != "9" || row.Status != tt.status || !strings.Contains(row.Detail, tt.detail) {
				t.Errorf("row = %+v, want %s with %q", row, tt.status, tt.detail)
			}
			if errors.Is(tt.cfg.DBError, ErrNoDB) && (row.Detail != tt.detail || len(res.Errors()) != 0) {
				t.Errorf("no database installed: row %q, errors %v", row.Detail, res.Errors())
			}
		})
	}
}

func TestDBErrorsAreReported(t *testing.T) {
	_, loadErr := LoadDB(filepath.Join(t.TempDir(), "missing"))
	app := t.TempDir()
	copyFile(t, "testdata/lockfiles/npm-v3/package-lock.json", filepath.Join(app, "package-lock.json"))

	res, err := Scan(context.Background(), app, Config{DBError: loadErr})
	if err != nil {
		t.Fatal(err)
	}
	var le *LoadError
	if errs := res.Errors(); len(errs) != 1 || !errors.As(loadErr, &le) || errs[0].Scope != le.Path {
		t.Errorf("errors %+v, want the load error scoped to its path", errs)
	}
	db := loadDB(t, rec("A", "p", `"versions": ["1"]`), "not json")
	res, err = Scan(context.Background(), app, Config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	if errs := res.Errors(); len(errs) != 1 || errs[0].Scope != db.Path() || !strings.Contains(errs[0].Message, "advisory record skipped") {
		t.Errorf("errors %+v, want the skipped record", errs)
	}
}

func TestScanDirErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	writeFile(t, file, "x")
	for _, dir := range []string{filepath.Join(t.TempDir(), "missing"), file} {
		if _, err := Scan(context.Background(), dir, Config{}); err == nil {
			t.Errorf("Scan(%s): no error", dir)
		}
	}
}

func TestScanCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := Scan(ctx, "testdata/lockfiles", Config{})
	if err != nil {
		t.Fatal(err)
	}
	if row := res.Row(); row.Status != finding.Errored {
		t.Errorf("row %+v, want error", row)
	}
}

func TestRules(t *testing.T) {
	rules := Rules()
	if len(rules) != 1 || rules[0].ID != "deps/vulnerable-dependency" || rules[0].Requirement != "9" || rules[0].Severity() != finding.Medium {
		t.Errorf("Rules() = %+v", rules)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, to, string(data))
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
