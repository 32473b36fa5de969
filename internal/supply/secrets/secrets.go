// Package secrets finds secrets committed to a source tree: requirement 5
// (secrets are not stored in code or repositories).
//
// It runs gitleaks' detector with gitleaks' default rules and ecoscan's own
// rules for Atlassian and Forge, which are data (rules.toml, in gitleaks'
// format): Atlassian API and access tokens, Atlassian Connect shared
// secrets, secret values in committed .env files, and literal secrets in
// the environment and providers sections of a Forge manifest (a structural
// check, manifest.go). The walk honours .gitignore files, skips .git and
// node_modules, binary files and files over a size limit, and never follows
// symbolic links (walk.go). Files are scanned concurrently, and most rules
// run only on the lines around their keywords (window.go), which is what
// makes the scan fast.
//
// A finding never shows a secret: only its first characters and its length.
// Its fingerprint is made from the rule, the file and a keyed hash of the
// secret (redact.go).
package secrets

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/ecoscan/ecoscan/internal/finding"
)

// DefaultMaxFileSize is the size above which a file is not read when
// Config.MaxFileSize is 0.
const DefaultMaxFileSize = 10 << 20

// binarySniff is how much of a file is looked at for a NUL byte, which
// makes it binary.
const binarySniff = 8 << 10

// Config is what a scan may be told.
type Config struct {
	// IncludeNodeModules scans node_modules directories too (their files
	// were not written by the app's authors, and are rarely committed).
	IncludeNodeModules bool
	// MaxFileSize is the size in bytes above which a file is not read
	// (only the rules that match a file's name apply to it); 0 means
	// DefaultMaxFileSize. Such files are counted in the row's detail.
	MaxFileSize int64
}

// Result is what a scan found.
type Result struct {
	findings []finding.Finding
	errors   []finding.Error
	files    int   // files read and scanned
	bytes    int64 // their size
	binary   int   // files not read for having a NUL byte
	large    int   // files not read for their size
	maxSize  int64
	walk     walkStats
}

// Scan scans the tree at dir for committed secrets. It returns an error only
// when the rules cannot be loaded or dir itself cannot be read; files that
// cannot be read are errors of the result, and a scan cut short by ctx says
// so in its errors.
func Scan(ctx context.Context, dir string, cfg Config) (*Result, error) {
	eng, err := loadEngine()
	if err != nil {
		return nil, fmt.Errorf("scan secrets: %w", err)
	}
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("scan secrets in %s: %w", dir, err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("scan secrets in %s: not a directory", dir)
	}
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, fmt.Errorf("scan secrets in %s: %w", dir, err)
	}
	maxSize := cfg.MaxFileSize
	if maxSize <= 0 {
		maxSize = DefaultMaxFileSize
	}

	jobs := make(chan job, 256)
	parts := make([]Result, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i := range parts {
		wg.Go(func() {
			d := eng.newDetector()
			for j := range jobs {
				if ctx.Err() == nil {
					parts[i].scanFile(ctx, eng.book, d, j, maxSize)
				}
			}
		})
	}
	w := &walker{root: root, cfg: cfg, eng: eng}
	walkErr := w.walk(ctx, jobs)
	close(jobs)
	wg.Wait()
	if walkErr != nil {
		return nil, fmt.Errorf("scan secrets in %s: %w", dir, walkErr)
	}

	r := &Result{maxSize: maxSize, walk: w.stats, errors: w.errs}
	for _, p := range parts {
		r.findings = append(r.findings, p.findings...)
		r.errors = append(r.errors, p.errors...)
		r.files += p.files
		r.bytes += p.bytes
		r.binary += p.binary
		r.large += p.large
	}
	if err := ctx.Err(); err != nil {
		r.errors = append(r.errors, finding.Error{Scope: dir, Message: "scan interrupted: " + err.Error()})
	}
	slices.SortFunc(r.findings, func(a, b finding.Finding) int {
		return cmp.Or(strings.Compare(a.Location.File, b.Location.File), a.Location.Line-b.Location.Line,
			a.Location.Column-b.Location.Column, strings.Compare(a.Rule, b.Rule))
	})
	slices.SortFunc(r.errors, func(a, b finding.Error) int { return strings.Compare(a.Scope, b.Scope) })
	return r, nil
}

// scanFile reads one file and adds its findings to r.
func (r *Result) scanFile(ctx context.Context, book *rulebook, d *detector, j job, maxSize int64) {
	content, err := readFile(j.abs, maxSize)
	switch {
	case errors.Is(err, errTooLarge):
		r.large++
	case errors.Is(err, errBinary):
		r.binary++
	case err != nil:
		r.errors = append(r.errors, finding.Error{Scope: j.rel, Message: "read file: " + unwrapPath(err)})
		return
	default:
		r.files++
		r.bytes += int64(len(content))
	}
	if ctx.Err() != nil {
		return
	}
	r.findings = append(r.findings, book.findings(j.rel, book.settle(d.leaks(ctx, j.rel, content)))...)
}

var (
	errTooLarge = errors.New("larger than the size limit")
	errBinary   = errors.New("binary")
)

// readFile reads a file of at most maxSize bytes that has no NUL byte in
// its first 8 KiB; otherwise it returns errTooLarge or errBinary.
func readFile(name string, maxSize int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if info.Size() > maxSize {
		return nil, errTooLarge
	}
	content, err := io.ReadAll(io.LimitReader(f, maxSize+1))
	if err != nil {
		return nil, err
	}
	if int64(len(content)) > maxSize {
		return nil, errTooLarge
	}
	if slices.Contains(content[:min(len(content), binarySniff)], 0) {
		return nil, errBinary
	}
	return content, nil
}

// findings turns the settled leaks of one file into findings: one per
// rule and secret, at its first place, with the others as evidence.
func (b *rulebook) findings(path string, leaks []leak) []finding.Finding {
	type group struct {
		first leak
		lines []int
	}
	var groups []*group
	byKey := map[string]*group{}
	for _, l := range leaks {
		key := l.rule + "\x00" + l.secret
		if g := byKey[key]; g != nil {
			g.lines = append(g.lines, l.line)
			continue
		}
		g := &group{first: l, lines: []int{l.line}}
		byKey[key] = g
		groups = append(groups, g)
	}
	out := make([]finding.Finding, 0, len(groups))
	for _, g := range groups {
		out = append(out, b.finding(path, g.first, g.lines))
	}
	return out
}

// maxListedLines bounds the lines a finding lists for a secret that occurs
// more than once in a file.
const maxListedLines = 10

// finding is the finding of a leak; lines are the lines of every place the
// same rule found the same secret in the file.
func (b *rulebook) finding(path string, l leak, lines []int) finding.Finding {
	rule := b.rule(l.rule)
	origin := "gitleaks' rule " + l.rule
	if b.ours[l.rule] != nil {
		origin = "ecoscan's rule " + l.rule
	}
	var f finding.Finding
	if l.start < 0 {
		f = rule.New(finding.Location{File: path},
			fmt.Sprintf("%s is a kind of file that holds secrets (%s matches its name).", path, origin),
			"file: "+path, "found by: "+origin)
	} else {
		s := Shown(l.secret)
		loc := finding.Source(path, l.line, l.column)
		evidence := []string{"secret: " + s, "found by: " + origin}
		if len(lines) > 1 {
			evidence = append(evidence, "occurrences: "+strconv.Itoa(len(lines))+" (lines "+listLines(lines)+")")
		}
		f = rule.New(loc, fmt.Sprintf("Secret %s at %s, found by %s.", s, loc, origin), evidence...)
	}
	f.Fingerprint = finding.Fingerprint(rule.ID, path, secretDigest(l.secret))
	f.NeedsReview = b.precedence(l.rule) == precedenceGeneric
	return f
}

func listLines(lines []int) string {
	var parts []string
	for i, n := range lines {
		if i == maxListedLines {
			parts = append(parts, fmt.Sprintf("and %d more", len(lines)-i))
			break
		}
		parts = append(parts, strconv.Itoa(n))
	}
	return strings.Join(parts, ", ")
}

// Findings returns the secrets found, one per rule, file and secret, in
// file order.
func (r *Result) Findings() []finding.Finding { return slices.Clone(r.findings) }

// Errors returns what the scan could not do: directories it could not
// list and files it could not read (the scope is the path relative to the
// scanned directory), and an interruption.
func (r *Result) Errors() []finding.Error { return slices.Clone(r.errors) }

// Row is requirement 5's row of the checks table: fail when a secret was
// found, error when none was but some files could not be read, pass
// otherwise; the detail says how much was scanned and what was not.
func (r *Result) Row() finding.Check {
	row := finding.Check{Requirement: requirement, Status: finding.Pass}
	var parts []string
	switch {
	case len(r.findings) > 0:
		row.Status = finding.Fail
		files := map[string]bool{}
		for _, f := range r.findings {
			files[f.Location.File] = true
		}
		parts = append(parts, fmt.Sprintf("%s in %s", plural(len(r.findings), "committed secret"), plural(len(files), "file")))
	case len(r.errors) > 0:
		row.Status = finding.Errored
		parts = append(parts, plural(len(r.errors), "path")+" could not be scanned")
	}
	parts = append(parts, fmt.Sprintf("%s, %.1f MB scanned", plural(r.files, "file"), float64(r.bytes)/1e6))
	var skipped []string
	for _, s := range []struct {
		n    int
		what string
	}{
		{r.binary, "binary"},
		{r.large, "larger than " + size(r.maxSize)},
		{r.walk.allowlisted, "excluded by gitleaks' allowlist"},
		{r.walk.symlinks, "symbolic links"},
		{r.walk.special, "special files"},
	} {
		if s.n > 0 {
			skipped = append(skipped, fmt.Sprintf("%d %s", s.n, s.what))
		}
	}
	if len(skipped) > 0 {
		parts = append(parts, "not read: "+strings.Join(skipped, ", "))
	}
	row.Detail = strings.Join(parts, "; ")
	return row
}

// size is a number of bytes as people read it.
func size(n int64) string {
	switch {
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return plural(int(n), "byte")
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
