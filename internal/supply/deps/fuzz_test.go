package deps

import (
	"bytes"
	"context"
	"testing"
	"testing/fstest"

	"github.com/ecoscan/ecoscan/internal/supply/deps/depstest"
)

// fuzzTree gives the lockfiles of the fuzz targets package.json files to
// read, so that the importer and workspace code runs too.
var fuzzTree = fstest.MapFS{
	"app/package.json":            {Data: []byte(`{"name": "app", "dependencies": {"lodash": "4.17.15", "a": "npm:b@^1"}, "devDependencies": {"debug": "2.6.8"}, "workspaces": ["packages/*"]}`)},
	"app/packages/a/package.json": {Data: []byte(`{"name": "@x/a", "dependencies": {"minimist": "^1.2.0"}, "devDependencies": {"ms": "2.0.0"}}`)},
}

// FuzzLockfile reads arbitrary bytes as each kind of lockfile: no panic, and
// every package listed has a name and a version or a full git commit.
func FuzzLockfile(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<20 {
			return
		}
		for name := range lockfileNames {
			lf, err := extractLockfile(context.Background(), fuzzTree, "app/"+name, data)
			if err != nil {
				continue
			}
			for _, p := range lf.Packages {
				if p.Name == "" || (p.Version == "" && len(p.Commit) != fullCommit) || p.Line < 0 {
					t.Errorf("%s: package %+v", name, p)
				}
			}
		}
	})
}

// FuzzAdvisory loads arbitrary bytes as the one OSV record of a database:
// no panic, and matching and findings work on whatever loaded.
func FuzzAdvisory(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<20 {
			return
		}
		z, err := depstest.ZipRecords(map[string][]byte{"A.json": data})
		if err != nil {
			t.Fatal(err)
		}
		db, err := loadZip(bytes.NewReader(z), int64(len(z)))
		if err != nil {
			return
		}
		for name, entries := range db.byName {
			versions := []string{"0", "1.0.0", "1.0.0-rc.1", "", "v1", "99999999999999999999.0.0"}
			for _, e := range entries {
				versions = append(versions, e.versions...)
				for _, r := range e.ranges {
					for _, ev := range r {
						versions = append(versions, ev.raw)
					}
				}
			}
			for _, v := range versions {
				for _, m := range db.match(name, v) {
					f := newFinding(Lockfile{Path: "package-lock.json"}, Package{Name: name, Version: v, Line: 1}, m)
					if f.Advisory.ID == "" || f.CVSS < 0 || f.CVSS > 10 {
						t.Errorf("finding %+v", f)
					}
				}
			}
		}
	})
}
