package tlsprobe

import (
	"io"
	"net"

	"golang.org/x/crypto/cryptobyte"
)

// Builders of server answers and a reader of client hellos, for the parser
// tests and the scripted servers.

// record wraps payload in a TLS record of type typ.
func record(typ uint8, version uint16, payload []byte) []byte {
	b := cryptobyte.NewBuilder(nil)
	b.AddUint8(typ)
	b.AddUint16(version)
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(payload) })
	return b.BytesOrPanic()
}

// handshakeMsg wraps body in a handshake message header.
func handshakeMsg(typ uint8, body []byte) []byte {
	b := cryptobyte.NewBuilder(nil)
	b.AddUint8(typ)
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(body) })
	return b.BytesOrPanic()
}

// serverHello is a ServerHello message (header included). A selected
// version of 0 sends no supported_versions extension; noExtensions sends no
// extensions block at all, as SSLv3 servers do.
func serverHello(legacy uint16, suite uint16, selected uint16, random []byte, noExtensions bool) []byte {
	if random == nil {
		random = make([]byte, 32)
	}
	b := cryptobyte.NewBuilder(nil)
	b.AddUint16(legacy)
	b.AddBytes(random)
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(make([]byte, 32)) })
	b.AddUint16(suite)
	b.AddUint8(0)
	if !noExtensions {
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			b.AddUint16(extRenegotiationInfo)
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint8(0) })
			if selected != 0 {
				b.AddUint16(extSupportedVersions)
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint16(selected) })
			}
		})
	}
	return handshakeMsg(msgServerHello, b.BytesOrPanic())
}

// certificateMsg is a Certificate message (header included).
func certificateMsg(chain ...[]byte) []byte {
	b := cryptobyte.NewBuilder(nil)
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, der := range chain {
			b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(der) })
		}
	})
	return handshakeMsg(msgCertificate, b.BytesOrPanic())
}

// alertRecord is a TLS alert record.
func alertRecord(level, desc uint8) []byte {
	return record(recordAlert, uint16(TLS12), []byte{level, desc})
}

// ssl2ServerHelloRecord is an SSLv2 SERVER-HELLO record.
func ssl2ServerHelloRecord(version uint16, cert []byte, specs ...uint32) []byte {
	b := cryptobyte.NewBuilder(nil)
	b.AddUint8(ssl2ServerHello)
	b.AddUint8(0) // session_id_hit
	b.AddUint8(1) // X.509 certificate
	b.AddUint16(version)
	b.AddUint16(uint16(len(cert)))
	b.AddUint16(uint16(3 * len(specs)))
	b.AddUint16(16)
	b.AddBytes(cert)
	for _, s := range specs {
		b.AddUint8(uint8(s >> 16))
		b.AddUint16(uint16(s))
	}
	b.AddBytes(make([]byte, 16))
	body := b.BytesOrPanic()
	return append([]byte{0x80 | byte(len(body)>>8), byte(len(body))}, body...)
}

// clientHello is what a test server learns from a client's first message.
type clientHello struct {
	ssl2     bool
	version  uint16   // client_version (legacy_version)
	suites   []uint32 // suites or SSLv2 cipher specs
	sni      string
	versions []uint16 // supported_versions
	keyShare []byte   // the x25519 key_exchange
	padded   bool
	length   int // of the handshake message, header included
}

// readClientHello reads one ClientHello (TLS record or SSLv2) from c.
func readClientHello(c net.Conn) (clientHello, bool) {
	var hdr [2]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		return clientHello{}, false
	}
	if hdr[0]&0x80 != 0 {
		body := make([]byte, int(hdr[0]&0x7f)<<8|int(hdr[1]))
		if _, err := io.ReadFull(c, body); err != nil {
			return clientHello{}, false
		}
		return parseClientHelloSSL2(body)
	}
	rest := make([]byte, 3)
	if _, err := io.ReadFull(c, rest); err != nil {
		return clientHello{}, false
	}
	body := make([]byte, int(rest[1])<<8|int(rest[2]))
	if _, err := io.ReadFull(c, body); err != nil {
		return clientHello{}, false
	}
	return parseClientHello(body)
}

func parseClientHelloSSL2(body []byte) (clientHello, bool) {
	s := cryptobyte.String(body)
	var (
		typ                        uint8
		ch                         = clientHello{ssl2: true}
		specsLen, idLen, challenge uint16
		specs                      []byte
	)
	if !s.ReadUint8(&typ) || typ != ssl2ClientHello || !s.ReadUint16(&ch.version) || !s.ReadUint16(&specsLen) ||
		!s.ReadUint16(&idLen) || !s.ReadUint16(&challenge) || !s.ReadBytes(&specs, int(specsLen)) {
		return clientHello{}, false
	}
	for i := 0; i+3 <= len(specs); i += 3 {
		ch.suites = append(ch.suites, uint32(specs[i])<<16|uint32(specs[i+1])<<8|uint32(specs[i+2]))
	}
	return ch, s.Skip(int(idLen)) && s.Skip(int(challenge)) && s.Empty()
}

// parseClientHello reads a handshake record's payload holding a ClientHello.
func parseClientHello(payload []byte) (clientHello, bool) {
	s := cryptobyte.String(payload)
	var (
		typ                 uint8
		body                cryptobyte.String
		ch                  = clientHello{length: len(payload)}
		sid, cs, comp, exts cryptobyte.String
	)
	if !s.ReadUint8(&typ) || typ != msgClientHello || !s.ReadUint24LengthPrefixed(&body) || !s.Empty() {
		return clientHello{}, false
	}
	if !body.ReadUint16(&ch.version) || !body.Skip(32) || !body.ReadUint8LengthPrefixed(&sid) ||
		!body.ReadUint16LengthPrefixed(&cs) || !body.ReadUint8LengthPrefixed(&comp) {
		return clientHello{}, false
	}
	for !cs.Empty() {
		var id uint16
		if !cs.ReadUint16(&id) {
			return clientHello{}, false
		}
		ch.suites = append(ch.suites, uint32(id))
	}
	if !body.ReadUint16LengthPrefixed(&exts) || !body.Empty() {
		return clientHello{}, false
	}
	for !exts.Empty() {
		var (
			et   uint16
			data cryptobyte.String
		)
		if !exts.ReadUint16(&et) || !exts.ReadUint16LengthPrefixed(&data) {
			return clientHello{}, false
		}
		switch et {
		case extServerName:
			var list, name cryptobyte.String
			var nt uint8
			if !data.ReadUint16LengthPrefixed(&list) || !list.ReadUint8(&nt) || !list.ReadUint16LengthPrefixed(&name) {
				return clientHello{}, false
			}
			ch.sni = string(name)
		case extSupportedVersions:
			var list cryptobyte.String
			if !data.ReadUint8LengthPrefixed(&list) {
				return clientHello{}, false
			}
			for !list.Empty() {
				var v uint16
				if !list.ReadUint16(&v) {
					return clientHello{}, false
				}
				ch.versions = append(ch.versions, v)
			}
		case extKeyShare:
			var list, key cryptobyte.String
			var group uint16
			if !data.ReadUint16LengthPrefixed(&list) || !list.ReadUint16(&group) || !list.ReadUint16LengthPrefixed(&key) || group != groupX25519 {
				return clientHello{}, false
			}
			ch.keyShare = key
		case extPadding:
			ch.padded = true
		}
	}
	return ch, true
}
