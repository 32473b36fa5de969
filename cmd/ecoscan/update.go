package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ecoscan/ecoscan/internal/data"
)

func newUpdate(c *common) *cobra.Command {
	return &cobra.Command{
		Use:   "update",
		Short: "Refresh the offline data the checks use (OSV advisories, API scope tables)",
		Long: `Download the data the checks use into the data directory ($ECOSCAN_DATA_DIR,
or the user's cache directory): the OSV npm advisory database (osv-scanner's
offline layout, osv-scalibr/npm/all.zip) and the OAuth scopes of Atlassian's
REST operations, derived from Atlassian's OpenAPI specs. Each download is
checked before it replaces the old copy, atomically; a failed one leaves the
old copy in place. 'ecoscan version --data' shows what is installed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := data.Dir()
			if err != nil {
				return err
			}
			opts := data.UpdateOptions{}
			if !c.quiet {
				last := map[string]time.Time{}
				opts.Progress = func(name string, done, total int64) {
					if time.Since(last[name]) < 2*time.Second && done != total {
						return
					}
					last[name] = time.Now()
					if total > 0 {
						c.diag("%s: %d of %d MB", name, done>>20, total>>20)
					} else {
						c.diag("%s: %d MB", name, done>>20)
					}
				}
			}
			c.diag("updating %s", dir)
			m, err := data.Update(cmd.Context(), dir, opts)
			if m != nil {
				w := tabwriter.NewWriter(c.stdout, 2, 4, 2, ' ', 0)
				for _, d := range m.Datasets {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", d.Name, d.Date, d.Detail, d.Source)
				}
				w.Flush()
			}
			return err
		},
	}
}

// printData lists the installed datasets, for 'ecoscan version --data'.
func printData(w io.Writer) error {
	dir, err := data.Dir()
	if err != nil {
		return err
	}
	sets, err := data.Installed(dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "data directory: %s\n", dir)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "dataset\tdate\tdetail\tsource")
	for _, d := range sets {
		date, detail := d.Date, d.Detail
		switch {
		case d.Absent:
			date, detail = "-", "not installed (run ecoscan update)"
		case d.Embedded:
			detail += " (built in)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", d.Name, date, detail, d.Source)
	}
	return tw.Flush()
}
