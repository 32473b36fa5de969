package tlsprobe

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The servers and certificates the tests probe: all on 127.0.0.1, started
// and stopped by the tests.

// testNow is the instant the tests judge certificates at.
var testNow = time.Now().Truncate(time.Second)

// authority is a test CA.
type authority struct {
	cert *x509.Certificate
	key  *rsa.PrivateKey
	pool *x509.CertPool
}

var (
	caOnce             sync.Once
	testCA, strangerCA *authority
	caErr              error
)

// cas returns the CA the tests trust and one they do not, made once.
func cas(t testing.TB) (trusted, stranger *authority) {
	t.Helper()
	caOnce.Do(func() {
		if testCA, caErr = newAuthority("ecoscan test CA"); caErr == nil {
			strangerCA, caErr = newAuthority("stranger CA")
		}
	})
	if caErr != nil {
		t.Fatalf("make test CAs: %v", caErr)
	}
	return testCA, strangerCA
}

func newAuthority(name string) (*authority, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             testNow.Add(-24 * time.Hour),
		NotAfter:              testNow.Add(10 * 365 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &authority{cert: cert, key: key, pool: pool}, nil
}

// leafOpts describe a server certificate; the zero value is a good one for
// localhost and 127.0.0.1, signed by the test CA with ECDSA P-256.
type leafOpts struct {
	names      []string
	ips        []net.IP
	notBefore  time.Time
	notAfter   time.Time
	rsaBits    int // 0 means an ECDSA P-256 key
	sigAlg     x509.SignatureAlgorithm
	selfSigned bool
	issuer     *authority // nil means the test CA
}

var serial atomic.Int64

// leaf makes a certificate and key for a server.
func leaf(t testing.TB, o leafOpts) tls.Certificate {
	t.Helper()
	ca, _ := cas(t)
	if o.issuer != nil {
		ca = o.issuer
	}
	if o.names == nil {
		o.names = []string{"localhost"}
	}
	if o.ips == nil {
		o.ips = []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	if o.notBefore.IsZero() {
		o.notBefore = testNow.Add(-time.Hour)
	}
	if o.notAfter.IsZero() {
		o.notAfter = testNow.Add(90 * 24 * time.Hour)
	}
	var (
		key crypto.Signer
		err error
	)
	if o.rsaBits > 0 {
		key, err = rsa.GenerateKey(rand.Reader, o.rsaBits)
	} else {
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:       big.NewInt(100 + serial.Add(1)),
		Subject:            pkix.Name{CommonName: o.names[0]},
		DNSNames:           o.names,
		IPAddresses:        o.ips,
		NotBefore:          o.notBefore,
		NotAfter:           o.notAfter,
		KeyUsage:           x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:        []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		SignatureAlgorithm: o.sigAlg,
	}
	parent, signer := ca.cert, crypto.Signer(ca.key)
	if o.selfSigned {
		parent, signer = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), signer)
	if err != nil {
		t.Fatalf("create certificate: %v", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// serve accepts connections on a fresh loopback port and hands each to
// handle, until the test ends.
func serve(t testing.TB, handle func(net.Conn)) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				handle(c)
			})
		}
	})
	return ln.Addr().(*net.TCPAddr).Port
}

// goServer runs a crypto/tls server with cfg.
func goServer(t testing.TB, cfg *tls.Config) int {
	t.Helper()
	return serve(t, func(c net.Conn) { _ = tls.Server(c, cfg).Handshake() })
}

// opensslServer runs Debian's openssl s_server with the certificate and the
// extra arguments, on a free loopback port, until the test ends.
func opensslServer(t *testing.T, cert tls.Certificate, args ...string) int {
	t.Helper()
	bin, err := exec.LookPath("openssl")
	if err != nil {
		t.Fatalf("internal/tlsprobe needs the openssl command for its OpenSSL tests (apt-get install openssl): %v", err)
	}
	dir := t.TempDir()
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatalf("marshal key: %v", err)
	}
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writePEM(t, certFile, "CERTIFICATE", cert.Certificate[0])
	writePEM(t, keyFile, "PRIVATE KEY", keyDER)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()

	var out bytes.Buffer
	cmd := exec.Command(bin, append([]string{"s_server", "-accept", "127.0.0.1:" + strconv.Itoa(port),
		"-cert", certFile, "-key", keyFile, "-quiet"}, args...)...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start openssl s_server: %v", err)
	}
	stop := func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("openssl s_server %v did not listen: %v\n%s", args, err, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Cleanup(stop)
	return port
}

func writePEM(t *testing.T, file, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatalf("write %s: %v", file, err)
	}
}

// drain reads what the client sends until it closes or the deadline.
func drain(c net.Conn) { _, _ = io.Copy(io.Discard, c) }
