package secrets

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// shownPrefix is how many characters of a secret a finding shows at most.
const shownPrefix = 4

// Shown is how a finding shows a secret: its first characters and its
// length, as "ATAT… (192 chars)". It shows at most 4 characters, and no more
// than a quarter of the secret, so that a short password is not mostly
// printed; characters that are not printable show as "?".
func Shown(secret string) string {
	n := utf8.RuneCountInString(secret)
	k := min(shownPrefix, n/4)
	var b strings.Builder
	for _, r := range secret {
		if k == 0 {
			break
		}
		k--
		if !unicode.IsPrint(r) {
			r = '?'
		}
		b.WriteRune(r)
	}
	return fmt.Sprintf("%s… (%d chars)", b.String(), n)
}

// fingerprintKey keys the HMAC that stands for a secret in a fingerprint.
//
// The fingerprint of a secret finding is made from the rule, the file and
// this HMAC of the secret, never from the line, so that a secret that moves
// within its file keeps its fingerprint and its ticket. The key is fixed
// and public because a fingerprint must be the same on every machine and in
// every run; what the HMAC gives is a one-way value in which the secret
// cannot be read, that no table of plain SHA-256 digests of leaked secrets
// matches, and of which finding.Fingerprint keeps 64 bits only. As with any
// stable fingerprint, someone who already holds a candidate secret can test
// it; the rules look for high-entropy tokens, for which guessing is not an
// option, and a salt of our own would break the stability the tickets need.
var fingerprintKey = []byte("ecoscan/secrets fingerprint v1")

// secretDigest is the part of a fingerprint that stands for the secret.
func secretDigest(secret string) string {
	m := hmac.New(sha256.New, fingerprintKey)
	m.Write([]byte(secret))
	return hex.EncodeToString(m.Sum(nil)[:16])
}
