package tlsprobe

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ecoscan/ecoscan/internal/finding"
)

// The rules. CVSS v3 base scores: 7.4 is AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:N
// (REFERENCE's score for TLS below 1.2), 5.9 the same with I:N (a passive
// attacker with the key or the means to break a weak primitive reads
// traffic), 8.1 REFERENCE's score for an invalid certificate (6.2), 3.1 a
// warning with time to act.
var (
	ruleOldProtocol = finding.Rule{
		ID: "tls/protocol-below-1.2", Requirement: "3", CVSS: 7.4,
		Title:       "Host accepts a protocol version below TLS 1.2",
		Remediation: "Disable SSLv2, SSLv3, TLS 1.0 and TLS 1.1; accept TLS 1.2 and TLS 1.3 only.",
		Doc:         "Each of SSLv2, SSLv3, TLS 1.0 and TLS 1.1 is offered alone in a hand-built ClientHello; the version is accepted when the server answers with a ServerHello (or SSLv2 SERVER-HELLO) of that version. The evidence lists the accepted versions.",
	}
	ruleNoForwardSecrecy = finding.Rule{
		ID: "tls/no-forward-secrecy", Requirement: "3", CVSS: 5.9,
		Title:       "Host accepts TLS 1.2 cipher suites without forward secrecy",
		Remediation: "Accept only ECDHE or DHE key exchange under TLS 1.2 (drop the TLS_RSA_*, static DH/ECDH and plain PSK suites).",
		Doc:         "The TLS 1.2 suites are enumerated in the server's order of preference; a suite whose key exchange is static (RSA key transport, static DH or ECDH, PSK or RSA_PSK) lets whoever obtains the server's key decrypt recorded sessions.",
	}
	ruleWeakCipher = finding.Rule{
		ID: "tls/weak-cipher", Requirement: "3", CVSS: 7.4,
		Title:       "Host accepts weak cipher suites",
		Remediation: "Disable NULL, anonymous, export, RC4, RC2, DES, 3DES and IDEA suites under every version.",
		Doc:         "The suites of every accepted version are enumerated; a suite is weak when it encrypts nothing (NULL), authenticates no server (anon), is export grade, or uses RC4, RC2, DES, or a 64-bit block cipher (3DES, IDEA: Sweet32).",
	}
	ruleCertUntrusted = finding.Rule{
		ID: "tls/cert-untrusted", Requirement: "6.2", CVSS: 8.1,
		Title:       "Certificate does not chain to a trusted root",
		Remediation: "Serve a certificate issued by a publicly trusted CA, with the complete intermediate chain.",
		Doc:         "The chain the server sends is verified with crypto/x509 against the trust store (or the configured roots) for server authentication, at an instant within the certificates' validity so that expiry is reported by its own rule. Self-signed certificates, unknown issuers, missing intermediates and SHA-1 signatures fail.",
	}
	ruleCertNameMismatch = finding.Rule{
		ID: "tls/cert-name-mismatch", Requirement: "6.2", CVSS: 8.1,
		Title:       "Certificate is not valid for the host name",
		Remediation: "Serve a certificate whose subject alternative names include the host name (or IP address) clients use.",
		Doc:         "The leaf certificate's DNS names (or, for an IP address, its IP addresses) are matched against the name that was probed, wildcards as crypto/x509 matches them.",
	}
	ruleCertExpired = finding.Rule{
		ID: "tls/cert-expired", Requirement: "6.2", CVSS: 8.1,
		Title:       "Certificate has expired",
		Remediation: "Renew the certificate, and automate renewal.",
		Doc:         "The leaf, or an intermediate the server sends, is past its NotAfter at the time of the scan.",
	}
	ruleCertNotYetValid = finding.Rule{
		ID: "tls/cert-not-yet-valid", Requirement: "6.2", CVSS: 8.1,
		Title:       "Certificate is not yet valid",
		Remediation: "Serve a certificate whose validity has begun; check the issuing system's clock.",
		Doc:         "The leaf, or an intermediate the server sends, is before its NotBefore at the time of the scan.",
	}
	ruleCertExpiringSoon = finding.Rule{
		ID: "tls/cert-expiring-soon", Requirement: "6.2", CVSS: 3.1,
		Title:       "Certificate expires within 30 days",
		Remediation: "Renew the certificate before it expires, and automate renewal.",
		Doc:         "The leaf, or an intermediate the server sends, reaches its NotAfter within 30 days of the scan.",
	}
	ruleCertWeakKey = finding.Rule{
		ID: "tls/cert-weak-key", Requirement: "6.2", CVSS: 5.9,
		Title:       "Certificate has a weak key",
		Remediation: "Use an RSA key of at least 2048 bits or an EC key of at least 256 bits.",
		Doc:         "A certificate the server sends has an RSA or DSA key under 2048 bits or an EC key under 224 bits.",
	}
	ruleCertSHA1 = finding.Rule{
		ID: "tls/cert-sha1-signature", Requirement: "6.2", CVSS: 5.9,
		Title:       "Certificate is signed with SHA-1 or MD5",
		Remediation: "Have the certificate reissued with a SHA-256 (or stronger) signature.",
		Doc:         "A certificate the server sends, other than a self-signed root, is signed with SHA-1 or MD5, for which collisions can be made; clients refuse such chains, so the chain is reported untrusted too.",
	}
)

// verdict is what a judge found.
type verdict struct {
	note     string // a few words for the checks table
	message  string
	evidence []string
}

// checks is the table of judgements: each rule and the function that finds
// its problem in a Result.
var checks = []struct {
	rule  finding.Rule
	judge func(r *Result) (verdict, bool)
}{
	{ruleOldProtocol, judgeOldProtocol},
	{ruleNoForwardSecrecy, judgeForwardSecrecy},
	{ruleWeakCipher, judgeWeakCipher},
	{ruleCertUntrusted, judgeUntrusted},
	{ruleCertNameMismatch, judgeName},
	{ruleCertExpired, certFlag("has expired", func(c CertInfo) (bool, string) {
		return c.Expired, "expired " + stamp(c.NotAfter)
	})},
	{ruleCertNotYetValid, certFlag("is not yet valid", func(c CertInfo) (bool, string) {
		return c.NotYetValid, "valid from " + stamp(c.NotBefore)
	})},
	{ruleCertExpiringSoon, certFlag("expires within 30 days", func(c CertInfo) (bool, string) {
		return c.ExpiresSoon, "expires " + stamp(c.NotAfter)
	})},
	{ruleCertWeakKey, certFlag("has a weak key", func(c CertInfo) (bool, string) {
		return c.WeakKey, fmt.Sprintf("%s key of %d bits", c.KeyAlgorithm, c.KeyBits)
	})},
	{ruleCertSHA1, certFlag("is signed with SHA-1 or MD5", func(c CertInfo) (bool, string) {
		return c.WeakSignature, "signed with " + c.SignatureAlgorithm
	})},
}

// Rules are the rules of this package.
func Rules() []finding.Rule {
	rules := make([]finding.Rule, len(checks))
	for i, c := range checks {
		rules[i] = c.rule
	}
	return rules
}

// Findings judges the result: one finding per rule that fails, at the
// host:port.
func (r *Result) Findings() []finding.Finding {
	var out []finding.Finding
	for _, c := range checks {
		if v, ok := c.judge(r); ok {
			out = append(out, c.rule.New(finding.Host(r.Host, r.Port), v.message, v.evidence...))
		}
	}
	return out
}

// Checks are the rows of the checks table this host contributes: requirement
// "3" (protocols and suites) and requirement "6.2" (the certificate). Merge
// them with the other parts of those requirements (finding.MergeChecks).
func (r *Result) Checks() []finding.Check {
	return []finding.Check{r.row("3"), r.row("6.2")}
}

func (r *Result) row(req string) finding.Check {
	var notes []string
	for _, c := range checks {
		if c.rule.Requirement != req {
			continue
		}
		if v, ok := c.judge(r); ok {
			notes = append(notes, v.note)
		}
	}
	untested := ""
	if req == "3" {
		untested = r.untested()
	}
	switch {
	case len(notes) > 0 && untested != "":
		return finding.Check{Requirement: req, Status: finding.Fail, Detail: r.Addr() + ": " + strings.Join(notes, "; ") + "; could not test " + untested}
	case len(notes) > 0:
		return finding.Check{Requirement: req, Status: finding.Fail, Detail: r.Addr() + ": " + strings.Join(notes, "; ")}
	case req == "3":
		return r.protocolRow(untested)
	default:
		return r.certificateRow()
	}
}

// untested lists the versions and suite lists that reached no verdict.
func (r *Result) untested() string {
	var out []string
	for _, p := range r.Protocols {
		switch {
		case p.State == Errored:
			out = append(out, fmt.Sprintf("%s (%s)", p.Version, p.Detail))
		case p.SuitesError != "":
			out = append(out, fmt.Sprintf("%s suites (%s)", p.Version, p.SuitesError))
		}
	}
	return strings.Join(out, ", ")
}

// protocolRow is requirement 3's row when no rule failed: a pass only when
// every version and every suite list reached a verdict.
func (r *Result) protocolRow(untested string) finding.Check {
	row := finding.Check{Requirement: "3", Status: finding.Errored}
	var accepted []string
	for _, p := range r.Protocols {
		if p.State == Supported {
			accepted = append(accepted, p.Version.String())
		}
	}
	switch {
	case untested != "":
		row.Detail = fmt.Sprintf("%s: could not test %s", r.Addr(), untested)
	case len(accepted) == 0:
		row.Detail = r.Addr() + ": accepts no protocol version"
	default:
		row.Status = finding.Pass
		row.Detail = fmt.Sprintf("%s: accepts %s only, forward secrecy on every TLS 1.2 suite, no weak suite", r.Addr(), strings.Join(accepted, ", "))
	}
	return row
}

// certificateRow is requirement 6.2's row (the certificate part) when no rule
// failed.
func (r *Result) certificateRow() finding.Check {
	if r.Certificate == nil {
		return finding.Check{Requirement: "6.2", Status: finding.Errored,
			Detail: fmt.Sprintf("%s: certificate not read: %s", r.Addr(), r.CertificateError)}
	}
	leaf := r.Certificate.Chain[0]
	return finding.Check{Requirement: "6.2", Status: finding.Pass,
		Detail: fmt.Sprintf("%s: certificate trusted, valid for %s until %s", r.Addr(), r.Certificate.Name, leaf.NotAfter.UTC().Format(time.DateOnly))}
}

func judgeOldProtocol(r *Result) (verdict, bool) {
	var names, evidence []string
	for _, p := range r.Protocols {
		if p.State != Supported || p.Version >= TLS12 {
			continue
		}
		names = append(names, p.Version.String())
		e := p.Version.String() + ": accepted"
		if len(p.Suites) > 0 {
			e += fmt.Sprintf(" (%d suites, first %s)", len(p.Suites), p.Suites[0])
		}
		evidence = append(evidence, e)
	}
	if len(names) == 0 {
		return verdict{}, false
	}
	list := strings.Join(names, ", ")
	return verdict{
		note:     "accepts " + list,
		message:  fmt.Sprintf("%s accepts %s, below the required TLS 1.2.", r.Addr(), list),
		evidence: evidence,
	}, true
}

func judgeForwardSecrecy(r *Result) (verdict, bool) {
	p, _ := r.Protocol(TLS12)
	var evidence []string
	for _, s := range p.Suites {
		if !s.ForwardSecrecy {
			evidence = append(evidence, fmt.Sprintf("TLS 1.2: %s, key exchange %s", s, s.KeyExchange))
		}
	}
	if len(evidence) == 0 {
		return verdict{}, false
	}
	return verdict{
		note:     fmt.Sprintf("%d TLS 1.2 suites without forward secrecy", len(evidence)),
		message:  fmt.Sprintf("%s accepts %d TLS 1.2 cipher suites with a static key exchange, without forward secrecy.", r.Addr(), len(evidence)),
		evidence: evidence,
	}, true
}

func judgeWeakCipher(r *Result) (verdict, bool) {
	var (
		evidence, kinds, versions []string
		distinct                  = map[uint32]bool{}
	)
	for _, p := range r.Protocols {
		weakHere := false
		for _, s := range p.Suites {
			if !s.Weak() {
				continue
			}
			weakHere, distinct[s.ID] = true, true
			evidence = append(evidence, fmt.Sprintf("%s: %s: %s", p.Version, s, strings.Join(s.Weaknesses, ", ")))
			for _, w := range s.Weaknesses {
				if !slices.Contains(kinds, w) {
					kinds = append(kinds, w)
				}
			}
		}
		if weakHere {
			versions = append(versions, p.Version.String())
		}
	}
	if len(evidence) == 0 {
		return verdict{}, false
	}
	what := fmt.Sprintf("%d weak cipher suites (%s)", len(distinct), strings.Join(kinds, ", "))
	return verdict{
		note:     what,
		message:  fmt.Sprintf("%s accepts %s under %s.", r.Addr(), what, strings.Join(versions, ", ")),
		evidence: evidence,
	}, true
}

func judgeUntrusted(r *Result) (verdict, bool) {
	c := r.Certificate
	if c == nil || c.Trusted {
		return verdict{}, false
	}
	return verdict{
		note:     "certificate untrusted: " + c.TrustError,
		message:  fmt.Sprintf("The certificate of %s does not chain to a trusted root: %s.", r.Addr(), c.TrustError),
		evidence: chainEvidence(c.Chain),
	}, true
}

func judgeName(r *Result) (verdict, bool) {
	c := r.Certificate
	if c == nil || c.NameMatches {
		return verdict{}, false
	}
	leaf := c.Chain[0]
	return verdict{
		note:    "certificate not valid for " + c.Name,
		message: fmt.Sprintf("The certificate of %s is not valid for %s.", r.Addr(), c.Name),
		evidence: []string{
			"subject: " + leaf.Subject,
			"DNS names: " + strings.Join(leaf.DNSNames, ", "),
			"IP addresses: " + strings.Join(leaf.IPAddresses, ", "),
		},
	}, true
}

// certFlag makes the judge of a per-certificate problem: phrase says what is
// wrong with a certificate ("has expired"), flagged whether a certificate has
// the problem and its particulars for the evidence.
func certFlag(phrase string, flagged func(CertInfo) (bool, string)) func(*Result) (verdict, bool) {
	return func(r *Result) (verdict, bool) {
		if r.Certificate == nil {
			return verdict{}, false
		}
		var evidence []string
		for i, c := range r.Certificate.Chain {
			if bad, particulars := flagged(c); bad {
				evidence = append(evidence, fmt.Sprintf("certificate %d (%s): %s", i, c.Subject, particulars))
			}
		}
		if len(evidence) == 0 {
			return verdict{}, false
		}
		return verdict{
			note:     "certificate " + phrase,
			message:  fmt.Sprintf("%s serves a certificate that %s.", r.Addr(), phrase),
			evidence: evidence,
		}, true
	}
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// chainEvidence describes the chain, one certificate a line.
func chainEvidence(chain []CertInfo) []string {
	out := make([]string, len(chain))
	for i, c := range chain {
		out[i] = fmt.Sprintf("certificate %d: subject %q, issuer %q, %s, sha256 %s", i, c.Subject, c.Issuer, c.SignatureAlgorithm, c.SHA256)
	}
	return out
}
