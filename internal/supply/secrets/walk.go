package secrets

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"

	"github.com/ecoscan/ecoscan/internal/finding"
)

// job is a regular file the walk hands to the detectors.
type job struct {
	rel string // relative to the root, with slashes
	abs string
}

// walkStats counts what the walk passed over.
type walkStats struct {
	symlinks    int // symbolic links, never followed
	special     int // devices, pipes, sockets
	allowlisted int // files gitleaks' global allowlist excludes by path
}

// walker lists the files of a tree that a scan reads.
type walker struct {
	root  string
	cfg   Config
	eng   *engine
	stats walkStats
	errs  []finding.Error
}

// pending is a directory still to be listed, with the .gitignore files
// that apply to it (root first).
type pending struct {
	rel, abs string
	ignores  []*ignoreFile
}

// walk sends the files to scan on jobs, depth first in name order. It
// skips .git, node_modules (unless the configuration includes them), what
// the .gitignore files of the tree ignore, and what gitleaks' global
// allowlist excludes by path. It never follows a symbolic link: git commits
// a link as the path it points to, never the content there (which is
// scanned where it is, if it is in the tree), so following links could only
// leave the tree or loop. It returns an error only when the root cannot be
// listed; the directories below that cannot be listed become errors of the
// scan.
func (w *walker) walk(ctx context.Context, jobs chan<- job) error {
	rootIgnores := w.readIgnores(nil, "", w.root, filepath.Join(w.root, ".git", "info", "exclude"), true)
	stack := []pending{{rel: "", abs: w.root, ignores: rootIgnores}}
	first := true
	for len(stack) > 0 {
		if ctx.Err() != nil {
			return nil
		}
		dir := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		entries, err := os.ReadDir(dir.abs)
		if err != nil {
			if first {
				return err
			}
			w.errs = append(w.errs, finding.Error{Scope: dir.rel, Message: "list directory: " + unwrapPath(err)})
			continue
		}
		if !first {
			dir.ignores = w.readIgnores(dir.ignores, dir.rel, dir.abs, filepath.Join(dir.abs, ".gitignore"), false)
		}
		first = false
		var subdirs []pending
		for _, e := range entries {
			name := e.Name()
			rel := path.Join(dir.rel, name)
			abs := filepath.Join(dir.abs, name)
			mode := e.Type()
			switch {
			case name == ".git":
				continue
			case mode&fs.ModeSymlink != 0:
				w.stats.symlinks++
			case mode.IsDir():
				if name == "node_modules" && !w.cfg.IncludeNodeModules {
					continue
				}
				if ignored(dir.ignores, rel, true) {
					continue
				}
				subdirs = append(subdirs, pending{rel: rel, abs: abs, ignores: dir.ignores})
			case !mode.IsRegular():
				w.stats.special++
			case ignored(dir.ignores, rel, false):
			case w.eng.skipPath(rel):
				w.stats.allowlisted++
			default:
				select {
				case jobs <- job{rel: rel, abs: abs}:
				case <-ctx.Done():
					return nil
				}
			}
		}
		slices.Reverse(subdirs)
		stack = append(stack, subdirs...)
	}
	return nil
}

// readIgnores returns the stack of .gitignore files with the files of one
// directory added: its .gitignore, and for the root also
// .git/info/exclude. A missing file adds nothing; one that cannot be read
// is an error of the scan.
func (w *walker) readIgnores(stack []*ignoreFile, rel, abs, extra string, root bool) []*ignoreFile {
	names := []string{extra}
	if root {
		names = append(names, filepath.Join(abs, ".gitignore"))
	}
	out := stack
	for _, name := range names {
		content, err := readSmall(name)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				scope, _ := filepath.Rel(w.root, name)
				w.errs = append(w.errs, finding.Error{Scope: filepath.ToSlash(scope), Message: "read ignore file: " + unwrapPath(err)})
			}
			continue
		}
		out = append(slices.Clip(out), parseIgnore(rel, content))
	}
	return out
}

// maxIgnoreFile bounds the size of a .gitignore file the walk reads.
const maxIgnoreFile = 1 << 20

// readSmall reads a regular file of at most maxIgnoreFile bytes (the rest
// is left out). A symbolic link or a directory counts as missing.
func readSmall(name string) ([]byte, error) {
	info, err := os.Lstat(name)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fs.ErrNotExist
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, min(info.Size(), maxIgnoreFile))
	n, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return buf[:n], nil
}

// unwrapPath is the message of an error without the absolute path that
// os.PathError puts in it (the scope of the error names the file).
func unwrapPath(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}
