// Package parse reads JavaScript and TypeScript source trees into the
// Forge analysis's syntax tree (package ast). Tree-sitter parses each file
// (the typescript grammar for .ts .mts .cts, tsx for .tsx, javascript, which
// reads JSX, for .js .jsx .mjs .cjs); the concrete tree is copied out in
// one cursor walk, freed, and lowered into ast's small set of nodes.
//
// Syntax errors do not stop a file: what parses is lowered, and the places
// tree-sitter could not read are listed in File.Errors. Only input that is
// not source at all is refused: binary files, files over the size limit,
// and parses that run out of their time budget.
package parse

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/ecoscan/ecoscan/internal/forge/ast"
)

// Defaults of Options.
const (
	DefaultMaxFileSize  = 8 << 20
	DefaultParseTimeout = 20 * time.Second
)

// maxFileSizeCap bounds Options.MaxFileSize.
const maxFileSizeCap = 1 << 30

// Errors of File (and the reasons in Result.Errors), for errors.Is.
var (
	ErrBinary   = errors.New("not text: the file holds NUL bytes or is mostly invalid UTF-8")
	ErrTooLarge = errors.New("file larger than the size limit")
	ErrTimeout  = errors.New("parse exceeded its time budget")
	ErrNotCode  = errors.New("not a JavaScript or TypeScript file name")
)

// Options tune Dir.
type Options struct {
	Workers      int           // files parsed at once; default GOMAXPROCS
	MaxFileSize  int64         // larger files are skipped and reported; default 8 MiB, at most 1 GiB
	ParseTimeout time.Duration // time budget of one file's parse; default 20 s
}

func (o Options) withDefaults() Options {
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.MaxFileSize <= 0 {
		o.MaxFileSize = DefaultMaxFileSize
	}
	// tree-sitter counts bytes in 32 bits
	o.MaxFileSize = min(o.MaxFileSize, maxFileSizeCap)
	if o.ParseTimeout <= 0 {
		o.ParseTimeout = DefaultParseTimeout
	}
	return o
}

// Result is what Dir read.
type Result struct {
	Files  []*ast.File // sorted by path
	Errors []FileError // sorted by path, then position
}

// FileError is a file Dir skipped (Line 0), or the first syntax error of a
// file that had some (Msg says how many), or a nesting-depth overflow.
type FileError struct {
	Path         string // relative to the root, with forward slashes
	Line, Column int    // 1-based; 0 when the error is about the whole file
	Msg          string
}

func (e FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", e.Path, e.Line, e.Column, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Msg)
}

// File parses one file's source with the default options; path chooses
// the grammar by its extension and becomes File.Path as given. It fails
// only for input that is not source (ErrBinary, ErrTooLarge, ErrTimeout,
// ErrNotCode); syntax errors are listed in the File.
func File(path string, src []byte) (*ast.File, error) {
	p := newParser()
	defer p.Close()
	f, _, err := p.file(context.Background(), path, src, Options{}.withDefaults())
	return f, err
}

// file parses and lowers one file.
func (p *parser) file(ctx context.Context, path string, src []byte, opts Options) (*ast.File, lowerStats, error) {
	g := grammarFor(path)
	if g == nil {
		return nil, lowerStats{}, fmt.Errorf("parse %s: %w", path, ErrNotCode)
	}
	if int64(len(src)) > opts.MaxFileSize {
		return nil, lowerStats{}, fmt.Errorf("parse %s (%d bytes, limit %d): %w", path, len(src), opts.MaxFileSize, ErrTooLarge)
	}
	if looksBinary(src) {
		return nil, lowerStats{}, fmt.Errorf("parse %s: %w", path, ErrBinary)
	}
	c, err := p.parse(ctx, g, src, opts.ParseTimeout)
	if err != nil {
		if errors.Is(err, ErrTimeout) {
			return nil, lowerStats{}, fmt.Errorf("parse %s (budget %s): %w", path, opts.ParseTimeout, err)
		}
		return nil, lowerStats{}, fmt.Errorf("parse %s: %w", path, err)
	}
	f, st := lower(path, c)
	return f, st, nil
}
