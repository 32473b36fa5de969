// Package depstest builds the inputs of the dependency check for its tests,
// benchmarks and the comparison with osv-scanner (bench/deps-compare.sh):
// OSV zips in osv-scanner's offline layout, and large generated lockfiles
// with advisories for their packages.
package depstest

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Layout is where an npm database sits under a database directory, the
// layout osv-scanner reads with --local-db-path.
const Layout = "osv-scalibr/npm/all.zip"

// ZipRecords returns a zip of the records (file name to content), in name order.
func ZipRecords(records map[string][]byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range slices.Sorted(maps.Keys(records)) {
		w, err := zw.Create(name)
		if err != nil {
			return nil, fmt.Errorf("zip %s: %w", name, err)
		}
		if _, err := w.Write(records[name]); err != nil {
			return nil, fmt.Errorf("zip %s: %w", name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("zip records: %w", err)
	}
	return buf.Bytes(), nil
}

// WriteDB writes the records as dir/osv-scalibr/npm/all.zip and returns the
// zip's path.
func WriteDB(dir string, records map[string][]byte) (string, error) {
	data, err := ZipRecords(records)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, filepath.FromSlash(Layout))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", fmt.Errorf("write database: %w", err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return "", fmt.Errorf("write database: %w", err)
	}
	return path, nil
}

// ReadRecords reads the *.json files of dir, by file name.
func ReadRecords(dir string) (map[string][]byte, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("read records: %w", err)
	}
	records := map[string][]byte{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read records: %w", err)
		}
		records[filepath.Base(p)] = data
	}
	return records, nil
}

// Package is a generated package version.
type Package struct{ Name, Version string }

// PackageLock returns a package-lock.json (lockfileVersion 3) that installs
// n generated packages: a root with 50 direct dependencies (10 of them for
// development), every package depending on up to three others, and every
// tenth name installed a second time, at another version, nested under the
// package before it. It also returns the package versions it installs.
func PackageLock(n int) ([]byte, []Package) {
	type entry struct {
		Version         string            `json:"version,omitempty"`
		Name            string            `json:"name,omitempty"`
		Resolved        string            `json:"resolved,omitempty"`
		Dependencies    map[string]string `json:"dependencies,omitempty"`
		DevDependencies map[string]string `json:"devDependencies,omitempty"`
	}
	name := func(i int) string { return fmt.Sprintf("pkg-%05d", i) }
	version := func(i int) string { return fmt.Sprintf("%d.%d.%d", i%7, i%13, i%5) }
	packages := map[string]entry{}
	root := entry{Name: "generated-app", Version: "1.0.0", Dependencies: map[string]string{}, DevDependencies: map[string]string{}}
	var pkgs []Package
	for i := 0; i < n; i++ {
		e := entry{Version: version(i), Resolved: "https://registry.npmjs.org/" + name(i) + "/-/" + name(i) + "-" + version(i) + ".tgz"}
		for _, d := range []int{i*3 + 1, i*3 + 2, i*3 + 3} {
			if d < n {
				if e.Dependencies == nil {
					e.Dependencies = map[string]string{}
				}
				e.Dependencies[name(d)] = "^" + version(d)
			}
		}
		switch {
		case i >= 40 && i < 50:
			root.DevDependencies[name(i)] = version(i)
		case i < 50:
			root.Dependencies[name(i)] = version(i)
		}
		packages["node_modules/"+name(i)] = e
		pkgs = append(pkgs, Package{name(i), version(i)})
		if i%10 == 9 {
			nested := version(i + 1000)
			packages["node_modules/"+name(i-1)+"/node_modules/"+name(i)] = entry{Version: nested}
			pkgs = append(pkgs, Package{name(i), nested})
		}
	}
	packages[""] = root
	lock := map[string]any{"name": root.Name, "version": root.Version, "lockfileVersion": 3, "requires": true, "packages": packages}
	data, err := json.MarshalIndent(lock, "", "  ")
	if err != nil {
		panic(err) // maps of strings always marshal
	}
	return data, pkgs
}

// Advisories returns OSV records for the packages: every fourth package
// installed at one version only gets between two and six advisories, some
// affecting its version and some sparing it, with several ranges,
// last_affected events, explicit versions, CVSS vectors, database
// severities and withdrawn advisories. The given number of others name
// packages the lockfile does not install, like the rest of a real database.
// want is the number of (package version, advisory) pairs that match.
func Advisories(pkgs []Package, others int) (records map[string][]byte, want int) {
	records = map[string][]byte{}
	severities := []string{"LOW", "MODERATE", "HIGH", "CRITICAL"}
	vectors := []string{
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
		"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H",
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
	}
	id := 0
	add := func(rec map[string]any) {
		id++
		rec["id"] = fmt.Sprintf("GEN-%06d", id)
		rec["modified"] = "2026-01-01T00:00:00Z"
		rec["summary"] = fmt.Sprintf("Generated advisory %d", id)
		if id%2 == 0 {
			rec["severity"] = []map[string]string{{"type": "CVSS_V3", "score": vectors[id%len(vectors)]}}
		} else {
			rec["database_specific"] = map[string]string{"severity": severities[id%len(severities)]}
		}
		data, err := json.Marshal(rec)
		if err != nil {
			panic(err) // plain maps always marshal
		}
		records[fmt.Sprintf("GEN-%06d.json", id)] = data
	}
	affected := func(name string, ranges []map[string]any, versions []string) []map[string]any {
		a := map[string]any{"package": map[string]string{"ecosystem": "npm", "name": name}}
		if ranges != nil {
			a["ranges"] = ranges
		}
		if versions != nil {
			a["versions"] = versions
		}
		return []map[string]any{a}
	}
	events := func(pairs ...string) []map[string]any {
		var out []map[string]any
		for i := 0; i+1 < len(pairs); i += 2 {
			out = append(out, map[string]any{pairs[i]: pairs[i+1]})
		}
		return []map[string]any{{"type": "SEMVER", "events": out}}
	}
	instances := map[string]int{}
	for _, p := range pkgs {
		instances[p.Name]++
	}
	j := 0
	for _, p := range pkgs {
		if instances[p.Name] > 1 {
			continue // one version per name keeps want exact
		}
		j++
		if j%4 != 1 {
			continue
		}
		for k := 0; k <= j%6; k++ {
			rec := map[string]any{}
			hit := true
			switch k {
			case 0: // introduced 0, fixed above
				rec["affected"] = affected(p.Name, events("introduced", "0", "fixed", nextPatch(p.Version), "introduced", "99.0.0", "fixed", "99.0.1"), nil)
			case 1: // fixed at the version: spared
				rec["affected"] = affected(p.Name, events("introduced", "0", "fixed", p.Version), nil)
				hit = false
			case 2: // last_affected at the version
				rec["affected"] = affected(p.Name, events("introduced", "0", "last_affected", p.Version), nil)
			case 3: // explicit versions, not this one
				rec["affected"] = affected(p.Name, nil, []string{"0.0.0-never", "98.0.0"})
				hit = false
			case 4: // explicit versions including this one
				rec["affected"] = affected(p.Name, nil, []string{p.Version})
			case 5: // withdrawn
				rec["affected"] = affected(p.Name, events("introduced", "0"), nil)
				rec["withdrawn"] = "2026-01-02T00:00:00Z"
				hit = false
			}
			if hit {
				want++
			}
			add(rec)
		}
	}
	for i := 0; i < others; i++ {
		name := fmt.Sprintf("other-%06d", i)
		if i%3 == 0 {
			name = "@" + strings.Replace(name, "-", "/", 1)
		}
		add(map[string]any{"affected": affected(name, events("introduced", "0", "fixed", "1.0.0"), nil)})
	}
	return records, want
}

// nextPatch is the version after a generated "major.minor.patch".
func nextPatch(v string) string {
	var major, minor, patch int
	if _, err := fmt.Sscanf(v, "%d.%d.%d", &major, &minor, &patch); err != nil {
		return v + "-invalid"
	}
	return fmt.Sprintf("%d.%d.%d", major, minor, patch+1)
}
