package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/ecoscan/ecoscan/internal/finding"
	"github.com/ecoscan/ecoscan/internal/requirement"
	"github.com/ecoscan/ecoscan/internal/supply"
)

// sourceFlags are the flags of the source scans (deps, connect --source).
type sourceFlags struct {
	osvDB              string
	excludeDev         bool
	includeNodeModules bool
}

func (s *sourceFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&s.osvDB, "osv-db", "", "offline OSV database: a directory in osv-scanner's layout (DIR/osv-scalibr/npm/all.zip) or the zip (or "+supply.EnvOSVDB+"; default: the copy 'ecoscan update' installed)")
	cmd.Flags().BoolVar(&s.excludeDev, "exclude-dev", false, "leave out vulnerable development-only dependencies")
}

// config is the source scan's configuration; secrets says whether
// committed secrets are scanned too.
func (s *sourceFlags) config(secrets bool) supply.Config {
	return supply.Config{OSVDB: s.osvDB, ExcludeDev: s.excludeDev, Secrets: secrets, IncludeNodeModules: s.includeNodeModules}
}

func newDeps(c *common) *cobra.Command {
	var src sourceFlags
	cmd := &cobra.Command{
		Use:   "deps <dir>",
		Short: "Match the lockfiles under a directory against OSV advisories (requirement 9)",
		Long: `Find every lockfile under the directory (package-lock.json v1-v3,
npm-shrinkwrap.json, yarn.lock v1 and berry, pnpm-lock.yaml; node_modules
skipped) and match its packages against the OSV npm advisories with npm's
version semantics. Without advisory data the check is skipped, never passed:
run 'ecoscan update' or give --osv-db.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, failOn, err := c.outputSettings()
			if err != nil {
				return err
			}
			rep := &finding.Report{
				Tool:      finding.Tool{Name: "ecoscan", Version: version},
				Target:    finding.Target{Kind: "deps", Ref: args[0]},
				StartedAt: time.Now(),
			}
			res, err := supply.Scan(cmd.Context(), args[0], src.config(false))
			if err != nil {
				return err
			}
			rep.Findings, rep.Errors = res.Findings, res.Errors
			rep.Checks = checksTable(res.Checks, "not tested by the dependency scan")
			rep.Finish(time.Now())
			c.diag("scanned %s: %d findings, %d errors", args[0], len(rep.Findings), len(rep.Errors))
			return c.emitTree(rep, format, failOn, args[0])
		},
	}
	src.register(cmd)
	return cmd
}

// checksTable is a row for every requirement of the catalog: the given rows,
// and "not applicable" with the reason for the others.
func checksTable(rows []finding.Check, otherwise string) []finding.Check {
	have := map[string]finding.Check{}
	for _, r := range rows {
		have[r.Requirement] = r
	}
	var out []finding.Check
	for _, r := range requirement.All() {
		row, ok := have[r.ID]
		if !ok {
			row = finding.Check{Requirement: r.ID, Status: finding.NotApplicable, Detail: otherwise}
		}
		out = append(out, row)
	}
	return out
}
