package tlsprobe

import (
	"crypto/tls"
	"strings"
	"testing"
)

// TestSuiteTable checks every row against its IANA name: the key exchange,
// the encryption and each flag restate what the name says.
func TestSuiteTable(t *testing.T) {
	kexOf := map[string]kex{
		"RSA": kexRSA, "RSA_EXPORT": kexRSA,
		"DH_DSS": kexDH, "DH_RSA": kexDH, "DH_DSS_EXPORT": kexDH, "DH_RSA_EXPORT": kexDH,
		"DHE_DSS": kexDHE, "DHE_RSA": kexDHE, "DHE_DSS_EXPORT": kexDHE, "DHE_RSA_EXPORT": kexDHE,
		"DH_anon": kexDHAnon, "DH_anon_EXPORT": kexDHAnon, "ECDH_anon": kexECDHAnon,
		"ECDH_ECDSA": kexECDH, "ECDH_RSA": kexECDH, "ECDHE_ECDSA": kexECDHE, "ECDHE_RSA": kexECDHE,
		"PSK": kexPSK, "RSA_PSK": kexRSAPSK, "DHE_PSK": kexDHEPSK, "PSK_DHE": kexDHEPSK, "ECDHE_PSK": kexECDHEPSK,
		"SRP_SHA": kexSRP, "SRP_SHA_RSA": kexSRP, "SRP_SHA_DSS": kexSRP,
	}
	seen := map[uint32]bool{}
	for _, d := range tlsSuites {
		if seen[d.id] || d.id > 0xffff {
			t.Errorf("%s: value 0x%04X repeated or too large", d.name, d.id)
		}
		seen[d.id] = true
		body, ok := strings.CutPrefix(d.name, "TLS_")
		if !ok {
			t.Errorf("%s: not an IANA TLS name", d.name)
			continue
		}
		family, cipher, with := strings.Cut(body, "_WITH_")
		if !with {
			family, cipher = "", body
		}
		want := kexOf[family]
		if !with {
			want = kexTLS13
		}
		if d.kex != want {
			t.Errorf("%s: key exchange %q, want %q", d.name, d.kex, want)
		}
		if !strings.HasPrefix(cipher, d.enc) || (cipher != d.enc && !strings.HasPrefix(cipher, d.enc+"_")) {
			t.Errorf("%s: encryption %q is not what the name says", d.name, d.enc)
		}
		has := func(f flag) bool { return d.flags&f != 0 }
		checks := []struct {
			flag flag
			want bool
		}{
			{flagTLS13, !with},
			{flagTLS12, with && (strings.HasSuffix(cipher, "SHA256") || strings.HasSuffix(cipher, "SHA384") ||
				strings.Contains(cipher, "GCM") || strings.Contains(cipher, "CCM") || strings.Contains(cipher, "CHACHA20"))},
			{flagExport, strings.Contains(family, "EXPORT")},
			{flagNULL, strings.HasPrefix(cipher, "NULL_")},
			{flagAnon, strings.Contains(family, "anon")},
			{flagRC4, strings.HasPrefix(cipher, "RC4_")},
			{flagRC2, strings.HasPrefix(cipher, "RC2_")},
			{flagDES, strings.HasPrefix(cipher, "DES_") || strings.HasPrefix(cipher, "DES40_")},
			{flag3DES, strings.HasPrefix(cipher, "3DES_")},
			{flagIDEA, strings.HasPrefix(cipher, "IDEA_")},
			{flagSSL2, false},
		}
		for _, c := range checks {
			if has(c.flag) != c.want {
				t.Errorf("%s: flag %b is %v, the name says %v", d.name, c.flag, has(c.flag), c.want)
			}
		}
	}
	for _, d := range ssl2Specs {
		if !strings.HasPrefix(d.name, "SSL_CK_") || d.flags&flagSSL2 == 0 || d.id <= 0xffff || d.id > 0xffffff {
			t.Errorf("SSLv2 spec %s (0x%06X)", d.name, d.id)
		}
		if s := d.suite(); !s.Weak() {
			t.Errorf("SSLv2 spec %s is not weak", d.name)
		}
	}
	// Go names its suites as IANA does: every suite crypto/tls implements is
	// in the table under the same name.
	for _, s := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		if d, ok := tlsByID[uint32(s.ID)]; !ok || d.name != s.Name {
			t.Errorf("crypto/tls suite %s (0x%04X): table has %q", s.Name, s.ID, d.name)
		}
	}
}

func TestSuiteVerdicts(t *testing.T) {
	cases := []struct {
		id   uint32
		fs   bool
		weak string
	}{
		{0x002F, false, ""},               // TLS_RSA_WITH_AES_128_CBC_SHA
		{0xC02F, true, ""},                // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
		{0x009E, true, ""},                // TLS_DHE_RSA_WITH_AES_128_GCM_SHA256
		{0x1301, true, ""},                // TLS_AES_128_GCM_SHA256
		{0xC031, false, ""},               // TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256
		{0x00A8, false, ""},               // TLS_PSK_WITH_AES_128_GCM_SHA256
		{0x000A, false, "3DES"},           // TLS_RSA_WITH_3DES_EDE_CBC_SHA
		{0x0003, false, "export,RC4"},     // TLS_RSA_EXPORT_WITH_RC4_40_MD5
		{0x0017, true, "anon,export,RC4"}, // TLS_DH_anon_EXPORT_WITH_RC4_40_MD5
		{0xC010, true, "NULL"},            // TLS_ECDHE_RSA_WITH_NULL_SHA
		{0x0015, true, "DES"},             // TLS_DHE_RSA_WITH_DES_CBC_SHA
		{0x0007, false, "IDEA"},           // TLS_RSA_WITH_IDEA_CBC_SHA
	}
	for _, c := range cases {
		s := lookupSuite(TLS12, c.id)
		if s.ForwardSecrecy != c.fs || strings.Join(s.Weaknesses, ",") != c.weak {
			t.Errorf("%s: forward secrecy %v, weaknesses %v; want %v, %q", s, s.ForwardSecrecy, s.Weaknesses, c.fs, c.weak)
		}
	}
	if s := lookupSuite(TLS12, 0xFAFA); s.Name != "UNKNOWN_0xFAFA" || s.Weak() {
		t.Errorf("unknown suite: %+v", s)
	}
	if s := lookupSuite(SSL2, 0x0700C0); s.Name != "SSL_CK_DES_192_EDE3_CBC_WITH_MD5" || s.String() != "SSL_CK_DES_192_EDE3_CBC_WITH_MD5 (0x0700C0)" {
		t.Errorf("SSLv2 spec: %+v", s)
	}
	for _, v := range Versions {
		for _, id := range offer(v) {
			d := tlsByID[id]
			if v == SSL2 {
				d = ssl2ByID[id]
			}
			switch {
			case v == TLS13 && d.flags&flagTLS13 == 0,
				v != TLS13 && d.flags&flagTLS13 != 0,
				v < TLS12 && d.flags&flagTLS12 != 0:
				t.Errorf("%s offers %s", v, d.name)
			}
		}
	}
	if n := len(offer(TLS13)); n != 5 {
		t.Errorf("TLS 1.3 offers %d suites, want 5", n)
	}
	for _, id := range withCertificate(offer(TLS12)) {
		if tlsByID[id].flags&flagAnon != 0 {
			t.Errorf("withCertificate kept %s", tlsByID[id].name)
		}
	}
}
