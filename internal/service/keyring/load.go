package keyring

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// The environment variables Load reads.
const (
	// EnvKeys lists keys as "id1:base64key,id2:base64key"; the first is
	// current unless EnvCurrent names another.
	EnvKeys = "ECOSCAN_KEYS"
	// EnvCurrent names the current key id among all the keys loaded.
	EnvCurrent = "ECOSCAN_KEY_CURRENT"
)

// maxKeyFile bounds the key file read.
const maxKeyFile = 1 << 20

// ErrKeyFileMode: the key file can be read or changed by other users.
var ErrKeyFileMode = errors.New("key file permissions too open")

// fileJSON is the JSON form of a key file.
type fileJSON struct {
	Current string    `json:"current"`
	Keys    []keyJSON `json:"keys"`
}

// keyJSON is one key of a JSON key file.
type keyJSON struct {
	ID  string `json:"id"`
	Key string `json:"key"` // standard base64, padded or not
}

// Load builds the service's key ring from the key file at path (when path is
// not empty) and from the environment read through getenv (os.Getenv in
// production): the keys of EnvKeys are added to the file's. The current key
// is the one EnvCurrent names if it is set; else the first key of EnvKeys if
// that is set; else the file's current key. A ring without keys is an error.
func Load(path string, getenv func(string) string) (*KeyRing, error) {
	r := New()
	if path != "" {
		fr, err := LoadFile(path)
		if err != nil {
			return nil, err
		}
		r = fr
	}
	current := r.Current()
	if env := getenv(EnvKeys); env != "" {
		first, err := r.addList(strings.Split(env, ","), EnvKeys)
		if err != nil {
			return nil, err
		}
		current = first
	}
	if want := getenv(EnvCurrent); want != "" {
		current = want
	}
	if current == "" {
		return nil, fmt.Errorf("load keys: %w: give a key file or set %s", ErrNoKeys, EnvKeys)
	}
	if err := r.SetCurrent(current); err != nil {
		return nil, fmt.Errorf("load keys: %w", err)
	}
	return r, nil
}

// LoadFile reads a key file, refusing one that other users can read or
// write (on systems with Unix permissions; group read is allowed, for
// secrets mounted with a group). See ParseFile for the formats.
func LoadFile(path string) (*KeyRing, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open key file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat key file %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("key file %s is not a regular file", path)
	}
	if err := checkMode(fi.Mode()); err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("read key file %s: %w", path, err)
	}
	if len(data) > maxKeyFile {
		return nil, fmt.Errorf("key file %s is larger than %d bytes", path, maxKeyFile)
	}
	r, err := ParseFile(data)
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return r, nil
}

// checkMode refuses permissions that let others read the keys, or let group
// or others change them.
func checkMode(m fs.FileMode) error {
	if runtime.GOOS == "windows" {
		return nil // no Unix permission bits to judge
	}
	if m.Perm()&0o027 != 0 {
		return fmt.Errorf("%w: mode %04o lets other users read or change it; chmod 600 it", ErrKeyFileMode, m.Perm())
	}
	return nil
}

// ParseFile parses a key file's contents, in one of two forms.
//
// JSON, recognised by its leading '{':
//
//	{"current": "k2", "keys": [{"id": "k1", "key": "<base64>"}, {"id": "k2", "key": "<base64>"}]}
//
// ("current" may be left out: the first key is current.) Or lines of
// "id:base64key", the first key current, with blank lines and lines starting
// with '#' ignored. Keys are 32 bytes in standard base64, padded or not.
func ParseFile(data []byte) (*KeyRing, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("parse keys: %w: the file is empty", ErrNoKeys)
	}
	r := New()
	if trimmed[0] == '{' {
		var doc fileJSON
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&doc); err != nil {
			return nil, fmt.Errorf("parse JSON keys: %w", err)
		}
		if dec.More() {
			return nil, errors.New("parse JSON keys: data after the object")
		}
		for i, k := range doc.Keys {
			if err := r.addEncoded(k.ID, k.Key); err != nil {
				return nil, fmt.Errorf("parse JSON keys: key %d: %w", i+1, err)
			}
		}
		if len(doc.Keys) == 0 {
			return nil, fmt.Errorf("parse JSON keys: %w", ErrNoKeys)
		}
		if doc.Current != "" {
			if err := r.SetCurrent(doc.Current); err != nil {
				return nil, fmt.Errorf("parse JSON keys: %w", err)
			}
		}
		return r, nil
	}
	var items []string
	sc := bufio.NewScanner(bytes.NewReader(trimmed))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		items = append(items, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("parse key lines: %w", err)
	}
	if _, err := r.addList(items, "key lines"); err != nil {
		return nil, err
	}
	return r, nil
}

// addList adds "id:base64key" items and returns the first id.
func (r *KeyRing) addList(items []string, where string) (string, error) {
	first := ""
	for i, item := range items {
		id, enc, ok := strings.Cut(strings.TrimSpace(item), ":")
		if !ok {
			return "", fmt.Errorf("%s: item %d: %w: want id:base64key", where, i+1, ErrBadKey)
		}
		if err := r.addEncoded(id, enc); err != nil {
			return "", fmt.Errorf("%s: item %d: %w", where, i+1, err)
		}
		if first == "" {
			first = id
		}
	}
	if first == "" {
		return "", fmt.Errorf("%s: %w", where, ErrNoKeys)
	}
	return first, nil
}

// addEncoded decodes a base64 key and adds it.
func (r *KeyRing) addEncoded(id, enc string) error {
	enc = strings.TrimRight(strings.TrimSpace(enc), "=")
	key, err := base64.RawStdEncoding.Strict().DecodeString(enc)
	if err != nil {
		// The key itself stays out of the message.
		return fmt.Errorf("%w: key %q is not valid base64 (offset %d)", ErrBadKey, id, illegalOffset(err))
	}
	return r.Add(id, key)
}

// illegalOffset is where base64 decoding failed, -1 if unknown.
func illegalOffset(err error) int64 {
	var ce base64.CorruptInputError
	if errors.As(err, &ce) {
		return int64(ce)
	}
	return -1
}

// WriteFile writes the ring as a JSON key file readable by its owner only,
// replacing path atomically (a temporary file in the same directory, synced,
// then renamed over it).
func (r *KeyRing) WriteFile(path string) error {
	r.mu.RLock()
	doc := fileJSON{Current: r.current}
	for _, id := range r.order {
		doc.Keys = append(doc.Keys, keyJSON{ID: id, Key: base64.StdEncoding.EncodeToString(r.keys[id].raw)})
	}
	r.mu.RUnlock()
	if len(doc.Keys) == 0 {
		return fmt.Errorf("write key file: %w", ErrNoKeys)
	}
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("write key file: encode: %w", err)
	}
	data = append(data, '\n')
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write key file: %w", err)
	}
	done := false
	defer func() {
		if !done {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	// CreateTemp makes the file 0600 already; Chmod makes sure under any umask
	// or platform quirk.
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("write key file: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write key file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write key file: sync: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write key file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write key file: %w", err)
	}
	done = true
	return nil
}
