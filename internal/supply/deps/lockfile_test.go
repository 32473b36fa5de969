package deps

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

func TestFindLockfiles(t *testing.T) {
	dir := t.TempDir()
	lock := `{"lockfileVersion": 3, "packages": {}}`
	for _, p := range []string{
		"package-lock.json",
		"node_modules/x/package-lock.json",
		"packages/a/node_modules/y/yarn.lock",
		".git/yarn.lock",
		"sub/project/yarn.lock",
		"sub/project/pnpm-lock.yaml",
		"both/package-lock.json",
		"both/npm-shrinkwrap.json",
		"yarn.lock.bak",
	} {
		writeFile(t, filepath.Join(dir, p), lock)
	}
	deep := dir
	for range maxWalkDepth + 5 {
		deep = filepath.Join(deep, "d")
	}
	writeFile(t, filepath.Join(deep, "package-lock.json"), lock)
	if err := os.Symlink(dir, filepath.Join(dir, "sub", "loop")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "package-lock.json"), filepath.Join(dir, "sub", "package-lock.json")); err != nil {
		t.Fatal(err)
	}

	found, problems, err := findLockfiles(context.Background(), os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"both/npm-shrinkwrap.json", "package-lock.json", "sub/project/pnpm-lock.yaml", "sub/project/yarn.lock"}
	if !slices.Equal(found, want) {
		t.Errorf("found %q, want %q", found, want)
	}
	if len(problems) != 1 || !strings.Contains(problems[0].Message, "deeper than 64 directories") {
		t.Errorf("problems %+v, want the deep directory", problems)
	}
}

func TestFindLockfilesRootUnreadable(t *testing.T) {
	if _, _, err := findLockfiles(context.Background(), os.DirFS(filepath.Join(t.TempDir(), "missing"))); err == nil {
		t.Error("no error for a missing root")
	}
}

// TestBadLockfiles: each bad lockfile is an error scoped to its path, and
// the good lockfile beside them is still scanned.
func TestBadLockfiles(t *testing.T) {
	v3, err := os.ReadFile("testdata/lockfiles/npm-v3/package-lock.json")
	if err != nil {
		t.Fatal(err)
	}
	yarn, err := os.ReadFile("testdata/lockfiles/yarn-v1/yarn.lock")
	if err != nil {
		t.Fatal(err)
	}
	pnpm, err := os.ReadFile("testdata/lockfiles/pnpm-v9/pnpm-lock.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cutAfter := func(data []byte, marker string) string {
		i := strings.Index(string(data), marker)
		if i < 0 {
			t.Fatalf("no %q", marker)
		}
		return string(data[:i+len(marker)])
	}
	tests := []struct {
		path    string
		content string
		want    string
	}{
		{"truncated-npm/package-lock.json", string(v3[:len(v3)/2]), "truncated?"},
		{"not-json/package-lock.json", "<<<<<<< HEAD\n{}", "malformed"},
		{"empty/package-lock.json", "", "truncated?"},
		{"null/package-lock.json", "null", "malformed lockfile"},
		{"array/npm-shrinkwrap.json", "[]", "malformed lockfile"},
		{"trailing/package-lock.json", `{"lockfileVersion": 3} {}`, "data after the JSON object"},
		{"future-npm/package-lock.json", `{"lockfileVersion": 4, "packages": {}}`, "unknown lockfileVersion 4 (known: 1, 2, 3)"},
		{"no-version/package-lock.json", `{"packages": {}}`, "no lockfileVersion"},
		{"string-version/package-lock.json", `{"lockfileVersion": "3", "packages": {}}`, "lockfileVersion"},
		{"bad-entry/package-lock.json", `{"lockfileVersion": 3, "packages": {"node_modules/a": {"version": 1}}}`, `"node_modules/a" at line 1`},
		{"deep-v1/package-lock.json", `{"lockfileVersion": 1, "dependencies": ` + strings.Repeat(`{"a": {"version": "1.0.0", "dependencies": `, 300) + "{}" + strings.Repeat("}}", 300) + "}", "dependencies nested deeper than 64 (line 1)"},
		{"truncated-yarn/yarn.lock", cutAfter(yarn, "mkdirp@0.5.1:\n"), "1 entries have no version (truncated"},
		{"cut-header-yarn/yarn.lock", cutAfter(yarn, "mkdirp@0.5"), "malformed entry header"},
		{"indented-yarn/yarn.lock", "# yarn lockfile v1\n  version \"1.0.0\"\n", "indented line outside an entry"},
		{"headless-yarn/yarn.lock", "lodash@^4:\n  version \"4.17.21\"\n", "not a yarn.lock"},
		{"future-berry/yarn.lock", "__metadata:\n  version: 99\n  cacheKey: 10c0\n", `unknown yarn.lock __metadata version "99"`},
		{"long-line-yarn/yarn.lock", "# yarn lockfile v1\n" + strings.Repeat("x", maxYarnLine+1) + ":\n", "token too long"},
		{"truncated-pnpm/pnpm-lock.yaml", cutAfter(pnpm, "resolution: {integrity: sha512-E22fsy"), "malformed YAML"},
		{"future-pnpm/pnpm-lock.yaml", "lockfileVersion: '10.0'\n", `unknown lockfileVersion "10.0" (known: 5.x, 6.x, 9.x)`},
		{"old-pnpm/pnpm-lock.yaml", "lockfileVersion: 3.9\n", `unknown lockfileVersion "3.9"`},
		{"seven-pnpm/pnpm-lock.yaml", "lockfileVersion: '7.0'\n", `unknown lockfileVersion "7.0"`},
		{"no-version-pnpm/pnpm-lock.yaml", "packages: {}\n", "no lockfileVersion"},
		{"not-yaml/pnpm-lock.yaml", "lockfileVersion: '9.0'\npackages: [\n", "malformed YAML"},
		{"empty-pnpm/pnpm-lock.yaml", "", "empty file"},
		{"documents-pnpm/pnpm-lock.yaml", strings.Repeat("lockfileVersion: '9.0'\n---\n", maxYAMLDocuments+1), "more than 16 YAML documents"},
	}
	dir := t.TempDir()
	copyFile(t, "testdata/lockfiles/npm-v3/package-lock.json", filepath.Join(dir, "good", "package-lock.json"))
	for _, tt := range tests {
		writeFile(t, filepath.Join(dir, tt.path), tt.content)
	}
	huge := filepath.Join(dir, "huge", "package-lock.json")
	writeFile(t, huge, "{")
	if err := os.Truncate(huge, 100<<20); err != nil { // sparse: quick to make
		t.Fatal(err)
	}
	tests = append(tests, struct{ path, content, want string }{"huge/package-lock.json", "", "104857600 bytes, over the limit of 67108864"})

	db, _ := testdataDB(t)
	res, err := Scan(context.Background(), dir, Config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	errs := map[string]string{}
	for _, e := range res.Errors() {
		errs[e.Scope] = e.Message
	}
	for _, tt := range tests {
		if msg, ok := errs[tt.path]; !ok || !strings.Contains(msg, tt.want) {
			t.Errorf("%s: error %q, want %q", tt.path, msg, tt.want)
		}
	}
	if len(errs) != len(tests) {
		t.Errorf("%d errors for %d bad lockfiles: %v", len(errs), len(tests), errs)
	}
	if len(res.Lockfiles) != 1 || res.Lockfiles[0].Path != "good/package-lock.json" || len(res.Findings()) != len(appMatches) {
		t.Errorf("the good lockfile was not scanned: %d lockfiles, %d findings", len(res.Lockfiles), len(res.Findings()))
	}
	if row := res.Row(); row.Status != "fail" || !strings.Contains(row.Detail, "26 of 27 lockfiles could not be read") {
		t.Errorf("row %+v", row)
	}
}

// TestGitAndLocalPackages: a package from a local folder has nothing to
// match and is left out, as is one named by a short commit hash; one from a
// full git commit without a version may be affected by every advisory for
// its name, and says so.
func TestGitAndLocalPackages(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "package-lock.json"), `{
  "lockfileVersion": 1,
  "dependencies": {
    "local": {"version": "file:../local"},
    "from-git": {"version": "git+https://github.com/x/from-git.git#0123456789abcdef0123456789abcdef01234567"},
    "short": {"version": "github:x/short#0123456"},
    "registry": {"version": "1.0.0"}
  }
}`)
	db := loadDB(t, rec("G-1", "from-git", semverRange(`{"introduced": "0"}`, `{"fixed": "2.0.0"}`)), rec("G-2", "from-git", `"versions": ["0.1.0"]`), rec("L", "local", semverRange(`{"introduced": "0"}`)))
	res, err := Scan(context.Background(), dir, Config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	p := res.Lockfiles[0].Packages
	if len(p) != 2 || p[0].Name != "from-git" || p[0].Version != "" || p[0].Commit != "0123456789abcdef0123456789abcdef01234567" || p[0].Line != 5 ||
		p[1].Name != "registry" || p[1].Line != 7 {
		t.Fatalf("packages %+v, want from-git (no version) and registry", p)
	}
	f := res.Findings()
	if len(f) != 2 || f[0].Advisory.ID != "G-1" || f[1].Advisory.ID != "G-2" {
		t.Fatalf("findings %+v, want G-1 and G-2", f)
	}
	if !f[0].NeedsReview || f[0].Package.Version != "" || f[0].Advisory.Fixed != "" ||
		!strings.Contains(f[0].Message, "from-git from git commit 0123456789abcdef0123456789abcdef01234567, installed by package-lock.json, may be affected by G-1") ||
		!strings.Contains(f[0].Message, "every advisory for the name is assumed to apply") {
		t.Errorf("finding %+v", f[0])
	}
}

// TestChainWithoutImporters: a yarn.lock without a package.json beside it
// names no importer; a package nothing depends on heads the chain, and no
// package is known to be for development only.
func TestChainWithoutImporters(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, "testdata/lockfiles/yarn-v1/yarn.lock", filepath.Join(dir, "yarn.lock"))
	res, err := Scan(context.Background(), dir, Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Lockfiles[0].Packages {
		if p.Dev {
			t.Errorf("%s@%s is marked development-only", p.Name, p.Version)
		}
		if p.Name == "ms" && strings.Join(p.Chain, " > ") != "debug@2.6.8 > ms@2.0.0" {
			t.Errorf("ms chain %q", p.Chain)
		}
	}
}

func TestGraphPartialChain(t *testing.T) {
	g := &depGraph{explicitRoots: true}
	root := g.add(gnode{label: ".", root: true})
	a := g.add(gnode{label: "a@1", id: "a@1"})
	b := g.add(gnode{label: "b@1", id: "b@1"})
	c := g.add(gnode{label: "c@1", id: "c@1"})
	g.edge(root, a, false)
	g.edge(b, c, false) // b and c: a cycle no importer reaches
	g.edge(c, b, false)
	info := g.summarize()
	if got := strings.Join(info["a@1"].chain, " > "); got != ". > a@1" {
		t.Errorf("a chain %q", got)
	}
	if got := strings.Join(info["c@1"].chain, " > "); got != "... > b@1 > c@1" {
		t.Errorf("c chain %q", got)
	}
}

func TestLongChainIsShortened(t *testing.T) {
	g := &depGraph{explicitRoots: true}
	prev := g.add(gnode{label: ".", root: true})
	for i := range 30 {
		n := g.add(gnode{label: string(rune('a' + i%26)), id: string(rune('a'+i%26)) + "@" + string(rune('0'+i/26))})
		g.edge(prev, n, false)
		prev = n
	}
	chain := g.summarize()["d@1"].chain
	if len(chain) != maxChain || chain[3] != "..." || chain[0] != "." || chain[len(chain)-1] != "d" {
		t.Errorf("chain %q", chain)
	}
}

// TestLargeShapes reads lockfiles shaped to make quadratic work show: a v1
// entry with 20,000 nested dependencies, v1 nesting at its bound, and
// 20,000-package dependency chains in pnpm and yarn lockfiles.
func TestLargeShapes(t *testing.T) {
	if testing.Short() {
		t.Skip("large lockfiles")
	}
	const n = 20000
	var flat, deep, pnpm, yarn strings.Builder
	flat.WriteString(`{"lockfileVersion": 1, "dependencies": {"top": {"version": "1.0.0", "requires": {"c0": "*"}, "dependencies": {`)
	for i := range n {
		fmt.Fprintf(&flat, "%s\n"+`"c%d": {"version": "1.0.%d", "requires": {"c%d": "*"}}`, map[bool]string{true: ",", false: ""}[i > 0], i, i, (i+1)%n)
	}
	flat.WriteString("}}}}")
	deep.WriteString(`{"lockfileVersion": 1, "dependencies": `)
	for d := range maxNesting - 1 {
		fmt.Fprintf(&deep, `{"n%d": {"version": "1.0.0", "requires": {"r1": "1", "r2": "1", "n%d": "1"}, "dependencies": `, d, d+1)
	}
	deep.WriteString("{}" + strings.Repeat("}}", maxNesting-1) + "}")
	pnpm.WriteString("lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      p0:\n        specifier: '1'\n        version: 1.0.0\npackages:\n")
	for i := range n {
		fmt.Fprintf(&pnpm, "  p%d@1.0.0:\n    resolution: {integrity: sha512-x}\n", i)
	}
	pnpm.WriteString("snapshots:\n")
	for i := range n {
		fmt.Fprintf(&pnpm, "  p%d@1.0.0:\n    dependencies:\n      p%d: 1.0.0\n", i, i+1)
	}
	yarn.WriteString("# yarn lockfile v1\n\n")
	for i := range n {
		fmt.Fprintf(&yarn, "p%d@^1.0.0:\n  version \"1.0.0\"\n  dependencies:\n    p%d \"^1.0.0\"\n\n", i, i+1)
	}
	tests := []struct {
		name, file, content string
		packages            int
		chainOf, chain      string
	}{
		{"flat v1", "package-lock.json", flat.String(), n + 1, "c5@1.0.5", "top@1.0.0 > c0@1.0.0 > c1@1.0.1 > c2@1.0.2 > c3@1.0.3 > c4@1.0.4 > c5@1.0.5"},
		{"deep v1", "package-lock.json", deep.String(), maxNesting - 1, "n2@1.0.0", "n0@1.0.0 > n1@1.0.0 > n2@1.0.0"},
		{"pnpm chain", "pnpm-lock.yaml", pnpm.String(), n, "p19999@1.0.0",
			". > p0@1.0.0 > p1@1.0.0 > ... > p19992@1.0.0 > p19993@1.0.0 > p19994@1.0.0 > p19995@1.0.0 > p19996@1.0.0 > p19997@1.0.0 > p19998@1.0.0 > p19999@1.0.0"},
		{"yarn chain", "yarn.lock", yarn.String(), n, "p3@1.0.0", "p0@1.0.0 > p1@1.0.0 > p2@1.0.0 > p3@1.0.0"},
	}
	for _, tt := range tests {
		start := time.Now()
		lf, err := extractLockfile(context.Background(), fstest.MapFS{}, "app/"+tt.file, []byte(tt.content))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		t.Logf("%s: %d bytes in %v", tt.name, len(tt.content), time.Since(start))
		if len(lf.Packages) != tt.packages {
			t.Errorf("%s: %d packages, want %d", tt.name, len(lf.Packages), tt.packages)
		}
		for _, p := range lf.Packages {
			if p.Name+"@"+p.Version == tt.chainOf && strings.Join(p.Chain, " > ") != tt.chain {
				t.Errorf("%s: chain of %s is %q, want %q", tt.name, tt.chainOf, strings.Join(p.Chain, " > "), tt.chain)
			}
		}
	}
}
