package secrets

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/zricethezav/gitleaks/v8/detect"
)

// FuzzScanFile scans arbitrary bytes as one file under three names (code,
// a .env file, a Forge manifest): no panic, no secret in the findings, and
// the same leaks as gitleaks' own detector on the whole file. The seed
// corpus is in testdata/fuzz/FuzzScanFile; the seeds with secrets are made
// here, at run time.
func FuzzScanFile(f *testing.F) {
	e, err := loadEngine()
	if err != nil {
		f.Fatal(err)
	}
	fk := newFake(10)
	for _, s := range []string{
		"const t = '" + fk.atlassianToken(150) + "';\n",
		"JWT_SECRET=" + fk.password() + "\nexport API_KEY=\"" + fk.password() + "\"\n",
		"environment:\n  variables:\n    - key: API_TOKEN\n      default: " + fk.password() + "\n",
		`{"sharedSecret":"` + fk.sharedSecret() + `"}`,
		fk.privateKey() + "\n" + fk.githubPAT() + "\n",
	} {
		f.Add([]byte(s))
	}
	full := detect.NewDetector(e.book.gitleaks)
	f.Fuzz(func(t *testing.T, content []byte) {
		d := e.newDetector()
		for _, name := range []string{"src/app.js", ".env", "manifest.yml"} {
			leaks := e.book.settle(d.leaks(t.Context(), name, content))
			if want := e.book.settle(oracle(t, e, full, name, string(content))); !slices.Equal(leakKeys(leaks), leakKeys(want)) {
				t.Fatalf("%s: engine %v, gitleaks %v", name, leakKeys(leaks), leakKeys(want))
			}
			for _, l := range leaks {
				checkNotShown(t, e.book, name, l)
			}
		}
	})
}

// checkNotShown fails when a leak's finding shows its secret, raw or as
// JSON escapes it, other than where the same finding made for another
// secret of the same length shows the same text (a short secret can be a
// word of the finding's fixed text).
func checkNotShown(t *testing.T, b *rulebook, name string, l leak) {
	t.Helper()
	if l.secret == "" {
		return
	}
	other := l
	other.secret = strings.Repeat("\x7f", len(l.secret))
	js := marshal(t, b.finding(name, l, []int{l.line}))
	ghost := marshal(t, b.finding(name, other, []int{l.line}))
	escaped := strings.Trim(marshal(t, l.secret), `"`)
	for _, s := range []string{l.secret, escaped} {
		if strings.Contains(js, s) && !strings.Contains(ghost, s) {
			t.Fatalf("the finding shows the secret %q: %s", l.secret, js)
		}
	}
}

func marshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
