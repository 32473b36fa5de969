package token

import (
	"bytes"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // for Pacific/Kiritimati on machines without a zoneinfo database

	"github.com/golang-jwt/jwt/v5"
)

func testClaims() Claims {
	now := time.Now()
	return Claims{
		Issuer:    "client-key",
		Subject:   "557058:account",
		Audience:  "https://app.example.com",
		QSH:       "e52bb281606c3bd9ca16cfe96fe2df78f5d9ffa126f06befd750dfa10fa1a897",
		IssuedAt:  now,
		ExpiresAt: now.Add(3 * time.Minute),
		Context:   map[string]any{"user": map[string]any{"accountId": "557058:account"}},
		Extra:     map[string]any{"extra": true},
	}
}

// parse verifies tok with jwt/v5 the way an app would.
func parse(tok string, key any, alg string) (*jwt.Token, error) {
	return jwt.Parse(tok, func(*jwt.Token) (any, error) { return key, nil },
		jwt.WithValidMethods([]string{alg}), jwt.WithAudience("https://app.example.com"))
}

func TestSignHS256(t *testing.T) {
	key := RandomKey()
	tok, err := SignHS256(testClaims(), key)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := parse(tok, key, "HS256")
	if err != nil {
		t.Fatalf("jwt/v5 refused a token signed with its key: %v", err)
	}
	claims := parsed.Claims.(jwt.MapClaims)
	for name, want := range map[string]any{
		"iss": "client-key", "sub": "557058:account", "aud": "https://app.example.com",
		"qsh": testClaims().QSH, "extra": true,
	} {
		if claims[name] != want {
			t.Errorf("claim %s = %v, want %v", name, claims[name], want)
		}
	}
	if ctx, ok := claims["context"].(map[string]any); !ok || ctx["user"] == nil {
		t.Errorf("context = %v", claims["context"])
	}
	if parsed.Header["alg"] != "HS256" || parsed.Header["typ"] != "JWT" {
		t.Errorf("header = %v", parsed.Header)
	}
	if _, err := parse(tok, RandomKey(), "HS256"); !errors.Is(err, jwt.ErrSignatureInvalid) {
		t.Errorf("jwt/v5 with another key: err = %v, want a signature error", err)
	}
}

func TestSignHS256EmptyKey(t *testing.T) {
	tok, err := SignHS256(Claims{Issuer: "x"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return []byte{}, nil }); err != nil {
		t.Errorf("token signed with an empty key does not verify with an empty key: %v", err)
	}
}

func TestSignNone(t *testing.T) {
	tok, err := SignNone(testClaims())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(tok, ".") || strings.Count(tok, ".") != 2 {
		t.Errorf("token %q is not header.payload.", tok)
	}
	h, _, _ := strings.Cut(tok, ".")
	if raw, _ := base64.RawURLEncoding.DecodeString(h); string(raw) != `{"alg":"none","typ":"JWT"}` {
		t.Errorf("header = %s", raw)
	}
	// The normal parser refuses alg none, even when the key function would
	// hand out a key.
	_, err = jwt.Parse(tok, func(*jwt.Token) (any, error) { return []byte("k"), nil })
	if err == nil {
		t.Fatal("jwt/v5 accepted an alg none token")
	}
	// And it is really alg none: the parser accepts it only when told to.
	parsed, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return jwt.UnsafeAllowNoneSignatureType, nil },
		jwt.WithValidMethods([]string{"none"}))
	if err != nil {
		t.Fatalf("jwt/v5 with none allowed: %v", err)
	}
	if parsed.Method != jwt.SigningMethodNone {
		t.Errorf("method = %v", parsed.Method)
	}
}

func TestSignRS256(t *testing.T) {
	key, err := NewRSAKey()
	if err != nil {
		t.Fatal(err)
	}
	if key.N.BitLen() != 2048 {
		t.Errorf("key has %d bits, want 2048", key.N.BitLen())
	}
	tok, err := SignRS256(testClaims(), key, "made-up-kid")
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := parse(tok, &key.PublicKey, "RS256")
	if err != nil {
		t.Fatalf("jwt/v5 refused the token with the public key: %v", err)
	}
	if parsed.Header["kid"] != "made-up-kid" || parsed.Header["alg"] != "RS256" {
		t.Errorf("header = %v", parsed.Header)
	}
	other, err := NewRSAKey()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parse(tok, &other.PublicKey, "RS256"); err == nil {
		t.Error("jwt/v5 accepted the token with another public key")
	}

	noKid, err := SignRS256(Claims{Issuer: "x"}, key, "")
	if err != nil {
		t.Fatal(err)
	}
	if h, _, _ := Decode(noKid); h["kid"] != nil {
		t.Errorf("empty kid rendered: %v", h)
	}
	if _, err := SignRS256(Claims{}, nil, "kid"); err == nil {
		t.Error("SignRS256 with a nil key succeeded")
	}
	if _, err := SignRS256(Claims{}, &rsa.PrivateKey{}, "kid"); err == nil {
		t.Error("SignRS256 with an empty key succeeded")
	}
}

func TestClaimsRendering(t *testing.T) {
	t.Run("empty fields omitted", func(t *testing.T) {
		tok, err := SignHS256(Claims{}, []byte("k"))
		if err != nil {
			t.Fatal(err)
		}
		_, claims, err := Decode(tok)
		if err != nil {
			t.Fatal(err)
		}
		if len(claims) != 0 {
			t.Errorf("claims of an empty Claims = %v, want none", claims)
		}
	})
	t.Run("extra overrides", func(t *testing.T) {
		tok, err := SignHS256(Claims{IssuedAt: time.Now(), Extra: map[string]any{"iat": "soon"}}, []byte("k"))
		if err != nil {
			t.Fatal(err)
		}
		_, claims, _ := Decode(tok)
		if claims["iat"] != "soon" {
			t.Errorf("iat = %v, want the Extra value", claims["iat"])
		}
	})
	t.Run("empty context kept", func(t *testing.T) {
		tok, _ := SignHS256(Claims{Context: map[string]any{}}, []byte("k"))
		_, claims, _ := Decode(tok)
		if _, ok := claims["context"].(map[string]any); !ok {
			t.Errorf("context = %v, want {}", claims["context"])
		}
	})
	t.Run("unencodable claim", func(t *testing.T) {
		for _, v := range []any{math.NaN(), make(chan int), func() {}} {
			if _, err := SignHS256(Claims{Extra: map[string]any{"bad": v}}, []byte("k")); err == nil {
				t.Errorf("claim %T signed without an error", v)
			} else if !strings.HasPrefix(err.Error(), "token: sign HS256: ") {
				t.Errorf("error %q does not say what failed", err)
			}
			if _, err := SignNone(Claims{Extra: map[string]any{"bad": v}}); err == nil {
				t.Errorf("claim %T signed (none) without an error", v)
			}
		}
	})
}

// TestTimesIgnoreLocalZone checks that iat and exp are absolute instants:
// a far time zone as time.Local must not move them.
func TestTimesIgnoreLocalZone(t *testing.T) {
	loc, err := time.LoadLocation("Pacific/Kiritimati") // UTC+14
	if err != nil {
		t.Fatal(err)
	}
	saved := time.Local
	time.Local = loc
	t.Cleanup(func() { time.Local = saved })

	now := time.Now()
	for _, c := range []Claims{
		{IssuedAt: now, ExpiresAt: now.Add(time.Minute)},
		{IssuedAt: now.In(loc), ExpiresAt: now.In(loc).Add(time.Minute)},
		{IssuedAt: now.UTC(), ExpiresAt: now.UTC().Add(time.Minute)},
	} {
		tok, err := SignHS256(c, []byte("k"))
		if err != nil {
			t.Fatal(err)
		}
		_, claims, err := Decode(tok)
		if err != nil {
			t.Fatal(err)
		}
		iat, err := claims["iat"].(json.Number).Int64()
		if err != nil {
			t.Fatal(err)
		}
		exp, _ := claims["exp"].(json.Number).Int64()
		if d := iat - time.Now().Unix(); d < -5 || d > 5 {
			t.Errorf("iat is %ds away from now", d)
		}
		if exp-iat != 60 {
			t.Errorf("exp - iat = %d, want 60", exp-iat)
		}
	}
}

func TestRandomKey(t *testing.T) {
	a, b := RandomKey(), RandomKey()
	if len(a) != 32 || len(b) != 32 {
		t.Fatalf("key lengths %d, %d, want 32", len(a), len(b))
	}
	if bytes.Equal(a, b) {
		t.Error("two random keys are equal")
	}
}

func TestDecode(t *testing.T) {
	c := testClaims()
	c.Extra = map[string]any{"big": int64(1) << 60}
	tok, err := SignHS256(c, []byte("k"))
	if err != nil {
		t.Fatal(err)
	}
	header, claims, err := Decode(tok)
	if err != nil {
		t.Fatal(err)
	}
	if header["alg"] != "HS256" {
		t.Errorf("header = %v", header)
	}
	if claims["iss"] != c.Issuer || claims["sub"] != c.Subject || claims["qsh"] != c.QSH {
		t.Errorf("claims = %v", claims)
	}
	if n := claims["big"].(json.Number); n.String() != "1152921504606846976" {
		t.Errorf("big = %s, number not kept exactly", n)
	}
	ctx := claims["context"].(map[string]any)["user"].(map[string]any)
	if ctx["accountId"] != "557058:account" {
		t.Errorf("context = %v", claims["context"])
	}
	// Round trip: the claims read back sign again to the same payload.
	again, err := SignHS256(Claims{Extra: claims}, []byte("k"))
	if err != nil {
		t.Fatal(err)
	}
	if again != tok {
		t.Errorf("re-signed decoded claims differ:\n%s\n%s", again, tok)
	}
	// White space around the token and padding are tolerated.
	if _, _, err := Decode("  " + tok + "\n"); err != nil {
		t.Errorf("Decode with white space: %v", err)
	}
	none, _ := SignNone(c)
	if h, _, err := Decode(none); err != nil || h["alg"] != "none" {
		t.Errorf("Decode(alg none) = %v, %v", h, err)
	}
}

func TestDecodeRejects(t *testing.T) {
	seg := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	obj := seg(`{"alg":"HS256"}`)
	tests := []struct {
		name, tok, wantErr string
	}{
		{"empty", "", "1 segments"},
		{"one segment", obj, "1 segments"},
		{"two segments", obj + "." + obj, "2 segments, want 3"},
		{"four segments", obj + "." + obj + ".sig.x", "4 segments, want 3"},
		{"huge", obj + "." + seg(`{"a":"`+strings.Repeat("x", MaxSize)+`"}`) + ".sig", "more than the 16384 allowed"},
		{"not base64", "!!!." + obj + ".sig", "decode header: not base64url"},
		{"standard base64 alphabet", obj + "." + obj + ".a+/b", "decode signature: not base64url"},
		{"empty header", "." + obj + ".sig", "decode header: empty segment"},
		{"empty claims", obj + "..sig", "decode claims: empty segment"},
		{"array claims", obj + "." + seg(`[1,2]`) + ".sig", "decode claims: not a JSON object"},
		{"null claims", obj + "." + seg(`null`) + ".sig", "not a JSON object"},
		{"string header", seg(`"x"`) + "." + obj + ".sig", "decode header: not a JSON object"},
		{"bad JSON", seg(`{"a":`) + "." + obj + ".sig", "decode header: parse JSON"},
		{"trailing data", obj + "." + seg(`{"a":1} {}`) + ".sig", "data after the JSON object"},
		{"not JSON", obj + "." + seg("hello") + ".sig", "not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, c, err := Decode(tt.tok)
			if err == nil {
				t.Fatalf("Decode = %v, %v, want an error", h, c)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
			if h != nil || c != nil {
				t.Errorf("error with results %v, %v", h, c)
			}
			if len(tt.tok) > 8 && strings.Contains(err.Error(), tt.tok) {
				t.Errorf("error %q quotes the token", err)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	key := RandomKey()
	hs, _ := SignHS256(testClaims(), key)
	none, _ := SignNone(testClaims())
	rsaKey, err := NewRSAKey()
	if err != nil {
		t.Fatal(err)
	}
	rs, _ := SignRS256(testClaims(), rsaKey, "kid")
	hsDesc := fmt.Sprintf("<jwt:HS256 redacted, %d bytes>", len(hs))

	tests := []struct {
		name, in, want string
	}{
		{"query", "https://app.example.com/p?a=1&jwt=" + hs + "&b=2", "https://app.example.com/p?a=1&jwt=" + hsDesc + "&b=2"},
		{"query first", "/p?jwt=" + hs, "/p?jwt=" + hsDesc},
		{"authorization header", "Authorization: JWT " + hs, "Authorization: JWT " + hsDesc},
		{"bearer header", "authorization: Bearer " + hs + "\r\nAccept: */*", "authorization: Bearer " + hsDesc + "\r\nAccept: */*"},
		{"free text", "the app accepted " + hs + ". Then", "the app accepted " + hsDesc + ". Then"},
		{"alg none", "token " + none + " sent", fmt.Sprintf("token <jwt:none redacted, %d bytes> sent", len(none))},
		{"RS256", `{"token":"` + rs + `"}`, fmt.Sprintf(`{"token":"<jwt:RS256 redacted, %d bytes>"}`, len(rs))},
		{"two tokens", hs + " " + hs, hsDesc + " " + hsDesc},
		{"undecodable header", "eyJub3Rqc29u.eyJ4IjoxfQ.c2ln", "<jwt redacted, 28 bytes>"},
		{"opaque jwt param", "/p?JWT=opaque-value&x=1", "/p?JWT=<jwt redacted, 12 bytes>&x=1"},
		{"jwt param in form body", "jwt=abc", "jwt=<jwt redacted, 3 bytes>"},
		{"opaque authorization", "Authorization: Bearer abc.def", "Authorization: Bearer <token redacted, 7 bytes>"},
		{"header in JSON", `{"Authorization":"JWT opaque"}`, `{"Authorization":"JWT <token redacted, 6 bytes>"}`},
		{"ordinary text", "JWT tokens are signed with HS256; see https://example.com/a.b.c?x=1&y=jwt", "JWT tokens are signed with HS256; see https://example.com/a.b.c?x=1&y=jwt"},
		{"versions and names", "v1.2.3 file.tar.gz eye.Jo e.y.J", "v1.2.3 file.tar.gz eye.Jo e.y.J"},
		{"not a parameter", "myjwt=1 and jwt: x", "myjwt=1 and jwt: x"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Redact(tt.in)
			if got != tt.want {
				t.Errorf("Redact(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			if Redact(got) != got {
				t.Errorf("Redact is not idempotent on %q", got)
			}
		})
	}
	// The signature, the secret part, is gone in every case.
	sig := hs[strings.LastIndexByte(hs, '.')+1:]
	for _, in := range []string{hs, "x" + hs + "x", "jwt=" + hs, "Authorization:JWT " + hs} {
		if strings.Contains(Redact(in), sig) {
			t.Errorf("Redact(%q) keeps the signature", in)
		}
	}
}

func TestSecret(t *testing.T) {
	const value = "s3cr3t-shared"
	s := Secret(value)
	type config struct {
		Name   string
		Secret Secret
		Ptr    *Secret
	}
	cfg := config{Name: "x", Secret: s, Ptr: &s}
	var outs []string
	for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10s", "%T %v"} {
		outs = append(outs, fmt.Sprintf(format, s), fmt.Sprintf(format, cfg), fmt.Sprintf(format, &cfg))
	}
	outs = append(outs, fmt.Sprint(s), fmt.Sprintln(s, cfg), s.String(), s.GoString(),
		fmt.Errorf("load: %v", s).Error())
	j, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	outs = append(outs, string(j))
	txt, _ := s.MarshalText()
	outs = append(outs, string(txt))
	for _, newHandler := range []func(*bytes.Buffer) slog.Handler{
		func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		var b bytes.Buffer
		slog.New(newHandler(&b)).Info("config", "secret", s, "cfg", cfg)
		outs = append(outs, b.String())
	}
	for _, out := range outs {
		if strings.Contains(out, value) || strings.Contains(out, fmt.Sprintf("%x", value)) {
			t.Errorf("output leaks the secret: %s", out)
		}
	}
	if s.String() != "<redacted>" || s.GoString() != "<redacted>" || string(txt) != "<redacted>" {
		t.Errorf("String, GoString, MarshalText = %q, %q, %q", s.String(), s.GoString(), txt)
	}
	var back map[string]string
	if err := json.Unmarshal(j, &back); err != nil || back["Secret"] != "<redacted>" || back["Ptr"] != "<redacted>" {
		t.Errorf("JSON = %s (%v)", j, err)
	}
	if string(s) != value {
		t.Errorf("string(s) = %q, want the value", string(s))
	}
}

func FuzzDecode(f *testing.F) {
	tok, _ := SignHS256(testClaims(), []byte("k"))
	none, _ := SignNone(Claims{Issuer: "x"})
	for _, s := range []string{tok, none, "", ".", "..", "...", "eyJ.eyJ.", "e30.e30.", "e30.bnVsbA.", "e30=.e30==.x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, c, err := Decode(s)
		if err != nil {
			if h != nil || c != nil {
				t.Fatalf("error %v with results", err)
			}
			return
		}
		if h == nil || c == nil {
			t.Fatalf("no error and nil results for %q", s)
		}
		if len(strings.TrimSpace(s)) > MaxSize {
			t.Fatalf("accepted a token of %d bytes", len(s))
		}
	})
}

func FuzzRedact(f *testing.F) {
	for _, seed := range []struct{ prefix, suffix string }{
		{"", ""},
		{"https://app.example.com/p?jwt=", "&x=1"},
		{"Authorization: JWT ", "\r\n"},
		{"eyJ", "."},
		{"eyJa.b.c", ".d"},
		{"x=", "=="},
	} {
		f.Add(seed.prefix, seed.suffix, "iss")
	}
	f.Fuzz(func(t *testing.T, prefix, suffix, sub string) {
		tok, err := SignHS256(Claims{Issuer: "client", Subject: sub}, []byte("fuzz-key"))
		if err != nil {
			return // an unencodable subject cannot happen with strings, but never mind
		}
		in := prefix + tok + suffix
		out := Redact(in)
		if strings.Contains(out, tok) {
			t.Fatalf("Redact(%q) = %q keeps the token", in, out)
		}
		sig := tok[strings.LastIndexByte(tok, '.')+1:]
		if strings.Contains(out, sig) && !strings.Contains(prefix+suffix, sig) {
			t.Fatalf("Redact(%q) = %q keeps the signature", in, out)
		}
		// Arbitrary text never panics either.
		_ = Redact(prefix + suffix + sub)
	})
}
