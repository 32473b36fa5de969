package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrSignature is what every refusal of Verify wraps.
var ErrSignature = errors.New("webhook signature refused")

// Limits of the signature header that Verify reads.
const (
	MaxSignatureHeader = 1024 // bytes
	maxSignatures      = 8    // v1 entries, one per secret being rotated
)

// Sign returns the Ecoscan-Signature header value of a delivery of body at
// ts: "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<unix seconds>.<body>">".
// Signing the timestamp with the body lets a receiver refuse a captured
// delivery replayed later.
func Sign(secret []byte, ts time.Time, body []byte) string {
	unix := strconv.FormatInt(ts.Unix(), 10)
	return "t=" + unix + ",v1=" + hex.EncodeToString(mac(secret, unix, body))
}

func mac(secret []byte, unix string, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(unix))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks an Ecoscan-Signature header against body, as a receiver
// of deliveries does: the header must hold one timestamp ("t=") within
// tolerance of now, either way, and at least one "v1=" signature that is
// the HMAC-SHA256 of the timestamp and body under secret (compared in
// constant time). Several v1 entries are allowed, so that a sender can sign
// with an old and a new secret while they are rotated; unknown entries are
// ignored, so that other schemes can be added. Every refusal wraps
// ErrSignature and never quotes the header.
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if len(secret) == 0 {
		return fmt.Errorf("%w: no secret to verify with", ErrSignature)
	}
	if tolerance <= 0 {
		return fmt.Errorf("%w: the tolerance must be positive, is %v", ErrSignature, tolerance)
	}
	unix, sigs, err := parseHeader(header)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrSignature, err)
	}
	ts, _ := strconv.ParseInt(unix, 10, 64)
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: timestamp is %v away from now, more than %v", ErrSignature, d.Round(time.Second), tolerance)
	}
	want := mac(secret, unix, body)
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			return nil
		}
	}
	return fmt.Errorf("%w: no signature matches", ErrSignature)
}

// parseHeader reads "t=<digits>,v1=<64 hex digits>[,v1=...][,other=...]".
// It returns the timestamp as written (the signed text) and the decoded
// signatures.
func parseHeader(header string) (unix string, sigs [][]byte, err error) {
	if len(header) > MaxSignatureHeader {
		return "", nil, fmt.Errorf("header longer than %d bytes", MaxSignatureHeader)
	}
	seenT := false
	for part := range strings.SplitSeq(header, ",") {
		key, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return "", nil, errors.New("header entry without '='")
		}
		switch key {
		case "t":
			if seenT {
				return "", nil, errors.New("more than one timestamp")
			}
			seenT = true
			if value == "" || len(value) > 18 || strings.TrimLeft(value, "0123456789") != "" {
				return "", nil, errors.New("timestamp is not a number of seconds")
			}
			unix = value
		case "v1":
			if len(sigs) == maxSignatures {
				return "", nil, fmt.Errorf("more than %d signatures", maxSignatures)
			}
			sig, err := hex.DecodeString(value)
			if err != nil || len(sig) != sha256.Size {
				return "", nil, errors.New("v1 signature is not 64 hex digits")
			}
			sigs = append(sigs, sig)
		}
	}
	if !seenT {
		return "", nil, errors.New("no timestamp")
	}
	if len(sigs) == 0 {
		return "", nil, errors.New("no v1 signature")
	}
	return unix, sigs, nil
}
