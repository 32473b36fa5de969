package domain

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// FuzzDNSAnswer feeds raw messages, as a server may send them, to the
// receiving side of a chain step: parseAnswer (dns.Msg.Unpack and the
// checks on the question and records) and decide. Seeds: testdata/fuzz/FuzzDNSAnswer.
func FuzzDNSAnswer(f *testing.F) {
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, qtype := range []uint16{dns.TypeCNAME, dns.TypeA, dns.TypeAAAA, dns.TypeNS, dns.TypeSOA} {
			a, err := parseAnswer(raw, question{"app.example.com.", qtype})
			if err != nil {
				if !errors.Is(err, errMalformed) {
					t.Fatalf("an error that is not errMalformed: %v", err)
				}
				continue
			}
			for _, name := range append(slices.Clone(a.ns), a.cname) {
				if name == "" {
					continue
				}
				if _, ok := dns.IsDomainName(name); !ok || name != dns.CanonicalName(name) {
					t.Fatalf("a name that is not canonical: %q", name)
				}
			}
			for host := range a.glue {
				if !slices.Contains(a.ns, host) {
					t.Fatalf("glue for %s, which is not an NS host", host)
				}
			}
			d := decide(a)
			switch {
			case (d.end == Failed) != (d.err != nil):
				t.Fatalf("decision %+v: an error without a failure or the other way round", d)
			case d.next != "" && d.end != "":
				t.Fatalf("decision %+v: both follows and ends", d)
			case d.next == "" && d.end == "" && (a.rcode != dns.RcodeSuccess || a.cname != "" || len(a.addrs) > 0):
				t.Fatalf("answer %+v left undecided", a)
			}
		}
	})
}

// FuzzRDAPDocument feeds RDAP answers to parseRDAP and isRDAPNotFound.
// Seeds: testdata/fuzz/FuzzRDAPDocument.
func FuzzRDAPDocument(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		_ = isRDAPNotFound(body)
		doc, err := parseRDAP(body, "example.com")
		if err != nil {
			return
		}
		if !doc.expiration.IsZero() && doc.expiration.Location() != time.UTC {
			t.Fatalf("expiration %v not in UTC", doc.expiration)
		}
		for _, s := range doc.status {
			if s != strings.ToLower(strings.TrimSpace(s)) {
				t.Fatalf("status %q not normalised", s)
			}
		}
	})
}
