package deps

import (
	"encoding/json"
	"io/fs"
	"path"
	"slices"
	"strings"
)

const (
	maxManifestBytes = 4 << 20 // a package.json
	maxWorkspaces    = 1000    // workspace directories read for one lockfile
)

// manifest is what a dependency graph needs of a package.json: the direct
// dependencies of a project, split by kind, and its workspaces. Lockfiles
// that do not record their importers (yarn v1, package-lock v1) take these
// from the package.json files beside them.
type manifest struct {
	Name                 string            `json:"name"`
	Dependencies         map[string]string `json:"dependencies"`
	DevDependencies      map[string]string `json:"devDependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
	Workspaces           json.RawMessage   `json:"workspaces"`
}

// readManifest reads dir/package.json; a missing or unreadable one is nil:
// the graph then goes without it.
func readManifest(fsys fs.FS, dir string) *manifest {
	data, err := readBounded(fsys, path.Join(dir, "package.json"), maxManifestBytes)
	if err != nil {
		return nil
	}
	var m manifest
	if json.Unmarshal(data, &m) != nil {
		return nil
	}
	return &m
}

// workspaceDirs lists the directories under dir that the manifest's
// "workspaces" globs match and that hold a package.json, sorted.
func (m *manifest) workspaceDirs(fsys fs.FS, dir string) []string {
	if len(m.Workspaces) == 0 {
		return nil
	}
	var globs []string
	if json.Unmarshal(m.Workspaces, &globs) != nil {
		var object struct {
			Packages []string `json:"packages"`
		}
		if json.Unmarshal(m.Workspaces, &object) != nil {
			return nil
		}
		globs = object.Packages
	}
	var dirs []string
	for _, g := range globs {
		if strings.HasPrefix(g, "!") {
			continue
		}
		matches, err := fs.Glob(fsys, path.Join(dir, g, "package.json"))
		if err != nil {
			continue
		}
		for _, match := range matches {
			if len(dirs) == maxWorkspaces {
				break
			}
			dirs = append(dirs, path.Dir(match))
		}
	}
	slices.Sort(dirs)
	return slices.Compact(dirs)
}

// devOnly lists the names the manifest has in devDependencies alone.
func (m *manifest) devOnly() map[string]bool {
	out := map[string]bool{}
	for name := range m.DevDependencies {
		_, prod := m.Dependencies[name]
		_, optional := m.OptionalDependencies[name]
		if !prod && !optional {
			out[name] = true
		}
	}
	return out
}

// label is how a chain names the project of the manifest in dir.
func (m *manifest) label(dir string) string {
	if m.Name != "" {
		return m.Name
	}
	if dir == "." || dir == "" {
		return "."
	}
	return dir
}
