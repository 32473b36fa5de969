// Package keyring seals the service's secrets at rest: the shared secrets,
// client keys and user tokens of the apps registered with `ecoscan serve`.
//
// A KeyRing holds named AES-256 keys and names one of them current. Seal
// encrypts with the current key under AES-256-GCM with a fresh random 96-bit
// nonce and returns a self-describing string, "v1:<key id>:<base64url(nonce |
// ciphertext | tag)>"; Open finds the key by its id, so ciphertexts sealed
// under older keys still open after a new key becomes current, and
// NeedsRotation and Rotate re-encrypt them under the current key. Random
// 96-bit nonces keep GCM safe for about 2^32 seals per key, far more than
// the service's secrets; rotating keys resets the count.
//
// Every ciphertext is bound to associated data naming the row and column it
// belongs to (for example "app:42:shared_secret"): a ciphertext copied into
// another row does not open there. The format version and key id are bound
// too.
//
// Keys come from a key file (JSON, or lines of "id:base64key") that must not
// be accessible to other users, and from the ECOSCAN_KEYS and
// ECOSCAN_KEY_CURRENT environment variables; see Load.
//
// Decrypted secrets are handed out as token.Secret, the project's one
// redacting string type, so that they print as "<redacted>" in logs and JSON
// and flow into connect.Options without a conversion.
package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ecoscan/ecoscan/internal/connect/token"
)

// KeySize is the length of every key: AES-256.
const KeySize = 32

// MaxIDLen bounds a key id.
const MaxIDLen = 64

// version is the prefix of the ciphertext format Seal writes.
const version = "v1"

// adPrefix starts the associated data given to GCM; the key id and the
// caller's associated data follow, NUL-separated (ids cannot hold a NUL).
const adPrefix = "ecoscan/keyring/" + version + "\x00"

// Errors that the KeyRing's methods wrap, so that callers can tell the
// failures apart.
var (
	// ErrNoKeys: the ring has no key, or no current key, to seal with.
	ErrNoKeys = errors.New("no encryption keys")
	// ErrUnknownKey: a ciphertext names a key id the ring does not hold.
	ErrUnknownKey = errors.New("unknown key id")
	// ErrMalformed: a ciphertext is not in the format Seal writes.
	ErrMalformed = errors.New("malformed ciphertext")
	// ErrDecrypt: authentication failed: the ciphertext was altered, sealed
	// under other key material with the same id, or sealed for other
	// associated data.
	ErrDecrypt = errors.New("decryption failed")
	// ErrNoAssociatedData: Seal and Open refuse empty associated data, which
	// would let a ciphertext be moved between rows.
	ErrNoAssociatedData = errors.New("associated data is required")
	// ErrBadKey: a key or key id is unusable (length, encoding, characters,
	// all zero, or a duplicate id with other key material).
	ErrBadKey = errors.New("bad key")
)

// KeyRing is a set of named keys, one of them current. It is safe for
// concurrent use. It prints (fmt, slog) as its key ids only.
type KeyRing struct {
	mu      sync.RWMutex
	keys    map[string]*entry
	order   []string // ids in the order they were added
	current string
}

// entry is one key and its AEAD.
type entry struct {
	raw  []byte
	aead cipher.AEAD
}

// New returns an empty ring; Add or Generate give it keys.
func New() *KeyRing {
	return &KeyRing{keys: map[string]*entry{}}
}

// Add adds key under id. The first key added becomes current; use SetCurrent
// to change that. Adding an id again with the same key is a no-op; with
// another key it is an error.
func (r *KeyRing) Add(id string, key []byte) error {
	if err := checkID(id); err != nil {
		return err
	}
	if len(key) != KeySize {
		return fmt.Errorf("%w: key %q is %d bytes, want %d", ErrBadKey, id, len(key), KeySize)
	}
	if allZero(key) {
		return fmt.Errorf("%w: key %q is all zero bytes", ErrBadKey, id)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return fmt.Errorf("make AES cipher for key %q: %w", id, err)
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return fmt.Errorf("make GCM for key %q: %w", id, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if old, ok := r.keys[id]; ok {
		if string(old.raw) != string(key) {
			return fmt.Errorf("%w: key id %q is given twice with different keys", ErrBadKey, id)
		}
		return nil
	}
	r.keys[id] = &entry{raw: slices.Clone(key), aead: aead}
	r.order = append(r.order, id)
	if r.current == "" {
		r.current = id
	}
	return nil
}

// SetCurrent makes the key id the one Seal uses.
func (r *KeyRing) SetCurrent(id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.keys[id]; !ok {
		return fmt.Errorf("set current key: %w %q", ErrUnknownKey, id)
	}
	r.current = id
	return nil
}

// Generate makes a fresh random key, adds it under id and makes it current.
// An empty id picks a new one of the form "k20260102-1a2b3c4d". It returns
// the id. Persist the ring (WriteFile) before sealing with the new key.
func (r *KeyRing) Generate(id string) (string, error) {
	if id == "" {
		var suffix [4]byte
		if _, err := rand.Read(suffix[:]); err != nil {
			return "", fmt.Errorf("generate key id: %w", err)
		}
		id = "k" + time.Now().UTC().Format("20060102") + "-" + hex.EncodeToString(suffix[:])
	}
	if r.Has(id) {
		return "", fmt.Errorf("%w: key id %q is already in the ring", ErrBadKey, id)
	}
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("generate key %q: %w", id, err)
	}
	if err := r.Add(id, key); err != nil {
		return "", err
	}
	return id, r.SetCurrent(id)
}

// Remove drops a retired key, once nothing is sealed under it any more. The
// current key cannot be removed.
func (r *KeyRing) Remove(id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.keys[id]; !ok {
		return fmt.Errorf("remove key: %w %q", ErrUnknownKey, id)
	}
	if id == r.current {
		return fmt.Errorf("remove key %q: it is the current key", id)
	}
	delete(r.keys, id)
	r.order = slices.DeleteFunc(r.order, func(s string) bool { return s == id })
	return nil
}

// Has reports whether the ring holds the key id.
func (r *KeyRing) Has(id string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	_, ok := r.keys[id]
	return ok
}

// Current returns the id of the key Seal uses, "" for an empty ring.
func (r *KeyRing) Current() string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.current
}

// IDs returns the key ids in the order they were added.
func (r *KeyRing) IDs() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return slices.Clone(r.order)
}

// Seal encrypts plaintext under the current key, bound to ad (which names the
// ciphertext's place, e.g. "app:42:shared_secret", and must not be empty).
func (r *KeyRing) Seal(plaintext []byte, ad string) (string, error) {
	if ad == "" {
		return "", fmt.Errorf("seal: %w", ErrNoAssociatedData)
	}
	r.mu.RLock()
	id := r.current
	e := r.keys[id]
	r.mu.RUnlock()
	if e == nil {
		return "", fmt.Errorf("seal: %w", ErrNoKeys)
	}
	return seal(id, e, plaintext, ad), nil
}

// seal encrypts under one key; the AEAD draws its own random nonce.
func seal(id string, e *entry, plaintext []byte, ad string) string {
	ct := e.aead.Seal(nil, nil, plaintext, associated(id, ad))
	return version + ":" + id + ":" + base64.RawURLEncoding.EncodeToString(ct)
}

// Open decrypts a ciphertext from Seal, with the key it names, checking that
// it was sealed for ad.
func (r *KeyRing) Open(ciphertext, ad string) ([]byte, error) {
	if ad == "" {
		return nil, fmt.Errorf("open: %w", ErrNoAssociatedData)
	}
	id, body, err := parse(ciphertext)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	r.mu.RLock()
	e := r.keys[id]
	r.mu.RUnlock()
	if e == nil {
		return nil, fmt.Errorf("open: %w %q", ErrUnknownKey, id)
	}
	if len(body) < e.aead.NonceSize()+e.aead.Overhead() {
		return nil, fmt.Errorf("open: %w: %d bytes is shorter than nonce and tag", ErrMalformed, len(body))
	}
	pt, err := e.aead.Open(nil, nil, body, associated(id, ad))
	if err != nil {
		return nil, fmt.Errorf("open with key %q: %w", id, ErrDecrypt)
	}
	return pt, nil
}

// SealSecret seals a secret's value; see Seal.
func (r *KeyRing) SealSecret(s token.Secret, ad string) (string, error) {
	return r.Seal([]byte(s), ad)
}

// OpenSecret opens a ciphertext into a token.Secret, which prints redacted;
// see Open.
func (r *KeyRing) OpenSecret(ciphertext, ad string) (token.Secret, error) {
	pt, err := r.Open(ciphertext, ad)
	if err != nil {
		return "", err
	}
	return token.Secret(pt), nil
}

// KeyID returns the id of the key a ciphertext was sealed under, without
// decrypting it.
func KeyID(ciphertext string) (string, error) {
	id, _, err := parse(ciphertext)
	return id, err
}

// NeedsRotation reports whether ciphertext should be re-encrypted: it was
// sealed under a key other than the current one, or it cannot be parsed (in
// which case Rotate says what is wrong with it).
func (r *KeyRing) NeedsRotation(ciphertext string) bool {
	id, _, err := parse(ciphertext)
	return err != nil || id != r.Current()
}

// Rotate opens ciphertext with the key it names and seals the plaintext
// under the current key, for the same ad. A ciphertext already under the
// current key is checked (opened) and returned unchanged.
func (r *KeyRing) Rotate(ciphertext, ad string) (string, error) {
	pt, err := r.Open(ciphertext, ad)
	if err != nil {
		return "", fmt.Errorf("rotate: %w", err)
	}
	if !r.NeedsRotation(ciphertext) {
		return ciphertext, nil
	}
	out, err := r.Seal(pt, ad)
	if err != nil {
		return "", fmt.Errorf("rotate: %w", err)
	}
	return out, nil
}

// parse splits a ciphertext into its key id and decoded body.
func parse(ciphertext string) (string, []byte, error) {
	rest, ok := strings.CutPrefix(ciphertext, version+":")
	if !ok {
		v, _, _ := strings.Cut(ciphertext, ":")
		if len(v) > 8 {
			v = v[:8] + "..."
		}
		return "", nil, fmt.Errorf("%w: version %q, want %q", ErrMalformed, v, version)
	}
	id, enc, ok := strings.Cut(rest, ":")
	if !ok {
		return "", nil, fmt.Errorf("%w: no key id", ErrMalformed)
	}
	if err := checkID(id); err != nil {
		return "", nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	// The decoder skips CR and LF; a ciphertext holds neither.
	if strings.ContainsAny(enc, "\r\n") {
		return "", nil, fmt.Errorf("%w: line break in the encoded body", ErrMalformed)
	}
	body, err := base64.RawURLEncoding.Strict().DecodeString(enc)
	if err != nil {
		return "", nil, fmt.Errorf("%w: decode body: %w", ErrMalformed, err)
	}
	return id, body, nil
}

// associated is the associated data given to GCM: the format, the key id
// and the caller's ad, so that none of them can be changed.
func associated(id, ad string) []byte {
	b := make([]byte, 0, len(adPrefix)+len(id)+1+len(ad))
	b = append(b, adPrefix...)
	b = append(b, id...)
	b = append(b, 0)
	return append(b, ad...)
}

// checkID accepts ids of 1 to MaxIDLen letters, digits, '-', '_' and '.'.
func checkID(id string) error {
	if id == "" || len(id) > MaxIDLen {
		return fmt.Errorf("%w: key id must be 1 to %d characters, got %d", ErrBadKey, MaxIDLen, len(id))
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return fmt.Errorf("%w: key id %q: only letters, digits, '-', '_' and '.' are allowed", ErrBadKey, id)
		}
	}
	return nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// String describes the ring by its key ids, never its keys.
func (r *KeyRing) String() string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return fmt.Sprintf("keyring(current %q, ids %q)", r.current, r.order)
}

// GoString is String, for %#v.
func (r *KeyRing) GoString() string { return r.String() }

// Format prints String whatever the verb, so that %v, %+v and %x cannot
// reach the keys.
func (r *KeyRing) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(r.String())) }

// LogValue describes the ring by its key ids, for log/slog.
func (r *KeyRing) LogValue() slog.Value {
	return slog.GroupValue(slog.String("current", r.Current()), slog.Any("ids", r.IDs()))
}
