// Package archive extracts an uploaded Forge app source archive (tar,
// tar.gz or zip, told apart by content, never by name) into a fresh
// directory, treating the archive as hostile.
//
// What it guarantees:
//
//   - Nothing is written outside the destination: every file and directory
//     is made through an os.Root opened on it, and entry names are checked
//     first (no absolute paths, no ".." components, backslashes read as
//     separators, no Windows drive letters, no NUL or control characters,
//     valid UTF-8 only).
//   - Links are never created, so none can be followed. Symbolic and hard
//     links are skipped and listed in Result.Skipped (a source tree may
//     legitimately hold them, e.g. node_modules/.bin); an entry beneath a
//     skipped link is rejected, as that is how link attacks are built.
//   - Device files, FIFOs and sockets are rejected (ErrSpecialFile);
//     encrypted zip entries, unknown compression methods and unknown tar
//     entry types too (ErrUnsupported).
//   - Nothing is overwritten: a second entry for a path is ErrDuplicate, a
//     file beneath a file or a directory over a file is ErrConflict, and
//     files are created with O_EXCL (which also catches names that collide
//     on a case-insensitive file system).
//   - Sizes are counted as bytes are written, whatever the headers claim:
//     a decompression bomb stops at the limit with ErrTooLarge, without the
//     excess reaching the disk. The decompressed tar stream as a whole
//     (headers and padding included) is bounded too.
//   - Files are created 0600 and directories 0700; owners, times and mode
//     bits from the archive are ignored.
//   - On any error the destination is removed.
package archive

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"unicode/utf8"
)

// Errors that Extract wraps, so that callers can tell the failures apart.
var (
	// ErrTooLarge: the archive, one file, or all files together exceed a
	// size limit.
	ErrTooLarge = errors.New("too large")
	// ErrTooManyEntries: the archive holds more entries than allowed.
	ErrTooManyEntries = errors.New("too many entries")
	// ErrPathTooLong: an entry's path, or one of its components, is too long.
	ErrPathTooLong = errors.New("path too long")
	// ErrPathTooDeep: an entry's path has too many components.
	ErrPathTooDeep = errors.New("path too deep")
	// ErrUnsafePath: an entry's name is absolute, escapes with "..", names a
	// drive, or holds NUL, control characters or invalid UTF-8.
	ErrUnsafePath = errors.New("unsafe path")
	// ErrDuplicate: two entries name the same path.
	ErrDuplicate = errors.New("duplicate entry")
	// ErrConflict: an entry lies beneath a file or a link, or a directory
	// would replace a file.
	ErrConflict = errors.New("conflicting entry")
	// ErrSpecialFile: a device file, FIFO or socket.
	ErrSpecialFile = errors.New("special file")
	// ErrUnsupported: an entry type, compression method or encryption this
	// package does not extract.
	ErrUnsupported = errors.New("unsupported entry")
	// ErrUnknownFormat: the content is not a tar, tar.gz or zip archive.
	ErrUnknownFormat = errors.New("unknown archive format")
	// ErrCorrupt: the archive is malformed or truncated, or a checksum fails.
	ErrCorrupt = errors.New("corrupt archive")
)

// Limits bound an extraction. Zero fields take the defaults of
// DefaultLimits.
type Limits struct {
	MaxArchive  int64 // bytes of the archive itself; default 32 MiB
	MaxTotal    int64 // bytes written for all files together; default 256 MiB
	MaxFileSize int64 // bytes written for one file; default 32 MiB
	MaxEntries  int   // entries read, of any type; default 20,000
	MaxDepth    int   // components of an entry's path; default 32
	MaxPathLen  int   // bytes of an entry's name as stored; default 1024 (a component: 255)
}

// maxComponent is the longest path component file systems accept.
const maxComponent = 255

// DefaultLimits returns the limits used for zero fields.
func DefaultLimits() Limits {
	return Limits{
		MaxArchive:  32 << 20,
		MaxTotal:    256 << 20,
		MaxFileSize: 32 << 20,
		MaxEntries:  20000,
		MaxDepth:    32,
		MaxPathLen:  1024,
	}
}

// withDefaults fills the zero (or negative) fields of l.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxArchive <= 0 {
		l.MaxArchive = d.MaxArchive
	}
	if l.MaxTotal <= 0 {
		l.MaxTotal = d.MaxTotal
	}
	if l.MaxFileSize <= 0 {
		l.MaxFileSize = d.MaxFileSize
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = d.MaxEntries
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = d.MaxDepth
	}
	if l.MaxPathLen <= 0 {
		l.MaxPathLen = d.MaxPathLen
	}
	return l
}

// streamCap bounds the decompressed tar stream read in all: the files'
// bytes plus 4 KiB of headers and padding per entry plus 1 MiB for long
// PAX records.
func (l Limits) streamCap() int64 {
	return l.MaxTotal + int64(l.MaxEntries)*4096 + 1<<20
}

// Format is an archive format Extract reads.
type Format string

// The formats Extract reads.
const (
	FormatTar   Format = "tar"
	FormatTarGz Format = "tar.gz"
	FormatZip   Format = "zip"
)

// Result describes a finished extraction.
type Result struct {
	Format  Format
	Files   int       // regular files written
	Dirs    int       // directories made, explicit or implied
	Bytes   int64     // bytes written for all files
	Skipped []Skipped // entries not extracted (links), in archive order
}

// Skipped is an entry that was not extracted, and why.
type Skipped struct {
	Name   string // the entry's cleaned path
	Reason string // e.g. `symbolic link to "../x"`
}

// DetectLen is how many leading bytes Detect needs to recognise a plain tar.
const DetectLen = 263

// Detect names the format of an archive from its first bytes (DetectLen of
// them for a plain tar): gzip (taken to hold a tar, checked when
// extracting), zip (a local file header, or the end record of an empty zip)
// or ustar/PAX/GNU tar. Old V7 tars without the "ustar" magic, zips with a
// prefix (self-extracting) and other compressions are ErrUnknownFormat.
func Detect(head []byte) (Format, error) {
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return FormatTarGz, nil
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return FormatZip, nil
	case isTar(head):
		return FormatTar, nil
	}
	return "", fmt.Errorf("%w: not a tar, tar.gz or zip archive", ErrUnknownFormat)
}

// isTar reports whether head starts with a ustar-family tar header.
func isTar(head []byte) bool {
	return len(head) >= DetectLen && string(head[257:262]) == "ustar"
}

// ExtractFile extracts the archive at archivePath into dest; see Extract.
func ExtractFile(ctx context.Context, archivePath, dest string, lim Limits) (Result, error) {
	f, err := os.Open(archivePath)
	if err != nil {
		return Result{}, fmt.Errorf("open archive: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Result{}, fmt.Errorf("stat archive %s: %w", archivePath, err)
	}
	if !fi.Mode().IsRegular() {
		return Result{}, fmt.Errorf("archive %s is not a regular file", archivePath)
	}
	return Extract(ctx, f, fi.Size(), dest, lim)
}

// Extract extracts the archive of size bytes read from src into dest, which
// must not exist yet: it is created (0700) and, on any error, removed again
// with whatever was extracted. The format is detected from the content.
// Links are skipped and listed in the Result; everything else that is not a
// regular file or a directory fails the extraction (see the package
// comment). Errors wrap the package's sentinel errors.
func Extract(ctx context.Context, src io.ReaderAt, size int64, dest string, lim Limits) (res Result, err error) {
	lim = lim.withDefaults()
	if size < 0 {
		return Result{}, fmt.Errorf("extract: %w: negative size %d", ErrCorrupt, size)
	}
	if size > lim.MaxArchive {
		return Result{}, fmt.Errorf("extract: %w: archive is %d bytes, limit %d", ErrTooLarge, size, lim.MaxArchive)
	}
	head := make([]byte, min(size, DetectLen))
	if _, err := src.ReadAt(head, 0); err != nil && !errors.Is(err, io.EOF) {
		return Result{}, fmt.Errorf("extract: read archive head: %w", err)
	}
	format, err := Detect(head)
	if err != nil {
		return Result{}, fmt.Errorf("extract: %w", err)
	}
	if err := os.Mkdir(dest, 0o700); err != nil {
		return Result{}, fmt.Errorf("extract: make destination: %w", err)
	}
	root, err := os.OpenRoot(dest)
	if err != nil {
		_ = os.Remove(dest)
		return Result{}, fmt.Errorf("extract: open destination: %w", err)
	}
	defer func() {
		if cerr := root.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("extract: close destination: %w", cerr)
		}
		if err != nil {
			if rerr := os.RemoveAll(dest); rerr != nil {
				err = fmt.Errorf("%w (and removing %s: %v)", err, dest, rerr)
			}
			res = Result{}
		}
	}()
	x := &extractor{
		ctx:  ctx,
		root: root,
		lim:  lim,
		seen: map[string]kind{},
		buf:  make([]byte, 32<<10),
		res:  Result{Format: format},
	}
	section := io.NewSectionReader(src, 0, size)
	switch format {
	case FormatTar:
		err = x.tar(section)
	case FormatTarGz:
		err = x.tarGz(section)
	case FormatZip:
		err = x.zip(src, size)
	}
	if err != nil {
		return Result{}, fmt.Errorf("extract %s: %w", format, err)
	}
	return x.res, nil
}

// tarGz checks that the gzip stream holds a tar and extracts it.
func (x *extractor) tarGz(r io.Reader) error {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return fmt.Errorf("%w: gzip header: %w", ErrCorrupt, err)
	}
	defer zr.Close()
	br := bufio.NewReaderSize(&capReader{r: zr, left: x.lim.streamCap()}, 4096)
	head, err := br.Peek(DetectLen)
	if err != nil && !errors.Is(err, io.EOF) {
		return x.readErr("gzip stream", err)
	}
	if !isTar(head) {
		return fmt.Errorf("%w: the gzip stream does not hold a tar archive", ErrUnknownFormat)
	}
	return x.tarStream(br)
}

// kind is what the extraction made (or skipped) at a path.
type kind uint8

const (
	kindDir kind = iota + 1
	kindFile
	kindLink // a skipped link: nothing may go beneath it
)

// extractor carries one extraction's state.
type extractor struct {
	ctx     context.Context
	root    *os.Root
	lim     Limits
	seen    map[string]kind
	entries int
	written int64
	buf     []byte
	res     Result
}

// count counts one more entry against the limit and checks for
// cancellation.
func (x *extractor) count() error {
	if err := x.ctx.Err(); err != nil {
		return err
	}
	x.entries++
	if x.entries > x.lim.MaxEntries {
		return fmt.Errorf("%w: more than %d", ErrTooManyEntries, x.lim.MaxEntries)
	}
	return nil
}

// readErr wraps an error from reading the archive: size limits and
// cancellation pass through, the rest is corruption.
func (x *extractor) readErr(what string, err error) error {
	if errors.Is(err, ErrTooLarge) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", what, err)
	}
	return fmt.Errorf("%w: %s: %w", ErrCorrupt, what, err)
}

// cleanName checks an entry's stored name and returns its path relative to
// the destination, with '/' separators ("" for the destination itself), and
// whether the name marks a directory (a trailing separator).
func (x *extractor) cleanName(raw string) (string, bool, error) {
	if len(raw) > x.lim.MaxPathLen {
		return "", false, fmt.Errorf("%w: the name starting %.64q is %d bytes, limit %d", ErrPathTooLong, raw, len(raw), x.lim.MaxPathLen)
	}
	if raw == "" {
		return "", false, fmt.Errorf("%w: empty name", ErrUnsafePath)
	}
	if !utf8.ValidString(raw) {
		return "", false, fmt.Errorf("%w: %q is not valid UTF-8", ErrUnsafePath, raw)
	}
	for _, r := range raw {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return "", false, fmt.Errorf("%w: %q holds a control character", ErrUnsafePath, raw)
		}
	}
	name := strings.ReplaceAll(raw, `\`, "/")
	if strings.HasPrefix(name, "/") {
		return "", false, fmt.Errorf("%w: %q is absolute", ErrUnsafePath, raw)
	}
	if len(name) >= 2 && name[1] == ':' && ('a' <= name[0] && name[0] <= 'z' || 'A' <= name[0] && name[0] <= 'Z') {
		return "", false, fmt.Errorf("%w: %q names a drive", ErrUnsafePath, raw)
	}
	isDir := strings.HasSuffix(name, "/")
	var parts []string
	for p := range strings.SplitSeq(name, "/") {
		switch {
		case p == "" || p == ".":
			continue
		case p == "..":
			return "", false, fmt.Errorf("%w: %q refers to a parent directory", ErrUnsafePath, raw)
		case len(p) > maxComponent:
			return "", false, fmt.Errorf("%w: a component of the name starting %.64q is %d bytes, limit %d", ErrPathTooLong, raw, len(p), maxComponent)
		}
		parts = append(parts, p)
	}
	if len(parts) > x.lim.MaxDepth {
		return "", false, fmt.Errorf("%w: %q has %d components, limit %d", ErrPathTooDeep, raw, len(parts), x.lim.MaxDepth)
	}
	return strings.Join(parts, "/"), isDir, nil
}

// checkParents fails if a parent of path is a file or a skipped link.
func (x *extractor) checkParents(path string) error {
	for i := 0; i < len(path); i++ {
		if path[i] != '/' {
			continue
		}
		switch x.seen[path[:i]] {
		case kindFile:
			return fmt.Errorf("%w: %q is beneath the file %q", ErrConflict, path, path[:i])
		case kindLink:
			return fmt.Errorf("%w: %q is beneath the link %q", ErrConflict, path, path[:i])
		}
	}
	return nil
}

// mkdirs makes path and its parents as directories, where not made yet.
func (x *extractor) mkdirs(path string) error {
	if path == "" {
		return nil
	}
	for i := 0; i <= len(path); i++ {
		if i < len(path) && path[i] != '/' {
			continue
		}
		dir := path[:i]
		switch x.seen[dir] {
		case kindDir:
			continue
		case kindFile:
			return fmt.Errorf("%w: directory %q would replace a file", ErrConflict, dir)
		case kindLink:
			return fmt.Errorf("%w: directory %q would replace a link", ErrConflict, dir)
		}
		if err := x.root.Mkdir(dir, 0o700); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("%w: directory %q collides with an earlier entry", ErrDuplicate, dir)
			}
			return fmt.Errorf("make directory %q: %w", dir, err)
		}
		x.seen[dir] = kindDir
		x.res.Dirs++
	}
	return nil
}

// dir extracts a directory entry.
func (x *extractor) dir(path string) error {
	if path == "" {
		return nil // "./": the destination itself
	}
	if err := x.checkParents(path); err != nil {
		return err
	}
	return x.mkdirs(path)
}

// link records a skipped link entry.
func (x *extractor) link(path, what, target string) error {
	if path == "" {
		return fmt.Errorf("%w: a %s named as the destination itself", ErrUnsafePath, what)
	}
	if err := x.checkParents(path); err != nil {
		return err
	}
	if _, ok := x.seen[path]; ok {
		return fmt.Errorf("%w: %q", ErrDuplicate, path)
	}
	x.seen[path] = kindLink
	if len(target) > 256 {
		target = target[:256] + "..."
	}
	x.res.Skipped = append(x.res.Skipped, Skipped{Name: path, Reason: fmt.Sprintf("%s to %q", what, target)})
	return nil
}

// file extracts a regular file entry whose content r yields. declared is the
// size the header claims, -1 if unknown; it only lets a claim over the
// limits fail early, the bytes written are what is counted.
func (x *extractor) file(path string, declared int64, r io.Reader) error {
	if path == "" {
		return fmt.Errorf("%w: a file named as the destination itself", ErrUnsafePath)
	}
	if declared > x.lim.MaxFileSize {
		return fmt.Errorf("%w: %q declares %d bytes, limit %d per file", ErrTooLarge, path, declared, x.lim.MaxFileSize)
	}
	if err := x.checkParents(path); err != nil {
		return err
	}
	if _, ok := x.seen[path]; ok {
		return fmt.Errorf("%w: %q", ErrDuplicate, path)
	}
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		if err := x.mkdirs(path[:i]); err != nil {
			return err
		}
	}
	f, err := x.root.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%w: %q collides with an earlier entry", ErrDuplicate, path)
		}
		return fmt.Errorf("create %q: %w", path, err)
	}
	x.seen[path] = kindFile
	x.res.Files++
	n, err := x.copy(f, r, path)
	x.written += n
	x.res.Bytes = x.written
	if cerr := f.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("write %q: %w", path, cerr)
	}
	return err
}

// copy writes r to w while the file and total limits allow, and returns
// how many bytes it wrote. The bytes past a limit are never written.
func (x *extractor) copy(w io.Writer, r io.Reader, path string) (int64, error) {
	var n int64
	for {
		if err := x.ctx.Err(); err != nil {
			return n, err
		}
		m, rerr := r.Read(x.buf)
		if m > 0 {
			if n+int64(m) > x.lim.MaxFileSize {
				return n, fmt.Errorf("%w: %q is larger than %d bytes, the limit per file", ErrTooLarge, path, x.lim.MaxFileSize)
			}
			if x.written+n+int64(m) > x.lim.MaxTotal {
				return n, fmt.Errorf("%w: the files expand to more than %d bytes, the limit in all", ErrTooLarge, x.lim.MaxTotal)
			}
			if _, err := w.Write(x.buf[:m]); err != nil {
				return n, fmt.Errorf("write %q: %w", path, err)
			}
			n += int64(m)
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, x.readErr(fmt.Sprintf("read %q", path), rerr)
		}
	}
}

// capReader fails with ErrTooLarge once more than left bytes are read
// through it.
type capReader struct {
	r    io.Reader
	left int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		// A read of nothing may still be the end of the stream.
		var one [1]byte
		n, err := c.r.Read(one[:])
		if n == 0 {
			return 0, err
		}
		return 0, fmt.Errorf("%w: the archive stream expands past its limit", ErrTooLarge)
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}
