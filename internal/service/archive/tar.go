package archive

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
)

// tar extracts a plain tar archive.
func (x *extractor) tar(r io.Reader) error {
	return x.tarStream(&capReader{r: r, left: x.lim.streamCap()})
}

// tarStream extracts the entries of a tar stream.
func (x *extractor) tarStream(r io.Reader) error {
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return x.readErr(fmt.Sprintf("tar header after %d entries", x.entries), err)
		}
		if err := x.count(); err != nil {
			return err
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue // PAX defaults for the entries that follow; nothing to extract
		}
		path, isDir, err := x.cleanName(hdr.Name)
		if err != nil {
			return err
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			err = x.dir(path)
		case tar.TypeReg, tar.TypeGNUSparse:
			if isDir {
				return fmt.Errorf("%w: regular file %q is named like a directory", ErrUnsafePath, hdr.Name)
			}
			err = x.file(path, hdr.Size, tr)
		case tar.TypeSymlink:
			err = x.link(path, "symbolic link", hdr.Linkname)
		case tar.TypeLink:
			err = x.link(path, "hard link", hdr.Linkname)
		case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
			err = fmt.Errorf("%w: %q (tar type %q)", ErrSpecialFile, path, hdr.Typeflag)
		default:
			err = fmt.Errorf("%w: %q has tar type %q", ErrUnsupported, path, hdr.Typeflag)
		}
		if err != nil {
			return err
		}
	}
}
