// Package supply scans an app's source tree for what it ships besides its own
// logic: the dependencies its lockfiles pin, matched against OSV advisories
// (requirement 9, package deps), and the secrets committed in it
// (requirement 5, package secrets). `ecoscan deps`, `ecoscan connect
// --source` and the Forge scan share it.
package supply

import (
	"context"
	"fmt"
	"os"

	"github.com/ecoscan/ecoscan/internal/data"
	"github.com/ecoscan/ecoscan/internal/finding"
	"github.com/ecoscan/ecoscan/internal/supply/deps"
	"github.com/ecoscan/ecoscan/internal/supply/secrets"
)

// EnvOSVDB names an offline OSV database in osv-scanner's layout
// (DIR/osv-scalibr/npm/all.zip), like the --osv-db flag.
const EnvOSVDB = "ECOSCAN_OSV_DB"

// Config says which parts run and with what.
type Config struct {
	// OSVDB is the advisory database's directory or zip; empty means
	// $ECOSCAN_OSV_DB, else the copy `ecoscan update` installed.
	OSVDB      string
	ExcludeDev bool // leave out findings in development-only dependencies
	Secrets    bool // also scan for committed secrets (requirement 5)
	// IncludeNodeModules also scans node_modules for secrets (skipped by default).
	IncludeNodeModules bool
}

// Result is the findings, checks-table rows and errors of a source scan.
type Result struct {
	Findings []finding.Finding
	Checks   []finding.Check // the rows of 9, and of 5 when secrets were scanned
	Errors   []finding.Error
}

// Scan scans the tree at dir. The error is for a tree that cannot be read.
func Scan(ctx context.Context, dir string, cfg Config) (*Result, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("source tree: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("source tree %s: not a directory", dir)
	}
	out := &Result{}
	dc := deps.Config{ExcludeDev: cfg.ExcludeDev}
	dc.DB, dc.DBError = loadDB(cfg.OSVDB)
	d, err := deps.Scan(ctx, dir, dc)
	if err != nil {
		return nil, err
	}
	out.Findings = append(out.Findings, d.Findings()...)
	out.Errors = append(out.Errors, d.Errors()...)
	out.Checks = append(out.Checks, d.Row())
	if cfg.Secrets {
		s, err := secrets.Scan(ctx, dir, secrets.Config{IncludeNodeModules: cfg.IncludeNodeModules})
		if err != nil {
			return nil, err
		}
		out.Findings = append(out.Findings, s.Findings()...)
		out.Errors = append(out.Errors, s.Errors()...)
		out.Checks = append(out.Checks, s.Row())
	}
	return out, nil
}

// loadDB finds and loads the advisory database: the given path, else
// $ECOSCAN_OSV_DB, else the installed copy.
func loadDB(path string) (*deps.DB, error) {
	if path == "" {
		path = os.Getenv(EnvOSVDB)
	}
	if path == "" {
		dir, err := data.Dir()
		if err != nil {
			return nil, deps.ErrNoDB
		}
		p, ok := data.OSVDBPath(dir)
		if !ok {
			return nil, deps.ErrNoDB
		}
		path = p
	}
	return deps.LoadDB(path)
}
