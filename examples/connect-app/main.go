// Command connect-app serves ecoscan's fixture Connect app on loopback over
// TLS, for the README's example scan and the benchmark. It prints the
// descriptor URL on stdout, writes the server's certificate where --cert-out
// says (for SSL_CERT_FILE), and serves until it is interrupted or its
// standard input closes; then it prints "served N requests" on stderr (the
// benchmark's count of a scan's requests).
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/ecoscan/ecoscan/internal/connect/connecttest"
)

func main() {
	var (
		flaws   = flag.String("flaws", "", "comma-separated flaws to build in (none: the correct app); one of: "+flawNames())
		pages   = flag.Int("pages", 0, "extra protected pages /p/0 .. /p/N-1")
		delay   = flag.Duration("delay", 0, "how long each module page takes to answer")
		addr    = flag.String("addr", "127.0.0.1:0", "loopback address to listen on")
		certOut = flag.String("cert-out", "", "write the server's certificate (PEM) to this file")
		creds   = flag.Bool("print-installation", false, "also print the test installation's clientKey, shared secret and a non-admin user's token, one per line")
		stdin   = flag.Bool("exit-on-stdin-eof", false, "stop when standard input closes")
	)
	flag.Parse()
	cfg := connecttest.Config{Pages: *pages, Delay: *delay, Addr: *addr}
	for _, f := range strings.Split(*flaws, ",") {
		if f = strings.TrimSpace(f); f != "" {
			cfg.Flaws = append(cfg.Flaws, connecttest.Flaw(f))
		}
	}
	if !strings.HasPrefix(*addr, "127.") && !strings.HasPrefix(*addr, "localhost:") && !strings.HasPrefix(*addr, "[::1]:") {
		fmt.Fprintln(os.Stderr, "connect-app: --addr must be a loopback address")
		os.Exit(2)
	}
	app, err := connecttest.StartWith(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "connect-app:", err)
		os.Exit(1)
	}
	defer app.Close()
	if *certOut != "" {
		if err := os.WriteFile(*certOut, app.CertPEM, 0o600); err != nil {
			fmt.Fprintln(os.Stderr, "connect-app:", err)
			os.Exit(1)
		}
	}
	fmt.Println(app.DescriptorURL)
	if *creds {
		fmt.Println(app.ClientKey)
		fmt.Println(app.SharedSecret)
		fmt.Println(app.UserJWT)
	}
	done := make(chan os.Signal, 1)
	signal.Notify(done, os.Interrupt, syscall.SIGTERM)
	if *stdin {
		go func() {
			io.Copy(io.Discard, os.Stdin)
			done <- syscall.SIGTERM
		}()
	}
	select {
	case <-done:
	case <-time.After(24 * time.Hour):
	}
	fmt.Fprintf(os.Stderr, "served %d requests\n", app.Requests())
}

func flawNames() string {
	var names []string
	for _, f := range append(connecttest.Flaws, connecttest.Hostile) {
		names = append(names, string(f))
	}
	return strings.Join(names, ", ")
}
