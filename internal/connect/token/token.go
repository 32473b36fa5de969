// Package token provides the building blocks for the JWTs that the Connect
// probes send and read: claims in the Connect shape, signing with HS256 (a
// shared secret), RS256 (a signed-install key with a kid) and "none", fresh
// keys, decoding a user's token without verifying it, and redacting tokens
// and secrets so that they never reach a report or a log.
//
// The package only makes and reads tokens; which tokens a probe sends, and
// how the answers are judged (REFERENCE 3.4), is the scan engine's business.
// Signing uses github.com/golang-jwt/jwt/v5; the qsh claim comes from package
// qsh.
package token

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Claims are the claims of a Connect JWT (REFERENCE 3.2).
//
// Empty fields are left out of the token: an empty string, a zero time and a
// nil map are omitted (a non-nil empty Context is rendered as {}).
type Claims struct {
	// Issuer is "iss": the installation's clientKey for tokens from the
	// product, the app key for tokens from the app.
	Issuer string
	// Subject is "sub": the Atlassian accountId of the user.
	Subject string
	// Audience is "aud": for a signed install, the app's baseUrl.
	Audience string
	// QSH is "qsh": the query string hash of the request (package qsh), or
	// qsh.Context for a context token.
	QSH string
	// IssuedAt is "iat" and ExpiresAt is "exp", rendered as Unix seconds of
	// the time's absolute instant, so no time zone can skew them.
	IssuedAt, ExpiresAt time.Time
	// Context is "context": the product context (user, issue, project...).
	Context map[string]any
	// Extra holds any further claims. They are rendered after the named
	// fields, so an Extra entry replaces a named claim of the same name (a
	// probe can send a malformed "iat", for instance).
	Extra map[string]any
}

// mapClaims renders c as JWT claims.
func (c Claims) mapClaims() jwt.MapClaims {
	m := jwt.MapClaims{}
	setString := func(name, v string) {
		if v != "" {
			m[name] = v
		}
	}
	setString("iss", c.Issuer)
	setString("sub", c.Subject)
	setString("aud", c.Audience)
	setString("qsh", c.QSH)
	if !c.IssuedAt.IsZero() {
		m["iat"] = c.IssuedAt.Unix()
	}
	if !c.ExpiresAt.IsZero() {
		m["exp"] = c.ExpiresAt.Unix()
	}
	if c.Context != nil {
		m["context"] = c.Context
	}
	for k, v := range c.Extra {
		m[k] = v
	}
	return m
}

// SignHS256 returns c signed with HS256 and key, the way the product signs
// the tokens it sends to an app with the installation's shared secret. An
// empty key is allowed on purpose: some apps verify with an empty secret
// when they lost the real one.
func SignHS256(c Claims, key []byte) (string, error) {
	if key == nil {
		key = []byte{}
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c.mapClaims()).SignedString(key)
	if err != nil {
		return "", fmt.Errorf("token: sign HS256: %w", err)
	}
	return s, nil
}

// SignNone returns c as an unsigned token: header {"alg":"none","typ":"JWT"}
// and an empty signature ("header.payload."). An app must refuse it.
func SignNone(c Claims) (string, error) {
	s, err := jwt.NewWithClaims(jwt.SigningMethodNone, c.mapClaims()).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		return "", fmt.Errorf("token: sign alg none: %w", err)
	}
	return s, nil
}

// SignRS256 returns c signed with RS256 and key, with kid in the header (left
// out when empty), the shape of a signed-install token for the lifecycle
// endpoints.
func SignRS256(c Claims, key *rsa.PrivateKey, kid string) (string, error) {
	if key == nil {
		return "", errors.New("token: sign RS256: no private key")
	}
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, c.mapClaims())
	if kid != "" {
		t.Header["kid"] = kid
	}
	s, err := t.SignedString(key)
	if err != nil {
		return "", fmt.Errorf("token: sign RS256: %w", err)
	}
	return s, nil
}

// NewRSAKey returns a fresh 2048-bit RSA key, for signed-install tokens that
// no real key service vouches for.
func NewRSAKey() (*rsa.PrivateKey, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("token: generate RSA key: %w", err)
	}
	return k, nil
}

// RandomKey returns 32 random bytes from crypto/rand: a shared secret that no
// installation has, for forged HS256 tokens.
func RandomKey() []byte {
	k := make([]byte, 32)
	// crypto/rand.Read never returns an error: it crashes the program
	// instead when the system's source fails.
	_, _ = rand.Read(k)
	return k
}
