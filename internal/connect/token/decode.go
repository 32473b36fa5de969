package token

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxSize is the largest token Decode reads, in bytes. Connect tokens are a
// few hundred bytes; a large context claim stays far below this.
const MaxSize = 16 << 10

// Decode returns the header and claims of tok WITHOUT verifying its
// signature: it is for reading a token the user gave (its sub, context and
// iss), never for deciding whether a token is valid.
//
// tok must be three base64url segments (padding tolerated; the signature may
// be empty, as in alg none) whose first two are JSON objects, at most
// [MaxSize] bytes; surrounding white space is ignored. Numbers are returned
// as json.Number, so that they survive being signed again unchanged. Errors
// never quote the token.
func Decode(tok string) (header, claims map[string]any, err error) {
	tok = strings.TrimSpace(tok)
	if len(tok) > MaxSize {
		return nil, nil, fmt.Errorf("token: decode: token is %d bytes, more than the %d allowed", len(tok), MaxSize)
	}
	if n := strings.Count(tok, ".") + 1; n != 3 {
		return nil, nil, fmt.Errorf("token: decode: token has %d segments, want 3 (header.payload.signature)", n)
	}
	parts := strings.SplitN(tok, ".", 3)
	header, err = decodeObject(parts[0])
	if err != nil {
		return nil, nil, fmt.Errorf("token: decode header: %w", err)
	}
	claims, err = decodeObject(parts[1])
	if err != nil {
		return nil, nil, fmt.Errorf("token: decode claims: %w", err)
	}
	if _, err := decodeSegment(parts[2]); err != nil {
		return nil, nil, fmt.Errorf("token: decode signature: %w", err)
	}
	return header, claims, nil
}

// decodeSegment decodes one base64url segment, with or without padding.
func decodeSegment(seg string) ([]byte, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err != nil {
		return nil, fmt.Errorf("not base64url: %w", err)
	}
	return b, nil
}

// decodeObject decodes a base64url segment holding one JSON object.
func decodeObject(seg string) (map[string]any, error) {
	if seg == "" {
		return nil, errors.New("empty segment")
	}
	b, err := decodeSegment(seg)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return nil, errors.New("not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("parse JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON object")
	}
	return m, nil
}
