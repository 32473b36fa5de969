package keyring

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/ecoscan/ecoscan/internal/connect/token"
)

// testKey returns a deterministic non-zero key.
func testKey(seed byte) []byte {
	k := make([]byte, KeySize)
	for i := range k {
		k[i] = seed + byte(i)
	}
	return k
}

func b64(k []byte) string { return base64.StdEncoding.EncodeToString(k) }

func ring(t *testing.T, ids ...string) *KeyRing {
	t.Helper()
	r := New()
	for i, id := range ids {
		if err := r.Add(id, testKey(byte(i+1))); err != nil {
			t.Fatalf("Add(%q): %v", id, err)
		}
	}
	return r
}

func TestRoundTrip(t *testing.T) {
	r := ring(t, "k1")
	for _, pt := range [][]byte{nil, {}, []byte("s"), []byte("shared-secret-value"), bytes.Repeat([]byte{0xff}, 100000)} {
		ct, err := r.Seal(pt, "app:42:shared_secret")
		if err != nil {
			t.Fatalf("Seal: %v", err)
		}
		if !strings.HasPrefix(ct, "v1:k1:") {
			t.Errorf("ciphertext %.20q does not start with v1:k1:", ct)
		}
		if len(pt) > 0 && strings.Contains(ct, base64.RawURLEncoding.EncodeToString(pt)) {
			t.Errorf("ciphertext carries the plaintext")
		}
		got, err := r.Open(ct, "app:42:shared_secret")
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if !bytes.Equal(got, pt) {
			t.Errorf("Open = %d bytes, want %d", len(got), len(pt))
		}
		id, err := KeyID(ct)
		if err != nil || id != "k1" {
			t.Errorf("KeyID = %q, %v", id, err)
		}
	}
}

func TestNonceIsFresh(t *testing.T) {
	r := ring(t, "k1")
	seen := map[string]bool{}
	for range 1000 {
		ct, err := r.Seal([]byte("same"), "ad")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := base64.RawURLEncoding.DecodeString(strings.SplitN(ct, ":", 3)[2])
		nonce := string(body[:12])
		if seen[nonce] {
			t.Fatalf("nonce repeated after %d seals", len(seen))
		}
		seen[nonce] = true
	}
}

func TestOpenFailures(t *testing.T) {
	r := ring(t, "k1", "k2")
	ct, err := r.Seal([]byte("the secret"), "app:1:shared_secret")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.SplitN(ct, ":", 3)
	body, _ := base64.RawURLEncoding.DecodeString(parts[2])
	flip := func(i int) string {
		b := bytes.Clone(body)
		b[i] ^= 1
		return "v1:k1:" + base64.RawURLEncoding.EncodeToString(b)
	}
	other := ring(t, "k1") // same id, other key material
	_ = other.Add("zz", testKey(9))
	if err := other.SetCurrent("zz"); err != nil {
		t.Fatal(err)
	}
	otherCT, _ := other.Seal([]byte("x"), "app:1:shared_secret")
	sameIDOther := New()
	_ = sameIDOther.Add("k1", testKey(77))
	sameIDCT, _ := sameIDOther.Seal([]byte("x"), "app:1:shared_secret")

	tests := []struct {
		name, ct, ad string
		want         error
	}{
		{"wrong ad (other row)", ct, "app:2:shared_secret", ErrDecrypt},
		{"wrong ad (other column)", ct, "app:1:client_key", ErrDecrypt},
		{"empty ad", ct, "", ErrNoAssociatedData},
		{"flipped nonce", flip(0), "app:1:shared_secret", ErrDecrypt},
		{"flipped body", flip(14), "app:1:shared_secret", ErrDecrypt},
		{"flipped tag", flip(len(body) - 1), "app:1:shared_secret", ErrDecrypt},
		{"truncated", "v1:k1:" + base64.RawURLEncoding.EncodeToString(body[:len(body)-1]), "app:1:shared_secret", ErrDecrypt},
		{"shorter than nonce+tag", "v1:k1:" + base64.RawURLEncoding.EncodeToString(body[:27]), "app:1:shared_secret", ErrMalformed},
		{"empty body", "v1:k1:", "app:1:shared_secret", ErrMalformed},
		{"relabelled to other key", "v1:k2:" + parts[2], "app:1:shared_secret", ErrDecrypt},
		{"unknown key id", otherCT, "app:1:shared_secret", ErrUnknownKey},
		{"same id, other key material", sameIDCT, "app:1:shared_secret", ErrDecrypt},
		{"other version", "v2:k1:" + parts[2], "app:1:shared_secret", ErrMalformed},
		{"no version", parts[2], "app:1:shared_secret", ErrMalformed},
		{"no key id", "v1:" + parts[2], "app:1:shared_secret", ErrMalformed},
		{"bad key id", "v1:k/1:" + parts[2], "app:1:shared_secret", ErrMalformed},
		{"padded base64", ct + "==", "app:1:shared_secret", ErrMalformed},
		{"std alphabet", "v1:k1:+" + parts[2][1:], "app:1:shared_secret", ErrMalformed},
		{"line break", "v1:k1:" + parts[2][:10] + "\n" + parts[2][10:], "app:1:shared_secret", ErrMalformed},
		{"empty", "", "app:1:shared_secret", ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pt, err := r.Open(tt.ct, tt.ad)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open = %q, %v; want %v", pt, err, tt.want)
			}
			if strings.Contains(err.Error(), "the secret") {
				t.Errorf("error carries the plaintext: %v", err)
			}
		})
	}
}

func TestSealNeedsKeyAndAD(t *testing.T) {
	if _, err := New().Seal([]byte("x"), "ad"); !errors.Is(err, ErrNoKeys) {
		t.Errorf("Seal on empty ring: %v, want ErrNoKeys", err)
	}
	if _, err := ring(t, "k1").Seal([]byte("x"), ""); !errors.Is(err, ErrNoAssociatedData) {
		t.Errorf("Seal without ad: %v, want ErrNoAssociatedData", err)
	}
}

func TestRotation(t *testing.T) {
	r := ring(t, "old")
	const ad = "app:7:user_token"
	ct, err := r.Seal([]byte("token-value"), ad)
	if err != nil {
		t.Fatal(err)
	}
	if r.NeedsRotation(ct) {
		t.Errorf("NeedsRotation before a new key = true")
	}
	same, err := r.Rotate(ct, ad)
	if err != nil || same != ct {
		t.Errorf("Rotate under the current key = %v, changed %v", err, same != ct)
	}
	newID, err := r.Generate("")
	if err != nil {
		t.Fatal(err)
	}
	if r.Current() != newID || !strings.HasPrefix(newID, "k") {
		t.Fatalf("Current = %q, Generate returned %q", r.Current(), newID)
	}
	if !r.NeedsRotation(ct) {
		t.Fatalf("NeedsRotation after Generate = false")
	}
	if !r.NeedsRotation("garbage") {
		t.Errorf("NeedsRotation(garbage) = false; want true so that Rotate reports it")
	}
	if _, err := r.Rotate(ct, "app:8:user_token"); !errors.Is(err, ErrDecrypt) {
		t.Errorf("Rotate with the wrong ad = %v, want ErrDecrypt", err)
	}
	rotated, err := r.Rotate(ct, ad)
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := KeyID(rotated); id != newID || r.NeedsRotation(rotated) {
		t.Errorf("rotated ciphertext is under %q, want %q", id, newID)
	}
	if err := r.Remove(newID); err == nil {
		t.Errorf("Remove(current) succeeded")
	}
	if err := r.Remove("old"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Open(ct, ad); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("Open under a removed key = %v, want ErrUnknownKey", err)
	}
	s, err := r.OpenSecret(rotated, ad)
	if err != nil || string(s) != "token-value" {
		t.Errorf("OpenSecret after rotation = %v", err)
	}
	if _, err := r.Generate(newID); !errors.Is(err, ErrBadKey) {
		t.Errorf("Generate with an existing id = %v, want ErrBadKey", err)
	}
	if err := r.SetCurrent("nope"); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("SetCurrent(unknown) = %v", err)
	}
}

func TestAdd(t *testing.T) {
	tests := []struct {
		name string
		id   string
		key  []byte
		ok   bool
	}{
		{"ok", "k-1_a.b", testKey(1), true},
		{"short key", "k", testKey(1)[:16], false},
		{"long key", "k", append(testKey(1), 1), false},
		{"zero key", "k", make([]byte, KeySize), false},
		{"empty id", "", testKey(1), false},
		{"colon in id", "a:b", testKey(1), false},
		{"space in id", "a b", testKey(1), false},
		{"long id", strings.Repeat("a", MaxIDLen+1), testKey(1), false},
		{"longest id", strings.Repeat("a", MaxIDLen), testKey(1), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := New().Add(tt.id, tt.key)
			if (err == nil) != tt.ok {
				t.Fatalf("Add = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrBadKey) {
				t.Errorf("error %v is not ErrBadKey", err)
			}
		})
	}
	r := ring(t, "k1")
	if err := r.Add("k1", testKey(1)); err != nil {
		t.Errorf("re-adding the same key: %v", err)
	}
	if err := r.Add("k1", testKey(2)); !errors.Is(err, ErrBadKey) {
		t.Errorf("re-adding k1 with another key = %v, want ErrBadKey", err)
	}
	// Add copies the key: changing the caller's slice changes nothing.
	k := testKey(3)
	r2 := New()
	_ = r2.Add("k", k)
	ct, _ := r2.Seal([]byte("x"), "ad")
	k[0] ^= 0xff
	if _, err := r2.Open(ct, "ad"); err != nil {
		t.Errorf("Open after the caller changed its key slice: %v", err)
	}
}

func TestParseFile(t *testing.T) {
	k1, k2 := b64(testKey(1)), b64(testKey(2))
	tests := []struct {
		name    string
		data    string
		current string
		ids     []string
		wantErr error // nil: success
	}{
		{"lines", "# keys\nk1:" + k1 + "\n\nk2:" + k2 + "\n", "k1", []string{"k1", "k2"}, nil},
		{"lines unpadded", "k1:" + strings.TrimRight(k1, "="), "k1", []string{"k1"}, nil},
		{"json", `{"current":"k2","keys":[{"id":"k1","key":"` + k1 + `"},{"id":"k2","key":"` + k2 + `"}]}`, "k2", []string{"k1", "k2"}, nil},
		{"json default current", `{"keys":[{"id":"k1","key":"` + k1 + `"}]}`, "k1", []string{"k1"}, nil},
		{"json unknown current", `{"current":"k9","keys":[{"id":"k1","key":"` + k1 + `"}]}`, "", nil, ErrUnknownKey},
		{"json no keys", `{"keys":[]}`, "", nil, ErrNoKeys},
		{"json unknown field", `{"keys":[{"id":"k1","key":"` + k1 + `"}],"extra":1}`, "", nil, errAny},
		{"json trailing", `{"keys":[{"id":"k1","key":"` + k1 + `"}]} {}`, "", nil, errAny},
		{"json bad", `{"keys":`, "", nil, errAny},
		{"empty", "  \n", "", nil, ErrNoKeys},
		{"comments only", "# nothing\n", "", nil, ErrNoKeys},
		{"bad base64", "k1:not*base64", "", nil, ErrBadKey},
		{"url alphabet", "k1:" + strings.NewReplacer("+", "-", "/", "_").Replace(b64(bytes.Repeat([]byte{0xfb}, 32))), "", nil, ErrBadKey},
		{"short key", "k1:" + b64(testKey(1)[:31]), "", nil, ErrBadKey},
		{"no colon", "k1 " + k1, "", nil, ErrBadKey},
		{"duplicate id", "k1:" + k1 + "\nk1:" + k2, "", nil, ErrBadKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseFile([]byte(tt.data))
			if tt.wantErr != nil {
				if err == nil || (tt.wantErr != errAny && !errors.Is(err, tt.wantErr)) {
					t.Fatalf("ParseFile = %v, want %v", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), k1) || strings.Contains(err.Error(), k2) {
					t.Errorf("error carries a key: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseFile: %v", err)
			}
			if r.Current() != tt.current || fmt.Sprint(r.IDs()) != fmt.Sprint(tt.ids) {
				t.Errorf("current %q ids %v, want %q %v", r.Current(), r.IDs(), tt.current, tt.ids)
			}
		})
	}
}

// errAny marks a case that must fail with any error.
var errAny = errors.New("any error")

func TestLoad(t *testing.T) {
	k1, k2, k3 := b64(testKey(1)), b64(testKey(2)), b64(testKey(3))
	dir := t.TempDir()
	write := func(name, data string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // past the umask
			t.Fatal(err)
		}
		return p
	}
	good := write("good", "k1:"+k1+"\nk2:"+k2+"\n", 0o600)
	groupRead := write("group-read", "k1:"+k1+"\n", 0o640)
	worldRead := write("world-read", "k1:"+k1+"\n", 0o644)
	groupWrite := write("group-write", "k1:"+k1+"\n", 0o620)
	otherExec := write("other-exec", "k1:"+k1+"\n", 0o601)
	huge := write("huge", strings.Repeat("#", maxKeyFile+1), 0o600)

	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	unix := runtime.GOOS != "windows"
	type loadCase struct {
		name    string
		path    string
		getenv  func(string) string
		current string
		ids     []string
		wantErr error
	}
	tests := []loadCase{
		{"file", good, env(), "k1", []string{"k1", "k2"}, nil},
		{"file, current from env", good, env(EnvCurrent, "k2"), "k2", []string{"k1", "k2"}, nil},
		{"env only", "", env(EnvKeys, "a:"+k1+", b:"+k2), "a", []string{"a", "b"}, nil},
		{"env only, current", "", env(EnvKeys, "a:"+k1+",b:"+k2, EnvCurrent, "b"), "b", []string{"a", "b"}, nil},
		{"file and env", good, env(EnvKeys, "k3:"+k3), "k3", []string{"k1", "k2", "k3"}, nil},
		{"file and env repeat a key", good, env(EnvKeys, "k2:"+k2), "k2", []string{"k1", "k2"}, nil},
		{"file and env disagree", good, env(EnvKeys, "k1:"+k3), "", nil, ErrBadKey},
		{"unknown current", good, env(EnvCurrent, "k9"), "", nil, ErrUnknownKey},
		{"nothing", "", env(), "", nil, ErrNoKeys},
		{"current without keys", "", env(EnvCurrent, "k1"), "", nil, ErrUnknownKey},
		{"env bad item", "", env(EnvKeys, "a:"+k1+",b"), "", nil, ErrBadKey},
		{"env empty item", "", env(EnvKeys, "a:"+k1+","), "", nil, ErrBadKey},
		{"group read allowed", groupRead, env(), "k1", []string{"k1"}, nil},
		{"missing file", filepath.Join(dir, "missing"), env(), "", nil, os.ErrNotExist},
		{"directory", dir, env(), "", nil, errAny},
		{"huge file", huge, env(), "", nil, errAny},
	}
	if unix {
		tests = append(tests,
			loadCase{"world readable", worldRead, env(), "", nil, ErrKeyFileMode},
			loadCase{"group writable", groupWrite, env(), "", nil, ErrKeyFileMode},
			loadCase{"other executable", otherExec, env(), "", nil, ErrKeyFileMode},
		)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Load(tt.path, tt.getenv)
			if tt.wantErr != nil {
				if err == nil || (tt.wantErr != errAny && !errors.Is(err, tt.wantErr)) {
					t.Fatalf("Load = %v, want %v", err, tt.wantErr)
				}
				for _, k := range []string{k1, k2, k3} {
					if strings.Contains(err.Error(), k) {
						t.Errorf("error carries a key: %v", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if r.Current() != tt.current || fmt.Sprint(r.IDs()) != fmt.Sprint(tt.ids) {
				t.Errorf("current %q ids %v, want %q %v", r.Current(), r.IDs(), tt.current, tt.ids)
			}
		})
	}
	if unix {
		_, err := LoadFile(worldRead)
		if err == nil || !strings.Contains(err.Error(), "chmod 600") || !strings.Contains(err.Error(), "0644") {
			t.Errorf("world-readable error does not say what to do: %v", err)
		}
	}
}

func TestWriteFile(t *testing.T) {
	r := ring(t, "k1")
	const ad = "app:3:shared_secret"
	old, _ := r.Seal([]byte("v"), ad)
	newID, err := r.Generate("k2")
	if err != nil || newID != "k2" {
		t.Fatalf("Generate = %q, %v", newID, err)
	}
	path := filepath.Join(t.TempDir(), "keys.json")
	if err := os.WriteFile(path, []byte("stale"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %04o, want 0600", fi.Mode().Perm())
	}
	back, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if back.Current() != "k2" || fmt.Sprint(back.IDs()) != "[k1 k2]" {
		t.Errorf("reloaded ring: current %q ids %v", back.Current(), back.IDs())
	}
	if pt, err := back.Open(old, ad); err != nil || string(pt) != "v" {
		t.Errorf("reloaded ring cannot open an old ciphertext: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("WriteFile left %d files in the directory, want 1", len(entries))
	}
	if err := New().WriteFile(filepath.Join(t.TempDir(), "k")); !errors.Is(err, ErrNoKeys) {
		t.Errorf("WriteFile of an empty ring = %v", err)
	}
	if err := r.WriteFile(filepath.Join(t.TempDir(), "missing-dir", "k")); err == nil {
		t.Errorf("WriteFile into a missing directory succeeded")
	}
}

func TestRingDoesNotPrintKeys(t *testing.T) {
	key := testKey(40)
	r := New()
	if err := r.Add("k1", key); err != nil {
		t.Fatal(err)
	}
	type holder struct {
		Ring *KeyRing
		ring *KeyRing
	}
	h := holder{r, r}
	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q", "%d"} {
		outs = append(outs, fmt.Sprintf(verb, r), fmt.Sprintf(verb, h))
	}
	j, _ := json.Marshal(h)
	outs = append(outs, string(j))
	var b bytes.Buffer
	slog.New(slog.NewJSONHandler(&b, nil)).Info("ring", "ring", r)
	slog.New(slog.NewTextHandler(&b, nil)).Info("ring", "ring", r)
	outs = append(outs, b.String())
	leaks := []string{b64(key), fmt.Sprintf("%x", key), fmt.Sprint(key), fmt.Sprintf("%x", key[:8])}
	for _, out := range outs {
		for _, l := range leaks {
			if strings.Contains(out, l) {
				t.Errorf("output leaks the key: %s", out)
			}
		}
	}
	if !strings.Contains(fmt.Sprint(r), `"k1"`) || !strings.Contains(b.String(), "k1") {
		t.Errorf("ring does not print its key ids: %v / %s", r, b.String())
	}
}

func TestSecretRedacted(t *testing.T) {
	r := ring(t, "k1")
	const value = "very-secret-shared-secret"
	ct, err := r.SealSecret(token.Secret(value), "app:9:shared_secret")
	if err != nil {
		t.Fatal(err)
	}
	s, err := r.OpenSecret(ct, "app:9:shared_secret")
	if err != nil {
		t.Fatal(err)
	}
	if string(s) != value {
		t.Fatalf("OpenSecret = %d bytes, want the value", len(s))
	}
	j, _ := json.Marshal(struct{ S token.Secret }{s})
	var back struct{ S string }
	if err := json.Unmarshal(j, &back); err != nil || back.S != "<redacted>" {
		t.Errorf("secret in JSON = %s (%v)", j, err)
	}
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%#v %q %x", s, s, s)} {
		if strings.Contains(out, value) || !strings.Contains(out, "<redacted>") {
			t.Errorf("secret output %q is not redacted", out)
		}
	}
	if _, err := r.OpenSecret(ct, "app:10:shared_secret"); !errors.Is(err, ErrDecrypt) {
		t.Errorf("OpenSecret with wrong ad = %v", err)
	}
}

func TestConcurrentUse(t *testing.T) {
	r := ring(t, "k1")
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ad := fmt.Sprintf("app:%d:x", i)
			for range 200 {
				ct, err := r.Seal([]byte("v"), ad)
				if err != nil {
					errs <- err
					return
				}
				if _, err := r.Rotate(ct, ad); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for range 3 {
		if _, err := r.Generate(""); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func FuzzOpen(f *testing.F) {
	r := New()
	_ = r.Add("k1", testKey(1))
	_ = r.Add("k2", testKey(2))
	good, _ := r.Seal([]byte("secret"), "app:1:s")
	for _, s := range []string{good, "", "v1:", "v1:k1:", "v1:k1:AAAA", "v1:k9:" + strings.Repeat("A", 40), "v2:k1:x", "v1:k1:" + strings.Repeat("_", 39) + "\n", ":::"} {
		f.Add(s, "app:1:s")
	}
	f.Fuzz(func(t *testing.T, ct, ad string) {
		pt, err := r.Open(ct, ad)
		if err != nil {
			if pt != nil {
				t.Errorf("Open failed but returned %d bytes", len(pt))
			}
			return
		}
		// Only a ciphertext sealed for ad opens: one that verifies must
		// re-seal and reopen to the same plaintext, and must not open for
		// other associated data.
		if _, err := r.Open(ct, ad+"x"); err == nil {
			t.Errorf("ciphertext opened for two associated data")
		}
		again, err := r.Seal(pt, ad)
		if err != nil {
			t.Fatal(err)
		}
		if pt2, err := r.Open(again, ad); err != nil || !bytes.Equal(pt, pt2) {
			t.Errorf("re-sealed plaintext does not round trip: %v", err)
		}
	})
}

func BenchmarkSealOpen(b *testing.B) {
	r := New()
	_ = r.Add("k1", testKey(1))
	pt := []byte("a 40-byte shared secret for a connect app")
	b.ReportAllocs()
	for b.Loop() {
		ct, err := r.Seal(pt, "app:1:shared_secret")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := r.Open(ct, "app:1:shared_secret"); err != nil {
			b.Fatal(err)
		}
	}
}
