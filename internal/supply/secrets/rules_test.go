package secrets

import (
	"slices"
	"strings"
	"testing"
)

// ruleCase is a file that a rule must report, or must not.
type ruleCase struct {
	name    string
	file    string
	content string
	want    bool
}

// ruleCases are the true positives and their nearest true negatives of
// each rule of rules.toml (TestEveryRuleHasCases checks that none lacks
// either).
func ruleCases(f *fake) map[string][]ruleCase {
	atlassian := f.atlassianToken(180)
	short := f.atlassianToken(120)
	legacy := f.pick(lowerAZ+digits, 20) + f.pick("abcdef0123456789", 4)
	shared := f.sharedSecret()
	return map[string][]ruleCase{
		"atlassian-api-token": {
			{"token in code", "src/jira.js", "const auth = { user: 'me@example.com', token: '" + atlassian + "' };\n", true},
			{"token of another length", "scripts/sync.sh", "export TOKEN=" + short + "\n", true},
			{"legacy token by a product name", "config.yml", "jira_api_token: " + legacy + "\n", true},
			{"token without its checksum", "src/jira.js", "const t = '" + strings.Split(atlassian, "=")[0] + "';\n", false},
			{"prefix only, in docs", "README.md", "Atlassian API tokens start with ATATT3xFfGF0.\n", false},
			{"part of a longer base64 run", "data.txt", "x" + atlassian + "AAAA\n", false},
		},
		"atlassian-access-token": {
			{"bearer token in a script", "deploy.py", "AUTH = 'Bearer " + f.atlassianAccessToken() + "'\n", true},
			{"prefix only", "README.md", "Access tokens look like ATCTT3xFfGN0...\n", false},
		},
		"atlassian-connect-shared-secret": {
			{"installation store", "store.json", `{"clientKey":"jira:1234","sharedSecret":"` + shared + `","baseUrl":"https://x.atlassian.net"}` + "\n", true},
			{"escaped JSON in a database dump", "dump.json", `{"key":"clientInfo","val":"{\"clientKey\":\"abc\",\"sharedSecret\":\"` + shared + `\"}"}` + "\n", true},
			{"JS object", "src/test-fixture.js", "module.exports = { sharedSecret: '" + shared + "' };\n", true},
			{"environment reference", "store.json", `{"sharedSecret": "${SHARED_SECRET}"}` + "\n", false},
			{"changeme", "config.js", "const config = { sharedSecret: 'changeme' };\n", false},
			{"words joined by dashes", "appsettings.json", `{"SharedSecret": "your-shared-secret-minimum-32-chars"}` + "\n", false},
			{"docs example", "docs/install.json", `{"sharedSecret": "a-secret-key-not-to-be-lost-in-the-example"}` + "\n", false},
			{"code, not a value", "src/lifecycle.js", "const body = '{\"sharedSecret\":\"' + sharedSecret + '\"}';\n", false},
		},
		"dotenv-secret": {
			{"secret key", ".env", "NODE_ENV=production\nJWT_SECRET=" + f.password() + "\n", true},
			{"quoted, exported", "config/.env.production", "export DB_PASSWORD=\"" + f.password() + "\"\n", true},
			{"api key in name.env", "docker/app.env", "STRIPE_SECRET_KEY='" + f.password() + "'\n", true},
			{"weak but literal", ".env.local", "ADMIN_PASSWORD=hunter2\n", true},
			{"example file", ".env.example", "JWT_SECRET=" + f.password() + "\n", false},
			{"empty values", ".env", "JWT_SECRET=\nDB_PASSWORD=\"\"\nAPI_KEY=''\n", false},
			{"references", ".env", "DB_PASSWORD=${VAULT_DB_PASSWORD}\nAPI_TOKEN=$CI_TOKEN\n", false},
			{"placeholder", ".env", "API_KEY=changeme\nCLIENT_SECRET=<your-client-secret>\n", false},
			{"names that hold no secret", ".env", "TOKEN_URL=https://auth.example.com/token\nPUBLIC_KEY=" + f.password() + "\nSESSION_KEY_NAME=sid\n", false},
			{"not a .env file", "notes.txt", "JWT_SECRET=" + f.password() + "\n", false},
		},
		"forge-manifest-literal-secret": {
			{"variable default", "manifest.yml", "app:\n  id: ari:cloud:ecosystem::app/1\nenvironment:\n  variables:\n    - key: API_TOKEN\n      default: " + f.password() + "\n", true},
			{"provider secret", "manifest.yml", "providers:\n  auth:\n    - key: google\n      name: Google\n      type: oauth2\n      clientId: abc.apps.example.com\n      clientSecret: \"" + f.password() + "\"\n", true},
			{"templated variable", "manifest.yml", "environment:\n  variables:\n    - key: API_TOKEN\n      default: ${API_TOKEN}\n", false},
			{"templated provider secret", "manifest.yml", "providers:\n  auth:\n    - key: google\n      clientSecret: '{{ env.GOOGLE_SECRET }}'\n", false},
			{"client id and names only", "manifest.yml", "environment:\n  variables:\n    - API_TOKEN\n    - key: REGION\n      default: eu-west-1\nproviders:\n  auth:\n    - key: google\n      clientId: abc.apps.example.com\n", false},
			{"secret-named key outside the sections", "manifest.yml", "modules:\n  jira:issuePanel:\n    - key: panel\n      token: " + f.password() + "\n", false},
		},
	}
}

func TestOurRules(t *testing.T) {
	for id, cases := range ruleCases(newFake(1)) {
		for _, c := range cases {
			t.Run(id+"/"+c.name, func(t *testing.T) {
				got := slices.Contains(rulesOf(scanOne(t, c.file, c.content)), idPrefix+id)
				if got != c.want {
					t.Errorf("%s in %s: reported %v, want %v\n%s", id, c.file, got, c.want, c.content)
				}
			})
		}
	}
}

func TestEveryRuleHasCases(t *testing.T) {
	cases := ruleCases(newFake(1))
	rules := Rules()
	if len(rules) == 0 {
		t.Fatal("no rules")
	}
	for _, r := range rules {
		id := strings.TrimPrefix(r.ID, idPrefix)
		var pos, neg bool
		for _, c := range cases[id] {
			pos = pos || c.want
			neg = neg || !c.want
		}
		if !pos || !neg {
			t.Errorf("%s: needs a true positive and a true negative (have %v, %v)", r.ID, pos, neg)
		}
		if r.Requirement != "5" || !strings.HasPrefix(r.Title, "Committed secret: ") || r.Remediation != remediation || r.Doc == "" {
			t.Errorf("%s: incomplete rule %+v", r.ID, r)
		}
	}
}

func TestRuleCVSS(t *testing.T) {
	want := map[string]float64{
		"secrets/atlassian-api-token":             9.1,
		"secrets/atlassian-access-token":          9.1,
		"secrets/atlassian-connect-shared-secret": 7.5,
		"secrets/dotenv-secret":                   7.5,
		"secrets/forge-manifest-literal-secret":   7.5,
	}
	for _, r := range Rules() {
		if w, ok := want[r.ID]; !ok || r.CVSS != w {
			t.Errorf("%s: CVSS %v, want %v", r.ID, r.CVSS, w)
		}
	}
	b, err := loadRulebook()
	if err != nil {
		t.Fatal(err)
	}
	aws := b.rule("aws-access-token")
	if aws.ID != "secrets/aws-access-token" || aws.CVSS != 7.5 || aws.Requirement != "5" ||
		!strings.HasPrefix(aws.Title, "Committed secret: ") || aws.Remediation != remediation {
		t.Errorf("gitleaks rule: %+v", aws)
	}
}

// TestGitleaksDefaults checks a few of gitleaks' default rules through a
// scan, and the examples gitleaks allow-lists.
func TestGitleaksDefaults(t *testing.T) {
	f := newFake(2)
	for _, c := range []struct {
		rule, file, content string
		want                bool
	}{
		{"aws-access-token", "src/aws.ts", "const id = '" + f.awsKey() + "';\n", true},
		{"aws-access-token", "src/aws.ts", "const id = 'AKIAIOSFODNN7" + "EXAMPLE';\n", false},
		{"github-pat", "ci/release.sh", "GH=" + f.githubPAT() + "\n", true},
		{"slack-bot-token", "bot/config.js", "export const slack = '" + f.slackBot() + "';\n", true},
		{"private-key", "deploy/id_rsa", f.privateKey() + "\n", true},
		{"private-key", "docs/keys.md", "-----BEGIN " + "RSA PRIVATE KEY-----\n...\n-----END " + "RSA PRIVATE KEY-----\n", false},
		{"generic-api-key", "src/api.js", "const apiKey = process.env.API_KEY;\n", false},
	} {
		got := slices.Contains(rulesOf(scanOne(t, c.file, c.content)), idPrefix+c.rule)
		if got != c.want {
			t.Errorf("%s in %s: reported %v, want %v", c.rule, c.file, got, c.want)
		}
	}
}

func TestParseRulebookErrors(t *testing.T) {
	for name, text := range map[string]string{
		"not toml":        "[[rules]\n",
		"bad regex":       "[[rules]]\nid = \"x\"\ndescription = \"d\"\nsource = \"s\"\nreason = \"r\"\nregex = '''(['''\n",
		"no source":       "[[rules]]\nid = \"x\"\ndescription = \"d\"\nreason = \"r\"\nregex = 'abc'\n",
		"unknown check":   "[[rules]]\nid = \"x\"\ndescription = \"d\"\nsource = \"s\"\nreason = \"r\"\ncheck = \"nope\"\npath = 'x'\n",
		"no forge check":  "[[rules]]\nid = \"x\"\ndescription = \"d\"\nsource = \"s\"\nreason = \"r\"\nregex = 'abc'\n",
		"repeated id":     "[[rules]]\nid = \"x\"\ndescription = \"d\"\nsource = \"s\"\nreason = \"r\"\nregex = 'a'\n[[rules]]\nid = \"x\"\ndescription = \"d\"\nsource = \"s\"\nreason = \"r\"\nregex = 'b'\n",
		"bad check regex": "[[rules]]\nid = \"x\"\ndescription = \"d\"\nsource = \"s\"\nreason = \"r\"\ncheck = \"forge-manifest\"\npath = 'x'\nsections = ['a']\nnames = '('\nnotNames = 'a'\ntemplated = 'a'\nplaceholders = 'a'\n",
	} {
		if _, err := parseRulebook(text); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
