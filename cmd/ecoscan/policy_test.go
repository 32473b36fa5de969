package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecoscan/ecoscan/internal/connect/connecttest"
	"github.com/ecoscan/ecoscan/internal/finding"
	"github.com/ecoscan/ecoscan/internal/report/schema"
)

// lockTree copies the npm test lockfile into a new tree and returns it.
func lockTree(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../internal/supply/deps/testdata/lockfiles/npm-v3/package-lock.json")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "package-lock.json"), string(b))
	return dir
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// expiry is a date a suppression written now is valid on for a year.
var expiry = time.Now().UTC().AddDate(1, 0, 0).Format(time.DateOnly)

// TestSuppressionsAndBaseline runs the deps scan with the tree's
// .ecoscan.yml, --config and --baseline, and checks the exit codes, the
// reports and the diagnostics.
func TestSuppressionsAndBaseline(t *testing.T) {
	db := advisoryDB(t)
	env := []string{"ECOSCAN_DATA_DIR=" + t.TempDir(), "ECOSCAN_OSV_DB="}
	deps := func(t *testing.T, tree string, args ...string) result {
		t.Helper()
		return ecoscan(t, nil, env, append([]string{"deps", tree, "--osv-db", db}, args...)...)
	}

	// The scan without suppressions: the findings every case below starts from.
	plain := lockTree(t)
	r := deps(t, plain, "--format", "json")
	base := decode(t, r.stdout)
	if r.code != finding.ExitFindings || len(base.Findings) < 2 {
		t.Fatalf("exit %d, %d findings: the test needs two or more\n%s", r.code, len(base.Findings), r.stderr)
	}
	first := base.Findings[0]
	oldReport := filepath.Join(t.TempDir(), "old.json")
	writeFile(t, oldReport, r.stdout)

	entry := func(key, value, reason, expires string) string {
		return "  - " + key + ": " + value + "\n    reason: " + reason + "\n    expires: " + expires + "\n"
	}
	all := "version: 1\nsuppressions:\n" +
		entry("fingerprint", first.Fingerprint, "reviewed, not reachable", expiry) +
		"  - rule: " + first.Rule + "\n    location: {file: '**/package-lock.json'}\n    reason: dev tooling only\n    expires: " + expiry + "\n"
	expired := "version: 1\nsuppressions:\n" + entry("fingerprint", first.Fingerprint, "old decision", "2020-01-31")

	tests := []struct {
		name       string
		treeConfig string   // the tree's .ecoscan.yml, if any
		args       []string // more flags
		wantCode   int
		check      func(t *testing.T, rep finding.Report, r result)
	}{
		{
			name: "suppressed by the tree's config", treeConfig: all, wantCode: finding.ExitClean,
			check: func(t *testing.T, rep finding.Report, r result) {
				if len(rep.Findings) != len(base.Findings) || rep.Suppressed() != len(base.Findings) {
					t.Errorf("%d findings, %d suppressed; want all %d listed and suppressed", len(rep.Findings), rep.Suppressed(), len(base.Findings))
				}
				for _, f := range rep.Findings {
					s := f.Suppression
					switch {
					case s == nil:
						t.Errorf("%s not suppressed", f.Fingerprint)
					case f.Fingerprint == first.Fingerprint && (s.By != finding.ByFingerprint || s.Reason != "reviewed, not reachable" || !strings.HasSuffix(s.Source, ".ecoscan.yml:3")):
						t.Errorf("first finding's suppression %+v", s)
					case f.Fingerprint != first.Fingerprint && (s.By != finding.ByRule || s.Expires != expiry):
						t.Errorf("suppression by rule %+v", s)
					}
				}
				if !strings.Contains(r.stderr, "findings suppressed") {
					t.Errorf("stderr does not say what was suppressed: %s", r.stderr)
				}
			},
		},
		{
			name: "an expired suppression stops applying", treeConfig: expired, wantCode: finding.ExitFindings,
			check: func(t *testing.T, rep finding.Report, r result) {
				if rep.Suppressed() != 0 || len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0].Message, "expired on 2020-01-31") {
					t.Errorf("%d suppressed, warnings %+v", rep.Suppressed(), rep.Warnings)
				}
				if !strings.Contains(r.stderr, "warning: ") || !strings.Contains(r.stderr, ".ecoscan.yml:3: the suppression of fingerprint "+first.Fingerprint+" expired on 2020-01-31") {
					t.Errorf("stderr does not warn of the expired suppression: %s", r.stderr)
				}
			},
		},
		{
			name: "--config instead of the tree's", treeConfig: "version: 1\nbroken: yes\n", args: []string{"--config", "CONFIG"}, wantCode: finding.ExitClean,
			check: func(t *testing.T, rep finding.Report, r result) {
				if rep.Suppressed() != len(base.Findings) || !strings.Contains(r.stderr, "is not read") {
					t.Errorf("%d suppressed; stderr %s", rep.Suppressed(), r.stderr)
				}
			},
		},
		{
			name: "baseline", args: []string{"--baseline", oldReport}, wantCode: finding.ExitClean,
			check: func(t *testing.T, rep finding.Report, r result) {
				if len(rep.Findings) != 0 || rep.Baseline == nil || rep.Baseline.Known != len(base.Findings) || rep.Baseline.File != oldReport {
					t.Errorf("%d findings, baseline %+v; want none, %d known from %s", len(rep.Findings), rep.Baseline, len(base.Findings), oldReport)
				}
				if !strings.Contains(r.stderr, "known findings left out") {
					t.Errorf("stderr: %s", r.stderr)
				}
			},
		},
		{
			name: "baseline and an expired suppression", treeConfig: expired, args: []string{"--baseline", oldReport}, wantCode: finding.ExitClean,
			check: func(t *testing.T, rep finding.Report, r result) {
				if len(rep.Findings) != 0 || len(rep.Warnings) != 1 {
					t.Errorf("%d findings, warnings %+v", len(rep.Findings), rep.Warnings)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tree := lockTree(t)
			if tt.treeConfig != "" {
				writeFile(t, filepath.Join(tree, ".ecoscan.yml"), tt.treeConfig)
			}
			args := append([]string{"--format", "json"}, tt.args...)
			for i, a := range args {
				if a == "CONFIG" {
					args[i] = filepath.Join(t.TempDir(), "accepted.yml")
					writeFile(t, args[i], all)
				}
			}
			r := deps(t, tree, args...)
			if r.code != tt.wantCode {
				t.Fatalf("exit %d, want %d\n%s", r.code, tt.wantCode, r.stderr)
			}
			if err := schema.Validate([]byte(r.stdout)); err != nil {
				t.Errorf("the report does not match the schema: %v", err)
			}
			tt.check(t, decode(t, r.stdout), r)
		})
	}

	// Every format shows the suppressed findings as suppressed.
	tree := lockTree(t)
	writeFile(t, filepath.Join(tree, ".ecoscan.yml"), all)
	for format, want := range map[string]string{"text": "Suppressed (", "markdown": "### Suppressed (", "html": `<h2 id="suppressed">Suppressed (`, "sarif": `"kind": "external"`} {
		if r := deps(t, tree, "--format", format); r.code != finding.ExitClean || !strings.Contains(r.stdout, want) {
			t.Errorf("%s: exit %d, output without %q:\n%.2000s", format, r.code, want, r.stdout)
		}
	}
}

// TestPolicyErrors checks that a configuration or baseline that cannot be
// used is exit 2 with the place and the problem on stderr, and no report.
func TestPolicyErrors(t *testing.T) {
	db := advisoryDB(t)
	env := []string{"ECOSCAN_DATA_DIR=" + t.TempDir(), "ECOSCAN_OSV_DB="}
	dir := t.TempDir()
	badConfig := filepath.Join(dir, "bad.yml")
	writeFile(t, badConfig, "version: 1\nsuppressions:\n  - rule: deps/vulnerable-dependency\n    expires: 2027-31-01\n")
	sarif := filepath.Join(dir, "old.sarif")
	writeFile(t, sarif, `{"version": "2.1.0", "runs": []}`)
	tests := []struct {
		name       string
		treeConfig string
		args       []string
		want       []string // on stderr
	}{
		{"invalid tree config", "version: 1\nsuppressions:\n  - fingerprint: 5f1c0a9e2b7d4c31\n    reason: r\n    expires: 2027-01-31\n    owner: me\n", nil,
			[]string{".ecoscan.yml:6:5: unknown key \"owner\""}},
		{"tree config without reason", "version: 1\nsuppressions:\n  - rule: deps/vulnerable-dependency\n    expires: 2027-01-31\n", nil,
			[]string{".ecoscan.yml:3:9: a suppression needs a reason"}},
		{"invalid --config", "", []string{"--config", badConfig},
			[]string{"--config: " + badConfig + `:4:14: expires: "2027-31-01" is not a date`, badConfig + ":3:9: a suppression needs a reason"}},
		{"missing --config", "", []string{"--config", filepath.Join(dir, "missing.yml")}, []string{"--config: read config: open "}},
		{"SARIF as baseline", "", []string{"--baseline", sarif}, []string{"--baseline: baseline " + sarif + ` is not an ecoscan JSON report (no "schema"`}},
		{"missing baseline", "", []string{"--baseline", filepath.Join(dir, "missing.json")}, []string{"--baseline: read baseline: open "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tree := lockTree(t)
			if tt.treeConfig != "" {
				writeFile(t, filepath.Join(tree, ".ecoscan.yml"), tt.treeConfig)
			}
			r := ecoscan(t, nil, env, append([]string{"deps", tree, "--osv-db", db, "--format", "json"}, tt.args...)...)
			if r.code != finding.ExitError || r.stdout != "" {
				t.Fatalf("exit %d, stdout %q: want exit 2 and no report\n%s", r.code, r.stdout, r.stderr)
			}
			for _, want := range tt.want {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
				}
			}
		})
	}
}

// TestPolicyOnEveryCommand checks the other call sites: connect --source
// reads the source tree's config, host reads --config, and --output picks
// the new formats by extension.
func TestPolicyOnEveryCommand(t *testing.T) {
	app := start(t)
	tree := lockTree(t)
	writeFile(t, filepath.Join(tree, ".ecoscan.yml"),
		"version: 1\nsuppressions:\n  - rule: deps/vulnerable-dependency\n    reason: dev tooling\n    expires: "+expiry+"\n")
	r := ecoscan(t, app, []string{"ECOSCAN_DATA_DIR=" + t.TempDir()}, "connect", app.DescriptorURL, "--source", tree, "--osv-db", advisoryDB(t), "--format", "json")
	rep := decode(t, r.stdout)
	if r.code != finding.ExitClean || len(rep.Findings) == 0 || rep.Suppressed() != len(rep.Findings) {
		t.Errorf("connect --source: exit %d, %d findings, %d suppressed\n%s", r.code, len(rep.Findings), rep.Suppressed(), r.stderr)
	}

	short := start(t, connecttest.HSTSShort)
	config := filepath.Join(t.TempDir(), "hsts.yml")
	writeFile(t, config, "version: 1\nsuppressions:\n  - rule: tls/hsts-max-age\n    location: {host: 127.0.0.1}\n    reason: test server\n    expires: "+expiry+"\n")
	out := filepath.Join(t.TempDir(), "report.html")
	r = ecoscan(t, short, nil, "host", short.BaseURL+"/atlassian-connect.json", "--config", config, "--output", out)
	page, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if r.code != finding.ExitClean || !strings.Contains(string(page), "<!DOCTYPE html>") || !strings.Contains(string(page), "suppressed until "+expiry) {
		t.Errorf("host --config: exit %d\n%s\n%.3000s", r.code, r.stderr, page)
	}

	md := filepath.Join(t.TempDir(), "comment.md")
	r = ecoscan(t, short, nil, "host", short.BaseURL+"/atlassian-connect.json", "--output", md)
	if b, err := os.ReadFile(md); err != nil || r.code != finding.ExitFindings || !strings.HasPrefix(string(b), "## ecoscan: host ") {
		t.Errorf("--output comment.md: exit %d, %v\n%s", r.code, err, b)
	}
}
