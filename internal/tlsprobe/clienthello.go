package tlsprobe

import (
	"crypto/ecdh"
	"crypto/rand"
	"fmt"

	"golang.org/x/crypto/cryptobyte"
)

// Wire values used in ClientHellos (RFC 8446 and the IANA TLS registries).
const (
	recordHandshake        = 22
	recordAlert            = 21
	recordChangeCipherSpec = 20
	recordApplicationData  = 23

	msgClientHello = 1
	msgServerHello = 2
	msgCertificate = 11

	extServerName          = 0
	extSupportedGroups     = 10
	extECPointFormats      = 11
	extSignatureAlgorithms = 13
	extPadding             = 21
	extExtendedMaster      = 23
	extSupportedVersions   = 43
	extPSKModes            = 45
	extKeyShare            = 51
	extRenegotiationInfo   = 0xff01

	groupX25519 = 0x001d

	ssl2ClientHello = 1
	ssl2ServerHello = 4
	ssl2Error       = 0
)

// groups are offered in supported_groups: what servers deploy, so that an
// ECDHE or TLS 1.3 server finds one it accepts.
var groups = []uint16{
	groupX25519, 0x0017, 0x0018, 0x0019, // x25519, secp256r1, secp384r1, secp521r1
	0x001e, 0x0100, 0x0101, // x448, ffdhe2048, ffdhe3072
}

// signatureSchemes are offered in signature_algorithms (TLS 1.2 and 1.3),
// SHA-1 included, so that the server's certificate never decides the answer.
var signatureSchemes = []uint16{
	0x0403, 0x0503, 0x0603, // ecdsa_secp256r1_sha256, ecdsa_secp384r1_sha384, ecdsa_secp521r1_sha512
	0x0807, 0x0808, // ed25519, ed448
	0x0804, 0x0805, 0x0806, // rsa_pss_rsae_sha256/384/512
	0x0809, 0x080a, 0x080b, // rsa_pss_pss_sha256/384/512
	0x0401, 0x0501, 0x0601, // rsa_pkcs1_sha256/384/512
	0x0201, 0x0203, 0x0402, 0x0202, // rsa_pkcs1_sha1, ecdsa_sha1, dsa_sha256, dsa_sha1
}

// hello is one ClientHello to send: exactly one version and a list of suites.
type hello struct {
	version Version
	suites  []uint32 // TLS: two-byte suite values; SSLv2: three-byte cipher specs
	sni     string   // server_name; empty for an IP address
}

// marshal encodes the ClientHello as the bytes to write to the connection.
func (h hello) marshal() ([]byte, error) {
	if h.version == SSL2 {
		return h.marshalSSL2()
	}
	body, err := h.body(0)
	if err != nil {
		return nil, err
	}
	// Some servers choke on a ClientHello of 256 to 511 bytes (RFC 7685,
	// section 3): pad such a hello past 512.
	if n := len(body) + 4; n >= 256 && n < 512 {
		if body, err = h.body(max(0, 512-n-4)); err != nil {
			return nil, err
		}
	}
	recordVersion := uint16(TLS10)
	if h.version == SSL3 {
		recordVersion = uint16(SSL3)
	}
	b := cryptobyte.NewBuilder(nil)
	b.AddUint8(recordHandshake)
	b.AddUint16(recordVersion)
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddUint8(msgClientHello)
		b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(body) })
	})
	out, err := b.Bytes()
	if err != nil {
		return nil, fmt.Errorf("encode %s ClientHello: %w", h.version, err)
	}
	return out, nil
}

// body encodes the ClientHello message body with a padding extension of pad
// bytes when pad > 0.
func (h hello) body(pad int) ([]byte, error) {
	var random [32]byte
	rand.Read(random[:]) // crypto/rand.Read never fails
	var sessionID []byte
	var share []byte
	if h.version == TLS13 {
		// A legacy session id keeps middleboxes calm (RFC 8446, D.4), and
		// the key share is real so that the server can go on if it likes.
		sessionID = make([]byte, 32)
		rand.Read(sessionID)
		key, err := ecdh.X25519().GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("generate x25519 key share: %w", err)
		}
		share = key.PublicKey().Bytes()
	}
	b := cryptobyte.NewBuilder(nil)
	b.AddUint16(uint16(min(h.version, TLS12)))
	b.AddBytes(random[:])
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(sessionID) })
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, s := range h.suites {
			b.AddUint16(uint16(s))
		}
	})
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint8(0) }) // null compression
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		if h.sni != "" {
			addExtension(b, extServerName, func(b *cryptobyte.Builder) {
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
					b.AddUint8(0) // host_name
					b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(h.sni)) })
				})
			})
		}
		addExtension(b, extSupportedGroups, func(b *cryptobyte.Builder) {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				for _, g := range groups {
					b.AddUint16(g)
				}
			})
		})
		addExtension(b, extECPointFormats, func(b *cryptobyte.Builder) {
			b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint8(0) }) // uncompressed
		})
		if h.version >= TLS12 {
			addExtension(b, extSignatureAlgorithms, func(b *cryptobyte.Builder) {
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
					for _, s := range signatureSchemes {
						b.AddUint16(s)
					}
				})
			})
		}
		if h.version < TLS13 {
			addExtension(b, extRenegotiationInfo, func(b *cryptobyte.Builder) {
				b.AddUint8LengthPrefixed(func(*cryptobyte.Builder) {})
			})
		}
		if h.version >= TLS10 && h.version < TLS13 {
			addExtension(b, extExtendedMaster, func(*cryptobyte.Builder) {})
		}
		if h.version == TLS13 {
			addExtension(b, extSupportedVersions, func(b *cryptobyte.Builder) {
				b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint16(uint16(TLS13)) })
			})
			addExtension(b, extPSKModes, func(b *cryptobyte.Builder) {
				b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint8(1) }) // psk_dhe_ke
			})
			addExtension(b, extKeyShare, func(b *cryptobyte.Builder) {
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
					b.AddUint16(groupX25519)
					b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(share) })
				})
			})
		}
		if pad > 0 {
			addExtension(b, extPadding, func(b *cryptobyte.Builder) { b.AddBytes(make([]byte, pad)) })
		}
	})
	out, err := b.Bytes()
	if err != nil {
		return nil, fmt.Errorf("encode %s ClientHello: %w", h.version, err)
	}
	return out, nil
}

func addExtension(b *cryptobyte.Builder, typ uint16, data func(*cryptobyte.Builder)) {
	b.AddUint16(typ)
	b.AddUint16LengthPrefixed(data)
}

// marshalSSL2 encodes an SSLv2 CLIENT-HELLO (SSL 2.0 specification, section
// "Client Only Protocol Messages") in a record with a two-byte header.
func (h hello) marshalSSL2() ([]byte, error) {
	var challenge [16]byte
	rand.Read(challenge[:]) // crypto/rand.Read never fails
	msg := cryptobyte.NewBuilder(nil)
	msg.AddUint8(ssl2ClientHello)
	msg.AddUint16(uint16(SSL2))
	msg.AddUint16(uint16(3 * len(h.suites)))
	msg.AddUint16(0) // no session id
	msg.AddUint16(uint16(len(challenge)))
	for _, s := range h.suites {
		msg.AddUint8(uint8(s >> 16))
		msg.AddUint16(uint16(s))
	}
	msg.AddBytes(challenge[:])
	body, err := msg.Bytes()
	if err != nil {
		return nil, fmt.Errorf("encode SSLv2 CLIENT-HELLO: %w", err)
	}
	return append([]byte{0x80 | byte(len(body)>>8), byte(len(body))}, body...), nil
}
