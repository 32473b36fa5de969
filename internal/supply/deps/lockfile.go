package deps

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/extractor/filesystem"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/packagelockjson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/pnpmlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/yarnlock"
	scalibrfs "github.com/google/osv-scalibr/fs"

	"github.com/ecoscan/ecoscan/internal/finding"
)

// Bounds of the tree walk and of one lockfile.
const (
	maxLockfileBytes = 64 << 20 // the largest monorepo lockfiles are tens of MB
	maxWalkEntries   = 1_000_000
	maxWalkDepth     = 64
	maxLockfiles     = 10_000
	npmChunk         = 64  // package-lock entries per extractor input
	yamlChunk        = 256 // pnpm-lock packages per extractor input
)

// lockfileNames are the lockfiles the scan reads, by file name.
var lockfileNames = map[string]bool{
	"package-lock.json":   true,
	"npm-shrinkwrap.json": true,
	"yarn.lock":           true,
	"pnpm-lock.yaml":      true,
}

// skippedDirs are never entered: installed packages and version control.
var skippedDirs = map[string]bool{"node_modules": true, ".git": true}

// Lockfile is one lockfile found under the scanned directory, with the
// packages it installs.
type Lockfile struct {
	Path     string    // relative to the scanned directory, slash-separated
	Format   string    // such as "package-lock.json v3", "yarn.lock berry (metadata 8)" or "pnpm-lock.yaml v9"
	Packages []Package // sorted by name, then version
}

// Package is one package version a lockfile installs. A package installed
// from a git commit may have no version (a package-lock v1 gives none);
// packages from local folders, which have neither, are left out, as are
// those named by a short commit hash, which cannot be told apart (as
// osv-scanner does).
type Package struct {
	Name    string
	Version string
	Commit  string   // the git commit it was installed from, if it was
	Line    int      // the line of its entry in the lockfile, 0 when not found
	Dev     bool     // installed for development only
	Chain   []string // the importing project, then "name@version" down to the package; "..." where the lockfile does not say
}

// fullCommit is the length of a git commit hash written in full.
const fullCommit = 40

// findLockfiles walks the tree for lockfiles, skipping node_modules, .git
// and symbolic links (so that loops cannot happen), within the walk bounds.
// A package-lock.json beside an npm-shrinkwrap.json is left out, as npm
// ignores it. Problems below the root are returned as scan errors; only a
// root that cannot be read is an error.
func findLockfiles(ctx context.Context, fsys fs.FS) ([]string, []finding.Error, error) {
	var found []string
	var problems []finding.Error
	entries := 0
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == "." {
				return err
			}
			problems = append(problems, finding.Error{Scope: p, Message: fmt.Sprintf("skipped: %v", err)})
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		entries++
		if entries > maxWalkEntries {
			problems = append(problems, finding.Error{Scope: ".", Message: fmt.Sprintf("the tree has more than %d entries: the rest was not searched for lockfiles", maxWalkEntries)})
			return fs.SkipAll
		}
		if d.IsDir() {
			if p != "." && skippedDirs[d.Name()] {
				return fs.SkipDir
			}
			if strings.Count(p, "/") >= maxWalkDepth {
				problems = append(problems, finding.Error{Scope: p, Message: fmt.Sprintf("deeper than %d directories: not searched", maxWalkDepth)})
				return fs.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() && lockfileNames[d.Name()] {
			if len(found) == maxLockfiles {
				problems = append(problems, finding.Error{Scope: ".", Message: fmt.Sprintf("more than %d lockfiles: the rest were not read", maxLockfiles)})
				return fs.SkipAll
			}
			found = append(found, p)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	shrinkwraps := map[string]bool{}
	for _, p := range found {
		if path.Base(p) == "npm-shrinkwrap.json" {
			shrinkwraps[path.Dir(p)] = true
		}
	}
	found = slices.DeleteFunc(found, func(p string) bool {
		return path.Base(p) == "package-lock.json" && shrinkwraps[path.Dir(p)]
	})
	return found, problems, nil
}

// readBounded reads a file of the tree, refusing one over limit bytes.
func readBounded(fsys fs.FS, name string, limit int64) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if info.Size() > limit {
		return nil, fmt.Errorf("%d bytes, over the limit of %d", info.Size(), limit)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("more than %d bytes", limit)
	}
	return data, nil
}

// readLockfile reads and extracts the lockfile at rel (slash-separated,
// relative to the root of fsys).
func readLockfile(ctx context.Context, fsys scalibrfs.FS, rel string) (*Lockfile, error) {
	data, err := readBounded(fsys, rel, maxLockfileBytes)
	if err != nil {
		return nil, fmt.Errorf("read lockfile: %w", err)
	}
	return extractLockfile(ctx, fsys, rel, data)
}

// extractLockfile extracts the packages of one lockfile's data with
// osv-scalibr's extractor for its format, and adds what the lockfile tells
// of each: the line of its entry, whether it is for development only, and
// the chain of dependencies that brings it in.
func extractLockfile(ctx context.Context, fsys scalibrfs.FS, rel string, data []byte) (*Lockfile, error) {
	var (
		ext    filesystem.Extractor
		format string
		build  func(ids map[int]string) *depGraph
		// flagged: the lockfile marks development packages itself, and
		// the graph only adds chains.
		flagged bool
		// inputs: what the extractor reads: the whole file, or chunks of
		// it laid out anew, whose lines are then not the file's.
		inputs         = [][]byte{data}
		extractorLines = true
	)
	dir := path.Dir(rel)
	switch path.Base(rel) {
	case "package-lock.json", "npm-shrinkwrap.json":
		lock, err := parseNpmLock(data)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", path.Base(rel), err)
		}
		ext, flagged = packagelockjson.Extractor{}, true
		inputs, extractorLines = lock.chunks(npmChunk), false
		format = fmt.Sprintf("%s v%d", path.Base(rel), lock.version)
		build = func(map[int]string) *depGraph {
			var m *manifest
			if !lock.packages {
				m = readManifest(fsys, dir)
			}
			return lock.graph(m)
		}
	case "yarn.lock":
		lock, err := parseYarnLock(data)
		if err != nil {
			return nil, fmt.Errorf("parse yarn.lock: %w", err)
		}
		if lock.missingVersion > 0 {
			return nil, fmt.Errorf("parse yarn.lock: %d entries have no version (truncated or hand-edited lockfile?)", lock.missingVersion)
		}
		ext = yarnlock.Extractor{}
		format = "yarn.lock v1"
		if lock.berry > 0 {
			format = fmt.Sprintf("yarn.lock berry (metadata %d)", lock.berry)
		}
		build = func(ids map[int]string) *depGraph { return lock.graph(fsys, dir, ids) }
	case "pnpm-lock.yaml":
		lock, err := parsePnpmLock(data)
		if err != nil {
			return nil, fmt.Errorf("parse pnpm-lock.yaml: %w", err)
		}
		ext, flagged = pnpmlock.Extractor{}, lock.major < 9
		if inputs, err = lock.chunks(yamlChunk); err != nil {
			return nil, err
		}
		extractorLines = false
		format = fmt.Sprintf("pnpm-lock.yaml v%d", lock.major)
		build = func(map[int]string) *depGraph { return lock.graph() }
	default:
		return nil, fmt.Errorf("not a known lockfile name: %s", rel)
	}
	var extracted []*extractor.Package
	for _, in := range inputs {
		pkgs, err := extract(ctx, ext, fsys, rel, in)
		if err != nil {
			return nil, fmt.Errorf("extract packages with %s: %w", ext.Name(), err)
		}
		extracted = append(extracted, pkgs...)
	}
	lf := &Lockfile{Path: rel, Format: format}
	byID := map[string]*Package{}
	ids := map[int]string{}
	for _, p := range extracted {
		commit := ""
		if p.SourceCode != nil {
			commit = p.SourceCode.Commit
		}
		if p.Name == "" || (p.Version == "" && commit == "") || (commit != "" && len(commit) < fullCommit) {
			continue
		}
		id := p.Name + "@" + p.Version
		line := 0
		if extractorLines {
			line = lineOf(p)
		}
		if line > 0 {
			ids[line] = id
		}
		pkg, seen := byID[id]
		if !seen {
			pkg = &Package{Name: p.Name, Version: p.Version, Commit: commit, Line: line, Dev: true}
			byID[id] = pkg
		}
		if commit != "" && (pkg.Commit == "" || commit < pkg.Commit) {
			pkg.Commit = commit // several commits of one name: the same one each run
		}
		if line > 0 && (pkg.Line == 0 || line < pkg.Line) {
			pkg.Line = line
		}
		pkg.Dev = pkg.Dev && isDev(p)
	}
	info := build(ids).summarize()
	for id, pkg := range byID {
		if gi, ok := info[id]; ok {
			if gi.line > 0 {
				pkg.Line = gi.line
			}
			if !flagged {
				pkg.Dev = gi.devOnly
			}
			pkg.Chain = gi.chain
		}
		lf.Packages = append(lf.Packages, *pkg)
	}
	slices.SortFunc(lf.Packages, func(a, b Package) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Version, b.Version))
	})
	return lf, nil
}

// extract runs an osv-scalibr extractor on one input. A panic of the
// extractor on malformed input (one was found by fuzzing: an "npm:" alias
// without a version in a v1 package-lock.json) is an error of this lockfile,
// not of the scan.
func extract(ctx context.Context, ext filesystem.Extractor, fsys scalibrfs.FS, rel string, data []byte) (pkgs []*extractor.Package, err error) {
	defer func() {
		if r := recover(); r != nil {
			pkgs, err = nil, fmt.Errorf("malformed lockfile: the extractor failed: %v", r)
		}
	}()
	inv, err := ext.Extract(ctx, &filesystem.ScanInput{FS: fsys, Path: rel, Root: ".", Reader: bytes.NewReader(data)})
	return inv.Packages, err
}

func lineOf(p *extractor.Package) int {
	if d := p.Location.Descriptor; d != nil && d.File != nil {
		return d.File.LineNumber
	}
	return 0
}

// isDev reports whether the extractor put the package in the "dev" group
// only (package-lock.json's "dev", pnpm v5 and v6's "dev: true").
func isDev(p *extractor.Package) bool {
	groups, ok := p.Metadata.(interface{ DepGroups() []string })
	return ok && slices.Contains(groups.DepGroups(), "dev")
}

// lineIndex maps byte offsets of a text to lines counted from 1.
type lineIndex []int

func newLineIndex(data []byte) lineIndex {
	starts := lineIndex{0}
	for i, b := range data {
		if b == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

func (l lineIndex) line(offset int64) int {
	return sort.Search(len(l), func(i int) bool { return int64(l[i]) > offset })
}

// shorten keeps a piece of untrusted text short enough for an error message.
func shorten(s string) string { return truncate(s, 80) }

// truncate cuts s to at most limit bytes, on a character boundary, and
// says so with "...".
func truncate(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
