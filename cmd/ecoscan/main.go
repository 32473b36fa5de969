// Command ecoscan tests Atlassian cloud apps against Atlassian's security
// requirements for Marketplace apps. This package is wiring only: flags,
// configuration, output and exit codes; the scans live in internal/.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/ecoscan/ecoscan/internal/finding"
	"github.com/ecoscan/ecoscan/internal/report"
	"github.com/ecoscan/ecoscan/internal/suppress"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// exitError carries an exit code out of a command.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// run executes the command line and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	var ee exitError
	switch {
	case err == nil:
		return finding.ExitClean
	case errors.As(err, &ee):
		return ee.code
	default:
		fmt.Fprintf(stderr, "ecoscan: %v\n", err)
		return finding.ExitError
	}
}

// common holds the flags every scan command shares.
type common struct {
	format   string
	output   string
	failOn   string
	timeout  time.Duration
	quiet    bool
	config   string // --config: the suppressions file
	baseline string // --baseline: an earlier JSON report

	// The --config and --baseline files, read by outputSettings before the
	// scan so that a mistake in them never costs one.
	suppressions *suppress.Config
	known        *suppress.Baseline

	stdout, stderr io.Writer
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	c := &common{stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:           "ecoscan",
		Short:         "Test Atlassian cloud apps against Atlassian's security requirements",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version,
	}
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return fmt.Errorf("%w (see '%s --help')", err, cmd.CommandPath())
	})
	pf := root.PersistentFlags()
	pf.StringVar(&c.format, "format", "", "output format: "+strings.Join(report.Names(), ", ")+" (default: text on a terminal, else by --output's extension, else json)")
	pf.StringVarP(&c.output, "output", "o", "", "write the report to this file (default stdout)")
	pf.StringVar(&c.failOn, "fail-on", "low", "exit 1 when a finding is at or above this severity: none, low, medium, high, critical")
	pf.DurationVar(&c.timeout, "timeout", 30*time.Second, "time limit of one request")
	pf.BoolVarP(&c.quiet, "quiet", "q", false, "no progress or diagnostics on stderr")
	pf.StringVar(&c.config, "config", "", "suppressions file (default: "+suppress.ConfigFile+" at the root of the scanned directory: deps <dir>, forge <dir>, connect --source <dir>); see docs/config.md")
	pf.StringVar(&c.baseline, "baseline", "", "an earlier report of ecoscan --format json: leave out the findings it has, report only what is new")
	root.AddCommand(newConnect(c), newForge(c), newHost(c), newDeps(c), newUpdate(c), newVersion(stdout),
		newServe(stdout, stderr), newBackup(stdout), newKeys(stdout, stderr), newAdmin(stdout))
	return root
}

func newVersion(stdout io.Writer) *cobra.Command {
	var withData bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print ecoscan's version (and with --data, the offline data installed)",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintln(stdout, "ecoscan", version)
			if withData {
				return printData(stdout)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&withData, "data", false, "also list the offline data the checks use: source, date, size")
	return cmd
}

// outputSettings checks the output flags, and reads the --config and
// --baseline files, before a scan starts, so that a usage mistake never
// costs a scan.
func (c *common) outputSettings() (report.Format, finding.FailOn, error) {
	failOn, err := finding.ParseFailOn(c.failOn)
	if err != nil {
		return nil, failOn, err
	}
	name := c.format
	if name == "" {
		name = c.defaultFormat()
	}
	f, err := report.Lookup(name)
	if err != nil {
		return nil, failOn, err
	}
	if c.config != "" {
		if c.suppressions, err = suppress.LoadConfig(c.config); err != nil {
			return nil, failOn, fmt.Errorf("--config: %w", err)
		}
	}
	if c.baseline != "" {
		if c.known, err = suppress.LoadBaseline(c.baseline); err != nil {
			return nil, failOn, fmt.Errorf("--baseline: %w", err)
		}
	}
	return f, failOn, nil
}

// defaultFormat is text on a terminal, else the --output file's extension, else json.
func (c *common) defaultFormat() string {
	if c.output != "" {
		switch strings.ToLower(filepath.Ext(c.output)) {
		case ".sarif":
			return "sarif"
		case ".txt":
			return "text"
		case ".md", ".markdown":
			return "markdown"
		case ".html", ".htm":
			return "html"
		}
		return "json"
	}
	if isTerminal(c.stdout) {
		return "text"
	}
	return "json"
}

// emit applies --baseline and --config to the report of a scan without a
// source tree, writes the report and turns it into the exit code.
func (c *common) emit(r *finding.Report, f report.Format, failOn finding.FailOn) error {
	return c.emitTree(r, f, failOn, "")
}

// emitTree is emit for a scan of the source tree at treeRoot, whose
// .ecoscan.yml applies when --config is not given. It is the one place every
// scan command's report passes through.
func (c *common) emitTree(r *finding.Report, f report.Format, failOn finding.FailOn, treeRoot string) error {
	if err := c.applyPolicy(r, treeRoot); err != nil {
		return err
	}
	w := c.stdout
	if c.output != "" {
		file, err := os.Create(c.output)
		if err != nil {
			return fmt.Errorf("create report file: %w", err)
		}
		defer file.Close()
		w = file
	}
	color := c.output == "" && isTerminal(c.stdout) && os.Getenv("NO_COLOR") == ""
	if err := f.Write(w, r, report.Options{Color: color}); err != nil {
		return fmt.Errorf("write %s report: %w", f.Name(), err)
	}
	if code := r.ExitCode(failOn); code != finding.ExitClean {
		return exitError{code}
	}
	return nil
}

// applyPolicy leaves out the findings --baseline knows, then marks the
// findings that a suppression of --config (or else of treeRoot's
// .ecoscan.yml) matches, and says on stderr what it did and what expired.
func (c *common) applyPolicy(r *finding.Report, treeRoot string) error {
	if c.known != nil {
		c.known.Apply(r)
		c.diag("baseline %s: %d known findings left out", c.baseline, r.Baseline.Known)
	}
	cfg := c.suppressions
	if treeRoot != "" {
		found, err := suppress.FindConfig(treeRoot)
		switch {
		case err != nil && cfg == nil:
			return fmt.Errorf("suppressions: %w", err)
		case (err != nil || found != nil) && cfg != nil:
			c.diag("using --config %s; %s is not read", c.config, filepath.Join(treeRoot, suppress.ConfigFile))
		case found != nil:
			cfg = found
		}
	}
	if cfg != nil {
		cfg.Apply(r, time.Now())
		c.diag("%s: %d findings suppressed", cfg.Path, r.Suppressed())
	}
	for _, w := range r.Warnings {
		c.diag("warning: %s: %s", w.Scope, w.Message)
	}
	return nil
}

// diag prints a diagnostic on stderr unless --quiet.
func (c *common) diag(format string, args ...any) {
	if !c.quiet {
		fmt.Fprintf(c.stderr, format+"\n", args...)
	}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
