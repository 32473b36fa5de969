package deps

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

const (
	maxYarnLine         = 1 << 20 // one line of a yarn.lock
	maxYarnBerryVersion = 8       // the __metadata version of yarn 4
)

// yarnLock is what the graph needs of a yarn.lock, v1 or berry (yarn 2+).
type yarnLock struct {
	berry          int // the __metadata version of a berry lockfile, 0 for v1
	entries        []yarnEntry
	missingVersion int // entries without a version: a truncated or edited file
}

// yarnEntry is one entry: the specs of its header ("lodash@^4.17.15"), the
// header's line, its version, and the dependencies it declares.
type yarnEntry struct {
	line      int
	specs     []string
	version   string
	workspace string // berry: the path of a "name@workspace:path" resolution
	deps      []yarnDep
}

type yarnDep struct{ name, rng string }

// parseYarnLock reads a yarn.lock. A v1 file starts with the comment
// "# yarn lockfile v1"; a berry file has a __metadata entry with its version.
func parseYarnLock(data []byte) (*yarnLock, error) {
	lock := &yarnLock{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), maxYarnLine)
	var cur *yarnEntry
	finish := func() {
		if cur != nil {
			if cur.version == "" {
				lock.missingVersion++
			}
			lock.entries = append(lock.entries, *cur)
			cur = nil
		}
	}
	v1, meta, metaVersion := false, false, ""
	block := ""
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if trimmed == "" {
			continue
		}
		if strings.HasPrefix(trimmed, "#") {
			v1 = v1 || trimmed == "# yarn lockfile v1"
			continue
		}
		indent := len(line) - len(strings.TrimLeft(line, " "))
		switch {
		case indent == 0:
			finish()
			meta = trimmed == "__metadata:"
			if meta {
				continue
			}
			if !strings.HasSuffix(trimmed, ":") {
				return nil, fmt.Errorf("line %d: malformed entry header %q", n, shorten(trimmed))
			}
			cur = &yarnEntry{line: n, specs: yarnSpecs(strings.TrimSuffix(trimmed, ":"))}
		case meta:
			if key, value := yarnProp(trimmed); indent == 2 && key == "version" {
				metaVersion = value
			}
		case cur == nil:
			return nil, fmt.Errorf("line %d: indented line outside an entry", n)
		case indent == 2:
			key, value := yarnProp(trimmed)
			block = ""
			switch key {
			case "version":
				cur.version = value
			case "resolution":
				if _, ws, ok := strings.Cut(value, "@workspace:"); ok {
					cur.workspace = ws
				}
			case "dependencies", "optionalDependencies":
				block = key
			}
		case block != "":
			name, rng := yarnProp(trimmed)
			cur.deps = append(cur.deps, yarnDep{name: name, rng: rng})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read yarn.lock: %w", err)
	}
	finish()
	switch {
	case metaVersion != "":
		v, err := strconv.Atoi(metaVersion)
		if err != nil || v < 1 || v > maxYarnBerryVersion {
			return nil, fmt.Errorf("unknown yarn.lock __metadata version %q (known: 1 to %d)", shorten(metaVersion), maxYarnBerryVersion)
		}
		lock.berry = v
	case v1:
	default:
		return nil, errors.New("not a yarn.lock: neither the \"# yarn lockfile v1\" comment nor a __metadata version")
	}
	return lock, nil
}

// yarnSpecs splits an entry header into its specs: v1 quotes each
// ("a@^1", "a@^1.2"), berry quotes the whole list ("a@npm:^1, a@npm:^1.2").
func yarnSpecs(header string) []string {
	var specs []string
	for part := range strings.SplitSeq(header, ",") {
		if spec := strings.Trim(strings.TrimSpace(part), `"`); spec != "" {
			specs = append(specs, spec)
		}
	}
	return specs
}

// yarnProp splits a property line: `key "value"` (v1) or `key: value`
// (berry), the key and the value possibly quoted.
func yarnProp(s string) (key, value string) {
	if rest, ok := strings.CutPrefix(s, `"`); ok {
		end := strings.IndexByte(rest, '"')
		if end < 0 {
			return s, ""
		}
		key, s = rest[:end], rest[end+1:]
	} else {
		end := strings.IndexAny(s, " :")
		if end < 0 {
			return s, ""
		}
		key, s = s[:end], s[end:]
	}
	s = strings.TrimPrefix(s, ":")
	return key, strings.Trim(strings.TrimSpace(s), `"`)
}

// graph builds the dependency graph. ids names the package ("name@version")
// whose entry starts at each line, as the extractor read it. Berry lists
// its workspaces as entries; a v1 lockfile does not, so the package.json
// files of the lockfile's directory dir and of its workspaces give the
// importers. Those package.json files also say which direct dependencies
// are for development.
func (lock *yarnLock) graph(fsys fs.FS, dir string, ids map[int]string) *depGraph {
	g := &depGraph{}
	bySpec := map[string]int{}
	for _, e := range lock.entries {
		n := gnode{id: ids[e.line], line: e.line}
		n.label = n.id
		if e.workspace != "" && len(e.specs) > 0 {
			name, _, _ := strings.Cut(e.specs[0], "@workspace:")
			n.root, n.label, g.explicitRoots = true, name, true
		}
		if n.label == "" && len(e.specs) > 0 {
			n.label = e.specs[0]
		}
		i := g.add(n)
		for _, s := range e.specs {
			bySpec[s] = i
		}
	}
	find := func(name, rng string) int {
		for _, spec := range []string{name + "@" + rng, name + "@npm:" + rng} {
			if i, ok := bySpec[spec]; ok {
				return i
			}
		}
		return -1
	}
	for i, e := range lock.entries {
		var devNames map[string]bool
		if e.workspace != "" {
			if m := readManifest(fsys, path.Join(dir, e.workspace)); m != nil {
				devNames = m.devOnly()
			}
		}
		for _, d := range e.deps {
			g.edge(i, find(d.name, d.rng), devNames[d.name])
		}
	}
	if lock.berry > 0 {
		return g
	}
	root := readManifest(fsys, dir)
	if root == nil {
		return g
	}
	g.explicitRoots = true
	dirs := append([]string{dir}, root.workspaceDirs(fsys, dir)...)
	for _, d := range dirs {
		m := root
		if d != dir {
			if m = readManifest(fsys, d); m == nil {
				continue
			}
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(d, dir), "/")
		i := g.add(gnode{label: m.label(rel), root: true})
		for _, kind := range []struct {
			deps map[string]string
			dev  bool
		}{{m.Dependencies, false}, {m.OptionalDependencies, false}, {m.DevDependencies, true}} {
			names := make([]string, 0, len(kind.deps))
			for name := range kind.deps {
				names = append(names, name)
			}
			slices.Sort(names)
			for _, name := range names {
				g.edge(i, find(name, kind.deps[name]), kind.dev)
			}
		}
	}
	return g
}
