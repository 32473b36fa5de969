package data

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// manifestFile is the manifest's name in the data directory.
const manifestFile = "manifest.json"

// dateLayout is how dates are shown: the day, in UTC.
const dateLayout = "2006-01-02"

// Manifest records what Update installed in a data directory.
type Manifest struct {
	Datasets []Dataset `json:"datasets"` // in the order of Sources
}

// Dataset is one installed dataset, as the manifest records it, or as
// Installed describes it.
type Dataset struct {
	Name      string    `json:"name"`
	File      string    `json:"file,omitempty"`   // relative to the data directory, slash-separated
	Source    string    `json:"source"`           // the URL fetched; for the embedded default, its source
	FetchedAt time.Time `json:"fetched_at"`       // zero for the embedded default
	Date      string    `json:"date,omitempty"`   // the day fetched (2006-01-02), or the embedded copy's date
	Size      int64     `json:"size"`             // bytes of the installed file
	SHA256    string    `json:"sha256,omitempty"` // of the installed file, hex
	Detail    string    `json:"detail"`           // "12345 advisories", "595 operations (579 with scopes)"
	// Embedded marks the scope table built into ecoscan, used when none was
	// downloaded (Installed only).
	Embedded bool `json:"embedded,omitempty"`
	// Absent marks a dataset that is not installed and has no default
	// (Installed only).
	Absent bool `json:"absent,omitempty"`
}

// Dataset returns the record of the dataset called name. A nil manifest has
// none.
func (m *Manifest) Dataset(name string) (Dataset, bool) {
	if m == nil {
		return Dataset{}, false
	}
	for _, d := range m.Datasets {
		if d.Name == name {
			return d, true
		}
	}
	return Dataset{}, false
}

// set records d, replacing the record of the same name, and keeps the
// records in the order of Sources (others after them, by name).
func (m *Manifest) set(d Dataset) {
	m.Datasets = slices.DeleteFunc(m.Datasets, func(x Dataset) bool { return x.Name == d.Name })
	m.Datasets = append(m.Datasets, d)
	rank := func(name string) int {
		for i, s := range sources {
			if s.Name == name {
				return i
			}
		}
		return len(sources)
	}
	slices.SortFunc(m.Datasets, func(a, b Dataset) int {
		if c := cmp.Compare(rank(a.Name), rank(b.Name)); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
}

// readManifest reads dir's manifest. A missing manifest is an empty one and
// no error.
func readManifest(dir string) (*Manifest, error) {
	path := filepath.Join(dir, manifestFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return &Manifest{}, nil
	}
	if err != nil {
		return &Manifest{}, fmt.Errorf("read the data manifest: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return &Manifest{}, fmt.Errorf("read the data manifest %s: %w", path, err)
	}
	return &m, nil
}

// writeManifest replaces dir's manifest atomically.
func writeManifest(dir string, m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encode the data manifest: %w", err)
	}
	if err := writeAtomic(filepath.Join(dir, manifestFile), append(b, '\n')); err != nil {
		return fmt.Errorf("write the data manifest: %w", err)
	}
	return nil
}

// writeAtomic writes b to a temporary file beside path, flushes it to disk,
// and renames it over path.
func writeAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// Installed describes every dataset for `ecoscan version --data`, in the order
// of Sources: the downloaded copy with its manifest record when there is one;
// for a scope table not downloaded, the embedded default (Embedded); for the
// advisories not downloaded, an Absent entry. A file present but missing from
// the manifest is listed with its size and an unknown source. The error is
// for a manifest that exists but cannot be read; the list is complete even
// then.
func Installed(dir string) ([]Dataset, error) {
	manifest, merr := readManifest(dir)
	embedded, err := embeddedTables()
	if err != nil {
		return nil, err
	}
	var out []Dataset
	for _, src := range sources {
		path := filepath.Join(dir, filepath.FromSlash(src.File))
		fi, statErr := os.Stat(path)
		rec, recorded := manifest.Dataset(src.Name)
		switch {
		case statErr == nil && fi.Mode().IsRegular() && recorded:
			out = append(out, rec)
		case statErr == nil && fi.Mode().IsRegular():
			out = append(out, Dataset{Name: src.Name, File: src.File, Source: "unknown (not in the manifest)",
				Date: fi.ModTime().UTC().Format(dateLayout), Size: fi.Size(), Detail: "not recorded by ecoscan update"})
		case src.Kind == KindOpenAPI:
			t := embedded[src.Name]
			b, err := embeddedFile(src.Name)
			if err != nil {
				return nil, err
			}
			sum := sha256.Sum256(b)
			out = append(out, Dataset{Name: src.Name, Source: t.Source, Date: embeddedDate(t), Size: int64(len(b)),
				SHA256: hex.EncodeToString(sum[:]), Detail: t.detail(), Embedded: true})
		default:
			out = append(out, Dataset{Name: src.Name, Source: src.URL, Detail: "not installed: run ecoscan update", Absent: true})
		}
	}
	return out, merr
}
