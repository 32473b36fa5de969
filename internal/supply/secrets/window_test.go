package secrets

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/zricethezav/gitleaks/v8/config"
	"github.com/zricethezav/gitleaks/v8/detect"
)

func TestWindowPlan(t *testing.T) {
	for _, c := range []struct {
		regex    string
		keywords []string
		window   bool
		reach    reach
		anchored bool
	}{
		{`\b(AKIA[A-Z2-7]{16})\b`, []string{"akia"}, true, reach{0, 0}, true},
		{`(?i)[\w.-]{0,50}?(?:token|secret)[ \t]{0,3}[\s'"]{0,3}=[\s]{0,2}(\w{10})`, []string{"token", "secret"}, true, reach{0, 5}, true},
		{`(?i)to(?:k|x)en\w{5}`, []string{"token"}, false, reach{}, false},                 // "toxen" has no keyword
		{`(?:abc|xyz)def`, []string{"abc"}, false, reach{}, false},                         // nor has "xyzdef"
		{`hooks.slack.com/\w+`, []string{"hooks.slack.com"}, false, reach{}, false},        // "." is any character
		{`[Tt]oken=\w+`, []string{"token"}, true, reach{0, 0}, true},                       // a class the prefilter lower-cases
		{`(?i)key=\w+`, []string{"key"}, true, reach{0, 0}, true},                          // a folded literal
		{`x[\s\S]{0,3}token=\w+`, []string{"token"}, true, reach{3, 0}, false},             // the keyword is not where matches start
		{`\w+_TOKEN=\w+`, []string{"_token"}, true, reach{0, 0}, false},                    // ...
		{`key\s*=\s*"\w+"`, []string{"key"}, false, reach{}, false},                        // any number of lines
		{`-----BEGIN[\s\S]{64,}?KEY-----`, []string{"-----begin"}, false, reach{}, false},  // ...
		{`^token=\w+`, []string{"token"}, false, reach{}, false},                           // anchored at the text's start
		{`(?m)^token=\w+`, []string{"token"}, true, reach{0, 0}, true},                     // at a line's start is fine
		{`(?:xox[bp]-\d{10}-)\w{20}`, []string{"xoxb-", "xoxp-"}, true, reach{0, 0}, true}, // a class inside the keyword
		{`(?:\d{3}-)?xoxb-\w{20}`, []string{"xoxb-"}, true, reach{0, 0}, true},             // an optional start
		{`(?:ab){1,3}cd`, []string{"abcd"}, true, reach{0, 0}, false},                      // "ababcd" does not start with it
		{`(?:to){1}ken=\w+`, []string{"token"}, true, reach{0, 0}, true},
		{`(?:ab)+cd`, []string{"abcd"}, true, reach{0, 0}, false}, // every match ends with the keyword, few start with it
	} {
		r := config.Rule{RuleID: "r", Regex: regexp.MustCompile(c.regex), Keywords: c.keywords}
		p := windowPlan(r)
		rc, anchor, ok := p.reach, p.anchor, p.window
		if ok != c.window || (ok && rc != c.reach) || (anchor != nil) != c.anchored {
			t.Errorf("%s: window %v %+v anchored %v; want %v %+v %v", c.regex, ok, rc, anchor != nil, c.window, c.reach, c.anchored)
		}
		if anchor != nil && !strings.Contains(anchor.String(), `\A`) {
			t.Errorf("%s: anchor %s", c.regex, anchor)
		}
	}
}

// TestAnchorIsRelaxed: wherever a rule matches, its anchor matches at the
// start of the match's keyword.
func TestAnchorIsRelaxed(t *testing.T) {
	re := regexp.MustCompile(`(?i)[\w.-]{0,50}?(?:api[_-]?key|token)[ \t]{0,20}[=:][ \t]{0,5}['"]?([a-z0-9]{16,64})['"]?(?:\s|$)`)
	anchor, ok := anchor(mustParse(t, re.String()), []string{"apikey", "api_key", "api-key", "token"})
	if !ok {
		t.Fatal("no anchor")
	}
	for _, s := range []string{
		"my_api_key = '" + strings.Repeat("ab", 10) + "'\n",
		"TOKEN" + strings.Repeat(" ", 20) + ":" + strings.Repeat(" ", 5) + strings.Repeat("a", 64) + "\n",
		"x.token=abcdefghijklmnop",
	} {
		m := re.FindStringIndex(s)
		if m == nil {
			t.Fatalf("%q: the rule does not match", s)
		}
		lower := strings.ToLower(s)
		at := -1
		for _, k := range []string{"api_key", "token"} {
			if i := strings.Index(lower[m[0]:], k); i >= 0 && (at < 0 || m[0]+i < at) {
				at = m[0] + i
			}
		}
		if !anchor.MatchString(s[at:]) {
			t.Errorf("%q: the anchor rejects the keyword at %d", s, at)
		}
	}
}

// TestDefaultRulesPlan: most of gitleaks' rules run on windows; a few
// whose matches need not hold their keyword do not.
func TestDefaultRulesPlan(t *testing.T) {
	e, err := loadEngine()
	if err != nil {
		t.Fatal(err)
	}
	windowed := 0
	plan := map[string]bool{}
	for _, p := range e.rules {
		plan[p.cfg.OrderedRules[0]] = p.window
		if p.window {
			windowed++
		}
	}
	if windowed < len(e.rules)*3/4 {
		t.Errorf("only %d of %d rules on windows", windowed, len(e.rules))
	}
	for id, want := range map[string]bool{
		"generic-api-key": true, "aws-access-token": true, "github-pat": true, "atlassian-api-token": true,
		"private-key": false, "slack-webhook-url": false, "facebook-access-token": false, "dotenv-secret": false,
	} {
		if plan[id] != want {
			t.Errorf("%s: on windows %v, want %v", id, plan[id], want)
		}
	}
}

// TestWindowsFindWhatGitleaksFinds compares the engine with gitleaks' own
// detector run with every rule on whole files, on generated files that mix
// ordinary code with secrets of many shapes, on one line or several.
func TestWindowsFindWhatGitleaksFinds(t *testing.T) {
	e, err := loadEngine()
	if err != nil {
		t.Fatal(err)
	}
	d := e.newDetector()
	full := detect.NewDetector(e.book.gitleaks)
	r := rand.New(rand.NewPCG(9, 9))
	f := newFake(9)
	names := []string{"src/app.js", "src/view.tsx", ".env", "infra/main.tf", "deploy/secret.yaml", "manifest.yml", "notes.md", "config.py"}
	files, minLeaks := 120, 200
	if raceEnabled {
		files, minLeaks = 12, 20
	}
	total := 0
	for n := range files {
		name := names[n%len(names)]
		content := mixedFile(r, f, 20+r.IntN(200))
		got := e.book.settle(d.leaks(t.Context(), name, []byte(content)))
		want := e.book.settle(oracle(t, e, full, name, content))
		total += len(want)
		if !slices.Equal(leakKeys(got), leakKeys(want)) {
			t.Fatalf("%s (file %d):\nengine:   %v\ngitleaks: %v\n--- content ---\n%s", name, n, leakKeys(got), leakKeys(want), content)
		}
	}
	t.Logf("%d leaks in the generated files", total)
	if total < minLeaks {
		t.Errorf("only %d leaks in the generated files: the comparison proves little", total)
	}
}

// oracle is what gitleaks' detector with every rule finds in a whole file,
// plus the manifest check, as leaks.
func oracle(t testing.TB, e *engine, full *detect.Detector, name, content string) []leak {
	t.Helper()
	tx := newText([]byte(content))
	out := tx.appendLeaks(nil, 0, detectIn(t.Context(), full, name, tx.raw))
	if e.book.forge.applies(name) {
		for _, v := range e.book.forge.find([]byte(content)) {
			out = append(out, tx.leakAt(e.book.forge.id, v))
		}
	}
	return out
}

func leakKeys(ls []leak) []string {
	var out []string
	for _, l := range ls {
		out = append(out, fmt.Sprintf("%s@%d:%d+%d", l.rule, l.line, l.column, len(l.secret)))
	}
	slices.Sort(out)
	return out
}

// mixedFile is ordinary code with secrets of many shapes among it.
func mixedFile(r *rand.Rand, f *fake, lines int) string {
	secretLines := []func() string{
		func() string { return "const apiKey = '" + f.pick(alnum, 32) + "';" },
		func() string { return "  token:\n    \"" + f.pick(alnum, 24) + "\"," },
		func() string { return "password =\n\n  '" + f.pick(alnum, 16) + "'" },
		func() string { return "JWT_SECRET=" + f.password() },
		func() string { return "export AWS_KEY=" + f.awsKey() },
		func() string { return "gh: " + f.githubPAT() },
		func() string { return "slack = '" + f.slackBot() + "'" },
		func() string { return f.privateKey() },
		func() string { return "auth: { jira: '" + f.atlassianToken(100+r.IntN(150)) + "' }" },
		func() string { return "h = 'Bearer " + f.atlassianAccessToken() + "'" },
		func() string { return `{"sharedSecret":"` + f.sharedSecret() + `"}` },
		func() string { return `"val":"{\"sharedSecret\":\"` + f.sharedSecret() + `\"}"` },
		func() string {
			return "eyJ" + f.pick(alnum, 30) + ".eyJ" + f.pick(alnum, 40) + "." + f.pick(alnum, 30)
		},
		func() string { return "kind: Secret\ndata:\n  password: " + f.pick(b64, 24) },
		func() string { return "resource \"x\" {\n  password = \"" + f.pick(alnum, 12) + "\"\n}" },
		func() string {
			return "environment:\n  variables:\n    - key: API_TOKEN\n      default: " + f.password()
		},
		func() string { return "vault: s." + f.pick(alnum, 24) },
		func() string { return "x = 'hvs." + f.pick(b64url, 100) + "'" },
		func() string { return "stripe: sk_live_" + f.pick(alnum, 24) },
		func() string { return "naïve = 'café' // " + f.pick(alnum, 10) },
		func() string { return "\u212aEY = '" + f.pick(alnum, 32) + "'" }, // KELVIN SIGN: the whole-file path
		func() string {
			return "dup = '" + f.githubPAT() + "' // and a generic_secret = '" + f.pick(alnum, 20) + "'"
		},
		func() string { return "ghp_" + f.pick(alnum, 36) + " gitleaks:allow" },
	}
	var b strings.Builder
	for range lines {
		switch x := r.IntN(10); {
		case x < 2:
			b.WriteString(secretLines[r.IntN(len(secretLines))]())
		case x < 3:
		default:
			b.WriteString(sourceLine(r))
		}
		b.WriteByte('\n')
	}
	return b.String()
}
