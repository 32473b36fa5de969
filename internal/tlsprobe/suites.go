package tlsprobe

import (
	"fmt"
)

// The cipher suite table. Source: the IANA "TLS Cipher Suites" registry
// (https://www.iana.org/assignments/tls-parameters/tls-parameters.xhtml#tls-parameters-4),
// names and values as registered, restricted to the suites that servers
// actually deploy or that a scan must be able to see (everything OpenSSL
// 3.0 and Go's crypto/tls implement, the export, NULL, anonymous, RC4, DES,
// 3DES and IDEA suites of older stacks, static DH/ECDH, PSK and SRP). The
// key exchange, encryption and flags columns restate what the IANA name
// says; TestSuiteTable checks them against the name.
//
// The SSLv2 cipher specs come from the SSL 2.0 specification (Hickman,
// Netscape, 1995), which has no IANA registry.

// kex is a suite's key exchange family.
type kex string

const (
	kexRSA      kex = "RSA"       // static RSA key transport (RSA_EXPORT too)
	kexDH       kex = "DH"        // static Diffie-Hellman: the certificate's DH key
	kexECDH     kex = "ECDH"      // static elliptic-curve Diffie-Hellman
	kexDHE      kex = "DHE"       // ephemeral Diffie-Hellman
	kexECDHE    kex = "ECDHE"     // ephemeral elliptic-curve Diffie-Hellman
	kexDHAnon   kex = "DH_anon"   // unauthenticated Diffie-Hellman
	kexECDHAnon kex = "ECDH_anon" // unauthenticated elliptic-curve Diffie-Hellman
	kexPSK      kex = "PSK"       // pre-shared key alone
	kexRSAPSK   kex = "RSA_PSK"   // pre-shared key with RSA key transport
	kexDHEPSK   kex = "DHE_PSK"   // pre-shared key with ephemeral Diffie-Hellman
	kexECDHEPSK kex = "ECDHE_PSK" // pre-shared key with ephemeral ECDH
	kexSRP      kex = "SRP"       // Secure Remote Password
	kexTLS13    kex = "TLS13"     // TLS 1.3: (EC)DHE, negotiated apart from the suite
)

// forwardSecret reports whether the key exchange uses ephemeral keys, so
// that a stolen server key does not decrypt recorded sessions.
func (k kex) forwardSecret() bool {
	switch k {
	case kexDHE, kexECDHE, kexDHAnon, kexECDHAnon, kexDHEPSK, kexECDHEPSK, kexSRP, kexTLS13:
		return true
	}
	return false
}

// flag marks properties of a suite.
type flag uint16

const (
	flagTLS12  flag = 1 << iota // usable only from TLS 1.2 (AEAD or SHA-256/384 MAC)
	flagTLS13                   // a TLS 1.3 suite
	flagSSL2                    // an SSLv2 cipher spec
	flagExport                  // export grade: 40- or 56-bit keys, 512-bit key exchange
	flagNULL                    // no encryption
	flagAnon                    // no server authentication
	flagRC4                     // RC4 stream cipher (RFC 7465 forbids it)
	flagRC2                     // RC2 block cipher
	flagDES                     // single DES (56 bits or less)
	flag3DES                    // triple DES: 64-bit blocks (Sweet32)
	flagIDEA                    // IDEA: 64-bit blocks
)

// weakFlags are the flags that make a suite weak, with the names used in
// evidence, in the order they are reported.
var weakFlags = []struct {
	flag flag
	name string
}{
	{flagNULL, "NULL"}, {flagAnon, "anon"}, {flagExport, "export"}, {flagRC4, "RC4"},
	{flagRC2, "RC2"}, {flagDES, "DES"}, {flag3DES, "3DES"}, {flagIDEA, "IDEA"},
}

// suiteDef is one row of the table.
type suiteDef struct {
	id    uint32 // the IANA value; for SSLv2 the three-byte cipher spec
	name  string // the IANA name
	kex   kex
	enc   string // the bulk encryption as the name spells it: "AES_128_GCM", "3DES_EDE_CBC"
	flags flag
}

// tlsSuites are the TLS suites, in IANA order.
var tlsSuites = []suiteDef{
	{0x0001, "TLS_RSA_WITH_NULL_MD5", kexRSA, "NULL", flagNULL},
	{0x0002, "TLS_RSA_WITH_NULL_SHA", kexRSA, "NULL", flagNULL},
	{0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5", kexRSA, "RC4_40", flagExport | flagRC4},
	{0x0004, "TLS_RSA_WITH_RC4_128_MD5", kexRSA, "RC4_128", flagRC4},
	{0x0005, "TLS_RSA_WITH_RC4_128_SHA", kexRSA, "RC4_128", flagRC4},
	{0x0006, "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5", kexRSA, "RC2_CBC_40", flagExport | flagRC2},
	{0x0007, "TLS_RSA_WITH_IDEA_CBC_SHA", kexRSA, "IDEA_CBC", flagIDEA},
	{0x0008, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA", kexRSA, "DES40_CBC", flagExport | flagDES},
	{0x0009, "TLS_RSA_WITH_DES_CBC_SHA", kexRSA, "DES_CBC", flagDES},
	{0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA", kexRSA, "3DES_EDE_CBC", flag3DES},
	{0x000B, "TLS_DH_DSS_EXPORT_WITH_DES40_CBC_SHA", kexDH, "DES40_CBC", flagExport | flagDES},
	{0x000C, "TLS_DH_DSS_WITH_DES_CBC_SHA", kexDH, "DES_CBC", flagDES},
	{0x000D, "TLS_DH_DSS_WITH_3DES_EDE_CBC_SHA", kexDH, "3DES_EDE_CBC", flag3DES},
	{0x000E, "TLS_DH_RSA_EXPORT_WITH_DES40_CBC_SHA", kexDH, "DES40_CBC", flagExport | flagDES},
	{0x000F, "TLS_DH_RSA_WITH_DES_CBC_SHA", kexDH, "DES_CBC", flagDES},
	{0x0010, "TLS_DH_RSA_WITH_3DES_EDE_CBC_SHA", kexDH, "3DES_EDE_CBC", flag3DES},
	{0x0011, "TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA", kexDHE, "DES40_CBC", flagExport | flagDES},
	{0x0012, "TLS_DHE_DSS_WITH_DES_CBC_SHA", kexDHE, "DES_CBC", flagDES},
	{0x0013, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA", kexDHE, "3DES_EDE_CBC", flag3DES},
	{0x0014, "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA", kexDHE, "DES40_CBC", flagExport | flagDES},
	{0x0015, "TLS_DHE_RSA_WITH_DES_CBC_SHA", kexDHE, "DES_CBC", flagDES},
	{0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA", kexDHE, "3DES_EDE_CBC", flag3DES},
	{0x0017, "TLS_DH_anon_EXPORT_WITH_RC4_40_MD5", kexDHAnon, "RC4_40", flagExport | flagAnon | flagRC4},
	{0x0018, "TLS_DH_anon_WITH_RC4_128_MD5", kexDHAnon, "RC4_128", flagAnon | flagRC4},
	{0x0019, "TLS_DH_anon_EXPORT_WITH_DES40_CBC_SHA", kexDHAnon, "DES40_CBC", flagExport | flagAnon | flagDES},
	{0x001A, "TLS_DH_anon_WITH_DES_CBC_SHA", kexDHAnon, "DES_CBC", flagAnon | flagDES},
	{0x001B, "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA", kexDHAnon, "3DES_EDE_CBC", flagAnon | flag3DES},
	{0x002C, "TLS_PSK_WITH_NULL_SHA", kexPSK, "NULL", flagNULL},
	{0x002D, "TLS_DHE_PSK_WITH_NULL_SHA", kexDHEPSK, "NULL", flagNULL},
	{0x002E, "TLS_RSA_PSK_WITH_NULL_SHA", kexRSAPSK, "NULL", flagNULL},
	{0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA", kexRSA, "AES_128_CBC", 0},
	{0x0030, "TLS_DH_DSS_WITH_AES_128_CBC_SHA", kexDH, "AES_128_CBC", 0},
	{0x0031, "TLS_DH_RSA_WITH_AES_128_CBC_SHA", kexDH, "AES_128_CBC", 0},
	{0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA", kexDHE, "AES_128_CBC", 0},
	{0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", kexDHE, "AES_128_CBC", 0},
	{0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA", kexDHAnon, "AES_128_CBC", flagAnon},
	{0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", kexRSA, "AES_256_CBC", 0},
	{0x0036, "TLS_DH_DSS_WITH_AES_256_CBC_SHA", kexDH, "AES_256_CBC", 0},
	{0x0037, "TLS_DH_RSA_WITH_AES_256_CBC_SHA", kexDH, "AES_256_CBC", 0},
	{0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA", kexDHE, "AES_256_CBC", 0},
	{0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", kexDHE, "AES_256_CBC", 0},
	{0x003A, "TLS_DH_anon_WITH_AES_256_CBC_SHA", kexDHAnon, "AES_256_CBC", flagAnon},
	{0x003B, "TLS_RSA_WITH_NULL_SHA256", kexRSA, "NULL", flagTLS12 | flagNULL},
	{0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256", kexRSA, "AES_128_CBC", flagTLS12},
	{0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256", kexRSA, "AES_256_CBC", flagTLS12},
	{0x003E, "TLS_DH_DSS_WITH_AES_128_CBC_SHA256", kexDH, "AES_128_CBC", flagTLS12},
	{0x003F, "TLS_DH_RSA_WITH_AES_128_CBC_SHA256", kexDH, "AES_128_CBC", flagTLS12},
	{0x0040, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256", kexDHE, "AES_128_CBC", flagTLS12},
	{0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA", kexRSA, "CAMELLIA_128_CBC", 0},
	{0x0042, "TLS_DH_DSS_WITH_CAMELLIA_128_CBC_SHA", kexDH, "CAMELLIA_128_CBC", 0},
	{0x0043, "TLS_DH_RSA_WITH_CAMELLIA_128_CBC_SHA", kexDH, "CAMELLIA_128_CBC", 0},
	{0x0044, "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA", kexDHE, "CAMELLIA_128_CBC", 0},
	{0x0045, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA", kexDHE, "CAMELLIA_128_CBC", 0},
	{0x0046, "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA", kexDHAnon, "CAMELLIA_128_CBC", flagAnon},
	{0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", kexDHE, "AES_128_CBC", flagTLS12},
	{0x0068, "TLS_DH_DSS_WITH_AES_256_CBC_SHA256", kexDH, "AES_256_CBC", flagTLS12},
	{0x0069, "TLS_DH_RSA_WITH_AES_256_CBC_SHA256", kexDH, "AES_256_CBC", flagTLS12},
	{0x006A, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256", kexDHE, "AES_256_CBC", flagTLS12},
	{0x006B, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", kexDHE, "AES_256_CBC", flagTLS12},
	{0x006C, "TLS_DH_anon_WITH_AES_128_CBC_SHA256", kexDHAnon, "AES_128_CBC", flagTLS12 | flagAnon},
	{0x006D, "TLS_DH_anon_WITH_AES_256_CBC_SHA256", kexDHAnon, "AES_256_CBC", flagTLS12 | flagAnon},
	{0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA", kexRSA, "CAMELLIA_256_CBC", 0},
	{0x0085, "TLS_DH_DSS_WITH_CAMELLIA_256_CBC_SHA", kexDH, "CAMELLIA_256_CBC", 0},
	{0x0086, "TLS_DH_RSA_WITH_CAMELLIA_256_CBC_SHA", kexDH, "CAMELLIA_256_CBC", 0},
	{0x0087, "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA", kexDHE, "CAMELLIA_256_CBC", 0},
	{0x0088, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA", kexDHE, "CAMELLIA_256_CBC", 0},
	{0x0089, "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA", kexDHAnon, "CAMELLIA_256_CBC", flagAnon},
	{0x008A, "TLS_PSK_WITH_RC4_128_SHA", kexPSK, "RC4_128", flagRC4},
	{0x008B, "TLS_PSK_WITH_3DES_EDE_CBC_SHA", kexPSK, "3DES_EDE_CBC", flag3DES},
	{0x008C, "TLS_PSK_WITH_AES_128_CBC_SHA", kexPSK, "AES_128_CBC", 0},
	{0x008D, "TLS_PSK_WITH_AES_256_CBC_SHA", kexPSK, "AES_256_CBC", 0},
	{0x008E, "TLS_DHE_PSK_WITH_RC4_128_SHA", kexDHEPSK, "RC4_128", flagRC4},
	{0x008F, "TLS_DHE_PSK_WITH_3DES_EDE_CBC_SHA", kexDHEPSK, "3DES_EDE_CBC", flag3DES},
	{0x0090, "TLS_DHE_PSK_WITH_AES_128_CBC_SHA", kexDHEPSK, "AES_128_CBC", 0},
	{0x0091, "TLS_DHE_PSK_WITH_AES_256_CBC_SHA", kexDHEPSK, "AES_256_CBC", 0},
	{0x0092, "TLS_RSA_PSK_WITH_RC4_128_SHA", kexRSAPSK, "RC4_128", flagRC4},
	{0x0093, "TLS_RSA_PSK_WITH_3DES_EDE_CBC_SHA", kexRSAPSK, "3DES_EDE_CBC", flag3DES},
	{0x0094, "TLS_RSA_PSK_WITH_AES_128_CBC_SHA", kexRSAPSK, "AES_128_CBC", 0},
	{0x0095, "TLS_RSA_PSK_WITH_AES_256_CBC_SHA", kexRSAPSK, "AES_256_CBC", 0},
	{0x0096, "TLS_RSA_WITH_SEED_CBC_SHA", kexRSA, "SEED_CBC", 0},
	{0x0097, "TLS_DH_DSS_WITH_SEED_CBC_SHA", kexDH, "SEED_CBC", 0},
	{0x0098, "TLS_DH_RSA_WITH_SEED_CBC_SHA", kexDH, "SEED_CBC", 0},
	{0x0099, "TLS_DHE_DSS_WITH_SEED_CBC_SHA", kexDHE, "SEED_CBC", 0},
	{0x009A, "TLS_DHE_RSA_WITH_SEED_CBC_SHA", kexDHE, "SEED_CBC", 0},
	{0x009B, "TLS_DH_anon_WITH_SEED_CBC_SHA", kexDHAnon, "SEED_CBC", flagAnon},
	{0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256", kexRSA, "AES_128_GCM", flagTLS12},
	{0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384", kexRSA, "AES_256_GCM", flagTLS12},
	{0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", kexDHE, "AES_128_GCM", flagTLS12},
	{0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", kexDHE, "AES_256_GCM", flagTLS12},
	{0x00A0, "TLS_DH_RSA_WITH_AES_128_GCM_SHA256", kexDH, "AES_128_GCM", flagTLS12},
	{0x00A1, "TLS_DH_RSA_WITH_AES_256_GCM_SHA384", kexDH, "AES_256_GCM", flagTLS12},
	{0x00A2, "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256", kexDHE, "AES_128_GCM", flagTLS12},
	{0x00A3, "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384", kexDHE, "AES_256_GCM", flagTLS12},
	{0x00A4, "TLS_DH_DSS_WITH_AES_128_GCM_SHA256", kexDH, "AES_128_GCM", flagTLS12},
	{0x00A5, "TLS_DH_DSS_WITH_AES_256_GCM_SHA384", kexDH, "AES_256_GCM", flagTLS12},
	{0x00A6, "TLS_DH_anon_WITH_AES_128_GCM_SHA256", kexDHAnon, "AES_128_GCM", flagTLS12 | flagAnon},
	{0x00A7, "TLS_DH_anon_WITH_AES_256_GCM_SHA384", kexDHAnon, "AES_256_GCM", flagTLS12 | flagAnon},
	{0x00A8, "TLS_PSK_WITH_AES_128_GCM_SHA256", kexPSK, "AES_128_GCM", flagTLS12},
	{0x00A9, "TLS_PSK_WITH_AES_256_GCM_SHA384", kexPSK, "AES_256_GCM", flagTLS12},
	{0x00AA, "TLS_DHE_PSK_WITH_AES_128_GCM_SHA256", kexDHEPSK, "AES_128_GCM", flagTLS12},
	{0x00AB, "TLS_DHE_PSK_WITH_AES_256_GCM_SHA384", kexDHEPSK, "AES_256_GCM", flagTLS12},
	{0x00AC, "TLS_RSA_PSK_WITH_AES_128_GCM_SHA256", kexRSAPSK, "AES_128_GCM", flagTLS12},
	{0x00AD, "TLS_RSA_PSK_WITH_AES_256_GCM_SHA384", kexRSAPSK, "AES_256_GCM", flagTLS12},
	{0x00AE, "TLS_PSK_WITH_AES_128_CBC_SHA256", kexPSK, "AES_128_CBC", flagTLS12},
	{0x00AF, "TLS_PSK_WITH_AES_256_CBC_SHA384", kexPSK, "AES_256_CBC", flagTLS12},
	{0x00B0, "TLS_PSK_WITH_NULL_SHA256", kexPSK, "NULL", flagTLS12 | flagNULL},
	{0x00B1, "TLS_PSK_WITH_NULL_SHA384", kexPSK, "NULL", flagTLS12 | flagNULL},
	{0x00B2, "TLS_DHE_PSK_WITH_AES_128_CBC_SHA256", kexDHEPSK, "AES_128_CBC", flagTLS12},
	{0x00B3, "TLS_DHE_PSK_WITH_AES_256_CBC_SHA384", kexDHEPSK, "AES_256_CBC", flagTLS12},
	{0x00B4, "TLS_DHE_PSK_WITH_NULL_SHA256", kexDHEPSK, "NULL", flagTLS12 | flagNULL},
	{0x00B5, "TLS_DHE_PSK_WITH_NULL_SHA384", kexDHEPSK, "NULL", flagTLS12 | flagNULL},
	{0x00B6, "TLS_RSA_PSK_WITH_AES_128_CBC_SHA256", kexRSAPSK, "AES_128_CBC", flagTLS12},
	{0x00B7, "TLS_RSA_PSK_WITH_AES_256_CBC_SHA384", kexRSAPSK, "AES_256_CBC", flagTLS12},
	{0x00B8, "TLS_RSA_PSK_WITH_NULL_SHA256", kexRSAPSK, "NULL", flagTLS12 | flagNULL},
	{0x00B9, "TLS_RSA_PSK_WITH_NULL_SHA384", kexRSAPSK, "NULL", flagTLS12 | flagNULL},
	{0x00BA, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA256", kexRSA, "CAMELLIA_128_CBC", flagTLS12},
	{0x00BB, "TLS_DH_DSS_WITH_CAMELLIA_128_CBC_SHA256", kexDH, "CAMELLIA_128_CBC", flagTLS12},
	{0x00BC, "TLS_DH_RSA_WITH_CAMELLIA_128_CBC_SHA256", kexDH, "CAMELLIA_128_CBC", flagTLS12},
	{0x00BD, "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA256", kexDHE, "CAMELLIA_128_CBC", flagTLS12},
	{0x00BE, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA256", kexDHE, "CAMELLIA_128_CBC", flagTLS12},
	{0x00BF, "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA256", kexDHAnon, "CAMELLIA_128_CBC", flagTLS12 | flagAnon},
	{0x00C0, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA256", kexRSA, "CAMELLIA_256_CBC", flagTLS12},
	{0x00C1, "TLS_DH_DSS_WITH_CAMELLIA_256_CBC_SHA256", kexDH, "CAMELLIA_256_CBC", flagTLS12},
	{0x00C2, "TLS_DH_RSA_WITH_CAMELLIA_256_CBC_SHA256", kexDH, "CAMELLIA_256_CBC", flagTLS12},
	{0x00C3, "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA256", kexDHE, "CAMELLIA_256_CBC", flagTLS12},
	{0x00C4, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA256", kexDHE, "CAMELLIA_256_CBC", flagTLS12},
	{0x00C5, "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA256", kexDHAnon, "CAMELLIA_256_CBC", flagTLS12 | flagAnon},
	{0x1301, "TLS_AES_128_GCM_SHA256", kexTLS13, "AES_128_GCM", flagTLS13},
	{0x1302, "TLS_AES_256_GCM_SHA384", kexTLS13, "AES_256_GCM", flagTLS13},
	{0x1303, "TLS_CHACHA20_POLY1305_SHA256", kexTLS13, "CHACHA20_POLY1305", flagTLS13},
	{0x1304, "TLS_AES_128_CCM_SHA256", kexTLS13, "AES_128_CCM", flagTLS13},
	{0x1305, "TLS_AES_128_CCM_8_SHA256", kexTLS13, "AES_128_CCM_8", flagTLS13},
	{0xC001, "TLS_ECDH_ECDSA_WITH_NULL_SHA", kexECDH, "NULL", flagNULL},
	{0xC002, "TLS_ECDH_ECDSA_WITH_RC4_128_SHA", kexECDH, "RC4_128", flagRC4},
	{0xC003, "TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA", kexECDH, "3DES_EDE_CBC", flag3DES},
	{0xC004, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA", kexECDH, "AES_128_CBC", 0},
	{0xC005, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA", kexECDH, "AES_256_CBC", 0},
	{0xC006, "TLS_ECDHE_ECDSA_WITH_NULL_SHA", kexECDHE, "NULL", flagNULL},
	{0xC007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", kexECDHE, "RC4_128", flagRC4},
	{0xC008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA", kexECDHE, "3DES_EDE_CBC", flag3DES},
	{0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", kexECDHE, "AES_128_CBC", 0},
	{0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", kexECDHE, "AES_256_CBC", 0},
	{0xC00B, "TLS_ECDH_RSA_WITH_NULL_SHA", kexECDH, "NULL", flagNULL},
	{0xC00C, "TLS_ECDH_RSA_WITH_RC4_128_SHA", kexECDH, "RC4_128", flagRC4},
	{0xC00D, "TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA", kexECDH, "3DES_EDE_CBC", flag3DES},
	{0xC00E, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA", kexECDH, "AES_128_CBC", 0},
	{0xC00F, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA", kexECDH, "AES_256_CBC", 0},
	{0xC010, "TLS_ECDHE_RSA_WITH_NULL_SHA", kexECDHE, "NULL", flagNULL},
	{0xC011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA", kexECDHE, "RC4_128", flagRC4},
	{0xC012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", kexECDHE, "3DES_EDE_CBC", flag3DES},
	{0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", kexECDHE, "AES_128_CBC", 0},
	{0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", kexECDHE, "AES_256_CBC", 0},
	{0xC015, "TLS_ECDH_anon_WITH_NULL_SHA", kexECDHAnon, "NULL", flagNULL | flagAnon},
	{0xC016, "TLS_ECDH_anon_WITH_RC4_128_SHA", kexECDHAnon, "RC4_128", flagAnon | flagRC4},
	{0xC017, "TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA", kexECDHAnon, "3DES_EDE_CBC", flagAnon | flag3DES},
	{0xC018, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA", kexECDHAnon, "AES_128_CBC", flagAnon},
	{0xC019, "TLS_ECDH_anon_WITH_AES_256_CBC_SHA", kexECDHAnon, "AES_256_CBC", flagAnon},
	{0xC01A, "TLS_SRP_SHA_WITH_3DES_EDE_CBC_SHA", kexSRP, "3DES_EDE_CBC", flag3DES},
	{0xC01B, "TLS_SRP_SHA_RSA_WITH_3DES_EDE_CBC_SHA", kexSRP, "3DES_EDE_CBC", flag3DES},
	{0xC01C, "TLS_SRP_SHA_DSS_WITH_3DES_EDE_CBC_SHA", kexSRP, "3DES_EDE_CBC", flag3DES},
	{0xC01D, "TLS_SRP_SHA_WITH_AES_128_CBC_SHA", kexSRP, "AES_128_CBC", 0},
	{0xC01E, "TLS_SRP_SHA_RSA_WITH_AES_128_CBC_SHA", kexSRP, "AES_128_CBC", 0},
	{0xC01F, "TLS_SRP_SHA_DSS_WITH_AES_128_CBC_SHA", kexSRP, "AES_128_CBC", 0},
	{0xC020, "TLS_SRP_SHA_WITH_AES_256_CBC_SHA", kexSRP, "AES_256_CBC", 0},
	{0xC021, "TLS_SRP_SHA_RSA_WITH_AES_256_CBC_SHA", kexSRP, "AES_256_CBC", 0},
	{0xC022, "TLS_SRP_SHA_DSS_WITH_AES_256_CBC_SHA", kexSRP, "AES_256_CBC", 0},
	{0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", kexECDHE, "AES_128_CBC", flagTLS12},
	{0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", kexECDHE, "AES_256_CBC", flagTLS12},
	{0xC025, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256", kexECDH, "AES_128_CBC", flagTLS12},
	{0xC026, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384", kexECDH, "AES_256_CBC", flagTLS12},
	{0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", kexECDHE, "AES_128_CBC", flagTLS12},
	{0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", kexECDHE, "AES_256_CBC", flagTLS12},
	{0xC029, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256", kexECDH, "AES_128_CBC", flagTLS12},
	{0xC02A, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384", kexECDH, "AES_256_CBC", flagTLS12},
	{0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", kexECDHE, "AES_128_GCM", flagTLS12},
	{0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", kexECDHE, "AES_256_GCM", flagTLS12},
	{0xC02D, "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256", kexECDH, "AES_128_GCM", flagTLS12},
	{0xC02E, "TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384", kexECDH, "AES_256_GCM", flagTLS12},
	{0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", kexECDHE, "AES_128_GCM", flagTLS12},
	{0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", kexECDHE, "AES_256_GCM", flagTLS12},
	{0xC031, "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256", kexECDH, "AES_128_GCM", flagTLS12},
	{0xC032, "TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384", kexECDH, "AES_256_GCM", flagTLS12},
	{0xC033, "TLS_ECDHE_PSK_WITH_RC4_128_SHA", kexECDHEPSK, "RC4_128", flagRC4},
	{0xC034, "TLS_ECDHE_PSK_WITH_3DES_EDE_CBC_SHA", kexECDHEPSK, "3DES_EDE_CBC", flag3DES},
	{0xC035, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA", kexECDHEPSK, "AES_128_CBC", 0},
	{0xC036, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA", kexECDHEPSK, "AES_256_CBC", 0},
	{0xC037, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256", kexECDHEPSK, "AES_128_CBC", flagTLS12},
	{0xC038, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384", kexECDHEPSK, "AES_256_CBC", flagTLS12},
	{0xC039, "TLS_ECDHE_PSK_WITH_NULL_SHA", kexECDHEPSK, "NULL", flagNULL},
	{0xC03A, "TLS_ECDHE_PSK_WITH_NULL_SHA256", kexECDHEPSK, "NULL", flagTLS12 | flagNULL},
	{0xC03B, "TLS_ECDHE_PSK_WITH_NULL_SHA384", kexECDHEPSK, "NULL", flagTLS12 | flagNULL},
	{0xC050, "TLS_RSA_WITH_ARIA_128_GCM_SHA256", kexRSA, "ARIA_128_GCM", flagTLS12},
	{0xC051, "TLS_RSA_WITH_ARIA_256_GCM_SHA384", kexRSA, "ARIA_256_GCM", flagTLS12},
	{0xC052, "TLS_DHE_RSA_WITH_ARIA_128_GCM_SHA256", kexDHE, "ARIA_128_GCM", flagTLS12},
	{0xC053, "TLS_DHE_RSA_WITH_ARIA_256_GCM_SHA384", kexDHE, "ARIA_256_GCM", flagTLS12},
	{0xC056, "TLS_DHE_DSS_WITH_ARIA_128_GCM_SHA256", kexDHE, "ARIA_128_GCM", flagTLS12},
	{0xC057, "TLS_DHE_DSS_WITH_ARIA_256_GCM_SHA384", kexDHE, "ARIA_256_GCM", flagTLS12},
	{0xC05C, "TLS_ECDHE_ECDSA_WITH_ARIA_128_GCM_SHA256", kexECDHE, "ARIA_128_GCM", flagTLS12},
	{0xC05D, "TLS_ECDHE_ECDSA_WITH_ARIA_256_GCM_SHA384", kexECDHE, "ARIA_256_GCM", flagTLS12},
	{0xC060, "TLS_ECDHE_RSA_WITH_ARIA_128_GCM_SHA256", kexECDHE, "ARIA_128_GCM", flagTLS12},
	{0xC061, "TLS_ECDHE_RSA_WITH_ARIA_256_GCM_SHA384", kexECDHE, "ARIA_256_GCM", flagTLS12},
	{0xC06A, "TLS_PSK_WITH_ARIA_128_GCM_SHA256", kexPSK, "ARIA_128_GCM", flagTLS12},
	{0xC06B, "TLS_PSK_WITH_ARIA_256_GCM_SHA384", kexPSK, "ARIA_256_GCM", flagTLS12},
	{0xC06C, "TLS_DHE_PSK_WITH_ARIA_128_GCM_SHA256", kexDHEPSK, "ARIA_128_GCM", flagTLS12},
	{0xC06D, "TLS_DHE_PSK_WITH_ARIA_256_GCM_SHA384", kexDHEPSK, "ARIA_256_GCM", flagTLS12},
	{0xC06E, "TLS_RSA_PSK_WITH_ARIA_128_GCM_SHA256", kexRSAPSK, "ARIA_128_GCM", flagTLS12},
	{0xC06F, "TLS_RSA_PSK_WITH_ARIA_256_GCM_SHA384", kexRSAPSK, "ARIA_256_GCM", flagTLS12},
	{0xC072, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256", kexECDHE, "CAMELLIA_128_CBC", flagTLS12},
	{0xC073, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384", kexECDHE, "CAMELLIA_256_CBC", flagTLS12},
	{0xC076, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256", kexECDHE, "CAMELLIA_128_CBC", flagTLS12},
	{0xC077, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384", kexECDHE, "CAMELLIA_256_CBC", flagTLS12},
	{0xC094, "TLS_PSK_WITH_CAMELLIA_128_CBC_SHA256", kexPSK, "CAMELLIA_128_CBC", flagTLS12},
	{0xC095, "TLS_PSK_WITH_CAMELLIA_256_CBC_SHA384", kexPSK, "CAMELLIA_256_CBC", flagTLS12},
	{0xC096, "TLS_DHE_PSK_WITH_CAMELLIA_128_CBC_SHA256", kexDHEPSK, "CAMELLIA_128_CBC", flagTLS12},
	{0xC097, "TLS_DHE_PSK_WITH_CAMELLIA_256_CBC_SHA384", kexDHEPSK, "CAMELLIA_256_CBC", flagTLS12},
	{0xC098, "TLS_RSA_PSK_WITH_CAMELLIA_128_CBC_SHA256", kexRSAPSK, "CAMELLIA_128_CBC", flagTLS12},
	{0xC099, "TLS_RSA_PSK_WITH_CAMELLIA_256_CBC_SHA384", kexRSAPSK, "CAMELLIA_256_CBC", flagTLS12},
	{0xC09A, "TLS_ECDHE_PSK_WITH_CAMELLIA_128_CBC_SHA256", kexECDHEPSK, "CAMELLIA_128_CBC", flagTLS12},
	{0xC09B, "TLS_ECDHE_PSK_WITH_CAMELLIA_256_CBC_SHA384", kexECDHEPSK, "CAMELLIA_256_CBC", flagTLS12},
	{0xC09C, "TLS_RSA_WITH_AES_128_CCM", kexRSA, "AES_128_CCM", flagTLS12},
	{0xC09D, "TLS_RSA_WITH_AES_256_CCM", kexRSA, "AES_256_CCM", flagTLS12},
	{0xC09E, "TLS_DHE_RSA_WITH_AES_128_CCM", kexDHE, "AES_128_CCM", flagTLS12},
	{0xC09F, "TLS_DHE_RSA_WITH_AES_256_CCM", kexDHE, "AES_256_CCM", flagTLS12},
	{0xC0A0, "TLS_RSA_WITH_AES_128_CCM_8", kexRSA, "AES_128_CCM_8", flagTLS12},
	{0xC0A1, "TLS_RSA_WITH_AES_256_CCM_8", kexRSA, "AES_256_CCM_8", flagTLS12},
	{0xC0A2, "TLS_DHE_RSA_WITH_AES_128_CCM_8", kexDHE, "AES_128_CCM_8", flagTLS12},
	{0xC0A3, "TLS_DHE_RSA_WITH_AES_256_CCM_8", kexDHE, "AES_256_CCM_8", flagTLS12},
	{0xC0A4, "TLS_PSK_WITH_AES_128_CCM", kexPSK, "AES_128_CCM", flagTLS12},
	{0xC0A5, "TLS_PSK_WITH_AES_256_CCM", kexPSK, "AES_256_CCM", flagTLS12},
	{0xC0A6, "TLS_DHE_PSK_WITH_AES_128_CCM", kexDHEPSK, "AES_128_CCM", flagTLS12},
	{0xC0A7, "TLS_DHE_PSK_WITH_AES_256_CCM", kexDHEPSK, "AES_256_CCM", flagTLS12},
	{0xC0A8, "TLS_PSK_WITH_AES_128_CCM_8", kexPSK, "AES_128_CCM_8", flagTLS12},
	{0xC0A9, "TLS_PSK_WITH_AES_256_CCM_8", kexPSK, "AES_256_CCM_8", flagTLS12},
	{0xC0AA, "TLS_PSK_DHE_WITH_AES_128_CCM_8", kexDHEPSK, "AES_128_CCM_8", flagTLS12},
	{0xC0AB, "TLS_PSK_DHE_WITH_AES_256_CCM_8", kexDHEPSK, "AES_256_CCM_8", flagTLS12},
	{0xC0AC, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM", kexECDHE, "AES_128_CCM", flagTLS12},
	{0xC0AD, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM", kexECDHE, "AES_256_CCM", flagTLS12},
	{0xC0AE, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", kexECDHE, "AES_128_CCM_8", flagTLS12},
	{0xC0AF, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8", kexECDHE, "AES_256_CCM_8", flagTLS12},
	{0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", kexECDHE, "CHACHA20_POLY1305", flagTLS12},
	{0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", kexECDHE, "CHACHA20_POLY1305", flagTLS12},
	{0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", kexDHE, "CHACHA20_POLY1305", flagTLS12},
	{0xCCAB, "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256", kexPSK, "CHACHA20_POLY1305", flagTLS12},
	{0xCCAC, "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256", kexECDHEPSK, "CHACHA20_POLY1305", flagTLS12},
	{0xCCAD, "TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256", kexDHEPSK, "CHACHA20_POLY1305", flagTLS12},
	{0xCCAE, "TLS_RSA_PSK_WITH_CHACHA20_POLY1305_SHA256", kexRSAPSK, "CHACHA20_POLY1305", flagTLS12},
}

// ssl2Specs are the SSLv2 cipher specs.
var ssl2Specs = []suiteDef{
	{0x010080, "SSL_CK_RC4_128_WITH_MD5", kexRSA, "RC4_128", flagSSL2 | flagRC4},
	{0x020080, "SSL_CK_RC4_128_EXPORT40_WITH_MD5", kexRSA, "RC4_40", flagSSL2 | flagExport | flagRC4},
	{0x030080, "SSL_CK_RC2_128_CBC_WITH_MD5", kexRSA, "RC2_CBC_128", flagSSL2 | flagRC2},
	{0x040080, "SSL_CK_RC2_128_CBC_EXPORT40_WITH_MD5", kexRSA, "RC2_CBC_40", flagSSL2 | flagExport | flagRC2},
	{0x050080, "SSL_CK_IDEA_128_CBC_WITH_MD5", kexRSA, "IDEA_CBC", flagSSL2 | flagIDEA},
	{0x060040, "SSL_CK_DES_64_CBC_WITH_MD5", kexRSA, "DES_CBC", flagSSL2 | flagDES},
	{0x0700C0, "SSL_CK_DES_192_EDE3_CBC_WITH_MD5", kexRSA, "3DES_EDE_CBC", flagSSL2 | flag3DES},
}

var (
	tlsByID  = index(tlsSuites)
	ssl2ByID = index(ssl2Specs)
)

func index(defs []suiteDef) map[uint32]suiteDef {
	m := make(map[uint32]suiteDef, len(defs))
	for _, d := range defs {
		m[d.id] = d
	}
	return m
}

// Suite is a cipher suite the server accepted.
type Suite struct {
	ID             uint32   `json:"id"`   // the IANA value; for SSLv2 the three-byte cipher spec
	Name           string   `json:"name"` // the IANA name
	KeyExchange    string   `json:"key_exchange"`
	Encryption     string   `json:"encryption"`
	ForwardSecrecy bool     `json:"forward_secrecy"`
	Weaknesses     []string `json:"weaknesses,omitempty"` // NULL, anon, export, RC4, RC2, DES, 3DES, IDEA
}

// String names the suite with its value, as evidence shows it.
func (s Suite) String() string {
	if s.ID > 0xffff {
		return fmt.Sprintf("%s (0x%06X)", s.Name, s.ID)
	}
	return fmt.Sprintf("%s (0x%04X)", s.Name, s.ID)
}

// Weak reports whether the suite has any weakness.
func (s Suite) Weak() bool { return len(s.Weaknesses) > 0 }

func (d suiteDef) suite() Suite {
	s := Suite{ID: d.id, Name: d.name, KeyExchange: string(d.kex), Encryption: d.enc, ForwardSecrecy: d.kex.forwardSecret()}
	for _, w := range weakFlags {
		if d.flags&w.flag != 0 {
			s.Weaknesses = append(s.Weaknesses, w.name)
		}
	}
	return s
}

// lookupSuite describes the suite a server chose at version v. A value
// outside the table (which the server can only choose if it ignores the
// offer) keeps its number and an "unknown" name.
func lookupSuite(v Version, id uint32) Suite {
	table := tlsByID
	if v == SSL2 {
		table = ssl2ByID
	}
	if d, ok := table[id]; ok {
		return d.suite()
	}
	return Suite{ID: id, Name: fmt.Sprintf("UNKNOWN_0x%04X", id), KeyExchange: "unknown", Encryption: "unknown"}
}

// offer lists the suites a ClientHello for version v offers: every table
// suite that version can negotiate.
func offer(v Version) []uint32 {
	var ids []uint32
	switch v {
	case SSL2:
		for _, d := range ssl2Specs {
			ids = append(ids, d.id)
		}
	case TLS13:
		for _, d := range tlsSuites {
			if d.flags&flagTLS13 != 0 {
				ids = append(ids, d.id)
			}
		}
	default:
		for _, d := range tlsSuites {
			if d.flags&flagTLS13 != 0 || (v < TLS12 && d.flags&flagTLS12 != 0) {
				continue
			}
			ids = append(ids, d.id)
		}
	}
	return ids
}

// withCertificate drops the anonymous suites, whose handshakes carry no
// certificate.
func withCertificate(ids []uint32) []uint32 {
	var out []uint32
	for _, id := range ids {
		if tlsByID[id].flags&flagAnon == 0 {
			out = append(out, id)
		}
	}
	return out
}
