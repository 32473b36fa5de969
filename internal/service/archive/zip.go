package archive

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
)

// zip extracts a zip archive. archive/zip reads the whole central directory
// before the first entry, so a crafted archive costs memory in proportion
// to its size (which MaxArchive bounds) before MaxEntries can be checked.
func (x *extractor) zip(src io.ReaderAt, size int64) error {
	zr, err := zip.NewReader(src, size)
	// ErrInsecurePath comes with a usable reader; cleanName rejects the
	// names it objects to, and more.
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return fmt.Errorf("%w: zip directory: %w", ErrCorrupt, err)
	}
	if len(zr.File) > x.lim.MaxEntries {
		return fmt.Errorf("%w: %d, limit %d", ErrTooManyEntries, len(zr.File), x.lim.MaxEntries)
	}
	for _, f := range zr.File {
		if err := x.count(); err != nil {
			return err
		}
		if err := x.zipEntry(f); err != nil {
			return err
		}
	}
	return nil
}

// zipEntry extracts one zip entry.
func (x *extractor) zipEntry(f *zip.File) error {
	path, isDir, err := x.cleanName(f.Name)
	if err != nil {
		return err
	}
	mode := f.Mode()
	switch {
	case mode&fs.ModeSymlink != 0:
		target, err := x.zipLinkTarget(f)
		if err != nil {
			return err
		}
		return x.link(path, "symbolic link", target)
	case mode&(fs.ModeDevice|fs.ModeCharDevice|fs.ModeNamedPipe|fs.ModeSocket) != 0:
		return fmt.Errorf("%w: %q (mode %s)", ErrSpecialFile, path, mode)
	case mode&fs.ModeType&^fs.ModeDir != 0:
		return fmt.Errorf("%w: %q has mode %s", ErrUnsupported, path, mode)
	case isDir || mode.IsDir():
		return x.dir(path)
	}
	if f.Flags&0x1 != 0 {
		return fmt.Errorf("%w: %q is encrypted", ErrUnsupported, path)
	}
	if f.Method != zip.Store && f.Method != zip.Deflate {
		return fmt.Errorf("%w: %q uses compression method %d", ErrUnsupported, path, f.Method)
	}
	declared := int64(min(f.UncompressedSize64, 1<<62))
	rc, err := f.Open()
	if err != nil {
		return x.readErr(fmt.Sprintf("open %q", path), err)
	}
	defer rc.Close()
	return x.file(path, declared, rc)
}

// maxLinkTarget bounds the link target read from a zip entry (it is only
// reported).
const maxLinkTarget = 4096

// zipLinkTarget reads a zip symlink's target (its content), to report it.
func (x *extractor) zipLinkTarget(f *zip.File) (string, error) {
	if f.Flags&0x1 != 0 || (f.Method != zip.Store && f.Method != zip.Deflate) {
		return "(unreadable)", nil
	}
	rc, err := f.Open()
	if err != nil {
		return "", x.readErr(fmt.Sprintf("open link %q", f.Name), err)
	}
	defer rc.Close()
	var b strings.Builder
	if _, err := io.Copy(&b, io.LimitReader(rc, maxLinkTarget)); err != nil {
		return "", x.readErr(fmt.Sprintf("read link %q", f.Name), err)
	}
	return b.String(), nil
}
