// Command deps is the ecoscan side of bench/deps-compare.sh, which compares
// the dependency check (internal/supply/deps) with osv-scanner on the same
// lockfiles and the same offline OSV database.
//
//	deps prepare -records DIR -n 5000 -others 20000 -out DIR
//	    writes OUT/big/package-lock.json (n generated packages) and
//	    OUT/db/osv-scalibr/npm/all.zip (the records of DIR plus advisories
//	    for the generated packages and others unrelated ones)
//	deps scan -db DIR TREE
//	    scans TREE and prints what matched as JSON, with the time taken
//	deps compare -ours FILE -osv FILE
//	    compares a scan's output with osv-scanner's JSON output, per
//	    lockfile, and exits 1 when they differ
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ecoscan/ecoscan/internal/supply/deps"
	"github.com/ecoscan/ecoscan/internal/supply/deps/depstest"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: deps prepare|scan|compare [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "prepare":
		err = prepare(os.Args[2:])
	case "scan":
		err = scan(os.Args[2:])
	case "compare":
		var same bool
		same, err = compare(os.Args[2:])
		if err == nil && !same {
			os.Exit(1)
		}
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "deps:", err)
		os.Exit(2)
	}
}

func prepare(args []string) error {
	fs := flag.NewFlagSet("prepare", flag.ContinueOnError)
	records := fs.String("records", "", "directory of OSV records (*.json)")
	n := fs.Int("n", 5000, "packages of the generated lockfile")
	others := fs.Int("others", 20000, "advisories for packages the lockfile does not install")
	out := fs.String("out", "", "output directory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *records == "" || *out == "" {
		return fmt.Errorf("prepare needs -records and -out")
	}
	recs, err := depstest.ReadRecords(*records)
	if err != nil {
		return err
	}
	lock, pkgs := depstest.PackageLock(*n)
	generated, want := depstest.Advisories(pkgs, *others)
	maps.Copy(recs, generated)
	big := filepath.Join(*out, "big")
	if err := os.MkdirAll(big, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(big, "package-lock.json"), lock, 0o644); err != nil {
		return err
	}
	if _, err := depstest.WriteDB(filepath.Join(*out, "db"), recs); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "prepared %d packages, %d advisories (%d matches expected in the generated lockfile)\n", len(pkgs), len(recs), want)
	return nil
}

// match is one (lockfile, package, version, advisory) found.
type match struct {
	Lockfile string `json:"lockfile"`
	Name     string `json:"name"`
	Version  string `json:"version"`
	Advisory string `json:"advisory"`
}

type scanOutput struct {
	LoadMillis float64  `json:"load_ms"`
	ScanMillis float64  `json:"scan_ms"`
	Packages   int      `json:"packages"`
	Matches    []match  `json:"matches"`
	Errors     []string `json:"errors"`
}

func scan(args []string) error {
	fs := flag.NewFlagSet("scan", flag.ContinueOnError)
	dbDir := fs.String("db", "", "database directory (holding osv-scalibr/npm/all.zip)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *dbDir == "" {
		return fmt.Errorf("scan needs -db and one directory")
	}
	root, err := filepath.Abs(fs.Arg(0))
	if err != nil {
		return err
	}
	start := time.Now()
	db, err := deps.LoadDB(*dbDir)
	if err != nil {
		return err
	}
	loaded := time.Now()
	res, err := deps.Scan(context.Background(), root, deps.Config{DB: db})
	if err != nil {
		return err
	}
	out := scanOutput{
		LoadMillis: float64(loaded.Sub(start).Microseconds()) / 1000,
		ScanMillis: float64(time.Since(loaded).Microseconds()) / 1000,
		Matches:    []match{},
		Errors:     []string{},
	}
	for _, lf := range res.Lockfiles {
		out.Packages += len(lf.Packages)
	}
	for _, f := range res.Findings() {
		out.Matches = append(out.Matches, match{filepath.Join(root, filepath.FromSlash(f.Location.File)), f.Package.Name, f.Package.Version, f.Advisory.ID})
	}
	for _, e := range res.Errors() {
		out.Errors = append(out.Errors, e.Scope+": "+e.Message)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// osvOutput is the part of osv-scanner's JSON output the comparison reads.
type osvOutput struct {
	Results []struct {
		Source struct {
			Path string `json:"path"`
		} `json:"source"`
		Packages []struct {
			Package struct {
				Name    string `json:"name"`
				Version string `json:"version"`
			} `json:"package"`
			Vulnerabilities []struct {
				ID string `json:"id"`
			} `json:"vulnerabilities"`
		} `json:"packages"`
	} `json:"results"`
}

func compare(args []string) (bool, error) {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	oursPath := fs.String("ours", "", "output of deps scan")
	osvPath := fs.String("osv", "", "osv-scanner's --format json output")
	if err := fs.Parse(args); err != nil {
		return false, err
	}
	var ours scanOutput
	if err := readJSON(*oursPath, &ours); err != nil {
		return false, err
	}
	var theirs osvOutput
	if err := readJSON(*osvPath, &theirs); err != nil {
		return false, err
	}
	a := map[match]bool{}
	for _, m := range ours.Matches {
		a[m] = true
	}
	b := map[match]bool{}
	for _, r := range theirs.Results {
		for _, p := range r.Packages {
			for _, v := range p.Vulnerabilities {
				b[match{r.Source.Path, p.Package.Name, p.Package.Version, v.ID}] = true
			}
		}
	}
	lockfiles := map[string]bool{}
	for m := range a {
		lockfiles[m.Lockfile] = true
	}
	for m := range b {
		lockfiles[m.Lockfile] = true
	}
	same := true
	for _, lf := range slices.Sorted(maps.Keys(lockfiles)) {
		onlyOurs, onlyTheirs, both := diff(a, b, lf)
		fmt.Printf("%s: ecoscan %d, osv-scanner %d, both %d\n", lf, len(onlyOurs)+len(both), len(onlyTheirs)+len(both), len(both))
		for _, m := range both {
			fmt.Printf("    both         %s@%s %s\n", m.Name, m.Version, m.Advisory)
		}
		for _, m := range onlyOurs {
			fmt.Printf("  + ecoscan only %s@%s %s\n", m.Name, m.Version, m.Advisory)
		}
		for _, m := range onlyTheirs {
			fmt.Printf("  - osv only     %s@%s %s\n", m.Name, m.Version, m.Advisory)
		}
		same = same && len(onlyOurs) == 0 && len(onlyTheirs) == 0
	}
	for _, e := range ours.Errors {
		fmt.Println("ecoscan error:", e)
	}
	fmt.Printf("ecoscan: %d packages, database loaded in %.0f ms, lockfiles read and matched in %.0f ms\n", ours.Packages, ours.LoadMillis, ours.ScanMillis)
	return same, nil
}

// diff splits the matches of one lockfile into those only in a, only in b
// and in both, each sorted.
func diff(a, b map[match]bool, lockfile string) (onlyA, onlyB, both []match) {
	for m := range a {
		if m.Lockfile != lockfile {
			continue
		}
		if b[m] {
			both = append(both, m)
		} else {
			onlyA = append(onlyA, m)
		}
	}
	for m := range b {
		if m.Lockfile == lockfile && !a[m] {
			onlyB = append(onlyB, m)
		}
	}
	for _, list := range [][]match{onlyA, onlyB, both} {
		slices.SortFunc(list, func(x, y match) int {
			return cmp.Or(strings.Compare(x.Name, y.Name), strings.Compare(x.Version, y.Version), strings.Compare(x.Advisory, y.Advisory))
		})
	}
	return onlyA, onlyB, both
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	return nil
}
