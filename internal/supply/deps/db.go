package deps

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Bounds of an advisory database. The npm database of OSV holds a few hundred
// thousand small records; anything far beyond that is a broken or hostile
// file, such as a decompression bomb.
const (
	maxZipBytes       = 2 << 30   // the zip file itself, read into memory
	maxZipEntries     = 2_000_000 // files in the zip
	maxZipTotal       = 8 << 30   // all records, uncompressed
	maxRecordBytes    = 16 << 20  // one record, uncompressed
	maxKeptDBProblems = 20        // record problems kept for the report
	maxSummary        = 300       // bytes of an advisory's summary kept
)

// DBLayout is where an offline copy of the npm advisories sits under a
// database directory: the layout osv-scanner reads with --local-db-path.
const DBLayout = "osv-scalibr/npm/all.zip"

// DB is an offline copy of the OSV advisories for npm, indexed by package
// name. It is read-only once loaded and safe for concurrent use.
type DB struct {
	path       string
	advisories int
	withdrawn  int
	byName     map[string][]*affected
	problems   []string
	dropped    int // problems beyond maxKeptDBProblems
}

// LoadError is the error of LoadDB: the database at Path could not be used.
type LoadError struct {
	Path string
	Err  error
}

func (e *LoadError) Error() string { return "load advisory database " + e.Path + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *LoadError) Unwrap() error { return e.Err }

// LoadDB reads the OSV npm advisories of one zip: path is either the zip or
// a database directory that holds it as DBLayout. A missing, truncated or
// corrupt zip, a zip over the size bounds, or one without any usable
// advisory is an error (a *LoadError). Records that are not valid OSV JSON
// are skipped and listed by Problems.
func LoadDB(path string) (*DB, error) {
	zipPath, err := zipPathOf(path)
	if err != nil {
		return nil, &LoadError{Path: path, Err: err}
	}
	db, err := loadZipFile(zipPath)
	if err != nil {
		return nil, &LoadError{Path: zipPath, Err: err}
	}
	return db, nil
}

// zipPathOf finds the zip that path names.
func zipPathOf(path string) (string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if !info.IsDir() {
		return path, nil
	}
	zipPath := filepath.Join(path, filepath.FromSlash(DBLayout))
	if _, err := os.Stat(zipPath); err != nil {
		return "", fmt.Errorf("no %s in the directory (run ecoscan update): %w", DBLayout, err)
	}
	return zipPath, nil
}

func loadZipFile(zipPath string) (*DB, error) {
	f, err := os.Open(zipPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	if info.Size() > maxZipBytes {
		return nil, fmt.Errorf("the zip is %d bytes, over the limit of %d", info.Size(), int64(maxZipBytes))
	}
	// One read: the records are small and many, and reading each through
	// the file would cost system calls per record.
	data := make([]byte, info.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, err
	}
	db, err := loadZip(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, err
	}
	db.path = zipPath
	return db, nil
}

// parsed is one record of the zip, parsed by a worker of loadZip.
type parsed struct {
	record  *compiled
	problem error // the record is skipped
	fatal   error // the zip cannot be used
}

// loadZip reads the advisories of a zip of OSV records of the given size,
// decompressing and decoding them on every core.
func loadZip(r io.ReaderAt, size int64) (*DB, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("read zip (corrupt or truncated download?): %w", err)
	}
	if len(zr.File) > maxZipEntries {
		return nil, fmt.Errorf("the zip has %d files, over the limit of %d", len(zr.File), maxZipEntries)
	}
	var files []*zip.File
	var declared uint64
	for _, zf := range zr.File {
		if !strings.HasSuffix(zf.Name, ".json") {
			continue
		}
		if zf.UncompressedSize64 > maxRecordBytes {
			return nil, fmt.Errorf("%s declares %d bytes, over the limit of %d per record", zf.Name, zf.UncompressedSize64, maxRecordBytes)
		}
		declared += zf.UncompressedSize64
		files = append(files, zf)
	}
	if declared > maxZipTotal {
		return nil, fmt.Errorf("the records declare %d bytes in all, over the limit of %d", declared, uint64(maxZipTotal))
	}
	if len(files) == 0 {
		return nil, errors.New("the zip holds no advisory records")
	}

	results := make([]parsed, len(files))
	var next, total atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(files)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(files); i = int(next.Add(1) - 1) {
				data, err := readZipEntry(files[i])
				if err == nil && total.Add(int64(len(data))) > maxZipTotal {
					err = fmt.Errorf("the records decompress to more than %d bytes in all (decompression bomb?)", int64(maxZipTotal))
				}
				if err != nil {
					results[i].fatal = err
					next.Store(int64(len(files))) // stop the other workers
					return
				}
				rec, err := decodeRecord(data)
				results[i].problem = err
				if err == nil {
					results[i].record = compile(rec)
				}
			}
		})
	}
	wg.Wait()

	// The workers claim records in order and finish each they claim, so
	// every record before a fatal one was read: the loop stops at the
	// first fatal error before any record left unread.
	db := &DB{byName: map[string][]*affected{}}
	for i, res := range results {
		switch {
		case res.fatal != nil:
			return nil, res.fatal
		case res.problem != nil:
			db.problem(fmt.Sprintf("%s: %v", files[i].Name, res.problem))
		case res.record.withdrawn:
			db.withdrawn++
		default:
			for _, e := range res.record.entries {
				db.byName[e.name] = append(db.byName[e.name], e.affected)
			}
			db.advisories++
		}
	}
	if db.advisories == 0 && db.withdrawn == 0 {
		if len(db.problems) == 0 {
			return nil, errors.New("the zip holds no advisory records")
		}
		return nil, fmt.Errorf("none of the %d records is a usable advisory (first problem: %s)", len(files), db.problems[0])
	}
	return db, nil
}

// readZipEntry decompresses one record of its declared size (bounded by
// loadZip); the zip reader refuses data longer than declared, and checks
// the CRC at the end.
func readZipEntry(zf *zip.File) ([]byte, error) {
	rc, err := zf.Open()
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", zf.Name, err)
	}
	defer rc.Close()
	data := make([]byte, zf.UncompressedSize64)
	if _, err := io.ReadFull(rc, data); err != nil {
		return nil, fmt.Errorf("decompress %s (corrupt zip?): %w", zf.Name, err)
	}
	if n, err := rc.Read(make([]byte, 1)); n > 0 || err != io.EOF {
		return nil, fmt.Errorf("decompress %s (corrupt zip?): more data than declared or bad checksum: %v", zf.Name, err)
	}
	return data, nil
}

func (db *DB) problem(msg string) {
	if len(db.problems) < maxKeptDBProblems {
		db.problems = append(db.problems, msg)
		return
	}
	db.dropped++
}

// decodeRecord reads one OSV record.
func decodeRecord(data []byte) (*osvRecord, error) {
	var rec osvRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("not an OSV record: %w", err)
	}
	if rec.ID == "" {
		return nil, errors.New("OSV record without an id")
	}
	return &rec, nil
}

// compiled is an OSV record made ready for the index: the advisory and its
// affected entries for npm packages, by name. The rest of the record is
// dropped, so that the whole database need not stay in memory as JSON.
type compiled struct {
	withdrawn bool
	entries   []namedEntry
}

type namedEntry struct {
	name     string
	affected *affected
}

func compile(rec *osvRecord) *compiled {
	if rec.Withdrawn != "" {
		return &compiled{withdrawn: true}
	}
	adv := &advisory{
		ID:       rec.ID,
		Aliases:  slices.Clone(rec.Aliases),
		Summary:  truncate(rec.Summary, maxSummary),
		severity: severityOf(rec),
	}
	if adv.Summary == "" {
		adv.Summary = truncate(firstLine(rec.Details), maxSummary)
	}
	c := &compiled{}
	for i := range rec.Affected {
		a := &rec.Affected[i]
		if a.Package.Ecosystem != "npm" || a.Package.Name == "" {
			continue
		}
		if entry := newAffected(adv, a); entry != nil {
			c.entries = append(c.entries, namedEntry{a.Package.Name, entry})
		}
	}
	return c
}

// Len is the number of advisories loaded, withdrawn ones left out.
func (db *DB) Len() int { return db.advisories }

// Path is the zip the database was loaded from ("" when built in memory).
func (db *DB) Path() string { return db.path }

// Problems lists the records that were skipped because they are not valid
// OSV JSON (at most 20, then a count of the rest).
func (db *DB) Problems() []string {
	out := slices.Clone(db.problems)
	if db.dropped > 0 {
		out = append(out, fmt.Sprintf("and %d more records skipped", db.dropped))
	}
	return out
}

// osvRecord is the part of an OSV record (https://ossf.github.io/osv-schema/)
// that the matching uses.
type osvRecord struct {
	ID               string          `json:"id"`
	Withdrawn        string          `json:"withdrawn"`
	Aliases          []string        `json:"aliases"`
	Summary          string          `json:"summary"`
	Details          string          `json:"details"`
	Severity         []osvSeverity   `json:"severity"`
	Affected         []osvAffected   `json:"affected"`
	DatabaseSpecific json.RawMessage `json:"database_specific"`
}

type osvSeverity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

type osvAffected struct {
	Package struct {
		Ecosystem string `json:"ecosystem"`
		Name      string `json:"name"`
	} `json:"package"`
	Ranges   []osvRange    `json:"ranges"`
	Versions []string      `json:"versions"`
	Severity []osvSeverity `json:"severity"`
}

type osvRange struct {
	Type   string     `json:"type"`
	Events []osvEvent `json:"events"`
}

type osvEvent struct {
	Introduced   string `json:"introduced"`
	Fixed        string `json:"fixed"`
	LastAffected string `json:"last_affected"`
	Limit        string `json:"limit"`
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	return s
}
