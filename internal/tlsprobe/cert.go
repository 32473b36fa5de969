package tlsprobe

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"time"
)

// expiringSoon is how close to its end a certificate is reported.
const expiringSoon = 30 * 24 * time.Hour

// Certificate is what the server's certificate chain shows.
type Certificate struct {
	Version Version    `json:"version"` // the version of the handshake that read the chain
	Chain   []CertInfo `json:"chain"`   // as the server sent it, the leaf first
	// Trusted says the chain verifies to a root of Config.RootCAs (or the
	// system pool) at an instant within the certificates' validity, so that
	// an expired certificate is reported as expired, not as untrusted.
	Trusted     bool      `json:"trusted"`
	TrustError  string    `json:"trust_error,omitempty"` // why not: self-signed, unknown authority, ...
	Name        string    `json:"name"`                  // the host name or IP address checked
	NameMatches bool      `json:"name_matches"`
	CheckedAt   time.Time `json:"checked_at"` // the instant validity was judged at
}

// CertInfo are the facts of one certificate of the chain. The validity flags
// are set for the leaf and the certificates the server sent that are not
// self-signed roots (clients ignore those).
type CertInfo struct {
	Subject            string    `json:"subject"`
	Issuer             string    `json:"issuer"`
	DNSNames           []string  `json:"dns_names,omitempty"`
	IPAddresses        []string  `json:"ip_addresses,omitempty"`
	NotBefore          time.Time `json:"not_before"`
	NotAfter           time.Time `json:"not_after"`
	KeyAlgorithm       string    `json:"key_algorithm"`
	KeyBits            int       `json:"key_bits,omitempty"`
	SignatureAlgorithm string    `json:"signature_algorithm"`
	SelfSigned         bool      `json:"self_signed"`
	SHA256             string    `json:"sha256"` // fingerprint of the DER
	Expired            bool      `json:"expired"`
	NotYetValid        bool      `json:"not_yet_valid"`
	ExpiresSoon        bool      `json:"expires_soon"`   // within 30 days
	WeakKey            bool      `json:"weak_key"`       // RSA or DSA under 2048 bits, EC under 224
	WeakSignature      bool      `json:"weak_signature"` // SHA-1 or MD5, on a certificate that is not a root
}

// goSuites are all the suites crypto/tls implements, insecure ones included,
// so that a legacy server still shows its certificate.
var goSuites = func() []uint16 {
	var ids []uint16
	for _, s := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		ids = append(ids, s.ID)
	}
	return ids
}()

// certificate reads the server's chain and judges it.
func (p *prober) certificate(ctx context.Context, ps []Protocol, roots *x509.CertPool, now time.Time) (*Certificate, error) {
	certs, v, err := p.readChain(ctx, ps)
	if err != nil {
		return nil, err
	}
	return assess(certs, v, p.name, roots, now), nil
}

// readChain reads the chain with crypto/tls and, when crypto/tls cannot
// finish a handshake (SSLv3 only, DHE only, suites it lacks), from a
// hand-built handshake at the newest accepted version up to TLS 1.2, where
// the Certificate message is still in the clear.
func (p *prober) readChain(ctx context.Context, ps []Protocol) ([]*x509.Certificate, Version, error) {
	var newest, clear Version
	for _, pr := range ps {
		if pr.State != Supported || pr.Version == SSL2 {
			continue
		}
		newest = max(newest, pr.Version)
		if pr.Version <= TLS12 {
			clear = max(clear, pr.Version)
		}
	}
	var tlsErr error
	if newest >= TLS10 {
		certs, v, err := p.readChainTLS(ctx)
		if err == nil {
			return certs, v, nil
		}
		tlsErr = err
	}
	if clear == 0 {
		return nil, 0, fmt.Errorf("read the certificate: %w", tlsErr)
	}
	certs, err := p.readChainRaw(ctx, clear)
	if err != nil {
		if tlsErr != nil {
			return nil, 0, fmt.Errorf("read the certificate: %w; and by a raw %s handshake: %w", tlsErr, clear, err)
		}
		return nil, 0, fmt.Errorf("read the certificate by a raw %s handshake: %w", clear, err)
	}
	return certs, clear, nil
}

// readChainTLS completes a crypto/tls handshake without verification, only
// to read the chain; assess verifies it.
func (p *prober) readChainTLS(ctx context.Context) ([]*x509.Certificate, Version, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	d := tls.Dialer{NetDialer: &net.Dialer{Control: p.control}, Config: &tls.Config{
		InsecureSkipVerify: true, // the chain is verified in assess, against Config.RootCAs
		ServerName:         p.sni,
		MinVersion:         tls.VersionTLS10,
		CipherSuites:       goSuites,
	}}
	conn, err := d.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return nil, 0, fmt.Errorf("crypto/tls handshake with %s: %w", p.addr, err)
	}
	defer conn.Close()
	st := conn.(*tls.Conn).ConnectionState()
	if len(st.PeerCertificates) == 0 {
		return nil, 0, fmt.Errorf("crypto/tls handshake with %s: no certificate", p.addr)
	}
	return st.PeerCertificates, Version(st.Version), nil
}

// readChainRaw reads the Certificate message that follows the ServerHello of
// a hand-built handshake at version v (TLS 1.2 or older).
func (p *prober) readChainRaw(ctx context.Context, v Version) ([]*x509.Certificate, error) {
	a, err := p.send(ctx, hello{version: v, suites: withCertificate(offer(v)), sni: p.sni}, true)
	if err != nil {
		return nil, err
	}
	if a.kind != answerHello || a.version != v || len(a.chain) == 0 {
		return nil, fmt.Errorf("%s handshake with %s gave no certificate", v, p.addr)
	}
	certs := make([]*x509.Certificate, 0, len(a.chain))
	for i, der := range a.chain {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("parse certificate %d of the chain: %w", i, err)
		}
		certs = append(certs, c)
	}
	return certs, nil
}

// assess judges a chain (leaf first) for the name at the instant now.
func assess(certs []*x509.Certificate, v Version, name string, roots *x509.CertPool, now time.Time) *Certificate {
	c := &Certificate{Version: v, Name: name, CheckedAt: now}
	lo, hi := certs[0].NotBefore, certs[0].NotAfter
	intermediates := x509.NewCertPool()
	for i, x := range certs {
		info := describe(x)
		if i == 0 || !info.SelfSigned {
			info.Expired = now.After(x.NotAfter)
			info.NotYetValid = now.Before(x.NotBefore)
			info.ExpiresSoon = !info.Expired && !info.NotYetValid && x.NotAfter.Sub(now) <= expiringSoon
			if i > 0 {
				lo, hi = later(lo, x.NotBefore), earlier(hi, x.NotAfter)
				intermediates.AddCert(x)
			}
		}
		c.Chain = append(c.Chain, info)
	}
	c.NameMatches = certs[0].VerifyHostname(name) == nil

	// Verify at an instant when every certificate is valid, if there is
	// one: validity has findings of its own.
	if lo.After(hi) {
		lo, hi = certs[0].NotBefore, certs[0].NotAfter
	}
	at := now
	if at.Before(lo) {
		at = lo
	}
	if at.After(hi) {
		at = hi
	}
	_, err := certs[0].Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: intermediates,
		CurrentTime:   at,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	c.Trusted = err == nil
	if err != nil {
		c.TrustError = trustReason(err, c.Chain)
	}
	return c
}

// trustReason says in a few words why a chain did not verify.
func trustReason(err error, chain []CertInfo) string {
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		return err.Error()
	}
	for _, c := range chain {
		if c.WeakSignature {
			return fmt.Sprintf("%q is signed with %s, which verification refuses", c.Subject, c.SignatureAlgorithm)
		}
	}
	last := chain[len(chain)-1]
	switch {
	case len(chain) == 1 && last.SelfSigned:
		return "self-signed certificate"
	case last.SelfSigned:
		return fmt.Sprintf("the chain ends in a root that is not trusted: %q", last.Subject)
	default:
		return fmt.Sprintf("issued by an unknown authority: %q", last.Issuer)
	}
}

// describe gathers the facts of one certificate that do not depend on time.
func describe(x *x509.Certificate) CertInfo {
	sum := sha256.Sum256(x.Raw)
	info := CertInfo{
		Subject:            x.Subject.String(),
		Issuer:             x.Issuer.String(),
		DNSNames:           x.DNSNames,
		NotBefore:          x.NotBefore,
		NotAfter:           x.NotAfter,
		SignatureAlgorithm: x.SignatureAlgorithm.String(),
		SHA256:             hex.EncodeToString(sum[:]),
		SelfSigned: bytes.Equal(x.RawIssuer, x.RawSubject) &&
			x.CheckSignature(x.SignatureAlgorithm, x.RawTBSCertificate, x.Signature) == nil,
	}
	for _, ip := range x.IPAddresses {
		info.IPAddresses = append(info.IPAddresses, ip.String())
	}
	switch k := x.PublicKey.(type) {
	case *rsa.PublicKey:
		info.KeyAlgorithm, info.KeyBits = "RSA", k.N.BitLen()
		info.WeakKey = info.KeyBits < 2048
	case *ecdsa.PublicKey:
		info.KeyAlgorithm, info.KeyBits = "ECDSA", k.Curve.Params().BitSize
		info.WeakKey = info.KeyBits < 224
	case ed25519.PublicKey:
		info.KeyAlgorithm, info.KeyBits = "Ed25519", 256
	default:
		// DSA (at most 1024 bits in practice, and deprecated) and keys
		// crypto/x509 cannot read.
		info.KeyAlgorithm = x.PublicKeyAlgorithm.String()
		info.WeakKey = x.PublicKeyAlgorithm == x509.DSA
	}
	switch x.SignatureAlgorithm {
	case x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1, x509.MD5WithRSA, x509.MD2WithRSA:
		info.WeakSignature = !info.SelfSigned
	}
	return info
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
