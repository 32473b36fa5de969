package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ecoscan/ecoscan/internal/connect/connecttest"
	"github.com/ecoscan/ecoscan/internal/finding"
)

// binary is ecoscan built once for these tests: they run it as users do,
// with its exit codes, its streams and SSL_CERT_FILE.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ecoscan-cli")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "ecoscan")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		panic("build ecoscan: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
}

// ecoscan runs the binary trusting app's certificate through SSL_CERT_FILE.
func ecoscan(t *testing.T, app *connecttest.App, env []string, args ...string) result {
	t.Helper()
	if len(args) > 0 && slices.Contains(args, "connect") {
		args = append(args, "--rate=0") // the polite default rate would only slow the tests
	}
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	if app != nil {
		cert, err := app.WriteCert(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		cmd.Env = append(cmd.Env, "SSL_CERT_FILE="+cert)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, stdout.String(), stderr.String()}
}

func start(t *testing.T, flaws ...connecttest.Flaw) *connecttest.App {
	t.Helper()
	app, err := connecttest.Start(flaws...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.Close)
	return app
}

func decode(t *testing.T, s string) finding.Report {
	t.Helper()
	var r finding.Report
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		t.Fatalf("stdout is not a JSON report: %v\n%s", err, s)
	}
	return r
}

func TestExitCodes(t *testing.T) {
	correct := start(t)
	flawed := start(t, connecttest.ForgedAccepted) // one high finding
	cases := []struct {
		name string
		app  *connecttest.App
		args []string
		want int
	}{
		{"clean app", correct, nil, finding.ExitClean},
		{"high finding", flawed, nil, finding.ExitFindings},
		{"high finding, fail on critical", flawed, []string{"--fail-on", "critical"}, finding.ExitClean},
		{"high finding, fail on high", flawed, []string{"--fail-on", "high"}, finding.ExitFindings},
		{"high finding, fail on none", flawed, []string{"--fail-on", "none"}, finding.ExitClean},
		{"bad fail-on", flawed, []string{"--fail-on", "severe"}, finding.ExitError},
		{"bad format", flawed, []string{"--format", "pdf"}, finding.ExitError},
		{"unknown flag", flawed, []string{"--frobnicate"}, finding.ExitError},
		{"secret without client key", flawed, []string{"--shared-secret", "x"}, finding.ExitError},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"connect", c.app.DescriptorURL, "--quiet"}, c.args...)
			r := ecoscan(t, c.app, nil, args...)
			if r.code != c.want {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, c.want, r.stdout, r.stderr)
			}
			if c.want == finding.ExitError && (r.stdout != "" || !strings.Contains(r.stderr, "ecoscan:")) {
				t.Errorf("a usage error must say so on stderr and print no report: stdout %q stderr %q", r.stdout, r.stderr)
			}
		})
	}
}

func TestUnusableDescriptorIsExitTwoWithoutReport(t *testing.T) {
	app := start(t)
	r := ecoscan(t, app, nil, "connect", app.BaseURL+"/no-such-descriptor.json")
	if r.code != finding.ExitError || r.stdout != "" || !strings.Contains(r.stderr, "404") {
		t.Fatalf("exit %d stdout %q stderr %q: want exit 2, no report, the 404 on stderr", r.code, r.stdout, r.stderr)
	}
	// Without SSL_CERT_FILE the fixture's certificate is not trusted: a clear error, never a report.
	r = ecoscan(t, nil, []string{"SSL_CERT_FILE=/nonexistent"}, "connect", app.DescriptorURL)
	if r.code != finding.ExitError || r.stdout != "" || !strings.Contains(r.stderr, "certificate") {
		t.Fatalf("exit %d stdout %q stderr %q: want exit 2 naming the certificate", r.code, r.stdout, r.stderr)
	}
}

func TestFormats(t *testing.T) {
	app := start(t, connecttest.ForgedAccepted)
	// Flags after the argument, JSON to a file chosen by its extension.
	out := filepath.Join(t.TempDir(), "report.json")
	r := ecoscan(t, app, nil, "connect", app.DescriptorURL, "--output", out, "--quiet")
	if r.code != finding.ExitFindings || r.stdout != "" {
		t.Fatalf("exit %d stdout %q", r.code, r.stdout)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	rep := decode(t, string(b))
	if rep.Schema != finding.Schema || len(rep.Findings) != 1 || rep.Findings[0].Rule != "connect/authn-forged-jwt-accepted" {
		t.Fatalf("report %+v", rep)
	}

	r = ecoscan(t, app, nil, "--format", "sarif", "connect", app.DescriptorURL, "--quiet")
	var sarif struct {
		Version string `json:"version"`
		Runs    []struct {
			Results []struct {
				RuleID string `json:"ruleId"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &sarif); err != nil || sarif.Version != "2.1.0" || len(sarif.Runs) != 1 || len(sarif.Runs[0].Results) != 1 {
		t.Fatalf("sarif: %v %+v\n%s", err, sarif, r.stdout)
	}

	r = ecoscan(t, app, []string{"NO_COLOR="}, "connect", app.DescriptorURL, "--format", "text", "--quiet")
	if !strings.Contains(r.stdout, "connect/authn-forged-jwt-accepted") || strings.Contains(r.stdout, "\x1b[") {
		t.Fatalf("text report without colour expected off a terminal:\n%s", r.stdout)
	}
	// Not a terminal and no --format: JSON, so pipelines get something to parse.
	r = ecoscan(t, app, nil, "connect", app.DescriptorURL, "--quiet")
	decode(t, r.stdout)
}

func TestSecretsNeverPrinted(t *testing.T) {
	app := start(t, connecttest.QSHIgnored)
	for _, format := range []string{"json", "text", "sarif"} {
		r := ecoscan(t, app, []string{"ECOSCAN_SHARED_SECRET=" + app.SharedSecret},
			"connect", app.DescriptorURL, "--client-key", app.ClientKey, "--user-jwt", app.UserJWT, "--format", format)
		if r.code != finding.ExitFindings {
			t.Fatalf("%s: exit %d, stderr %s", format, r.code, r.stderr)
		}
		if !strings.Contains(r.stdout, "connect/qsh-not-verified") {
			t.Errorf("%s: the test installation was not used: %s", format, r.stdout)
		}
		for _, secret := range []string{app.SharedSecret, app.UserJWT, "eyJ"} {
			if strings.Contains(r.stdout+r.stderr, secret) {
				t.Errorf("%s output contains a secret (%.12s...)", format, secret)
			}
		}
	}
}

func TestVersion(t *testing.T) {
	r := ecoscan(t, nil, nil, "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "ecoscan ") {
		t.Fatalf("version: %+v", r)
	}
}

func TestHostCommand(t *testing.T) {
	correct := start(t)
	short := start(t, connecttest.HSTSShort)
	hostOf := func(app *connecttest.App) string { return strings.TrimPrefix(app.BaseURL, "https://") }

	r := ecoscan(t, correct, nil, "host", hostOf(correct), "--format", "json")
	if r.code != finding.ExitClean {
		t.Fatalf("correct host: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	rep := decode(t, r.stdout)
	rows := map[string]finding.Status{}
	for _, c := range rep.Checks {
		rows[c.Requirement] = c.Status
	}
	if rep.Target.Kind != "host" || rows["3"] != finding.Pass || rows["6.2"] != finding.Pass || rows["1.1"] != finding.NotApplicable {
		t.Errorf("checks of a healthy loopback host: %+v", rep.Checks)
	}

	r = ecoscan(t, short, nil, "host", short.BaseURL+"/atlassian-connect.json", "--format", "json")
	rep = decode(t, r.stdout)
	if r.code != finding.ExitFindings || len(rep.Findings) != 1 || rep.Findings[0].Rule != "tls/hsts-max-age" {
		t.Fatalf("HSTS max-age 300: exit %d, findings %+v", r.code, rep.Findings)
	}

	for _, bad := range []string{"ftp://x", "host:99999", "a b"} {
		if r := ecoscan(t, nil, nil, "host", bad); r.code != finding.ExitError || r.stdout != "" {
			t.Errorf("host %q: exit %d stdout %q, want a usage error", bad, r.code, r.stdout)
		}
	}
}
