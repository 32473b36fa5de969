package parse

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"golang.org/x/sync/errgroup"

	"github.com/ecoscan/ecoscan/internal/forge/ast"
)

// Dir parses the JavaScript and TypeScript files under root (.js .jsx .mjs
// .cjs .ts .tsx .mts .cts; not TypeScript declaration files), skipping
// node_modules and hidden directories. Symbolic links are followed when
// their target stays inside root; a real directory is walked once. Files
// are parsed in parallel. Files that cannot be parsed, syntax errors and
// links not followed are reported in Result.Errors; Dir itself fails only
// when root cannot be read or ctx ends.
func Dir(ctx context.Context, root string, opts Options) (*Result, error) {
	opts = opts.withDefaults()
	w, err := walkTree(ctx, root)
	if err != nil {
		return nil, err
	}
	files := make([]*ast.File, len(w.files))
	errs := make([][]FileError, len(w.files))

	workers := min(opts.Workers, max(len(w.files), 1))
	pool := make(chan *parser, workers)
	for range workers {
		pool <- newParser()
	}
	defer func() {
		close(pool)
		for p := range pool {
			p.Close()
		}
	}()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for i, sf := range w.files {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			p := <-pool
			defer func() { pool <- p.trim() }()
			files[i], errs[i] = p.load(gctx, sf, opts)
			return nil
		})
	}
	_ = g.Wait() // the tasks report through files and errs
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("parse the source under %s: %w", root, err)
	}

	res := &Result{Errors: w.errs}
	for i := range files {
		if files[i] != nil {
			res.Files = append(res.Files, files[i])
		}
		res.Errors = append(res.Errors, errs[i]...)
	}
	slices.SortFunc(res.Files, func(a, b *ast.File) int { return strings.Compare(a.Path, b.Path) })
	slices.SortFunc(res.Errors, func(a, b FileError) int {
		return cmp.Or(strings.Compare(a.Path, b.Path), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column), strings.Compare(a.Msg, b.Msg))
	})
	return res, nil
}

// trim drops a node buffer grown by a very large file, so that an idle
// worker does not keep it.
func (p *parser) trim() *parser {
	if cap(p.nodes) > 1<<20 {
		p.nodes = nil
	}
	return p
}

// load reads, parses and lowers one file found by the walk.
func (p *parser) load(ctx context.Context, sf srcFile, opts Options) (*ast.File, []FileError) {
	skip := func(format string, args ...any) []FileError {
		return []FileError{{Path: sf.rel, Msg: "skipped: " + fmt.Sprintf(format, args...)}}
	}
	src, err := readLimited(sf.abs, opts.MaxFileSize)
	if errors.Is(err, ErrTooLarge) {
		return nil, skip("larger than the limit of %d bytes", opts.MaxFileSize)
	}
	if err != nil {
		return nil, skip("cannot read it: %v", err)
	}
	f, st, err := p.file(ctx, sf.rel, src, opts)
	switch {
	case errors.Is(err, ErrBinary):
		return nil, skip("not text (NUL bytes or mostly invalid UTF-8)")
	case errors.Is(err, ErrTooLarge):
		return nil, skip("larger than the limit of %d bytes", opts.MaxFileSize)
	case errors.Is(err, ErrTimeout):
		return nil, skip("parsing took longer than its budget of %s", opts.ParseTimeout)
	case err != nil:
		return nil, skip("%v", err)
	}
	var errs []FileError
	if st.syntaxErrors > 0 {
		places := "1 place"
		if st.syntaxErrors > 1 {
			places = fmt.Sprintf("%d places", st.syntaxErrors)
		}
		errs = append(errs, FileError{Path: sf.rel, Line: st.firstError.Line, Column: st.firstError.Col,
			Msg: fmt.Sprintf("syntax error: the parser could not read %s (the first is here); the rest of the file was analysed", places)})
	}
	if st.tooDeep {
		errs = append(errs, FileError{Path: sf.rel, Line: st.deepAt.Line, Column: st.deepAt.Col,
			Msg: fmt.Sprintf("code nested deeper than %d levels: the deeper part was not analysed", MaxDepth)})
	}
	return f, errs
}

// readLimited reads a file of at most limit bytes.
func readLimited(name string, limit int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() > limit {
		return nil, ErrTooLarge
	}
	src, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(src)) > limit {
		return nil, ErrTooLarge // it grew while being read
	}
	return src, nil
}

// srcFile is a source file found by the walk.
type srcFile struct {
	rel string // relative to the root, with forward slashes
	abs string // where to read it
}

// dirLink is a symbolic link to a directory inside the tree, followed
// after the real tree has been walked.
type dirLink struct {
	rel        string // the link's path, relative to the root
	target     string // the real directory it leads to
	parentReal string // the real directory the link is in
}

// walker finds the source files of a tree.
type walker struct {
	ctx      context.Context
	realRoot string
	visited  map[string]bool // real paths of the directories walked
	files    []srcFile
	errs     []FileError
	links    []dirLink
}

// walkTree walks root: first the real directories, then the directories
// that links inside the tree lead to and that were not walked yet.
func walkTree(ctx context.Context, root string) (*walker, error) {
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, fmt.Errorf("resolve source root %s: %w", root, err)
	}
	realRoot, err = filepath.Abs(realRoot)
	if err != nil {
		return nil, fmt.Errorf("resolve source root %s: %w", root, err)
	}
	fi, err := os.Stat(realRoot)
	if err != nil {
		return nil, fmt.Errorf("read source root %s: %w", root, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("read source root %s: not a directory", root)
	}
	w := &walker{ctx: ctx, realRoot: realRoot, visited: map[string]bool{}}
	if err := w.walk("", realRoot); err != nil {
		return nil, err
	}
	for len(w.links) > 0 {
		l := w.links[0]
		w.links = w.links[1:]
		if w.visited[l.target] {
			msg := "symbolic link to a directory already scanned through another path: not followed"
			if within(l.target, l.parentReal) {
				msg = "symbolic link loop (the link leads to a directory that contains it): not followed"
			}
			w.errs = append(w.errs, FileError{Path: l.rel, Msg: msg})
			continue
		}
		if err := w.walk(l.rel, l.target); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// walk walks the real directory dir (rel from the root) without recursion.
func (w *walker) walk(rel, dir string) error {
	type item struct{ rel, real string }
	stack := []item{{rel, dir}}
	for len(stack) > 0 {
		if err := w.ctx.Err(); err != nil {
			return fmt.Errorf("walk the source tree: %w", err)
		}
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if w.visited[it.real] {
			continue
		}
		w.visited[it.real] = true
		entries, err := os.ReadDir(it.real)
		if err != nil {
			w.errs = append(w.errs, FileError{Path: displayPath(it.rel), Msg: fmt.Sprintf("skipped: cannot read the directory: %v", err)})
			// ReadDir returns the entries it could read before the error
		}
		for _, e := range entries {
			name := e.Name()
			crel := path.Join(it.rel, name)
			creal := filepath.Join(it.real, name)
			switch t := e.Type(); {
			case t&fs.ModeSymlink != 0:
				w.link(crel, creal, it.real, name)
			case t.IsDir():
				if !skipDir(name) {
					stack = append(stack, item{crel, creal})
				}
			case t.IsRegular():
				if isSource(name) {
					w.files = append(w.files, srcFile{rel: crel, abs: creal})
				}
			}
		}
	}
	return nil
}

// link handles a symbolic link met in the walk.
func (w *walker) link(rel, linkPath, parentReal, name string) {
	target, err := filepath.EvalSymlinks(linkPath)
	if err != nil {
		_, serr := os.Stat(linkPath)
		switch {
		case errors.Is(serr, syscall.ELOOP):
			w.errs = append(w.errs, FileError{Path: rel, Msg: "symbolic link loop: not followed"})
		case errors.Is(serr, fs.ErrNotExist) || errors.Is(err, fs.ErrNotExist):
			if isSource(name) {
				w.errs = append(w.errs, FileError{Path: rel, Msg: "broken symbolic link: skipped"})
			}
		default:
			w.errs = append(w.errs, FileError{Path: rel, Msg: fmt.Sprintf("cannot resolve the symbolic link: %v", err)})
		}
		return
	}
	fi, err := os.Stat(target)
	if err != nil {
		w.errs = append(w.errs, FileError{Path: rel, Msg: fmt.Sprintf("cannot read the symbolic link's target: %v", err)})
		return
	}
	inside := within(w.realRoot, target)
	switch {
	case fi.IsDir():
		if skipDir(name) {
			return
		}
		if !inside {
			w.errs = append(w.errs, FileError{Path: rel, Msg: "symbolic link to a directory outside the scanned tree: not followed"})
			return
		}
		w.links = append(w.links, dirLink{rel: rel, target: target, parentReal: parentReal})
	case fi.Mode().IsRegular() && isSource(name):
		if !inside {
			w.errs = append(w.errs, FileError{Path: rel, Msg: "symbolic link to a file outside the scanned tree: skipped"})
			return
		}
		w.files = append(w.files, srcFile{rel: rel, abs: target})
	}
}

// within reports whether p is dir or below it (both cleaned, absolute).
func within(dir, p string) bool {
	if p == dir {
		return true
	}
	if !strings.HasSuffix(dir, string(filepath.Separator)) {
		dir += string(filepath.Separator)
	}
	return strings.HasPrefix(p, dir)
}

// skipDir reports whether a directory is left out: node_modules and hidden
// directories.
func skipDir(name string) bool {
	return name == "node_modules" || strings.HasPrefix(name, ".")
}

// isSource reports whether a file name is one Dir parses.
func isSource(name string) bool {
	return sourceExts[strings.ToLower(filepath.Ext(name))] && !isDeclarationFile(name)
}

func displayPath(rel string) string {
	if rel == "" {
		return "."
	}
	return rel
}
