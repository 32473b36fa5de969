package tlsprobe

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

func TestParseAnswer(t *testing.T) {
	hello12 := record(recordHandshake, uint16(TLS12), serverHello(uint16(TLS12), 0xC02F, 0, nil, false))
	hello13 := record(recordHandshake, uint16(TLS12), serverHello(uint16(TLS12), 0x1301, uint16(TLS13), nil, false))
	retry := record(recordHandshake, uint16(TLS12), serverHello(uint16(TLS12), 0x1302, uint16(TLS13), helloRetryRandom[:], false))
	ssl3 := record(recordHandshake, uint16(SSL3), serverHello(uint16(SSL3), 0x0005, 0, nil, true))
	sh := serverHello(uint16(TLS12), 0x009E, 0, nil, false)
	split := append(record(recordHandshake, uint16(TLS12), sh[:10]), record(recordHandshake, uint16(TLS12), sh[10:])...)
	withChain := record(recordHandshake, uint16(TLS12), append(slices.Clone(sh), certificateMsg([]byte("leaf"), []byte("ca"))...))

	cases := []struct {
		name      string
		in        []byte
		wantChain bool
		want      answer
		err       string // "" for success
	}{
		{name: "TLS 1.2 ServerHello", in: hello12, want: answer{kind: answerHello, version: TLS12, suite: 0xC02F}},
		{name: "TLS 1.3 ServerHello", in: hello13, want: answer{kind: answerHello, version: TLS13, suite: 0x1301}},
		{name: "HelloRetryRequest", in: retry, want: answer{kind: answerHello, version: TLS13, suite: 0x1302, retry: true}},
		{name: "SSLv3 ServerHello without extensions", in: ssl3, want: answer{kind: answerHello, version: SSL3, suite: 0x0005}},
		{name: "ServerHello across records", in: split, want: answer{kind: answerHello, version: TLS12, suite: 0x009E}},
		{name: "fatal alert", in: alertRecord(2, 40), want: answer{kind: answerAlert, alert: 40}},
		{name: "close_notify", in: alertRecord(1, 0), want: answer{kind: answerAlert, alert: 0}},
		{name: "warning then ServerHello", in: append(alertRecord(1, 112), hello12...), want: answer{kind: answerHello, version: TLS12, suite: 0xC02F}},
		{name: "certificate", in: withChain, wantChain: true, want: answer{kind: answerHello, version: TLS12, suite: 0x009E, chain: [][]byte{[]byte("leaf"), []byte("ca")}}},
		{name: "no certificate wanted from TLS 1.3", in: hello13, wantChain: true, want: answer{kind: answerHello, version: TLS13, suite: 0x1301}},
		{name: "SSLv2 SERVER-HELLO", in: ssl2ServerHelloRecord(uint16(SSL2), []byte("cert"), 0x010080, 0x0700C0), want: answer{kind: answerSSL2Hello, version: SSL2, specs: []uint32{0x010080, 0x0700C0}}},
		{name: "SSLv2 ERROR", in: []byte{0x80, 3, 0, 0, 1}, want: answer{kind: answerSSL2Error, alert: 1}},
		{name: "HTTP", in: []byte("HTTP/1.1 400 Bad Request\r\n\r\n"), err: "not a TLS answer"},
		{name: "SSH banner", in: []byte("SSH-2.0-OpenSSH_9.2\r\n"), err: "not a TLS answer"},
		{name: "record too long", in: []byte{22, 3, 3, 0xff, 0xff}, err: "longer than any record"},
		{name: "application data first", in: record(recordApplicationData, uint16(TLS12), []byte{1}), err: "type 23"},
		{name: "certificate before hello", in: record(recordHandshake, uint16(TLS12), certificateMsg([]byte("x"))), err: "where a ServerHello was due"},
		{name: "short alert", in: record(recordAlert, uint16(TLS12), []byte{2}), err: "alert of 1 bytes"},
		{name: "malformed ServerHello", in: record(recordHandshake, uint16(TLS12), handshakeMsg(msgServerHello, []byte{3, 3})), err: "malformed ServerHello"},
		{name: "alert instead of certificate", in: append(slices.Clone(hello12), alertRecord(2, 40)...), wantChain: true, err: "alert handshake_failure after the ServerHello"},
		{name: "SSLv2 other message", in: []byte{0x80, 1, 7}, err: "SSLv2 message 7"},
		{name: "SSLv2 malformed SERVER-HELLO", in: []byte{0x80, 3, 4, 0, 1}, err: "malformed SSLv2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseAnswer(tc.in, tc.wantChain)
			if tc.err != "" {
				if err == nil || errors.Is(err, errShort) || !bytes.Contains([]byte(err.Error()), []byte(tc.err)) {
					t.Fatalf("parseAnswer: %+v, %v; want an error saying %q", got, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseAnswer: %v", err)
			}
			if got.kind != tc.want.kind || got.version != tc.want.version || got.suite != tc.want.suite ||
				got.retry != tc.want.retry || got.alert != tc.want.alert || !slices.Equal(got.specs, tc.want.specs) ||
				!slices.EqualFunc(got.chain, tc.want.chain, bytes.Equal) {
				t.Errorf("parseAnswer = %+v, want %+v", got, tc.want)
			}
			// Every proper prefix is incomplete, never an error or an answer.
			for n := range len(tc.in) {
				if a, err := parseAnswer(tc.in[:n], tc.wantChain); !errors.Is(err, errShort) {
					t.Fatalf("prefix of %d bytes: %+v, %v; want errShort", n, a, err)
				}
			}
		})
	}
}

func TestClientHello(t *testing.T) {
	for _, v := range Versions {
		for _, sni := range []string{"", "app.example.com"} {
			msg, err := hello{version: v, suites: offer(v), sni: sni}.marshal()
			if err != nil {
				t.Fatalf("%s: %v", v, err)
			}
			var (
				ch clientHello
				ok bool
			)
			if v == SSL2 {
				ok = msg[0]&0x80 != 0 && int(msg[0]&0x7f)<<8|int(msg[1]) == len(msg)-2
				if ok {
					ch, ok = parseClientHelloSSL2(msg[2:])
				}
			} else {
				ok = msg[0] == recordHandshake && int(msg[3])<<8|int(msg[4]) == len(msg)-5
				if ok {
					ch, ok = parseClientHello(msg[5:])
				}
			}
			if !ok {
				t.Fatalf("%s: ClientHello does not parse: % x", v, msg)
			}
			if want := uint16(min(v, TLS12)); ch.version != want {
				t.Errorf("%s: client_version %04x, want %04x", v, ch.version, want)
			}
			if !slices.Equal(ch.suites, offer(v)) {
				t.Errorf("%s: suites %v, want %v", v, ch.suites, offer(v))
			}
			if v == SSL2 {
				continue
			}
			if ch.sni != sni {
				t.Errorf("%s: server_name %q, want %q", v, ch.sni, sni)
			}
			if ch.length >= 256 && ch.length < 512 {
				t.Errorf("%s: ClientHello of %d bytes, which some servers refuse", v, ch.length)
			}
			if v == TLS13 {
				if !slices.Equal(ch.versions, []uint16{uint16(TLS13)}) || len(ch.keyShare) != 32 {
					t.Errorf("TLS 1.3: supported_versions %v, key share of %d bytes", ch.versions, len(ch.keyShare))
				}
			} else if ch.versions != nil || ch.keyShare != nil {
				t.Errorf("%s: offers supported_versions %v or a key share", v, ch.versions)
			}
		}
	}
	// A short offer lands in the 256-511 range and is padded past it.
	msg, err := hello{version: TLS12, suites: offer(TLS12)[:60], sni: "a.example"}.marshal()
	if err != nil {
		t.Fatal(err)
	}
	if ch, ok := parseClientHello(msg[5:]); !ok || !ch.padded || ch.length < 512 {
		t.Errorf("short ClientHello: padded %v, %d bytes", ch.padded, ch.length)
	}
}

// FuzzParseServerHello: the answer parser never panics, never claims more
// than the input holds, and a success is a well-formed answer.
func FuzzParseServerHello(f *testing.F) {
	f.Add(record(recordHandshake, uint16(TLS12), serverHello(uint16(TLS12), 0xC02F, 0, nil, false)))
	f.Add(alertRecord(2, 40))
	f.Add(ssl2ServerHelloRecord(uint16(SSL2), []byte("cert"), 0x010080))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, wantChain := range []bool{false, true} {
			a, err := parseAnswer(data, wantChain)
			if err != nil {
				if a.kind != 0 {
					t.Fatalf("error %v with an answer %+v", err, a)
				}
				continue
			}
			if a.kind < answerHello || a.kind > answerSSL2Error || 3*len(a.specs) > len(data) || len(a.chain) > maxChain {
				t.Fatalf("answer %+v from %d bytes", a, len(data))
			}
			if wantChain && a.kind == answerHello && !a.retry && a.version < TLS13 && len(a.chain) == 0 {
				t.Fatalf("answer without the chain asked for: %+v", a)
			}
		}
	})
}
