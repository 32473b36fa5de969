package secrets

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ecoscan/ecoscan/internal/finding"
)

// appTree is a small app with secrets where they must be found and where
// they must not: ignored by .gitignore files, in node_modules, in a binary
// file, behind symbolic links.
type appTree struct {
	dir     string
	secrets map[string]string // what each planted secret is called -> the secret
}

func newAppTree(t *testing.T) *appTree {
	t.Helper()
	f := newFake(3)
	a := &appTree{dir: t.TempDir(), secrets: map[string]string{
		"atlassian":   f.atlassianToken(186),
		"access":      f.atlassianAccessToken(),
		"shared":      f.sharedSecret(),
		"dotenv":      f.password(),
		"manifest":    f.password(),
		"aws":         f.awsKey(),
		"github":      f.githubPAT(),
		"slack":       f.slackBot(),
		"key":         f.privateKey(),
		"ignored":     f.githubPAT(),
		"nested":      f.githubPAT(),
		"reincluded":  f.githubPAT(),
		"node":        f.githubPAT(),
		"binary":      f.githubPAT(),
		"outside":     f.githubPAT(),
		"large":       f.githubPAT(),
		"built":       f.githubPAT(),
		"deep-ignore": f.githubPAT(),
	}}
	s := a.secrets
	writeTree(t, a.dir, map[string]string{
		".gitignore":                "# build output\n/dist/\n*.log\n!keep.log\nsecrets/**\n**/tmp/\n",
		"src/index.js":              "import api from '@forge/api';\nconst jira = { token: '" + s["atlassian"] + "' };\n",
		"src/bitbucket.py":          "HEADERS = {'Authorization': 'Bearer " + s["access"] + "'}\n",
		"data/store.json":           `{"clientKey":"jira:1","sharedSecret":"` + s["shared"] + `"}` + "\n",
		".env":                      "NODE_ENV=production\nJWT_SECRET=" + s["dotenv"] + "\n",
		".env.example":              "JWT_SECRET=\nDB_PASSWORD=\n",
		"manifest.yml":              "app:\n  id: ari:cloud:ecosystem::app/x\nenvironment:\n  variables:\n    - key: API_TOKEN\n      default: \"" + s["manifest"] + "\"\n",
		"infra/aws.ts":              "export const id = '" + s["aws"] + "';\n",
		"ci/release.sh":             "export GH=" + s["github"] + "\n",
		"bot/slack.js":              "module.exports = '" + s["slack"] + "';\n",
		"deploy/id_rsa":             s["key"] + "\n",
		"dist/bundle.js":            "var t='" + s["built"] + "';\n",
		"app.log":                   "token " + s["ignored"] + "\n",
		"keep.log":                  "nothing here\n",
		"secrets/prod/creds.txt":    s["deep-ignore"] + "\n",
		"pkg/.gitignore":            "local.js\n!important.js\n",
		"pkg/local.js":              "const t = '" + s["nested"] + "';\n",
		"pkg/tmp/cache.js":          "const t = '" + s["nested"] + "';\n",
		"node_modules/lib/index.js": "const t = '" + s["node"] + "';\n",
		"docs/README.md":            "Set JWT_SECRET in your .env file; see .env.example.\n",
		"src/placeholders.js":       "const cfg = { sharedSecret: '${SHARED_SECRET}', apiToken: process.env.API_TOKEN };\n",
		"src/reincluded/.gitignore": "*.js\n!keep.js\n",
		"src/reincluded/keep.js":    "const t = '" + s["reincluded"] + "';\n",
		"src/reincluded/dropped.js": "const t = '" + s["nested"] + "';\n",
		"assets/logo.dat":           "\x00\x01PNG" + s["binary"] + "\n",
		"certs/client.p12":          "\x00\x01binary",
		"large/bundle.js":           strings.Repeat("// padding\n", 200) + "const t = '" + s["large"] + "';\n",
	})
	// A secret outside the tree, linked from inside; a loop of links.
	outside := filepath.Join(t.TempDir(), "out.js")
	if err := os.WriteFile(outside, []byte("const t = '"+s["outside"]+"';\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{
		"src/linked.js":  outside,
		"src/loop":       ".",
		"src/up":         "..",
		"src/self-loop":  "self-loop",
		"src/index-copy": "index.js",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(a.dir, filepath.FromSlash(name))); err != nil {
			t.Fatal(err)
		}
	}
	return a
}

func TestScanTree(t *testing.T) {
	a := newAppTree(t)
	r := scan(t, a.dir, Config{MaxFileSize: 1024})

	want := map[string]string{ // file -> rule
		"src/index.js":           "secrets/atlassian-api-token",
		"src/bitbucket.py":       "secrets/atlassian-access-token",
		"data/store.json":        "secrets/atlassian-connect-shared-secret",
		".env":                   "secrets/dotenv-secret",
		"manifest.yml":           "secrets/forge-manifest-literal-secret",
		"infra/aws.ts":           "secrets/aws-access-token",
		"ci/release.sh":          "secrets/github-pat",
		"bot/slack.js":           "secrets/slack-bot-token",
		"deploy/id_rsa":          "secrets/private-key",
		"src/reincluded/keep.js": "secrets/github-pat",
		"certs/client.p12":       "secrets/pkcs12-file",
	}
	got := map[string]string{}
	for _, f := range r.Findings() {
		if prev, dup := got[f.Location.File]; dup {
			t.Errorf("%s: two findings (%s, %s)", f.Location.File, prev, f.Rule)
		}
		got[f.Location.File] = f.Rule
		if err := f.Location.Validate(); err != nil {
			t.Errorf("%s: %v", f.Rule, err)
		}
		if f.Requirement != "5" || f.Fingerprint == "" || f.Remediation != remediation {
			t.Errorf("%s: incomplete finding %+v", f.Rule, f)
		}
	}
	for file, rule := range want {
		if got[file] != rule {
			t.Errorf("%s: got %q, want %q", file, got[file], rule)
		}
	}
	for file, rule := range got {
		if want[file] == "" {
			t.Errorf("%s: unexpected %s", file, rule)
		}
	}
	if errs := r.Errors(); len(errs) != 0 {
		t.Errorf("errors: %v", errs)
	}

	row := r.Row()
	if row.Requirement != "5" || row.Status != finding.Fail {
		t.Errorf("row: %+v", row)
	}
	for _, part := range []string{"11 committed secrets in 11 files", " MB scanned", "2 binary", "1 larger than 1.0 kB", "5 symbolic links"} {
		if !strings.Contains(row.Detail, part) {
			t.Errorf("row detail %q lacks %q", row.Detail, part)
		}
	}

	// No field of any finding, error or row shows a secret.
	out := resultJSON(t, r)
	for name, s := range a.secrets {
		if strings.Contains(out, s) {
			t.Errorf("the %s secret appears in the result", name)
		}
		for _, line := range strings.Split(s, "\n") {
			if len(line) >= 12 && strings.Contains(out, line) {
				t.Errorf("a line of the %s secret appears in the result", name)
			}
		}
	}
}

func TestScanNodeModules(t *testing.T) {
	f := newFake(4)
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"node_modules/dep/index.js": "const t = '" + f.githubPAT() + "';\n"})
	if n := len(scan(t, dir, Config{}).Findings()); n != 0 {
		t.Errorf("node_modules scanned by default: %d findings", n)
	}
	r := scan(t, dir, Config{IncludeNodeModules: true})
	if fs := r.Findings(); len(fs) != 1 || fs[0].Location.File != "node_modules/dep/index.js" {
		t.Errorf("IncludeNodeModules: %v", rulesOf(fs))
	}
}

func TestScanLargeFileDefault(t *testing.T) {
	f := newFake(5)
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"big.js": strings.Repeat("x", 2000) + "\nconst t = '" + f.githubPAT() + "';\n"})
	if n := len(scan(t, dir, Config{}).Findings()); n != 1 {
		t.Errorf("default size limit: %d findings", n)
	}
	r := scan(t, dir, Config{MaxFileSize: 100})
	if n := len(r.Findings()); n != 0 || r.Row().Status != finding.Pass || !strings.Contains(r.Row().Detail, "1 larger than") {
		t.Errorf("over the limit: %d findings, row %+v", n, r.Row())
	}
}

// TestFingerprintFollowsSecret: a secret that moves within its file keeps
// its fingerprint; another secret, rule or file has another one.
func TestFingerprintFollowsSecret(t *testing.T) {
	f := newFake(6)
	secret, other := f.githubPAT(), f.githubPAT()
	fp := func(name, content string) string {
		t.Helper()
		fs := scanOne(t, name, content)
		if len(fs) != 1 {
			t.Fatalf("%d findings: %v", len(fs), rulesOf(fs))
		}
		return fs[0].Fingerprint
	}
	a := fp("ci.sh", "GH="+secret+"\n")
	if b := fp("ci.sh", "# moved down\n\n\n  GH="+secret+"\n"); b != a {
		t.Errorf("moved secret: fingerprint %s, was %s", b, a)
	}
	if b := fp("ci.sh", "GH="+other+"\n"); b == a {
		t.Error("another secret has the same fingerprint")
	}
	if b := fp("ci2.sh", "GH="+secret+"\n"); b == a {
		t.Error("another file has the same fingerprint")
	}
}

// TestRepeatedSecret: the same secret twice in a file is one finding that
// lists its lines.
func TestRepeatedSecret(t *testing.T) {
	s := newFake(7).githubPAT()
	fs := scanOne(t, "a.sh", "A="+s+"\nB=1\nC="+s+"\n")
	if len(fs) != 1 || fs[0].Location.Line != 1 || !slices.Contains(fs[0].Evidence, "occurrences: 2 (lines 1, 3)") {
		t.Errorf("findings: %+v", fs)
	}
}

func TestShown(t *testing.T) {
	for secret, want := range map[string]string{
		"ATATT3xFfGF0abcdefgh":         "ATAT… (20 chars)",
		"hunter2":                      "h… (7 chars)",
		"abc":                          "… (3 chars)",
		"":                             "… (0 chars)",
		"\x00\x01\x02\x03ABCDEFGHIJKL": "????… (16 chars)",
		"éééééééé":                     "éé… (8 chars)",
	} {
		if got := Shown(secret); got != want {
			t.Errorf("Shown(%q) = %q, want %q", secret, got, want)
		}
	}
}

func TestScanErrors(t *testing.T) {
	if _, err := Scan(t.Context(), filepath.Join(t.TempDir(), "missing"), Config{}); err == nil {
		t.Error("missing directory: no error")
	}
	file := filepath.Join(t.TempDir(), "file")
	writeTree(t, filepath.Dir(file), map[string]string{"file": "x"})
	if _, err := Scan(t.Context(), file, Config{}); err == nil {
		t.Error("a file: no error")
	}
	if os.Geteuid() == 0 {
		t.Skip("root reads unreadable files")
	}
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"locked/a.js": "x", "closed.js": "x", "ok.js": "x"})
	for _, p := range []string{"locked", "closed.js"} {
		if err := os.Chmod(filepath.Join(dir, p), 0); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.Chmod(filepath.Join(dir, p), 0o755) })
	}
	r := scan(t, dir, Config{})
	var scopes []string
	for _, e := range r.Errors() {
		scopes = append(scopes, e.Scope)
	}
	if !slices.Equal(scopes, []string{"closed.js", "locked"}) {
		t.Errorf("error scopes: %v", scopes)
	}
	if row := r.Row(); row.Status != finding.Errored {
		t.Errorf("row: %+v", row)
	}
}

func TestScanCancelled(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a.js": "x", "b/c.js": "y"})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	r, err := Scan(ctx, dir, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if row := r.Row(); row.Status != finding.Errored || len(r.Errors()) == 0 {
		t.Errorf("cancelled scan: row %+v, errors %v", row, r.Errors())
	}
}

func TestScanEmptyTree(t *testing.T) {
	row := scan(t, t.TempDir(), Config{}).Row()
	if row.Status != finding.Pass || row.Detail != "0 files, 0.0 MB scanned" {
		t.Errorf("row: %+v", row)
	}
}

// TestScanSymlinkedRoot: a root given through a link is scanned.
func TestScanSymlinkedRoot(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"real/ci.sh": "GH=" + newFake(8).githubPAT() + "\n"})
	link := filepath.Join(dir, "link")
	if err := os.Symlink(filepath.Join(dir, "real"), link); err != nil {
		t.Fatal(err)
	}
	if fs := scan(t, link, Config{}).Findings(); len(fs) != 1 || fs[0].Location.File != "ci.sh" {
		t.Errorf("findings: %v", fs)
	}
}
