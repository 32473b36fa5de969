package archive

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// tEntry is one entry of a test tar.
type tEntry struct {
	name string
	typ  byte // tar.TypeReg when zero
	body string
	link string
	pax  map[string]string
}

// tarball builds a tar archive.
func tarball(t testing.TB, entries ...tEntry) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		h := &tar.Header{Name: e.name, Typeflag: typ, Linkname: e.link, Mode: 0o644, PAXRecords: e.pax}
		if typ == tar.TypeReg {
			h.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatalf("tar header %q: %v", e.name, err)
		}
		if _, err := io.WriteString(tw, e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// gz compresses b.
func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&out, gzip.BestCompression)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// zEntry is one entry of a test zip.
type zEntry struct {
	name string
	body string
	mode fs.FileMode // 0: regular 0644
	// raw writes the entry with CreateRaw: stored, sizes in the local
	// header, no data descriptor; rawSize overrides the declared size.
	raw     bool
	rawSize uint64
	flags   uint16
	method  uint16
}

// zipball builds a zip archive.
func zipball(t testing.TB, entries ...zEntry) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		if e.method != 0 {
			h.Method = e.method
		}
		mode := e.mode
		if mode == 0 {
			mode = 0o644
		}
		h.SetMode(mode)
		if e.raw {
			h.Method = zip.Store
			if e.method != 0 {
				h.Method = e.method
			}
			h.Flags = e.flags
			h.CRC32 = crc32.ChecksumIEEE([]byte(e.body))
			h.CompressedSize64 = uint64(len(e.body))
			h.UncompressedSize64 = uint64(len(e.body))
			if e.rawSize != 0 {
				h.UncompressedSize64 = e.rawSize
			}
			w, err := zw.CreateRaw(h)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.WriteString(w, e.body); err != nil {
				t.Fatal(err)
			}
			continue
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// extract runs Extract into a fresh directory under a temporary parent and
// checks that nothing appeared beside it.
func extract(t *testing.T, data []byte, lim Limits) (string, Result, error) {
	t.Helper()
	parent := t.TempDir()
	dest := filepath.Join(parent, "out")
	res, err := Extract(context.Background(), bytes.NewReader(data), int64(len(data)), dest, lim)
	checkConfined(t, parent, dest, err)
	return dest, res, err
}

// checkConfined checks that parent holds nothing but dest, that dest holds
// no links and nothing but regular files and directories, and that dest
// is gone after a failure.
func checkConfined(t testing.TB, parent, dest string, extractErr error) {
	t.Helper()
	err := filepath.WalkDir(parent, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != parent && p != dest && !strings.HasPrefix(p, dest+string(filepath.Separator)) {
			t.Errorf("extraction wrote outside the destination: %s", p)
		}
		if !d.Type().IsRegular() && !d.IsDir() {
			t.Errorf("extraction made %s, of type %s", p, d.Type())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(dest); extractErr != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("destination left behind after the error %v", extractErr)
	}
}

// tree lists dest as "path" for files (with their content) and "path/" for
// directories.
func tree(t *testing.T, dest string) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := filepath.WalkDir(dest, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dest {
			return err
		}
		rel, _ := filepath.Rel(dest, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			got[rel+"/"] = ""
			return nil
		}
		b, err := os.ReadFile(p)
		got[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestExtractNormal(t *testing.T) {
	want := map[string]string{
		"manifest.yml":          "modules: {}\n",
		"src/":                  "",
		"src/index.ts":          "export const a = 1;\n",
		"src/lib/":              "",
		"src/lib/deep/":         "",
		"src/lib/deep/x.js":     "x",
		"empty/":                "",
		"src/lib/deep/empty.js": "",
	}
	tarData := tarball(t,
		tEntry{name: "./", typ: tar.TypeDir},
		tEntry{name: "./manifest.yml", body: "modules: {}\n"},
		tEntry{name: "src/", typ: tar.TypeDir},
		tEntry{name: "src/index.ts", body: "export const a = 1;\n"},
		tEntry{name: "src/lib/deep/x.js", body: "x"},
		tEntry{name: "src/lib/deep/empty.js"},
		tEntry{name: "empty", typ: tar.TypeDir},
		tEntry{name: "src/", typ: tar.TypeDir}, // a directory twice is harmless
	)
	zipData := zipball(t,
		zEntry{name: "manifest.yml", body: "modules: {}\n"},
		zEntry{name: "src/index.ts", body: "export const a = 1;\n"},
		zEntry{name: "src\\lib\\deep\\x.js", body: "x"}, // a Windows-made zip
		zEntry{name: "src/lib/deep/empty.js", raw: true},
		zEntry{name: "empty/"},
	)
	tests := []struct {
		name   string
		data   []byte
		format Format
	}{
		{"tar", tarData, FormatTar},
		{"tar.gz", gz(t, tarData), FormatTarGz},
		{"zip", zipData, FormatZip},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dest, res, err := extract(t, tt.data, Limits{})
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			if got := tree(t, dest); !mapsEqual(got, want) {
				t.Errorf("tree = %v\nwant %v", got, want)
			}
			if res.Format != tt.format || res.Files != 4 || res.Dirs != 4 || res.Bytes != 33 || len(res.Skipped) != 0 {
				t.Errorf("Result = %+v", res)
			}
			fi, err := os.Stat(filepath.Join(dest, "src/index.ts"))
			if err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("file mode %v (%v), want 0600", fi.Mode(), err)
			}
			if fi, err := os.Stat(dest); err != nil || fi.Mode().Perm() != 0o700 {
				t.Errorf("destination mode %v (%v), want 0700", fi.Mode(), err)
			}
		})
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestZipDataDescriptor(t *testing.T) {
	data := zipball(t, zEntry{name: "a/b.txt", body: strings.Repeat("data descriptor ", 100)})
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if zr.File[0].Flags&0x8 == 0 {
		t.Fatalf("the test zip has no data descriptor (flags %#x)", zr.File[0].Flags)
	}
	dest, res, err := extract(t, data, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if got := tree(t, dest)["a/b.txt"]; got != strings.Repeat("data descriptor ", 100) || res.Files != 1 {
		t.Errorf("extracted %d bytes, Result %+v", len(got), res)
	}
}

func TestUnsafeNames(t *testing.T) {
	names := []struct {
		name string
		want error
	}{
		{"../evil", ErrUnsafePath},
		{"a/../../evil", ErrUnsafePath},
		{"a/..", ErrUnsafePath},
		{"./../evil", ErrUnsafePath},
		{"a/./../../evil", ErrUnsafePath},
		{"..", ErrUnsafePath},
		{"/etc/evil", ErrUnsafePath},
		{"//server/share/evil", ErrUnsafePath},
		{`..\evil`, ErrUnsafePath},
		{`a\..\..\evil`, ErrUnsafePath},
		{`\evil`, ErrUnsafePath},
		{"C:/evil", ErrUnsafePath},
		{"C:evil", ErrUnsafePath},
		{`c:\evil`, ErrUnsafePath},
		{"a\nb", ErrUnsafePath},
		{"a\x1bb", ErrUnsafePath},
		{"a\u0085b", ErrUnsafePath},
		{"bad\xffutf8", ErrUnsafePath},
		{".", ErrUnsafePath},
		{strings.Repeat("a/", 33) + "f", ErrPathTooDeep},
		{strings.Repeat("a", 256), ErrPathTooLong},
		{strings.Repeat("abcdefg/", 128) + "f", ErrPathTooLong},
	}
	for _, n := range names {
		for _, format := range []string{"tar", "zip"} {
			t.Run(format+" "+n.name, func(t *testing.T) {
				var data []byte
				if format == "tar" {
					data = tarball(t, tEntry{name: "ok.txt", body: "ok"}, tEntry{name: n.name, body: "evil"})
				} else {
					data = zipball(t, zEntry{name: "ok.txt", body: "ok"}, zEntry{name: n.name, body: "evil"})
				}
				_, _, err := extract(t, data, Limits{})
				if !errors.Is(err, n.want) {
					t.Fatalf("Extract = %v, want %v", err, n.want)
				}
			})
		}
	}
	// NUL and empty names cannot be written with archive/tar; zip takes them.
	for _, name := range []string{"a\x00b", ""} {
		_, _, err := extract(t, zipball(t, zEntry{name: name, body: "x"}), Limits{})
		if !errors.Is(err, ErrUnsafePath) {
			t.Errorf("zip entry %q: %v, want ErrUnsafePath", name, err)
		}
	}
	// Allowed: ':' past the start, names that only look odd.
	dest, _, err := extract(t, zipball(t, zEntry{name: "ab:c/..c/c..", body: "x"}, zEntry{name: ".hidden", body: "y"}), Limits{})
	if err != nil {
		t.Fatalf("harmless names: %v", err)
	}
	if got := tree(t, dest); got["ab:c/..c/c.."] != "x" || got[".hidden"] != "y" {
		t.Errorf("tree = %v", got)
	}
}

func TestLinks(t *testing.T) {
	tests := []struct {
		name    string
		data    []byte
		want    error
		skipped []Skipped
	}{
		{
			"tar symlink skipped",
			tarball(t, tEntry{name: "etc", typ: tar.TypeSymlink, link: "/etc"}, tEntry{name: "a.txt", body: "a"}),
			nil, []Skipped{{"etc", `symbolic link to "/etc"`}},
		},
		{
			"tar hard link skipped",
			tarball(t, tEntry{name: "a.txt", body: "a"}, tEntry{name: "h", typ: tar.TypeLink, link: "../../etc/passwd"}),
			nil, []Skipped{{"h", `hard link to "../../etc/passwd"`}},
		},
		{
			"tar file through a symlink",
			tarball(t, tEntry{name: "etc", typ: tar.TypeSymlink, link: "/etc"}, tEntry{name: "etc/cron.d/evil", body: "x"}),
			ErrConflict, nil,
		},
		{
			"tar directory through a symlink",
			tarball(t, tEntry{name: "up", typ: tar.TypeSymlink, link: ".."}, tEntry{name: "up/x/", typ: tar.TypeDir}),
			ErrConflict, nil,
		},
		{
			"tar directory over a symlink",
			tarball(t, tEntry{name: "up", typ: tar.TypeSymlink, link: ".."}, tEntry{name: "up/", typ: tar.TypeDir}),
			ErrConflict, nil,
		},
		{
			"tar file over a symlink",
			tarball(t, tEntry{name: "l", typ: tar.TypeSymlink, link: "/etc/passwd"}, tEntry{name: "l", body: "x"}),
			ErrDuplicate, nil,
		},
		{
			"tar symlink with a traversing name",
			tarball(t, tEntry{name: "../l", typ: tar.TypeSymlink, link: "x"}),
			ErrUnsafePath, nil,
		},
		{
			"zip symlink skipped",
			zipball(t, zEntry{name: "l", body: "../../../etc/passwd", mode: fs.ModeSymlink | 0o777}, zEntry{name: "b", body: "b"}),
			nil, []Skipped{{"l", `symbolic link to "../../../etc/passwd"`}},
		},
		{
			"zip file through a symlink",
			zipball(t, zEntry{name: "l", body: "/tmp", mode: fs.ModeSymlink | 0o777}, zEntry{name: "l/x", body: "x"}),
			ErrConflict, nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dest, res, err := extract(t, tt.data, Limits{})
			if tt.want != nil {
				if !errors.Is(err, tt.want) {
					t.Fatalf("Extract = %v, want %v", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(res.Skipped, tt.skipped) {
				t.Errorf("Skipped = %q, want %q", res.Skipped, tt.skipped)
			}
			for _, s := range tt.skipped {
				if _, err := os.Lstat(filepath.Join(dest, s.Name)); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("skipped link %s exists on disk (%v)", s.Name, err)
				}
			}
		})
	}
}

func TestRejected(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"tar char device", tarball(t, tEntry{name: "tty", typ: tar.TypeChar}), ErrSpecialFile},
		{"tar block device", tarball(t, tEntry{name: "sda", typ: tar.TypeBlock}), ErrSpecialFile},
		{"tar fifo", tarball(t, tEntry{name: "p", typ: tar.TypeFifo}), ErrSpecialFile},
		{"tar unknown type", tarball(t, tEntry{name: "v", typ: 'V'}), ErrUnsupported},
		{"zip fifo", zipball(t, zEntry{name: "p", mode: fs.ModeNamedPipe | 0o644}), ErrSpecialFile},
		{"zip device", zipball(t, zEntry{name: "d", mode: fs.ModeDevice | 0o644}), ErrSpecialFile},
		{"zip socket", zipball(t, zEntry{name: "s", mode: fs.ModeSocket | 0o644}), ErrSpecialFile},
		{"zip encrypted", zipball(t, zEntry{name: "e", body: "x", raw: true, flags: 0x1}), ErrUnsupported},
		{"zip unknown method", zipball(t, zEntry{name: "m", body: "x", raw: true, method: 99}), ErrUnsupported},
		{"tar duplicate file", tarball(t, tEntry{name: "a", body: "1"}, tEntry{name: "./a", body: "2"}), ErrDuplicate},
		{"zip duplicate file", zipball(t, zEntry{name: "a", body: "1"}, zEntry{name: "a", body: "2"}), ErrDuplicate},
		{"file over a directory", tarball(t, tEntry{name: "d/", typ: tar.TypeDir}, tEntry{name: "d", body: "x"}), ErrDuplicate},
		{"file over an implied directory", tarball(t, tEntry{name: "d/f", body: "x"}, tEntry{name: "d", body: "x"}), ErrDuplicate},
		{"entry beneath a file", tarball(t, tEntry{name: "f", body: "x"}, tEntry{name: "f/g", body: "y"}), ErrConflict},
		{"directory over a file", tarball(t, tEntry{name: "f", body: "x"}, tEntry{name: "f/", typ: tar.TypeDir}), ErrConflict},
		{"zip directory over a file", zipball(t, zEntry{name: "f", body: "x"}, zEntry{name: "f/"}), ErrConflict},
		{"tar file named like a directory", rawTar(rawHeader("f/", tar.TypeReg, 1), pad([]byte("x"))), ErrUnsafePath},
		{"tar pax global header alone", rawTar(rawHeader("g", tar.TypeXGlobalHeader, 0)), nil},
		{"unknown format", []byte("just some text, not an archive at all"), ErrUnknownFormat},
		{"empty input", nil, ErrUnknownFormat},
		{"gzip of not a tar", gz(t, []byte(strings.Repeat("hello ", 100))), ErrUnknownFormat},
		{"gzip of nothing", gz(t, nil), ErrUnknownFormat},
		{"truncated tar.gz", half(gz(t, tarball(t, tEntry{name: "a", body: strings.Repeat("x", 5000)}))), ErrCorrupt},
		{"truncated tar", tarball(t, tEntry{name: "a", body: strings.Repeat("x", 5000)})[:2048], ErrCorrupt},
		{"gzip header only", []byte{0x1f, 0x8b}, ErrCorrupt},
		{"truncated zip", zipball(t, zEntry{name: "a", body: "x"})[:30], ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := extract(t, tt.data, Limits{})
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("Extract = %v, want %v", err, tt.want)
			}
		})
	}
}

// half is the first half of b.
func half(b []byte) []byte { return b[:len(b)/2] }

// rawHeader is a ustar header block written by hand, for entries that
// archive/tar refuses to write.
func rawHeader(name string, typ byte, size int64) []byte {
	h := make([]byte, 512)
	copy(h[0:100], name)
	copy(h[100:], "0000644\x00")
	copy(h[108:], "0000000\x00")
	copy(h[116:], "0000000\x00")
	copy(h[124:], fmt.Sprintf("%011o\x00", size))
	copy(h[136:], "00000000000\x00")
	h[156] = typ
	copy(h[257:], "ustar\x0000")
	copy(h[148:156], "        ")
	sum := 0
	for _, c := range h {
		sum += int(c)
	}
	copy(h[148:], fmt.Sprintf("%06o\x00 ", sum))
	return h
}

// pad pads b with zeros to a whole number of tar blocks.
func pad(b []byte) []byte {
	return append(b, make([]byte, (512-len(b)%512)%512)...)
}

// paxRecords encodes PAX records ("<len> key=value\n", the length counting
// itself), in the order given.
func paxRecords(kv ...string) []byte {
	var b []byte
	for i := 0; i+1 < len(kv); i += 2 {
		rec := " " + kv[i] + "=" + kv[i+1] + "\n"
		n := len(rec) + 1
		for len(strconv.Itoa(n))+len(rec) != n {
			n++
		}
		b = append(b, strconv.Itoa(n)+rec...)
	}
	return b
}

// rawTar joins blocks and ends the archive.
func rawTar(blocks ...[]byte) []byte {
	return append(bytes.Join(blocks, nil), make([]byte, 1024)...)
}

// sparseBomb is a PAX (GNU 1.0) sparse file that is all hole: a few blocks
// that read as a file of realSize zero bytes.
func sparseBomb(realSize int64) []byte {
	pax := paxRecords("GNU.sparse.major", "1", "GNU.sparse.minor", "0", "GNU.sparse.name", "big",
		"GNU.sparse.realsize", strconv.FormatInt(realSize, 10))
	return rawTar(
		rawHeader("PaxHeaders/big", tar.TypeXHeader, int64(len(pax))), pad(pax),
		rawHeader("GNUSparseFile.0/big", tar.TypeReg, 512), pad([]byte("0\n")),
	)
}

func TestZipBadChecksum(t *testing.T) {
	data := zipball(t, zEntry{name: "a", body: "hello world", raw: true})
	i := bytes.Index(data, []byte("hello world"))
	data[i] = 'H'
	_, _, err := extract(t, data, Limits{})
	if !errors.Is(err, ErrCorrupt) || !errors.Is(err, zip.ErrChecksum) {
		t.Fatalf("Extract = %v, want ErrCorrupt wrapping zip.ErrChecksum", err)
	}
}

// zeros is an endless stream of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// gzipBombTar is a tar.gz holding one file of n zero bytes, built streaming.
func gzipBombTar(t testing.TB, n int64) []byte {
	t.Helper()
	var out bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&out, gzip.BestCompression)
	tw := tar.NewWriter(zw)
	if err := tw.WriteHeader(&tar.Header{Name: "bomb", Typeflag: tar.TypeReg, Size: n, Mode: 0o644}); err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(tw, zeros{}, n); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// lyingZip is a zip whose single deflated entry claims to be small but
// expands to n zero bytes.
func lyingZip(t testing.TB, n int64) []byte {
	t.Helper()
	var deflated bytes.Buffer
	fw, _ := flate.NewWriter(&deflated, flate.BestCompression) // zip's Deflate is raw deflate
	if _, err := io.CopyN(fw, zeros{}, n); err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.CreateRaw(&zip.FileHeader{
		Name: "bomb", Method: zip.Deflate,
		CompressedSize64: uint64(deflated.Len()), UncompressedSize64: 10,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(deflated.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestBombs(t *testing.T) {
	small := Limits{MaxTotal: 1 << 20, MaxFileSize: 512 << 10}
	smallTotal := Limits{MaxTotal: 1 << 20, MaxFileSize: 1 << 41}
	tests := []struct {
		name string
		data []byte
		lim  Limits
		want error
	}{
		{"tar.gz one huge file", gzipBombTar(t, 16<<20), small, ErrTooLarge},
		{"tar.gz one huge file, counted", gzipBombTar(t, 16<<20), smallTotal, ErrTooLarge},
		{"tar sparse file of 1 TiB", sparseBomb(1 << 40), small, ErrTooLarge},
		{"tar sparse file of 1 TiB, counted", sparseBomb(1 << 40), smallTotal, ErrTooLarge},
		{"tar.gz sparse file of 1 TiB, counted", gz(t, sparseBomb(1<<40)), smallTotal, ErrTooLarge},
		{"tar.gz many files over the total", gz(t, tarball(t,
			tEntry{name: "a", body: strings.Repeat("a", 400<<10)},
			tEntry{name: "b", body: strings.Repeat("b", 400<<10)},
			tEntry{name: "c", body: strings.Repeat("c", 400<<10)})), small, ErrTooLarge},
		{"zip lying about its size", lyingZip(t, 8<<20), small, ErrCorrupt},
		{"zip one huge file", zipball(t, zEntry{name: "z", body: strings.Repeat("\x00", 2<<20)}), small, ErrTooLarge},
		{"zip overlapping entries over the total", overlappingZip(t, 300<<10, 5), small, ErrTooLarge},
		{"archive over its limit", zipball(t, zEntry{name: "a", body: "x"}), Limits{MaxArchive: 10}, ErrTooLarge},
		{"tar stream of big PAX records", tarball(t,
			tEntry{name: "a", body: "a", pax: map[string]string{"comment": strings.Repeat("c", 900<<10)}},
			tEntry{name: "b", body: "b", pax: map[string]string{"comment": strings.Repeat("c", 900<<10)}},
			tEntry{name: "c", body: "c", pax: map[string]string{"comment": strings.Repeat("c", 900<<10)}}),
			Limits{MaxTotal: 1 << 10, MaxEntries: 3}, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := extract(t, tt.data, tt.lim)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Extract = %v, want %v", err, tt.want)
			}
			t.Log(err)
		})
	}
}

// TestBombStopsAtLimit checks that the bytes written stop at the limit: the
// extraction is stopped from a file beside it while it runs.
func TestBombStopsAtLimit(t *testing.T) {
	data := gzipBombTar(t, 16<<20)
	if len(data) > 32<<10 {
		t.Fatalf("the bomb is %d bytes; want a small one", len(data))
	}
	lim := Limits{MaxTotal: 1 << 20, MaxFileSize: 1 << 30}.withDefaults()
	parent := t.TempDir()
	dest := filepath.Join(parent, "out")
	x := &extractor{ctx: context.Background(), lim: lim, seen: map[string]kind{}, buf: make([]byte, 32<<10)}
	if err := os.Mkdir(dest, 0o700); err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(dest)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	x.root = root
	err = x.tarGz(bytes.NewReader(data))
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("tarGz = %v, want ErrTooLarge", err)
	}
	fi, err := os.Stat(filepath.Join(dest, "bomb"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() > lim.MaxTotal || fi.Size() < lim.MaxTotal-int64(len(x.buf)) {
		t.Errorf("the bomb wrote %d bytes; want the limit %d, less at most one buffer", fi.Size(), lim.MaxTotal)
	}
}

// overlappingZip is a zip whose n central directory entries all point at
// one stored local file of size bytes (each with its own name).
func overlappingZip(t testing.TB, size, n int) []byte {
	t.Helper()
	body := strings.Repeat("o", size)
	one := zipball(t, zEntry{name: "f0", body: body, raw: true})
	zr, err := zip.NewReader(bytes.NewReader(one), int64(len(one)))
	if err != nil {
		t.Fatal(err)
	}
	f := zr.File[0]
	dataEnd := bytes.Index(one, []byte("PK\x01\x02"))
	var b bytes.Buffer
	b.Write(one[:dataEnd])
	cdStart := b.Len()
	for i := range n {
		name := []byte{'f', byte('0' + i)}
		hdr := make([]byte, 46)
		copy(hdr, "PK\x01\x02")
		le16(hdr[4:], 20)
		le16(hdr[6:], 20)
		le32(hdr[16:], f.CRC32)
		le32(hdr[20:], uint32(size))
		le32(hdr[24:], uint32(size))
		le16(hdr[28:], 2)
		b.Write(hdr)
		b.Write(name)
	}
	cdLen := b.Len() - cdStart
	end := make([]byte, 22)
	copy(end, "PK\x05\x06")
	le16(end[8:], uint16(n))
	le16(end[10:], uint16(n))
	le32(end[12:], uint32(cdLen))
	le32(end[16:], uint32(cdStart))
	b.Write(end)
	return b.Bytes()
}

func le16(b []byte, v uint16) { b[0], b[1] = byte(v), byte(v>>8) }
func le32(b []byte, v uint32) { b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24) }

func TestLimits(t *testing.T) {
	var files []tEntry
	var zfiles []zEntry
	for i := range 11 {
		name := "f" + strings.Repeat("x", i)
		files = append(files, tEntry{name: name, body: "x"})
		zfiles = append(zfiles, zEntry{name: name, body: "x"})
	}
	tests := []struct {
		name string
		data []byte
		lim  Limits
		want error
	}{
		{"tar too many entries", tarball(t, files...), Limits{MaxEntries: 10}, ErrTooManyEntries},
		{"tar.gz too many entries", gz(t, tarball(t, files...)), Limits{MaxEntries: 10}, ErrTooManyEntries},
		{"zip too many entries", zipball(t, zfiles...), Limits{MaxEntries: 10}, ErrTooManyEntries},
		{"tar at the entry limit", tarball(t, files...), Limits{MaxEntries: 11}, nil},
		{"zip at the entry limit", zipball(t, zfiles...), Limits{MaxEntries: 11}, nil},
		{"links count as entries", tarball(t, tEntry{name: "a", typ: tar.TypeSymlink, link: "b"}, tEntry{name: "b", body: "x"}), Limits{MaxEntries: 1}, ErrTooManyEntries},
		{"depth at the limit", tarball(t, tEntry{name: "a/b/c", body: "x"}), Limits{MaxDepth: 3}, nil},
		{"depth over the limit", tarball(t, tEntry{name: "a/b/c/d", body: "x"}), Limits{MaxDepth: 3}, ErrPathTooDeep},
		{"path at the limit", tarball(t, tEntry{name: "./abcdefgh", body: "x"}), Limits{MaxPathLen: 10}, nil},
		{"path over the limit", tarball(t, tEntry{name: "./abcdefghi", body: "x"}), Limits{MaxPathLen: 10}, ErrPathTooLong},
		{"file at the size limit", tarball(t, tEntry{name: "a", body: "12345"}), Limits{MaxFileSize: 5}, nil},
		{"file over the size limit", tarball(t, tEntry{name: "a", body: "123456"}), Limits{MaxFileSize: 5}, ErrTooLarge},
		{"zip file over the size limit", zipball(t, zEntry{name: "a", body: "123456"}), Limits{MaxFileSize: 5}, ErrTooLarge},
		{"total at the limit", tarball(t, tEntry{name: "a", body: "123"}, tEntry{name: "b", body: "45"}), Limits{MaxTotal: 5}, nil},
		{"total over the limit", tarball(t, tEntry{name: "a", body: "123"}, tEntry{name: "b", body: "456"}), Limits{MaxTotal: 5}, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := extract(t, tt.data, tt.lim)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("Extract = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestDestination(t *testing.T) {
	data := tarball(t, tEntry{name: "a", body: "x"})
	parent := t.TempDir()
	dest := filepath.Join(parent, "existing")
	if err := os.Mkdir(dest, 0o755); err != nil {
		t.Fatal(err)
	}
	keep := filepath.Join(dest, "keep")
	if err := os.WriteFile(keep, []byte("k"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Extract(context.Background(), bytes.NewReader(data), int64(len(data)), dest, Limits{})
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("Extract into an existing directory = %v, want fs.ErrExist", err)
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("a failed Extract touched the existing directory: %v", err)
	}
	if _, err := Extract(context.Background(), bytes.NewReader(data), int64(len(data)), filepath.Join(parent, "no", "such"), Limits{}); err == nil {
		t.Errorf("Extract under a missing parent succeeded")
	}
}

func TestExtractFileDetectsByContent(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "upload.tar.gz") // the name lies: it is a zip
	if err := os.WriteFile(p, zipball(t, zEntry{name: "a", body: "x"}), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := ExtractFile(context.Background(), p, filepath.Join(dir, "out"), Limits{})
	if err != nil || res.Format != FormatZip || res.Files != 1 {
		t.Fatalf("ExtractFile = %+v, %v", res, err)
	}
	if _, err := ExtractFile(context.Background(), filepath.Join(dir, "missing"), filepath.Join(dir, "out2"), Limits{}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ExtractFile(missing) = %v", err)
	}
	if _, err := ExtractFile(context.Background(), dir, filepath.Join(dir, "out3"), Limits{}); err == nil {
		t.Errorf("ExtractFile(directory) succeeded")
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	data := tarball(t, tEntry{name: "a", body: "x"})
	parent := t.TempDir()
	dest := filepath.Join(parent, "out")
	_, err := Extract(ctx, bytes.NewReader(data), int64(len(data)), dest, Limits{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Extract with a cancelled context = %v", err)
	}
	checkConfined(t, parent, dest, err)
}

func TestDetect(t *testing.T) {
	tarHead := tarball(t, tEntry{name: "a", body: "x"})[:DetectLen]
	tests := []struct {
		name string
		head []byte
		want Format
	}{
		{"gzip", []byte{0x1f, 0x8b, 8}, FormatTarGz},
		{"zip", []byte("PK\x03\x04rest"), FormatZip},
		{"empty zip", []byte("PK\x05\x06"), FormatZip},
		{"tar", tarHead, FormatTar},
		{"short tar", tarHead[:DetectLen-1], ""},
		{"spanned zip marker", []byte("PK\x07\x08"), ""},
		{"text", []byte("hello"), ""},
		{"nothing", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Detect(tt.head)
			if got != tt.want || (tt.want == "") != errors.Is(err, ErrUnknownFormat) {
				t.Errorf("Detect = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestCapReader(t *testing.T) {
	tests := []struct {
		name string
		in   string
		cap  int64
		want error
	}{
		{"under", "abc", 4, nil},
		{"exact", "abcd", 4, nil},
		{"over", "abcde", 4, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := io.ReadAll(&capReader{r: strings.NewReader(tt.in), left: tt.cap})
			if !errors.Is(err, tt.want) && !(tt.want == nil && err == nil) {
				t.Fatalf("ReadAll = %q, %v; want %v", got, err, tt.want)
			}
			if int64(len(got)) > tt.cap {
				t.Errorf("read %d bytes past the cap %d", len(got), tt.cap)
			}
		})
	}
}

// fuzzLimits are small, so that the fuzzer explores limits quickly.
var fuzzLimits = Limits{MaxArchive: 1 << 20, MaxTotal: 256 << 10, MaxFileSize: 64 << 10, MaxEntries: 64, MaxDepth: 8, MaxPathLen: 128}

func FuzzExtract(f *testing.F) {
	for _, seed := range fuzzSeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		parent := t.TempDir()
		dest := filepath.Join(parent, "out")
		res, err := Extract(context.Background(), bytes.NewReader(data), int64(len(data)), dest, fuzzLimits)
		checkConfined(t, parent, dest, err)
		if err != nil {
			return
		}
		var total int64
		files := 0
		werr := filepath.WalkDir(dest, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type().IsRegular() {
				fi, err := d.Info()
				if err != nil {
					return err
				}
				if fi.Size() > fuzzLimits.MaxFileSize {
					t.Errorf("%s is %d bytes, over the file limit", p, fi.Size())
				}
				total += fi.Size()
				files++
			}
			return nil
		})
		if werr != nil {
			t.Fatal(werr)
		}
		if total > fuzzLimits.MaxTotal || total != res.Bytes || files != res.Files {
			t.Errorf("on disk %d files, %d bytes; Result %+v", files, total, res)
		}
	})
}

// fuzzSeeds are the in-code seeds of FuzzExtract (testdata holds more).
func fuzzSeeds(t testing.TB) [][]byte {
	tarData := tarball(t, tEntry{name: "d/", typ: tar.TypeDir}, tEntry{name: "d/a", body: "a"}, tEntry{name: "l", typ: tar.TypeSymlink, link: "/etc"})
	return [][]byte{
		tarData,
		gz(t, tarData),
		zipball(t, zEntry{name: "d/a", body: "a"}, zEntry{name: "l", body: "..", mode: fs.ModeSymlink | 0o777}),
		tarball(t, tEntry{name: "../x", body: "x"}),
		zipball(t, zEntry{name: `..\x`, body: "x"}),
	}
}

// benchTree is a source tree of 400 files of 8 KiB in 20 directories.
func benchTree(b *testing.B) ([]tEntry, []zEntry) {
	var te []tEntry
	var ze []zEntry
	line := "export function handler(event, context) { return { statusCode: 200 }; }\n"
	body := strings.Repeat(line, 8192/len(line))
	for i := range 400 {
		name := "src/mod" + strconv.Itoa(i%20) + "/file" + strconv.Itoa(i) + ".js"
		te = append(te, tEntry{name: name, body: body})
		ze = append(ze, zEntry{name: name, body: body})
	}
	return te, ze
}

func BenchmarkExtract(b *testing.B) {
	te, ze := benchTree(b)
	for _, bc := range []struct {
		name string
		data []byte
	}{
		{"tar", tarball(b, te...)},
		{"tar.gz", gz(b, tarball(b, te...))},
		{"zip", zipball(b, ze...)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			parent := b.TempDir()
			i := 0
			b.SetBytes(400 * 8192)
			for b.Loop() {
				i++
				dest := filepath.Join(parent, strconv.Itoa(i))
				if _, err := Extract(context.Background(), bytes.NewReader(bc.data), int64(len(bc.data)), dest, Limits{}); err != nil {
					b.Fatal(err)
				}
				if err := os.RemoveAll(dest); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
