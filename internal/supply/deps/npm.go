package deps

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"path"
	"slices"
	"strings"
)

// maxNesting bounds the nesting of package-lock v1 "dependencies"; npm
// nests a package only when its version conflicts with a hoisted one, a few
// levels deep at most.
const maxNesting = 64

// npmEntry is one package of a package-lock.json or npm-shrinkwrap.json,
// keyed by its install path ("node_modules/a/node_modules/b"); a v1
// lockfile's nested "dependencies" are turned into the same paths.
type npmEntry struct {
	Name                 string            `json:"name"`
	Version              string            `json:"version"`
	Resolved             string            `json:"resolved"`
	Link                 bool              `json:"link"`
	Dependencies         map[string]string `json:"dependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
	PeerDependencies     map[string]string `json:"peerDependencies"`
	DevDependencies      map[string]string `json:"devDependencies"`
	line                 int
	raw                  []byte // the entry as the extractor reads it
}

// npmLock is what the graph and the extractor need of a package-lock.json.
type npmLock struct {
	version  int
	entries  map[string]*npmEntry
	packages bool // the v2/v3 "packages" section is present (it wins over "dependencies")
}

// parseNpmLock reads a package-lock.json or npm-shrinkwrap.json, keeping the
// line of every package entry. Only lockfileVersion 1, 2 and 3 are known.
func parseNpmLock(data []byte) (*npmLock, error) {
	p := &npmParser{data: data, dec: json.NewDecoder(bytes.NewReader(data)), lines: newLineIndex(data)}
	lock := &npmLock{entries: map[string]*npmEntry{}}
	v1 := map[string]*npmEntry{}
	versionSeen := false
	if err := p.delim('{'); err != nil {
		return nil, err
	}
	for p.dec.More() {
		key, err := p.key()
		if err != nil {
			return nil, err
		}
		switch {
		case key == "lockfileVersion":
			if err := p.decode(&lock.version); err != nil {
				return nil, fmt.Errorf("lockfileVersion: %w", err)
			}
			versionSeen = true
		case key == "packages":
			if err := p.packages(lock.entries); err != nil {
				return nil, fmt.Errorf("packages: %w", err)
			}
			lock.packages = true
		case key == "dependencies" && !lock.packages && (!versionSeen || lock.version == 1):
			if err := p.v1Deps(v1, "", 0); err != nil {
				return nil, fmt.Errorf("dependencies: %w", err)
			}
		default:
			if err := p.skip(); err != nil {
				return nil, fmt.Errorf("%s: %w", key, err)
			}
		}
	}
	if err := p.delim('}'); err != nil {
		return nil, err
	}
	if _, err := p.dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON object")
	}
	if !versionSeen {
		return nil, errors.New("no lockfileVersion")
	}
	if lock.version < 1 || lock.version > 3 {
		return nil, fmt.Errorf("unknown lockfileVersion %d (known: 1, 2, 3)", lock.version)
	}
	if !lock.packages {
		lock.entries = v1
	}
	return lock, nil
}

// npmParser walks a lockfile's JSON token by token so that the line of each
// package key is known.
type npmParser struct {
	data  []byte
	dec   *json.Decoder
	lines lineIndex
}

// malformed says what went wrong in the JSON, and whether the file ends too soon.
func malformed(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("malformed JSON, cut short (truncated?): %w", err)
	}
	return fmt.Errorf("malformed JSON: %w", err)
}

func (p *npmParser) decode(v any) error {
	if err := p.dec.Decode(v); err != nil {
		return malformed(err)
	}
	return nil
}

func (p *npmParser) delim(want json.Delim) error {
	tok, err := p.dec.Token()
	if err != nil {
		return malformed(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("malformed lockfile: want %q at line %d, got %v", want, p.lines.line(p.dec.InputOffset()), tok)
	}
	return nil
}

func (p *npmParser) key() (string, error) {
	tok, err := p.dec.Token()
	if err != nil {
		return "", malformed(err)
	}
	k, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("malformed JSON: want a key at line %d", p.lines.line(p.dec.InputOffset()))
	}
	return k, nil
}

func (p *npmParser) skip() error {
	var raw json.RawMessage
	return p.decode(&raw)
}

// packages reads the v2/v3 "packages" object.
func (p *npmParser) packages(into map[string]*npmEntry) error {
	if err := p.delim('{'); err != nil {
		return err
	}
	for p.dec.More() {
		key, err := p.key()
		if err != nil {
			return err
		}
		start := p.dec.InputOffset()
		line := p.lines.line(start)
		e := &npmEntry{}
		if err := p.decode(e); err != nil {
			return fmt.Errorf("%q at line %d: %w", key, line, err)
		}
		e.line = line
		e.raw = bytes.TrimLeft(p.data[start:p.dec.InputOffset()], " \t\r\n:")
		into[key] = e
	}
	return p.delim('}')
}

// npmV1Dep is a v1 dependency as the extractor reads it, less its nested
// dependencies.
type npmV1Dep struct {
	Version  string            `json:"version"`
	Resolved string            `json:"resolved,omitempty"`
	Dev      bool              `json:"dev,omitempty"`
	Optional bool              `json:"optional,omitempty"`
	Requires map[string]string `json:"-"`
}

// v1Deps reads a v1 "dependencies" object whose packages are installed
// under the install path parent.
func (p *npmParser) v1Deps(into map[string]*npmEntry, parent string, depth int) error {
	if depth >= maxNesting {
		return fmt.Errorf("dependencies nested deeper than %d (line %d)", maxNesting, p.lines.line(p.dec.InputOffset()))
	}
	if err := p.delim('{'); err != nil {
		return err
	}
	for p.dec.More() {
		name, err := p.key()
		if err != nil {
			return err
		}
		at := npmChildPath(parent, name)
		e := &npmEntry{line: p.lines.line(p.dec.InputOffset())}
		var dep npmV1Dep
		if err := p.delim('{'); err != nil {
			return fmt.Errorf("%q: %w", name, err)
		}
		for p.dec.More() {
			field, err := p.key()
			if err != nil {
				return err
			}
			switch field {
			case "version":
				err = p.decode(&dep.Version)
			case "resolved":
				err = p.decode(&dep.Resolved)
			case "dev":
				err = p.decode(&dep.Dev)
			case "optional":
				err = p.decode(&dep.Optional)
			case "requires":
				err = p.decode(&dep.Requires)
			case "dependencies":
				err = p.v1Deps(into, at, depth+1)
			default:
				err = p.skip()
			}
			if err != nil && field == "dependencies" {
				return err // says where itself
			}
			if err != nil {
				return fmt.Errorf("%q (line %d) %s: %w", name, e.line, field, err)
			}
		}
		if err := p.delim('}'); err != nil {
			return err
		}
		// The extractor gets the entry flat, without its nested dependencies.
		if e.raw, err = json.Marshal(dep); err != nil {
			return fmt.Errorf("%q: %w", name, err)
		}
		e.Name, e.Version = name, dep.Version
		// An alias ("string-width-cjs": {"version": "npm:string-width@4.2.3"}).
		if real, ok := strings.CutPrefix(dep.Version, "npm:"); ok {
			if i := strings.LastIndex(real, "@"); i > 0 {
				e.Name, e.Version = real[:i], real[i+1:]
			}
		}
		// A git URL or a "file:" path is no version: the extractor gives
		// none for them either. npm versions start with a digit.
		if e.Version != "" && (e.Version[0] < '0' || e.Version[0] > '9') {
			e.Version = ""
		}
		e.Resolved, e.Dependencies = dep.Resolved, dep.Requires
		into[at] = e
	}
	return p.delim('}')
}

// chunks lays the lockfile's entries out for the extractor as lockfiles of
// at most size flat entries each. osv-scalibr's extractor looks up the line
// of every package from the start of its input, which takes time quadratic
// in the size of the input; chunks keep it linear. (The extractor's lines
// are then not the file's; the parser's are used.) A v1 entry goes under
// its package name, so that two entries of one name, nested at different
// places, go to different chunks.
func (lock *npmLock) chunks(size int) [][]byte {
	section := `"dependencies"`
	if lock.packages {
		section = `"packages"`
	}
	// layers[k] holds the keys that are the k-th entry of their name.
	var layers [][]string
	seen := map[string]int{}
	for _, k := range slices.Sorted(maps.Keys(lock.entries)) {
		name := k
		if !lock.packages {
			name = npmNameOf(k)
		}
		n := seen[name]
		seen[name]++
		if n == len(layers) {
			layers = append(layers, nil)
		}
		layers[n] = append(layers[n], k)
	}
	var out [][]byte
	for _, keys := range layers {
		for start := 0; start < len(keys); start += size {
			var b bytes.Buffer
			fmt.Fprintf(&b, `{"lockfileVersion":%d,%s:{`, lock.version, section)
			for i, k := range keys[start:min(start+size, len(keys))] {
				if i > 0 {
					b.WriteByte(',')
				}
				name := k
				if !lock.packages {
					name = npmNameOf(k)
				}
				quoted, _ := json.Marshal(name) // a string always marshals
				b.Write(quoted)
				b.WriteByte(':')
				b.Write(lock.entries[k].raw)
			}
			b.WriteString("}}")
			out = append(out, b.Bytes())
		}
	}
	return out
}

func npmChildPath(parent, name string) string {
	if parent == "" {
		return "node_modules/" + name
	}
	return parent + "/node_modules/" + name
}

// npmParentDir is the directory whose node_modules Node looks in next when
// a package at p requires something it does not hold itself ("" for the
// root).
func npmParentDir(p string) string {
	if i := strings.LastIndex(p, "node_modules/"); i >= 0 {
		return strings.TrimSuffix(p[:i], "/")
	}
	if d := path.Dir(p); d != "." && d != p {
		return d
	}
	return ""
}

// npmNameOf is the package name of an install path: what follows its last
// "node_modules/" (one segment, or two when scoped).
func npmNameOf(p string) string {
	i := strings.LastIndex(p, "node_modules/")
	if i < 0 {
		return path.Base(p)
	}
	return p[i+len("node_modules/"):]
}

// graph builds the dependency graph of the lockfile. The root project and
// the workspaces (entries outside node_modules) are its importers; a v1
// lockfile names no root, so the package.json beside it (m, may be nil)
// gives the root's dependencies.
//
// A dependency resolves as Node resolves it: in the node_modules of the
// requiring package, then of each directory above it. Directories are
// numbered so that a resolution costs one map lookup per level, whatever
// the length of the paths.
func (lock *npmLock) graph(m *manifest) *depGraph {
	g := &depGraph{explicitRoots: lock.packages || m != nil}
	keys := slices.Sorted(maps.Keys(lock.entries))

	dirs := map[string]int{"": 0}
	up := []int{-1} // the parent directory of each directory
	// dirOf numbers a directory: walk up to a known one, number the way down.
	dirOf := func(p string) int {
		var missing []string
		for q := p; ; q = npmParentDir(q) {
			if _, ok := dirs[q]; ok {
				break
			}
			missing = append(missing, q)
		}
		for i := len(missing) - 1; i >= 0; i-- {
			dirs[missing[i]] = len(up)
			up = append(up, dirs[npmParentDir(missing[i])])
		}
		return dirs[p]
	}
	type child struct {
		dir  int
		name string
	}
	installed := map[child]string{} // what each directory's node_modules holds, by name
	for _, k := range keys {
		if k != "" && strings.Contains(k, "node_modules/") {
			installed[child{dirOf(npmParentDir(k)), npmNameOf(k)}] = k
		}
	}

	index := map[string]int{}
	rootName := "."
	if root, ok := lock.entries[""]; ok && root.Name != "" {
		rootName = root.Name
	} else if m != nil && m.Name != "" {
		rootName = m.Name
	}
	index[""] = g.add(gnode{label: rootName, root: true})
	for _, k := range keys {
		e := lock.entries[k]
		if k == "" || e.Link {
			continue
		}
		name := e.Name
		if name == "" {
			name = npmNameOf(k)
		}
		n := gnode{label: name + "@" + e.Version, id: name + "@" + e.Version, line: e.line}
		if e.Version == "" {
			n.label = name // from git: no version
		}
		if !strings.Contains(k, "node_modules/") {
			n.root, n.label = true, name // a workspace
		}
		index[k] = g.add(n)
	}
	resolve := func(from, name string) int {
		for d := dirOf(from); d >= 0; d = up[d] {
			k, ok := installed[child{d, name}]
			if !ok {
				continue
			}
			if e := lock.entries[k]; e.Link {
				k = e.Resolved
			}
			if i, ok := index[k]; ok {
				return i
			}
			return -1
		}
		return -1
	}
	link := func(from int, at string, deps map[string]string, dev bool) {
		for _, name := range slices.Sorted(maps.Keys(deps)) {
			g.edge(from, resolve(at, name), dev)
		}
	}
	for _, k := range keys {
		from, ok := index[k]
		if !ok {
			continue
		}
		e := lock.entries[k]
		link(from, k, e.Dependencies, false)
		link(from, k, e.OptionalDependencies, false)
		link(from, k, e.PeerDependencies, false)
		if g.nodes[from].root {
			link(from, k, e.DevDependencies, true)
		}
	}
	if !lock.packages && m != nil {
		link(index[""], "", m.Dependencies, false)
		link(index[""], "", m.OptionalDependencies, false)
		link(index[""], "", m.DevDependencies, true)
	}
	return g
}
