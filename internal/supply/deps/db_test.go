package deps

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ecoscan/ecoscan/internal/supply/deps/depstest"
)

// writeDB zips the records (OSV JSON, each with an "id") into a database
// directory at test time and returns the directory.
func writeDB(t *testing.T, records ...string) string {
	t.Helper()
	files := map[string][]byte{}
	for i, r := range records {
		files[fmt.Sprintf("record-%03d.json", i)] = []byte(r)
	}
	dir := t.TempDir()
	if _, err := depstest.WriteDB(dir, files); err != nil {
		t.Fatal(err)
	}
	return dir
}

func loadDB(t *testing.T, records ...string) *DB {
	t.Helper()
	db, err := LoadDB(writeDB(t, records...))
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// testdataDB is the database of testdata/advisories, built at test time.
func testdataDB(t *testing.T) (*DB, string) {
	t.Helper()
	records, err := depstest.ReadRecords("testdata/advisories")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := depstest.WriteDB(dir, records); err != nil {
		t.Fatal(err)
	}
	db, err := LoadDB(dir)
	if err != nil {
		t.Fatal(err)
	}
	return db, dir
}

// rec is an OSV record of one npm package with the given affected fields.
func rec(id, name, affectedFields string, extra ...string) string {
	s := fmt.Sprintf(`{"id": %q, "affected": [{"package": {"ecosystem": "npm", "name": %q}, %s}]`, id, name, affectedFields)
	for _, e := range extra {
		s += ", " + e
	}
	return s + "}"
}

func semverRange(events ...string) string {
	return `"ranges": [{"type": "SEMVER", "events": [` + strings.Join(events, ", ") + `]}]`
}

func TestMatch(t *testing.T) {
	db := loadDB(t,
		rec("A-intro-fix", "p", semverRange(`{"introduced": "0"}`, `{"fixed": "1.2.3"}`)),
		rec("B-pairs", "p", semverRange(`{"introduced": "2.0.0"}`, `{"fixed": "2.1.0"}`, `{"introduced": "3.0.0"}`, `{"fixed": "3.0.5"}`)),
		rec("C-unsorted", "p", semverRange(`{"fixed": "5.0.2"}`, `{"introduced": "5.0.0"}`)),
		rec("D-last-affected", "p", semverRange(`{"introduced": "4.0.0"}`, `{"last_affected": "4.2.0"}`)),
		rec("E-versions", "p", `"versions": ["6.0.0", "6.0.1"]`),
		rec("F-withdrawn", "p", semverRange(`{"introduced": "0"}`), `"withdrawn": "2024-01-01T00:00:00Z"`),
		rec("G-two-ranges", "p", `"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "7.0.0"}, {"fixed": "7.5.0"}]}, {"type": "SEMVER", "events": [{"introduced": "7.2.0"}, {"fixed": "7.3.0"}]}]`),
		rec("H-git-only", "p", `"ranges": [{"type": "GIT", "repo": "https://github.com/x/p", "events": [{"introduced": "0"}]}]`),
		rec("I-prerelease", "p", semverRange(`{"introduced": "8.0.0-rc.1"}`, `{"fixed": "8.0.0"}`)),
		rec("J-open", "p", semverRange(`{"introduced": "9.0.0"}`)),
		`{"id": "K-other-ecosystem", "affected": [{"package": {"ecosystem": "PyPI", "name": "p"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]}`,
		rec("L-other-package", "q", semverRange(`{"introduced": "0"}`)),
		rec("L-other-package", "q", semverRange(`{"introduced": "0"}`)), // the same record twice
		`{"id": "M-two-entries", "affected": [
			{"package": {"ecosystem": "npm", "name": "p"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": "10.0.0"}, {"fixed": "10.0.3"}]}]},
			{"package": {"ecosystem": "npm", "name": "p"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": "10.0.0"}, {"fixed": "10.0.2"}]}]}]}`,
	)
	if db.Len() != 13 {
		t.Errorf("Len() = %d, want 13 (the withdrawn advisory left out)", db.Len())
	}
	tests := []struct {
		version string
		want    []string // "ID fixed"
	}{
		{"0.0.1", []string{"A-intro-fix 1.2.3"}},
		{"1.2.2", []string{"A-intro-fix 1.2.3"}},
		{"1.2.3", nil},
		{"1.2.3-beta.1", []string{"A-intro-fix 1.2.3"}},
		{"2.0.0", []string{"B-pairs 2.1.0"}},
		{"2.1.0", nil},
		{"2.9.9", nil},
		{"3.0.4", []string{"B-pairs 3.0.5"}},
		{"5.0.1", []string{"C-unsorted 5.0.2"}},
		{"4.2.0", []string{"D-last-affected "}},
		{"4.2.1", nil},
		{"6.0.1", []string{"E-versions "}},
		{"6.0.2", nil},
		{"7.2.5", []string{"G-two-ranges 7.3.0"}},
		{"7.4.0", []string{"G-two-ranges 7.5.0"}},
		{"8.0.0-rc.2", []string{"I-prerelease 8.0.0"}},
		{"8.0.0", nil},
		{"9.1.0", []string{"J-open "}},
		{"10.0.1", []string{"J-open ", "M-two-entries 10.0.2"}},
		{"10.0.2", []string{"J-open ", "M-two-entries 10.0.3"}},
		{"", nil},
	}
	for _, tt := range tests {
		var got []string
		for _, m := range db.match("p", tt.version) {
			got = append(got, m.adv.ID+" "+m.fixed)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("match(p, %q) = %q, want %q", tt.version, got, tt.want)
		}
	}
	if got := db.match("q", "1.0.0"); len(got) != 1 || got[0].adv.ID != "L-other-package" {
		t.Errorf("match(q) = %v, want L-other-package", got)
	}
	if got := db.match("unknown", "1.0.0"); got != nil {
		t.Errorf("match(unknown) = %v, want none", got)
	}
}

func TestMatchDescribesRanges(t *testing.T) {
	db := loadDB(t, rec("A", "p", `"ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.0.0"}, {"introduced": "2.0.0"}, {"last_affected": "2.1.0"}, {"introduced": "3.0.0"}]}], "versions": ["2.0.5"]`))
	m := db.match("p", "2.0.5")
	if len(m) != 1 {
		t.Fatalf("match = %v", m)
	}
	want := []string{"versions 2.0.5", ">=0 <1.0.0, >=2.0.0 <=2.1.0, >=3.0.0"}
	if !slices.Equal(m[0].ranges, want) {
		t.Errorf("ranges = %q, want %q", m[0].ranges, want)
	}
}

func TestSeverityOf(t *testing.T) {
	tests := []struct {
		record string
		score  float64
		source string
	}{
		{rec("V", "p", `"versions": ["1"]`, `"severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]`, `"database_specific": {"severity": "LOW"}`), 9.8, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H (base score 9.8)"},
		{rec("V", "p", `"versions": ["1"]`, `"severity": [{"type": "CVSS_V4", "score": "CVSS:4.0/AV:N"}, {"type": "CVSS_V3", "score": "CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"}]`), 6.1, "CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N (base score 6.1)"},
		{rec("V", "p", `"versions": ["1"], "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H"}]`), 7.4, "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H (base score 7.4)"},
		{rec("V", "p", `"versions": ["1"]`, `"severity": [{"type": "CVSS_V3", "score": "garbage"}]`, `"database_specific": {"severity": "CRITICAL"}`), 9.0, "database severity CRITICAL, scored 9.0"},
		{rec("V", "p", `"versions": ["1"]`, `"database_specific": {"severity": "HIGH"}`), 7.0, "database severity HIGH, scored 7.0"},
		{rec("V", "p", `"versions": ["1"]`, `"database_specific": {"severity": "moderate"}`), 5.0, "database severity MODERATE, scored 5.0"},
		{rec("V", "p", `"versions": ["1"]`, `"database_specific": {"severity": "LOW"}`), 3.0, "database severity LOW, scored 3.0"},
		{rec("V", "p", `"versions": ["1"]`, `"database_specific": {"severity": 7}`), 0, ""},
		{rec("V", "p", `"versions": ["1"]`), 0, ""},
	}
	for i, tt := range tests {
		db := loadDB(t, tt.record)
		m := db.match("p", "1")
		if len(m) != 1 {
			t.Fatalf("%d: match = %v", i, m)
		}
		if s := m[0].adv.severity; s.score != tt.score || s.source != tt.source {
			t.Errorf("%d: severity = %+v, want %v %q", i, s, tt.score, tt.source)
		}
	}
}

func TestLoadDBPaths(t *testing.T) {
	dir := writeDB(t, rec("A", "p", `"versions": ["1"]`))
	zipPath := filepath.Join(dir, "osv-scalibr", "npm", "all.zip")
	for _, p := range []string{dir, zipPath} {
		db, err := LoadDB(p)
		if err != nil {
			t.Fatalf("LoadDB(%s): %v", p, err)
		}
		if db.Len() != 1 || db.Path() != zipPath {
			t.Errorf("LoadDB(%s): Len %d, Path %s", p, db.Len(), db.Path())
		}
	}
}

func TestLoadDBErrors(t *testing.T) {
	good, err := depstest.ZipRecords(map[string][]byte{"A.json": []byte(rec("A", "p", `"versions": ["1"]`)), "B.json": []byte(rec("B", "p", `"versions": ["2"]`))})
	if err != nil {
		t.Fatal(err)
	}
	zipOf := func(files map[string][]byte) []byte {
		data, err := depstest.ZipRecords(files)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	corrupted := bytes.Clone(good)
	// Flip bytes of the first record's compressed data, after its 30-byte
	// local header and name: the CRC or the inflation must fail.
	for i := 40; i < 60; i++ {
		corrupted[i] ^= 0xff
	}
	tests := []struct {
		name string
		data []byte // nil: no file
		want string
	}{
		{"missing", nil, "no such file"},
		{"empty file", []byte{}, "corrupt or truncated"},
		{"truncated", good[:len(good)/2], "corrupt or truncated"},
		{"not a zip", []byte("<html>502 Bad Gateway</html>"), "corrupt or truncated"},
		{"corrupt data", corrupted, "corrupt zip"},
		{"no records", zipOf(map[string][]byte{"README.md": []byte("hello")}), "no advisory records"},
		{"only bad records", zipOf(map[string][]byte{"A.json": []byte("{not json"), "B.json": []byte(`{"summary": "no id"}`)}), "none of the 2 records"},
		{"bomb", zipOf(map[string][]byte{"A.json": make([]byte, maxRecordBytes+1)}), "over the limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			zipPath := filepath.Join(dir, "osv-scalibr", "npm", "all.zip")
			if tt.data != nil {
				if err := os.MkdirAll(filepath.Dir(zipPath), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(zipPath, tt.data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			db, err := LoadDB(dir)
			if err == nil {
				t.Fatalf("LoadDB = %d advisories, want an error with %q", db.Len(), tt.want)
			}
			var le *LoadError
			if !errors.As(err, &le) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("LoadDB: %v, want a *LoadError with %q", err, tt.want)
			}
		})
	}
}

func TestLoadDBBadRecordsAreSkipped(t *testing.T) {
	db := loadDB(t, rec("A", "p", `"versions": ["1"]`), "{truncated", `[1, 2]`, rec("B", "p", `"versions": "not a list"`))
	if db.Len() != 1 {
		t.Errorf("Len() = %d, want 1", db.Len())
	}
	if p := db.Problems(); len(p) != 3 || !strings.Contains(p[0], "not an OSV record") {
		t.Errorf("Problems() = %q, want 3 records not OSV", p)
	}
}

func TestLoadDBProblemsAreBounded(t *testing.T) {
	records := []string{rec("A", "p", `"versions": ["1"]`)}
	for range 30 {
		records = append(records, "nope")
	}
	p := loadDB(t, records...).Problems()
	if len(p) != maxKeptDBProblems+1 || p[len(p)-1] != "and 10 more records skipped" {
		t.Errorf("Problems() = %d lines, last %q", len(p), p[len(p)-1])
	}
}

// TestLoadDBLyingSizes is a zip whose record declares fewer bytes than it
// holds: the reader must refuse it rather than read on.
func TestLoadDBLyingSizes(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	body := []byte(rec("A", "p", `"versions": ["1"]`))
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "A.json", Method: zip.Store, CompressedSize64: uint64(len(body)), UncompressedSize64: 5})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(body); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if db, err := loadZip(bytes.NewReader(buf.Bytes()), int64(buf.Len())); err == nil {
		t.Errorf("loadZip = %d advisories, want an error", db.Len())
	}
}
