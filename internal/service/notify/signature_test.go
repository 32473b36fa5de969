package notify

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var (
	testSecret = []byte("whsec-test-0123456789")
	signedAt   = time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC)
	testBody   = []byte(`{"id":"d-1","event":"ticket.new"}`)
)

func TestSignVerify(t *testing.T) {
	good := Sign(testSecret, signedAt, testBody)
	if !strings.HasPrefix(good, "t=1769940000,v1=") || len(good) != len("t=1769940000,v1=")+64 {
		t.Fatalf("Sign = %q, want t=<unix>,v1=<64 hex digits>", good)
	}
	sig := strings.TrimPrefix(good, "t=1769940000,")
	other := strings.TrimPrefix(Sign([]byte("old secret"), signedAt, testBody), "t=1769940000,")
	tests := []struct {
		name      string
		secret    []byte
		header    string
		body      []byte
		now       time.Time
		tolerance time.Duration
		ok        bool
	}{
		{"valid", testSecret, good, testBody, signedAt, 5 * time.Minute, true},
		{"valid at the edge of the tolerance", testSecret, good, testBody, signedAt.Add(5 * time.Minute), 5 * time.Minute, true},
		{"valid with spaces and unknown entries", testSecret, " t=1769940000 , v0=abc , " + sig, testBody, signedAt, time.Minute, true},
		{"valid second signature during a rotation", testSecret, "t=1769940000," + other + "," + sig, testBody, signedAt, time.Minute, true},
		{"wrong secret", []byte("another secret"), good, testBody, signedAt, time.Minute, false},
		{"no secret", nil, good, testBody, signedAt, time.Minute, false},
		{"body changed", testSecret, good, []byte(`{"id":"d-1","event":"ticket.patched"}`), signedAt, time.Minute, false},
		{"timestamp changed", testSecret, "t=1769940001," + sig, testBody, signedAt, time.Minute, false},
		{"too old", testSecret, good, testBody, signedAt.Add(5*time.Minute + time.Second), 5 * time.Minute, false},
		{"from the future", testSecret, good, testBody, signedAt.Add(-2 * time.Minute), time.Minute, false},
		{"no tolerance", testSecret, good, testBody, signedAt, 0, false},
		{"only the other secret's signature", testSecret, "t=1769940000," + other, testBody, signedAt, time.Minute, false},
		{"no timestamp", testSecret, sig, testBody, signedAt, time.Minute, false},
		{"two timestamps", testSecret, "t=1769940000,t=1769940000," + sig, testBody, signedAt, time.Minute, false},
		{"negative timestamp", testSecret, "t=-1769940000," + sig, testBody, signedAt, time.Minute, false},
		{"no signature", testSecret, "t=1769940000", testBody, signedAt, time.Minute, false},
		{"short signature", testSecret, "t=1769940000,v1=abcd", testBody, signedAt, time.Minute, false},
		{"signature not hex", testSecret, "t=1769940000,v1=" + strings.Repeat("zz", 32), testBody, signedAt, time.Minute, false},
		{"entry without =", testSecret, good + ",junk", testBody, signedAt, time.Minute, false},
		{"empty header", testSecret, "", testBody, signedAt, time.Minute, false},
		{"too many signatures", testSecret, "t=1769940000" + strings.Repeat(","+other, maxSignatures) + "," + sig, testBody, signedAt, time.Minute, false},
		{"header too long", testSecret, good + ",x=" + strings.Repeat("a", MaxSignatureHeader), testBody, signedAt, time.Minute, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Verify(tc.secret, tc.header, tc.body, tc.now, tc.tolerance)
			if tc.ok && err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if !tc.ok {
				if !errors.Is(err, ErrSignature) {
					t.Fatalf("Verify = %v, want an ErrSignature", err)
				}
				if sig := strings.TrimPrefix(tc.header, "t=1769940000,v1="); len(sig) >= 64 && strings.Contains(err.Error(), sig[:64]) {
					t.Errorf("error %q quotes the header", err)
				}
			}
		})
	}
}

// FuzzVerify feeds Verify headers and bodies as a receiver gets them from
// the network: it must not panic, and it may accept only a header that
// holds the signature Sign makes for its timestamp and the body.
func FuzzVerify(f *testing.F) {
	good := Sign(testSecret, signedAt, testBody)
	for _, h := range []string{
		good,
		good + ",v1=" + strings.Repeat("0", 64),
		"t=1769940000,v0=x," + strings.TrimPrefix(good, "t=1769940000,"),
		"t=,v1=",
		"t=99999999999999999999,v1=00",
		",,,",
		"t=1769940000,t=1769940000",
		"v1=" + strings.Repeat("ab", 32),
		"",
	} {
		f.Add(h, testBody)
	}
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		if Verify(testSecret, header, body, signedAt, time.Hour) != nil {
			return
		}
		unix, _, err := parseHeader(header)
		if err != nil {
			t.Fatalf("accepted a header that does not parse: %v", err)
		}
		want := strings.TrimPrefix(Sign(testSecret, signedAt, body), "t=1769940000,")
		if unix == "1769940000" && !strings.Contains(header, want) {
			t.Fatalf("accepted %q without the signature %s", header, want)
		}
	})
}
