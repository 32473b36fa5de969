package auth

import (
	"bytes"
	"strings"
	"testing"
)

func TestToken(t *testing.T) {
	plain, prefix, hash := NewToken()
	if !strings.HasPrefix(plain, TokenPrefix) || len(plain) != len(TokenPrefix)+43 {
		t.Fatalf("token %q: want eco_ and 43 base64url characters", plain)
	}
	if prefix != plain[:ShownPrefix] {
		t.Errorf("prefix %q is not the start of the token", prefix)
	}
	if !bytes.Equal(hash, HashToken(plain)) {
		t.Error("the hash is not HashToken of the token")
	}
	other, _, otherHash := NewToken()
	if other == plain || bytes.Equal(hash, otherHash) {
		t.Error("two tokens are equal")
	}
	if bytes.Contains(hash, []byte(plain)) {
		t.Error("the hash holds the token")
	}
}

func TestSessionID(t *testing.T) {
	a, ha := NewSessionID()
	b, hb := NewSessionID()
	if a == b || bytes.Equal(ha, hb) || !bytes.Equal(ha, HashToken(a)) {
		t.Error("session ids are not random or not hashed")
	}
}

func TestPassword(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=2$") {
		t.Errorf("hash %q is not an argon2id PHC string with our parameters", h)
	}
	if !CheckPassword(h, "correct horse battery") {
		t.Error("the right password does not match")
	}
	for _, wrong := range []string{"", "correct horse batterY", "correct horse battery ", strings.Repeat("x", MaxPassword+1)} {
		if CheckPassword(h, wrong) {
			t.Errorf("%.20q matches", wrong)
		}
	}
	h2, _ := HashPassword("correct horse battery")
	if h == h2 {
		t.Error("two hashes of one password are equal: no salt")
	}
	for _, pw := range []string{"short", strings.Repeat("x", MaxPassword+1)} {
		if _, err := HashPassword(pw); err != ErrPassword {
			t.Errorf("HashPassword(%d chars) = %v, want ErrPassword", len(pw), err)
		}
	}
}

func TestCheckPasswordMalformed(t *testing.T) {
	good, _ := HashPassword("correct horse battery")
	parts := strings.Split(good, "$")
	for name, h := range map[string]string{
		"empty":          "",
		"bcrypt":         "$2a$10$abcdefghijklmnopqrstuv",
		"argon2i":        strings.Replace(good, "argon2id", "argon2i", 1),
		"old version":    strings.Replace(good, "v=19", "v=16", 1),
		"huge memory":    strings.Replace(good, "m=65536", "m=4194304", 1),
		"huge time":      strings.Replace(good, "t=3", "t=1000", 1),
		"zero threads":   strings.Replace(good, "p=2", "p=0", 1),
		"unknown param":  strings.Replace(good, "p=2", "p=2,x=1", 1),
		"bad salt":       strings.Join([]string{"", parts[1], parts[2], parts[3], "!!!", parts[5]}, "$"),
		"short key":      strings.Join([]string{"", parts[1], parts[2], parts[3], parts[4], "AAAA"}, "$"),
		"missing field":  strings.Join(parts[:5], "$"),
		"changed hash":   good[:len(good)-2] + "AA",
		"other password": mustHash(t, "another long password"),
	} {
		if CheckPassword(h, "correct horse battery") {
			t.Errorf("%s: matches", name)
		}
	}
}

func mustHash(t *testing.T, pw string) string {
	t.Helper()
	h, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// FuzzCheckPassword: stored hashes are read back from the database, so a
// planted one must not panic or cost more than the bounds allow.
func FuzzCheckPassword(f *testing.F) {
	f.Add("$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5", "pw")
	f.Add("$argon2id$v=19$m=1,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA", "")
	f.Add("$$$$$", "x")
	f.Fuzz(func(t *testing.T, hash, pw string) {
		_ = CheckPassword(hash, pw)
	})
}
