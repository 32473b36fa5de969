package secrets

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecoscan/ecoscan/internal/finding"
)

// The tokens of the tests are made at run time from a seeded generator:
// well-formed for the rules, but never written in the repository, where
// they would trip secret scanners and push protection.

const (
	upper   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	lowerAZ = "abcdefghijklmnopqrstuvwxyz"
	digits  = "0123456789"
	alnum   = upper + lowerAZ + digits
	b64url  = alnum + "-_"
	b64     = alnum + "+/"
	hexUp   = "0123456789ABCDEF"
)

// fake makes random tokens of the shapes the rules look for.
type fake struct{ r *rand.Rand }

func newFake(seed uint64) *fake { return &fake{rand.New(rand.NewPCG(seed, 0x5ec7e75))} }

func (f *fake) pick(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[f.r.IntN(len(alphabet))]
	}
	return string(b)
}

// atlassianToken is an Atlassian API token: ATATT3xFfGF0, a base64url body
// of varying length, "=" and an 8-digit upper-case hex checksum.
func (f *fake) atlassianToken(body int) string {
	return "ATATT3" + "xFfGF0" + f.pick(b64url, body) + "=" + f.pick(hexUp, 8)
}

// atlassianAccessToken is a Bitbucket access token or an organization API key.
func (f *fake) atlassianAccessToken() string {
	return "ATCTT3" + "xFfGN0" + f.pick(b64url, 170) + "=" + f.pick(hexUp, 8)
}

func (f *fake) awsKey() string { return "AKIA" + f.pick("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16) }

func (f *fake) githubPAT() string { return "ghp" + "_" + f.pick(alnum, 36) }

func (f *fake) slackBot() string {
	return "xoxb" + "-" + f.pick(digits, 12) + "-" + f.pick(digits, 13) + "-" + f.pick(alnum, 24)
}

// privateKey is a PEM block with a random body.
func (f *fake) privateKey() string {
	var b strings.Builder
	b.WriteString("-----BEGIN " + "RSA PRIVATE KEY-----\n")
	for range 6 {
		b.WriteString(f.pick(b64, 64) + "\n")
	}
	b.WriteString("-----END " + "RSA PRIVATE KEY-----")
	return b.String()
}

func (f *fake) sharedSecret() string { return f.pick(b64, 43) + "=" }

func (f *fake) password() string { return f.pick(alnum, 20) }

// writeTree writes files (path -> content) under dir.
func writeTree(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func scan(t testing.TB, dir string, cfg Config) *Result {
	t.Helper()
	r, err := Scan(t.Context(), dir, cfg)
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	return r
}

// scanOne scans a tree of one file and returns its findings.
func scanOne(t testing.TB, name, content string) []finding.Finding {
	t.Helper()
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{name: content})
	return scan(t, dir, Config{}).Findings()
}

// rulesOf lists the rule ids of findings.
func rulesOf(fs []finding.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Rule)
	}
	return out
}

// resultJSON is everything a result shows, as JSON.
func resultJSON(t testing.TB, r *Result) string {
	t.Helper()
	b, err := json.Marshal(struct {
		Findings []finding.Finding
		Errors   []finding.Error
		Row      finding.Check
	}{r.Findings(), r.Errors(), r.Row()})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
