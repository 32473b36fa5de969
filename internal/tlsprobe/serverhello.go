package tlsprobe

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"

	"golang.org/x/crypto/cryptobyte"
)

// Bounds on what a server may send before its answer is judged.
const (
	maxRecord  = 1<<14 + 2048 // the largest TLS record (RFC 5246, 6.2.3)
	maxMessage = 1 << 18      // the largest handshake message kept (a certificate chain)
	maxAnswer  = 1 << 19      // the most bytes read from one connection
	maxChain   = 16           // the most certificates kept from one chain
)

// errShort says the bytes end before the answer does: read more.
var errShort = errors.New("answer incomplete")

// helloRetryRandom is the ServerHello.random of a HelloRetryRequest
// (RFC 8446, 4.1.3): SHA-256 of "HelloRetryRequest".
var helloRetryRandom = sha256.Sum256([]byte("HelloRetryRequest"))

// answerKind is the kind of the server's first answer to a ClientHello.
type answerKind int

const (
	answerHello     answerKind = iota + 1 // a ServerHello (or HelloRetryRequest)
	answerAlert                           // a fatal TLS alert (or close_notify)
	answerSSL2Hello                       // an SSLv2 SERVER-HELLO
	answerSSL2Error                       // an SSLv2 ERROR message
)

// answer is what the server answered to one ClientHello.
type answer struct {
	kind    answerKind
	version Version  // the version the server chose (supported_versions wins over legacy_version)
	suite   uint32   // the suite the server chose
	retry   bool     // the ServerHello is a HelloRetryRequest
	alert   uint8    // the alert description, or the SSLv2 error code
	specs   []uint32 // SSLv2: the cipher specs the server shares with the client
	chain   [][]byte // TLS 1.2 and older: DER certificates, when asked for
}

// parseAnswer reads the server's answer to a ClientHello from the bytes
// received so far. It returns errShort while the answer is incomplete, and
// another error when the bytes are not a TLS or SSLv2 answer. With wantChain
// it goes on past a TLS 1.2 or older ServerHello to the Certificate message.
// It never reads past b and keeps no more than the bounds above.
func parseAnswer(b []byte, wantChain bool) (answer, error) {
	if len(b) == 0 {
		return answer{}, errShort
	}
	if b[0]&0x80 != 0 {
		return parseSSL2(b)
	}
	var (
		hs   []byte // handshake bytes, across records
		got  answer
		seen bool // the ServerHello was read
	)
	for len(b) > 0 {
		if len(b) < 5 {
			return answer{}, errShort
		}
		typ, n := b[0], int(b[3])<<8|int(b[4])
		if typ < recordChangeCipherSpec || typ > recordApplicationData || b[1] != 3 {
			return answer{}, fmt.Errorf("not a TLS answer: it begins % x", b[:5])
		}
		if n > maxRecord {
			return answer{}, fmt.Errorf("TLS record of %d bytes is longer than any record may be", n)
		}
		if len(b) < 5+n {
			return answer{}, errShort
		}
		payload := b[5 : 5+n]
		b = b[5+n:]
		switch typ {
		case recordAlert:
			if len(payload) < 2 {
				return answer{}, fmt.Errorf("TLS alert of %d bytes", len(payload))
			}
			if seen {
				return answer{}, fmt.Errorf("alert %s after the ServerHello, before the certificate", alertName(payload[1]))
			}
			if payload[0] == 1 && payload[1] != 0 {
				continue // a warning, such as unrecognized_name: the answer follows
			}
			return answer{kind: answerAlert, alert: payload[1]}, nil
		case recordHandshake:
			if len(hs)+len(payload) > maxMessage+4 {
				return answer{}, fmt.Errorf("handshake longer than %d bytes before the answer", maxMessage)
			}
			hs = append(hs, payload...)
			for len(hs) >= 4 {
				mt, ml := hs[0], int(hs[1])<<16|int(hs[2])<<8|int(hs[3])
				if ml > maxMessage {
					return answer{}, fmt.Errorf("handshake message %d of %d bytes", mt, ml)
				}
				if len(hs) < 4+ml {
					break
				}
				msg := hs[4 : 4+ml]
				hs = hs[4+ml:]
				if !seen {
					if mt != msgServerHello {
						return answer{}, fmt.Errorf("handshake message %d where a ServerHello was due", mt)
					}
					h, err := parseServerHello(msg)
					if err != nil {
						return answer{}, err
					}
					if !wantChain || h.retry || h.version >= TLS13 {
						return h, nil // TLS 1.3 encrypts the certificate: the caller reads it otherwise
					}
					got, seen = h, true
					continue
				}
				if mt != msgCertificate {
					return answer{}, fmt.Errorf("handshake message %d where the Certificate was due", mt)
				}
				chain, err := parseCertificates(msg)
				if err != nil {
					return answer{}, err
				}
				got.chain = chain
				return got, nil
			}
		default:
			return answer{}, fmt.Errorf("TLS record of type %d before the ServerHello", typ)
		}
	}
	return answer{}, errShort
}

// parseServerHello reads a ServerHello message body (RFC 5246, 7.4.1.3;
// RFC 8446, 4.1.3).
func parseServerHello(msg []byte) (answer, error) {
	s := cryptobyte.String(msg)
	var (
		legacy      uint16
		random      []byte
		sessionID   cryptobyte.String
		suite       uint16
		compression uint8
	)
	if !s.ReadUint16(&legacy) || !s.ReadBytes(&random, 32) || !s.ReadUint8LengthPrefixed(&sessionID) ||
		!s.ReadUint16(&suite) || !s.ReadUint8(&compression) {
		return answer{}, errors.New("malformed ServerHello")
	}
	a := answer{kind: answerHello, version: Version(legacy), suite: uint32(suite), retry: bytes.Equal(random, helloRetryRandom[:])}
	if s.Empty() {
		return a, nil // SSLv3 and early TLS servers may send no extensions
	}
	var exts cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&exts) || !s.Empty() {
		return answer{}, errors.New("malformed ServerHello extensions")
	}
	for !exts.Empty() {
		var (
			typ  uint16
			data cryptobyte.String
		)
		if !exts.ReadUint16(&typ) || !exts.ReadUint16LengthPrefixed(&data) {
			return answer{}, errors.New("malformed ServerHello extension")
		}
		if typ == extSupportedVersions {
			var v uint16
			if !data.ReadUint16(&v) || !data.Empty() {
				return answer{}, errors.New("malformed supported_versions in ServerHello")
			}
			a.version = Version(v)
		}
	}
	return a, nil
}

// parseCertificates reads a TLS 1.2 (or older) Certificate message body.
func parseCertificates(msg []byte) ([][]byte, error) {
	s := cryptobyte.String(msg)
	var list cryptobyte.String
	if !s.ReadUint24LengthPrefixed(&list) || !s.Empty() {
		return nil, errors.New("malformed Certificate message")
	}
	var chain [][]byte
	for !list.Empty() {
		var der cryptobyte.String
		if !list.ReadUint24LengthPrefixed(&der) || len(der) == 0 {
			return nil, errors.New("malformed certificate in the Certificate message")
		}
		if len(chain) == maxChain {
			return nil, fmt.Errorf("certificate chain longer than %d", maxChain)
		}
		chain = append(chain, der)
	}
	if len(chain) == 0 {
		return nil, errors.New("empty Certificate message")
	}
	return chain, nil
}

// parseSSL2 reads an SSLv2 record with a two-byte header holding a
// SERVER-HELLO or an ERROR (SSL 2.0 specification).
func parseSSL2(b []byte) (answer, error) {
	if len(b) < 2 {
		return answer{}, errShort
	}
	n := int(b[0]&0x7f)<<8 | int(b[1])
	if len(b) < 2+n {
		return answer{}, errShort
	}
	s := cryptobyte.String(b[2 : 2+n])
	var mt uint8
	if !s.ReadUint8(&mt) {
		return answer{}, errors.New("empty SSLv2 record")
	}
	switch mt {
	case ssl2Error:
		var code uint16
		if !s.ReadUint16(&code) {
			return answer{}, errors.New("malformed SSLv2 ERROR")
		}
		return answer{kind: answerSSL2Error, alert: uint8(code)}, nil
	case ssl2ServerHello:
		var (
			certLen, specsLen, idLen uint16
			version                  uint16
			specs                    []byte
		)
		// session_id_hit and certificate_type, then the lengths; the
		// certificate and connection id are skipped.
		if !s.Skip(2) || !s.ReadUint16(&version) ||
			!s.ReadUint16(&certLen) || !s.ReadUint16(&specsLen) || !s.ReadUint16(&idLen) ||
			!s.Skip(int(certLen)) || !s.ReadBytes(&specs, int(specsLen)) ||
			!s.Skip(int(idLen)) || len(specs)%3 != 0 {
			return answer{}, errors.New("malformed SSLv2 SERVER-HELLO")
		}
		a := answer{kind: answerSSL2Hello, version: Version(version)}
		for i := 0; i+3 <= len(specs); i += 3 {
			a.specs = append(a.specs, uint32(specs[i])<<16|uint32(specs[i+1])<<8|uint32(specs[i+2]))
		}
		return a, nil
	default:
		return answer{}, fmt.Errorf("SSLv2 message %d where a SERVER-HELLO was due", mt)
	}
}

// alertNames are the alert descriptions a refusal carries (RFC 8446, 6).
var alertNames = map[uint8]string{
	0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac", 22: "record_overflow",
	40: "handshake_failure", 42: "bad_certificate", 47: "illegal_parameter", 50: "decode_error",
	51: "decrypt_error", 70: "protocol_version", 71: "insufficient_security", 80: "internal_error",
	86: "inappropriate_fallback", 90: "user_canceled", 109: "missing_extension",
	110: "unsupported_extension", 112: "unrecognized_name", 120: "no_application_protocol",
}

func alertName(d uint8) string {
	if n, ok := alertNames[d]; ok {
		return n
	}
	return fmt.Sprintf("unknown(%d)", d)
}
