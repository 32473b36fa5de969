// Command tlsservers starts the loopback TLS servers that
// bench/testssl-compare.sh scans with testssl.sh and with ecoscan: Go
// crypto/tls servers with good and bad configurations and certificates, and
// Debian's openssl s_server for what Go cannot serve (DHE, OpenSSL's legacy
// suites).
//
// Every certificate is made at start; all but the self-signed one are issued
// by a fresh test CA, which -ca-out writes (PEM) for the scanners to trust.
// Each server answers HTTP requests with a short page, so that scanners see a
// web server.
//
// It prints one line per server, "name 127.0.0.1:port", closes stdout, and
// serves until stdin closes or it gets SIGTERM or SIGINT; then it stops its
// openssl children and exits.
//
//	go run ./bench/tlsservers -ca-out /tmp/ca.pem   # from the module's root; Ctrl-D stops it
package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

// now is the instant the certificates are made around.
var now = time.Now().Truncate(time.Second)

func main() {
	caOut := flag.String("ca-out", "", "write the test CA certificate (PEM) to this file (required)")
	dhparam := flag.String("dhparam", "internal/tlsprobe/testdata/ffdhe2048.pem", "DH parameters of the DHE-only openssl server")
	opensslBin := flag.String("openssl", "openssl", "the openssl command")
	flag.Parse()
	if *caOut == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: tlsservers -ca-out ca.pem [-dhparam ffdhe2048.pem] [-openssl openssl]")
		os.Exit(2)
	}
	log.SetFlags(0)
	log.SetPrefix("tlsservers: ")

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		stop()
	}()

	s := &servers{openssl: *opensslBin}
	err := s.start(*caOut, *dhparam)
	if err == nil {
		for _, l := range s.lines {
			fmt.Println(l)
		}
		os.Stdout.Close() // the list is complete: a reader can read to its end
		<-ctx.Done()
	}
	s.close()
	if err != nil {
		log.Fatal(err)
	}
}

// servers are the running servers and what stopping them needs.
type servers struct {
	openssl string
	dir     string // the openssl servers' certificates and keys
	lines   []string
	stops   []func()
}

// start makes the certificates and starts every server.
func (s *servers) start(caOut, dhparam string) error {
	ca, caKey, err := newCA()
	if err != nil {
		return err
	}
	if err := os.WriteFile(caOut, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw}), 0o644); err != nil {
		return fmt.Errorf("write the CA certificate: %w", err)
	}
	if dhparam, err = filepath.Abs(dhparam); err != nil {
		return err
	}
	if s.dir, err = os.MkdirTemp("", "tlsservers-"); err != nil {
		return err
	}
	s.stops = append(s.stops, func() { os.RemoveAll(s.dir) })

	// good is a certificate for localhost and 127.0.0.1 from the CA.
	good := leafOpts{}
	staticRSA := []uint16{
		tls.TLS_RSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_RSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_RSA_WITH_AES_128_CBC_SHA,
		tls.TLS_RSA_WITH_AES_256_CBC_SHA,
	}
	goServers := []struct {
		name string
		cert leafOpts
		cfg  *tls.Config
	}{
		{"go-modern", good, &tls.Config{MinVersion: tls.VersionTLS12}},
		{"go-tls10-tls11", good, &tls.Config{MinVersion: tls.VersionTLS10}},
		{"go-static-rsa", good, &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: staticRSA}},
		{"go-expired", leafOpts{notBefore: now.Add(-100 * day), notAfter: now.Add(-day)}, &tls.Config{}},
		{"go-wrong-name", leafOpts{names: []string{"other.example"}, ips: []net.IP{net.IPv4(10, 0, 0, 1)}}, &tls.Config{}},
		{"go-self-signed", leafOpts{selfSigned: true}, &tls.Config{}},
		{"go-rsa1024", leafOpts{rsaBits: 1024}, &tls.Config{}},
	}
	for _, g := range goServers {
		cert, err := newLeaf(ca, caKey, g.cert)
		if err != nil {
			return fmt.Errorf("%s: %w", g.name, err)
		}
		cfg := g.cfg.Clone()
		cfg.Certificates = []tls.Certificate{cert}
		addr, err := s.goServer(cfg)
		if err != nil {
			return fmt.Errorf("%s: %w", g.name, err)
		}
		s.lines = append(s.lines, g.name+" "+addr)
	}

	opensslServers := []struct {
		name string
		args []string
	}{
		{"openssl-dhe-only", []string{"-cipher", "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:@SECLEVEL=0", "-dhparam", dhparam, "-no_tls1_3"}},
		{"openssl-tls10", []string{"-tls1", "-cipher", "ALL:@SECLEVEL=0"}},
	}
	for _, o := range opensslServers {
		cert, err := newLeaf(ca, caKey, good)
		if err != nil {
			return fmt.Errorf("%s: %w", o.name, err)
		}
		addr, err := s.opensslServer(o.name, cert, o.args)
		if err != nil {
			return fmt.Errorf("%s: %w", o.name, err)
		}
		s.lines = append(s.lines, o.name+" "+addr)
	}
	return nil
}

// close stops the servers, the last started first.
func (s *servers) close() {
	for i := len(s.stops) - 1; i >= 0; i-- {
		s.stops[i]()
	}
}

// goServer serves HTTPS with cfg on a fresh loopback port.
func (s *servers) goServer(cfg *tls.Config) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			fmt.Fprintln(w, "tlsservers")
		}),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0), // scanners fail handshakes on purpose
	}
	go func() { _ = srv.Serve(tls.NewListener(ln, cfg)) }()
	s.stops = append(s.stops, func() { srv.Close() })
	return ln.Addr().String(), nil
}

// opensslServer runs openssl s_server (-www: it answers GET with a status
// page) with the certificate and args on a free loopback port.
func (s *servers) opensslServer(name string, cert tls.Certificate, args []string) (string, error) {
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		return "", err
	}
	certFile, keyFile := filepath.Join(s.dir, name+".crt"), filepath.Join(s.dir, name+".key")
	if err := writePEM(certFile, "CERTIFICATE", cert.Certificate[0]); err != nil {
		return "", err
	}
	if err := writePEM(keyFile, "PRIVATE KEY", keyDER); err != nil {
		return "", err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	ln.Close() // s_server takes the port over

	cmd := exec.Command(s.openssl, append([]string{"s_server", "-accept", addr,
		"-cert", certFile, "-key", keyFile, "-quiet", "-www"}, args...)...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("start %s s_server: %w", s.openssl, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	s.stops = append(s.stops, func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		select {
		case <-exited:
			return "", fmt.Errorf("openssl s_server %v exited: %v", args, cmd.ProcessState)
		default:
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return addr, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("openssl s_server %v did not listen on %s: %w", args, addr, err)
		}
	}
}

const day = 24 * time.Hour

// newCA makes the test CA.
func newCA() (*x509.Certificate, *rsa.PrivateKey, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "ecoscan bench CA"},
		NotBefore:             now.Add(-day),
		NotAfter:              now.Add(3650 * day),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("make the CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, err
}

// leafOpts describe a server certificate; the zero value is a good one: RSA
// 2048, for localhost and 127.0.0.1, valid for 90 days, from the CA.
type leafOpts struct {
	names               []string
	ips                 []net.IP
	notBefore, notAfter time.Time
	rsaBits             int
	selfSigned          bool
}

// newLeaf makes a server certificate and its key.
func newLeaf(ca *x509.Certificate, caKey *rsa.PrivateKey, o leafOpts) (tls.Certificate, error) {
	if o.names == nil {
		o.names = []string{"localhost"}
	}
	if o.ips == nil {
		o.ips = []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	if o.notBefore.IsZero() {
		o.notBefore, o.notAfter = now.Add(-day), now.Add(90*day)
	}
	if o.rsaBits == 0 {
		o.rsaBits = 2048
	}
	key, err := rsa.GenerateKey(rand.Reader, o.rsaBits)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127)) // 127 bits, as CAs must use >= 64
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: o.names[0]},
		DNSNames:     o.names,
		IPAddresses:  o.ips,
		NotBefore:    o.notBefore,
		NotAfter:     o.notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	parent, signer := ca, any(caKey)
	if o.selfSigned {
		parent, signer = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("make a certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

func writePEM(file, typ string, der []byte) error {
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	return nil
}
