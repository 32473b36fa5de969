package forge

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/ecoscan/ecoscan/internal/finding"
	"github.com/ecoscan/ecoscan/internal/forge/analysis"
	"github.com/ecoscan/ecoscan/internal/supply/secrets"
)

// Requirement 5 for Forge code: no literal keys, no literal credentials, no
// secrets in plain storage or in logs. Token patterns anywhere in the tree and
// literal provider secrets in the manifest come from the source scan
// (package supply/secrets), merged into the same row.

var hardcodedKeyRule = finding.Rule{
	ID:          "forge/hardcoded-key",
	Requirement: "5",
	Title:       "Literal key passed to a crypto or JWT function",
	CVSS:        7.5,
	Remediation: "Keep keys in encrypted environment variables (forge variables set --encrypt) or secret storage (kvs.setSecret), read them at run time, and rotate the exposed key.",
	Doc:         "A key written in the source is in every copy of the code and every bundle. The functions that take keys, and which argument is the key, are the table analysis/keys.json (jsonwebtoken, atlassian-jwt, jwt-simple, jose, crypto, crypto-js). Constants are followed across variables, object fields, template literals and imports.",
}

var hardcodedAuthRule = finding.Rule{
	ID:          "forge/hardcoded-authorization",
	Requirement: "5",
	Title:       "Literal credentials in an Authorization header",
	CVSS:        7.5,
	Remediation: "Read the credential from an encrypted environment variable or secret storage at run time, and revoke the exposed one; for external services prefer Forge's OAuth 2.0 providers.",
	Doc:         "An Authorization value written in the source (Basic, Bearer, token) is a credential in every copy of the code.",
}

var plainStorageRule = finding.Rule{
	ID:          "forge/secret-in-plain-storage",
	Requirement: "5",
	Title:       "Secret written to plain (unencrypted) storage",
	CVSS:        6.5,
	Remediation: "Store secrets with kvs.setSecret (or storage.setSecret) and read them with getSecret.",
	Doc:         "Forge's set() stores values that app code and support tooling can read back in clear; setSecret stores them encrypted. A value from a secret's home (process.env, getSecret) or from an input field named like a secret (token, password, apiKey), or any value stored under such a key, belongs in secret storage.",
}

var secretLoggedRule = finding.Rule{
	ID:          "forge/secret-logged",
	Requirement: "5",
	Title:       "Secret written to the log",
	CVSS:        6.5,
	Remediation: "Do not log secrets or tokens; log that a value is present, or a short non-reversible fingerprint of it.",
	Doc:         "Forge logs are kept and shown to the app's developers and support; a secret or token written there (a value from process.env or getSecret, or an input field named like a secret) leaks to everyone who reads them.",
}

var secretsCheck = check{requirement: "5", rules: []finding.Rule{hardcodedKeyRule, hardcodedAuthRule, plainStorageRule, secretLoggedRule}, run: runSecrets}

// authValue is an Authorization value with its scheme and credentials.
var authValue = regexp.MustCompile(`(?i)^\s*(basic|bearer|token|jwt|apikey|api-key)\s+(\S{8,})\s*$`)

func runSecrets(p *pass) finding.Check {
	n := 0
	for _, e := range p.events(analysis.CryptoKey) {
		lit, where, ok := literal(e.Arg)
		if !ok || len(lit) < 6 {
			continue
		}
		n++
		loc := at(e)
		if where.File != "" {
			loc = finding.Source(where.File, where.Pos.Line, where.Pos.Col)
		}
		msg := fmt.Sprintf("%s receives a key written in the source: %s.", e.Detail, secrets.Shown(lit))
		p.add(hardcodedKeyRule.New(loc, msg, "key used by "+e.Detail+" at "+e.Where(), callPath(e)))
	}
	for _, e := range p.events(analysis.AuthHeader) {
		lit, where, ok := literal(e.Arg)
		if !ok {
			continue
		}
		m := authValue.FindStringSubmatch(lit)
		if m == nil {
			continue
		}
		n++
		loc := at(e)
		if where.File != "" {
			loc = finding.Source(where.File, where.Pos.Line, where.Pos.Col)
		}
		msg := fmt.Sprintf("An Authorization header carries literal %s credentials: %s.", m[1], secrets.Shown(m[2]))
		p.add(hardcodedAuthRule.New(loc, msg, "header written at "+e.Where()))
	}
	for _, e := range p.events(analysis.StorageWrite) {
		if e.SecretStore || len(e.Args) < 2 || !strings.HasSuffix(e.Detail, "set") {
			continue
		}
		key, keyKnown := e.Args[0].ConstString()
		_, valueLiteral := e.Args[1].ConstString()
		why := ""
		switch {
		case keyKnown && analysis.SecretName(key) && !valueLiteral:
			why = fmt.Sprintf("under the key %q", key)
		case secretOrigin(e.Args[1]) != "":
			why = "the value comes from " + secretOrigin(e.Args[1])
		}
		if why == "" {
			continue
		}
		n++
		msg := fmt.Sprintf("storage %s writes a secret to plain storage (%s).", e.Detail, why)
		p.add(plainStorageRule.New(at(e), msg, callPath(e)))
	}
	for _, e := range p.events(analysis.Log) {
		for _, a := range e.Args {
			origin := secretOrigin(a)
			if origin == "" {
				continue
			}
			n++
			msg := fmt.Sprintf("%s writes %s to the log.", e.Detail, origin)
			p.add(secretLoggedRule.New(at(e), msg, callPath(e)))
			break
		}
	}
	if n > 0 {
		return finding.Check{Status: finding.Fail, Detail: fmt.Sprintf("%d secrets in code, storage or logs", n)}
	}
	return finding.Check{Status: finding.Pass, Detail: "no literal keys or credentials in code, no secrets in plain storage or logs"}
}

// literal returns the text of a fully known string and where it was written.
func literal(v *analysis.Value) (string, *analysis.Value, bool) {
	if v == nil {
		return "", nil, false
	}
	s, ok := v.ConstString()
	return s, v, ok
}

// secretOrigin names where a value's secret comes from, when it comes
// directly from a secret's home or an input field named like a secret; "" if
// it does not.
func secretOrigin(v *analysis.Value) string {
	return secretOriginDepth(v, 0)
}

func secretOriginDepth(v *analysis.Value, depth int) string {
	if depth < 3 {
		for _, k := range v.Keys() {
			pv := v.Prop(k)
			if _, literal := pv.ConstString(); analysis.SecretName(k) && !literal && (pv.Kind == analysis.KUnknown || pv.Kind == analysis.KString) {
				return "the field " + k
			}
			if o := secretOriginDepth(pv, depth+1); o != "" {
				return o
			}
		}
	}
	for _, o := range v.Origins() {
		last := o[strings.LastIndexByte(o, '.')+1:]
		switch {
		case o == "storage.getSecret":
			return "secret storage (getSecret)"
		case strings.HasPrefix(o, "process.env.") && analysis.SecretName(last):
			return o
		case !strings.HasPrefix(o, "process.env.") && analysis.SecretName(last):
			return "the input field " + o
		}
	}
	return ""
}
