package data

import (
	"archive/zip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
)

// The bounds of an OSV database check.
// They are those the dependency check's loader (internal/supply/deps)
// accepts, so that what Update installs loads.
const (
	maxOSVRecord  = 16 << 20  // bytes of one record, uncompressed; real ones are a few KiB
	maxOSVRecords = 2_000_000 // records in one zip; npm has a few hundred thousand
	maxOSVTotal   = 8 << 30   // bytes of all records, uncompressed
	osvEcosystem  = "npm"
)

// errNotRecord marks an entry that is read whole but is not an OSV record: a
// few are tolerated (the loader skips them), a damaged archive is not.
var errNotRecord = errors.New("not an OSV record")

// osvRecord is the part of an OSV record the check reads.
type osvRecord struct {
	ID       string `json:"id"`
	Modified string `json:"modified"`
	Affected []struct {
		Package struct {
			Ecosystem string `json:"ecosystem"`
		} `json:"package"`
	} `json:"affected"`
}

// checkOSV checks that the file at path is an OSV database as osv-scanner
// reads it: a zip whose entries are read whole with their checksums holding,
// each an OSV JSON record (an id and a modification time), with at least one
// record of an npm package. An entry that is not a record is tolerated when it
// is one in a hundred at most (upstream may publish an odd one, which the
// loader skips); more, or any damage to the archive, is an error. It reads
// every record, in parallel, each bounded in size. It returns the number of
// records, and of entries that are not records.
func checkOSV(ctx context.Context, path string) (records, skipped int, err error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return 0, 0, fmt.Errorf("%w: not a zip archive: %v", ErrCorrupt, err)
	}
	defer zr.Close()
	var files []*zip.File
	var total uint64
	for _, f := range zr.File {
		if !f.FileInfo().IsDir() {
			files = append(files, f)
			total += f.UncompressedSize64
		}
	}
	switch {
	case len(files) == 0:
		return 0, 0, fmt.Errorf("%w: the zip holds no records", ErrCorrupt)
	case len(files) > maxOSVRecords:
		return 0, 0, fmt.Errorf("%w: the zip holds %d entries, more than %d", ErrCorrupt, len(files), maxOSVRecords)
	case total > maxOSVTotal:
		return 0, 0, fmt.Errorf("%w: the records take %d bytes uncompressed, more than %d", ErrCorrupt, total, uint64(maxOSVTotal))
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	workers := min(runtime.GOMAXPROCS(0), 8, len(files))
	errs := make([]error, workers)
	var next, ofEcosystem, notRecords atomic.Int64
	var exampleMu sync.Mutex
	var example error // an entry that is not a record, for the message
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(files) {
					return
				}
				ours, err := readOSVRecord(files[i])
				switch {
				case errors.Is(err, errNotRecord):
					notRecords.Add(1)
					exampleMu.Lock()
					if example == nil {
						example = err
					}
					exampleMu.Unlock()
				case err != nil:
					errs[w] = err
					cancel()
					return
				case ours:
					ofEcosystem.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return 0, 0, err
	}
	if ctx.Err() != nil { // the caller's context, since no worker failed
		return 0, 0, fmt.Errorf("check the records: %w", context.Cause(ctx))
	}
	skipped = int(notRecords.Load())
	if skipped*100 > len(files) {
		return 0, 0, fmt.Errorf("%w: %d of %d entries are not OSV records, e.g. %v", ErrCorrupt, skipped, len(files), example)
	}
	if ofEcosystem.Load() == 0 {
		return 0, 0, fmt.Errorf("%w: no record concerns an %s package", ErrCorrupt, osvEcosystem)
	}
	return len(files) - skipped, skipped, nil
}

// readOSVRecord reads and checks one entry of the zip; it reports whether the
// record concerns a package of osvEcosystem.
func readOSVRecord(f *zip.File) (bool, error) {
	if f.UncompressedSize64 > maxOSVRecord {
		return false, fmt.Errorf("%w: entry %q: %d bytes, more than %d", ErrCorrupt, f.Name, f.UncompressedSize64, maxOSVRecord)
	}
	rc, err := f.Open()
	if err != nil {
		return false, fmt.Errorf("%w: entry %q: %v", ErrCorrupt, f.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxOSVRecord+1))
	if err == nil && len(b) > maxOSVRecord {
		err = fmt.Errorf("more than %d bytes", maxOSVRecord)
	}
	if err != nil {
		return false, fmt.Errorf("%w: entry %q: %v", ErrCorrupt, f.Name, err)
	}
	var rec osvRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return false, fmt.Errorf("entry %q is %w: %v", f.Name, errNotRecord, err)
	}
	if rec.ID == "" || rec.Modified == "" {
		return false, fmt.Errorf("entry %q is %w: no id or modified", f.Name, errNotRecord)
	}
	for _, a := range rec.Affected {
		if a.Package.Ecosystem == osvEcosystem {
			return true, nil
		}
	}
	return false, nil
}
