// Package auth makes and checks the service's credentials: API tokens,
// dashboard session ids and passwords. Tokens and session ids are 256-bit
// random values: the store keeps only their SHA-256 hash, so a copy of the
// database does not sign anyone in. Passwords are hashed with argon2id.
//
// The API and the dashboard both authenticate through this package, so
// there is one way to make and check each credential.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// TokenPrefix starts every API token, so that secret scanners (ours
// included) can recognise a leaked one.
const TokenPrefix = "eco_"

// ShownPrefix is how many characters of a token are kept in clear to tell
// tokens apart in listings: the prefix and the first 8 random characters.
const ShownPrefix = len(TokenPrefix) + 8

// MaxPassword bounds a password: argon2 of a huge input is a denial of
// service.
const MaxPassword = 1024

// MinPassword is the shortest password accepted.
const MinPassword = 12

// ErrPassword: a password is too short or too long.
var ErrPassword = errors.New("password must be 12 to 1024 characters")

// NewToken makes an API token: the plain token (shown once), its shown
// prefix, and the hash the store keeps.
func NewToken() (plain, prefix string, hash []byte) {
	plain = TokenPrefix + random()
	return plain, plain[:ShownPrefix], HashToken(plain)
}

// HashToken is the hash a token or session id is stored and looked up by.
func HashToken(plain string) []byte {
	h := sha256.Sum256([]byte(plain))
	return h[:]
}

// NewSessionID makes a dashboard session id: the plain id for the cookie and
// the hash the store keeps.
func NewSessionID() (plain string, hash []byte) {
	plain = random()
	return plain, HashToken(plain)
}

// NewSecret makes a random secret for a webhook's signatures and a CSRF
// token: 256 bits, base64url.
func NewSecret() string { return random() }

func random() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // the platform's RNG never fails on supported systems
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// The argon2id parameters: RFC 9106's second recommended option (64 MiB,
// 3 passes), at 2 lanes for a small machine.
const (
	argonTime    = 3
	argonMemory  = 64 * 1024
	argonThreads = 2
	argonKeyLen  = 32
	argonSaltLen = 16
)

// HashPassword hashes a password with argon2id and a random salt, as a
// PHC string: $argon2id$v=19$m=65536,t=3,p=2$<salt>$<hash>.
func HashPassword(password string) (string, error) {
	if len(password) < MinPassword || len(password) > MaxPassword {
		return "", ErrPassword
	}
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches a hash made by
// HashPassword. A malformed hash, or parameters beyond what HashPassword
// would choose fourfold, never match.
func CheckPassword(hash, password string) bool {
	if len(password) > MaxPassword {
		return false
	}
	p, ok := parsePHC(hash)
	if !ok {
		return false
	}
	key := argon2.IDKey([]byte(password), p.salt, p.time, p.memory, p.threads, uint32(len(p.key)))
	return subtle.ConstantTimeCompare(key, p.key) == 1
}

type phc struct {
	time, memory uint32
	threads      uint8
	salt, key    []byte
}

// parsePHC reads an argon2id PHC string, bounding its parameters so that a
// planted hash cannot make a sign-in cost gigabytes.
func parsePHC(s string) (phc, bool) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return phc{}, false
	}
	var p phc
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return phc{}, false
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || n == 0 {
			return phc{}, false
		}
		switch k {
		case "m":
			p.memory = uint32(n)
		case "t":
			p.time = uint32(n)
		case "p":
			if n > 255 {
				return phc{}, false
			}
			p.threads = uint8(n)
		default:
			return phc{}, false
		}
	}
	if p.memory == 0 || p.time == 0 || p.threads == 0 ||
		p.memory > 4*argonMemory || p.time > 4*argonTime || p.threads > 4*argonThreads {
		return phc{}, false
	}
	var err error
	if p.salt, err = base64.RawStdEncoding.DecodeString(parts[4]); err != nil || len(p.salt) < 8 || len(p.salt) > 64 {
		return phc{}, false
	}
	if p.key, err = base64.RawStdEncoding.DecodeString(parts[5]); err != nil || len(p.key) < 16 || len(p.key) > 64 {
		return phc{}, false
	}
	return p, true
}
