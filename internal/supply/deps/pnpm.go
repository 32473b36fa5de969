package deps

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

const maxYAMLDocuments = 16 // documents in one pnpm-lock.yaml

// pnpmLock is what the graph and the extractor need of a pnpm-lock.yaml:
// its importers (the root project and the workspaces) and its packages.
// Version 5 and 6 key packages by path ("/name/1.0.0",
// "/name@1.0.0(peer@2.0.0)"); version 9 keys them by "name@1.0.0" and lists
// each peer variant under snapshots.
//
// The file is walked as YAML nodes rather than decoded into maps: yaml.v3
// checks a mapping's keys for duplicates in quadratic time, which a lockfile
// of tens of thousands of packages makes seconds.
type pnpmLock struct {
	major     int
	importers map[string]pnpmImporter
	graphKeys map[string]pnpmPackage // snapshots (v9) or packages: the graph's nodes
	packages  map[string]pnpmPackage // packages, by key
	lines     map[string]int         // the first line of each package ("name@version") under packages
	entries   []pnpmEntry            // the packages entries, as the extractor reads them
}

// pnpmEntry is one entry of a packages section, with the version of its document.
type pnpmEntry struct{ version, key, value *yaml.Node }

// pnpmImporter is the direct dependencies of one project: name to the
// version it resolved to (a plain string in version 5, the "version" of
// {specifier, version} from version 6 on).
type pnpmImporter struct {
	deps, devDeps map[string]string
}

type pnpmPackage struct {
	Name                 string            `yaml:"name"`
	Version              string            `yaml:"version"`
	Dependencies         map[string]string `yaml:"dependencies"`
	OptionalDependencies map[string]string `yaml:"optionalDependencies"`
}

// parsePnpmLock reads a pnpm-lock.yaml of lockfileVersion 5 to 9 (all its
// YAML documents).
func parsePnpmLock(data []byte) (*pnpmLock, error) {
	lock := &pnpmLock{importers: map[string]pnpmImporter{}, graphKeys: map[string]pnpmPackage{}, packages: map[string]pnpmPackage{}, lines: map[string]int{}}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for docs := 0; ; docs++ {
		if docs == maxYAMLDocuments {
			return nil, fmt.Errorf("more than %d YAML documents", maxYAMLDocuments)
		}
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				if docs == 0 {
					return nil, errors.New("empty file")
				}
				return lock, nil
			}
			return nil, fmt.Errorf("malformed YAML: %w", err)
		}
		if err := lock.addDocument(&doc); err != nil {
			return nil, err
		}
	}
}

// field is the value of key in a mapping node, nil when absent.
func field(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return resolveAlias(m.Content[i+1])
		}
	}
	return nil
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

// pairs calls fn with each key and value of a mapping node.
func pairs(m *yaml.Node, fn func(k, v *yaml.Node) error) error {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if err := fn(m.Content[i], resolveAlias(m.Content[i+1])); err != nil {
			return err
		}
	}
	return nil
}

func (lock *pnpmLock) addDocument(doc *yaml.Node) error {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return errors.New("malformed lockfile: not a YAML mapping")
	}
	root := doc.Content[0]
	versionNode := field(root, "lockfileVersion")
	major, err := pnpmMajor(versionNode)
	if err != nil {
		return err
	}
	lock.major = major
	importers := field(root, "importers")
	if importers == nil {
		imp, err := readImporter(root)
		if err != nil {
			return err
		}
		lock.importers["."] = imp
	}
	if err := pairs(importers, func(k, v *yaml.Node) error {
		imp, err := readImporter(v)
		lock.importers[k.Value] = imp
		return err
	}); err != nil {
		return err
	}
	packages, snapshots := field(root, "packages"), field(root, "snapshots")
	snapshotted := map[string]bool{}
	_ = pairs(snapshots, func(k, _ *yaml.Node) error { snapshotted[k.Value] = true; return nil })
	readPackage := func(k, v *yaml.Node) (pnpmPackage, error) {
		var p pnpmPackage
		if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
			return p, nil // "name@1.0.0:" with nothing under it
		}
		if err := v.Decode(&p); err != nil {
			return p, fmt.Errorf("malformed package %q at line %d: %w", shorten(k.Value), k.Line, err)
		}
		return p, nil
	}
	if err := pairs(packages, func(k, v *yaml.Node) error {
		p, err := readPackage(k, v)
		if err != nil {
			return err
		}
		lock.entries = append(lock.entries, pnpmEntry{versionNode, k, v})
		lock.packages[k.Value] = p
		if name, version := lock.identity(k.Value, p); name != "" && version != "" {
			if id := name + "@" + version; lock.lines[id] == 0 || k.Line < lock.lines[id] {
				lock.lines[id] = k.Line
			}
		}
		if major < 9 || !snapshotted[k.Value] {
			lock.graphKeys[k.Value] = p // a v9 package without peers may lack a snapshot
		}
		return nil
	}); err != nil {
		return err
	}
	if major >= 9 {
		return pairs(snapshots, func(k, v *yaml.Node) error {
			p, err := readPackage(k, v)
			lock.graphKeys[k.Value] = p
			return err
		})
	}
	return nil
}

// readImporter reads the direct dependencies of one importer node.
func readImporter(n *yaml.Node) (pnpmImporter, error) {
	imp := pnpmImporter{deps: map[string]string{}, devDeps: map[string]string{}}
	for _, kind := range []struct {
		key  string
		into map[string]string
	}{{"dependencies", imp.deps}, {"optionalDependencies", imp.deps}, {"devDependencies", imp.devDeps}} {
		err := pairs(field(n, kind.key), func(k, v *yaml.Node) error {
			switch v.Kind {
			case yaml.ScalarNode:
				kind.into[k.Value] = v.Value
			case yaml.MappingNode:
				if ver := field(v, "version"); ver != nil {
					kind.into[k.Value] = ver.Value
				}
			default:
				return fmt.Errorf("malformed importer dependency %q at line %d", shorten(k.Value), k.Line)
			}
			return nil
		})
		if err != nil {
			return imp, err
		}
	}
	return imp, nil
}

// pnpmMajor reads lockfileVersion ('9.0', '6.0' or 5.4) and keeps its
// major: 5 (pnpm 7), 6 (pnpm 8) or 9 (pnpm 9 and 10).
func pnpmMajor(n *yaml.Node) (int, error) {
	if n == nil {
		return 0, errors.New("no lockfileVersion")
	}
	f, err := strconv.ParseFloat(n.Value, 64)
	if major := int(f); n.Kind == yaml.ScalarNode && err == nil && f >= 0 && (major == 5 || major == 6 || major == 9) {
		return major, nil
	}
	return 0, fmt.Errorf("unknown lockfileVersion %q (known: 5.x, 6.x, 9.x)", shorten(n.Value))
}

// identity is the package name and version of a package key (peer suffix
// dropped), unless the entry names them itself, or (for a v9 snapshot) its
// packages entry does.
func (lock *pnpmLock) identity(key string, p pnpmPackage) (string, string) {
	if p.Name != "" && p.Version != "" {
		return p.Name, p.Version
	}
	if base, _, _ := strings.Cut(key, "("); lock.major >= 9 {
		if q := lock.packages[base]; q.Name != "" && q.Version != "" {
			return q.Name, q.Version
		}
	}
	key = strings.Trim(key, "'")
	if lock.major < 6 {
		// "/name/1.0.0_peer@2.0.0" or "/@scope/name/1.0.0"
		i := strings.LastIndex(key, "/")
		if i <= 0 {
			return "", ""
		}
		version, _, _ := strings.Cut(key[i+1:], "_")
		return strings.TrimPrefix(key[:i], "/"), version
	}
	base, _, _ := strings.Cut(strings.TrimPrefix(key, "/"), "(")
	at := strings.LastIndex(base, "@")
	if at <= 0 {
		return "", ""
	}
	return base[:at], base[at+1:]
}

// key is the package key a dependency name resolved to ref refers to.
func (lock *pnpmLock) key(name, ref string) string {
	if lock.major < 9 {
		if strings.HasPrefix(ref, "/") { // an alias, already a key
			return ref
		}
		if lock.major < 6 {
			return "/" + name + "/" + ref
		}
		return "/" + name + "@" + ref
	}
	if base, _, _ := strings.Cut(ref, "("); strings.Contains(base, "@") { // an alias
		return ref
	}
	return name + "@" + ref
}

// graph builds the dependency graph: packages first, then importers.
func (lock *pnpmLock) graph() *depGraph {
	g := &depGraph{explicitRoots: true}
	index := map[string]int{}
	keys := slices.Sorted(maps.Keys(lock.graphKeys))
	for _, k := range keys {
		name, version := lock.identity(k, lock.graphKeys[k])
		n := gnode{label: strings.TrimPrefix(k, "/")}
		if name != "" && version != "" {
			n.id = name + "@" + version
			n.label, n.line = n.id, lock.lines[n.id]
		}
		index[k] = g.add(n)
	}
	edges := func(from int, deps map[string]string, dev bool) {
		for _, name := range slices.Sorted(maps.Keys(deps)) {
			if to, ok := index[lock.key(name, deps[name])]; ok {
				g.edge(from, to, dev)
			}
		}
	}
	for _, k := range keys {
		edges(index[k], lock.graphKeys[k].Dependencies, false)
		edges(index[k], lock.graphKeys[k].OptionalDependencies, false)
	}
	for _, path := range slices.Sorted(maps.Keys(lock.importers)) {
		imp := lock.importers[path]
		i := g.add(gnode{label: path, root: true})
		edges(i, imp.deps, false)
		edges(i, imp.devDeps, true)
	}
	return g
}

// chunks lays the packages out for the extractor as lockfiles of at most
// size entries each: osv-scalibr's extractor decodes its whole input with
// yaml.v3, in time quadratic in the number of packages. (Its lines are then
// not the file's; the parser's are used.)
func (lock *pnpmLock) chunks(size int) ([][]byte, error) {
	var out [][]byte
	for start := 0; start < len(lock.entries); {
		version := lock.entries[start].version
		packages := &yaml.Node{Kind: yaml.MappingNode}
		end := start
		for ; end < len(lock.entries) && end-start < size && lock.entries[end].version == version; end++ {
			packages.Content = append(packages.Content, lock.entries[end].key, lock.entries[end].value)
		}
		doc := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
			{Kind: yaml.ScalarNode, Value: "lockfileVersion"}, version,
			{Kind: yaml.ScalarNode, Value: "packages"}, packages,
		}}
		data, err := yaml.Marshal(doc)
		if err != nil {
			return nil, fmt.Errorf("lay out packages for the extractor: %w", err)
		}
		out = append(out, data)
		start = end
	}
	return out, nil
}
