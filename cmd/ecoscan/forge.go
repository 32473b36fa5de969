package main

import (
	"github.com/spf13/cobra"

	"github.com/ecoscan/ecoscan/internal/data"
	"github.com/ecoscan/ecoscan/internal/forge"
)

func newForge(c *common) *cobra.Command {
	var src sourceFlags
	var maxSteps int
	cmd := &cobra.Command{
		Use:   "forge <dir>",
		Short: "Statically analyse a Forge app: manifest, JavaScript/TypeScript source, secrets, dependencies",
		Long: `Load the app's manifest.yml, parse its JavaScript and TypeScript, follow
values and calls from every entry point the manifest names (resolvers and
their keys, webtriggers, triggers, consumers, Rovo actions) across files, and
report what breaks Atlassian's requirements, each with its file, line, column
and the call path that reaches it: asApp() calls without a permission check
(1.2), webtriggers that act before verifying the request (1.1), module-level
state (2), unused scopes and wildcard egress (4), literal keys and secrets in
storage or logs (5), unsafe content permissions (7), injection (8), an
end-of-life runtime and vulnerable dependencies (9), Atlassian credentials
(10). An unreadable manifest is exit 2; a file that does not parse is listed
in errors and the rest is analysed.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, failOn, err := c.outputSettings()
			if err != nil {
				return err
			}
			dataDir, _ := data.Dir()
			rep, err := forge.Scan(cmd.Context(), args[0], forge.Options{
				Version:  version,
				DataDir:  dataDir,
				Supply:   src.config(true),
				MaxSteps: maxSteps,
			})
			if err != nil {
				return err
			}
			c.diag("scanned %s: %d findings, %d errors", args[0], len(rep.Findings), len(rep.Errors))
			return c.emitTree(rep, format, failOn, args[0])
		},
	}
	src.register(cmd)
	cmd.Flags().BoolVar(&src.includeNodeModules, "include-node-modules", false, "also scan node_modules for committed secrets")
	cmd.Flags().IntVar(&maxSteps, "max-steps", 0, "bound the analysis's work (expressions evaluated; 0: the default of 20 million); what is left unanalysed is reported in errors")
	return cmd
}
