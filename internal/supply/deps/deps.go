// Package deps checks requirement 9, "no third-party components with known
// critical or high vulnerabilities", on a source tree: it finds every npm
// lockfile under a directory (package-lock.json v1 to v3,
// npm-shrinkwrap.json, yarn.lock v1 and berry, pnpm-lock.yaml 5.x, 6.x and
// 9.x, in any workspace or sub-project), extracts the installed packages with
// osv-scalibr's extractors and matches them with npm's version semantics
// against an offline copy of the OSV advisories for npm (see LoadDB).
//
// Every matching advisory is a finding at its own severity; requirement 9
// fails on critical and high ones. Without advisory data the requirement is
// skipped, never passed.
package deps

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	scalibrfs "github.com/google/osv-scalibr/fs"

	"github.com/ecoscan/ecoscan/internal/finding"
	"github.com/ecoscan/ecoscan/internal/requirement"
)

// Requirement is the requirement the package checks.
const Requirement = "9"

var ruleVulnerable = finding.Rule{
	ID: "deps/vulnerable-dependency", Requirement: Requirement, CVSS: 5.0,
	Title:       "Dependency with a known vulnerability",
	Remediation: "Upgrade the package (or the dependency that brings it in) to a version outside the advisory's affected ranges, regenerate the lockfile and redeploy.",
	Doc: "A lockfile under the scanned tree installs an npm package version that an OSV advisory says is affected " +
		"(introduced/fixed/last_affected ranges or explicit versions, compared with npm's semver order; withdrawn advisories are ignored). " +
		"The finding's CVSS is the base score of the advisory's CVSS v3 vector, else a score in the band of its database severity " +
		"(GitHub: LOW, MODERATE, HIGH, CRITICAL), else 5.0 (medium). Critical and high findings fail requirement 9. " +
		"Development-only dependencies are marked and can be left out.",
}

// Rules lists the rules of the dependency check.
func Rules() []finding.Rule { return []finding.Rule{ruleVulnerable} }

// ErrNoDB is the DBError of a scan for which no advisory database is
// installed or named: the row is then skipped with "no advisory data (run
// ecoscan update)" alone, and it is not an error of the scan.
var ErrNoDB = errors.New("no advisory data")

// Config is how Scan matches.
type Config struct {
	// DB is the advisory database; nil skips the matching (requirement 9
	// is then "skipped", never "pass").
	DB *DB
	// DBError is why DB is nil: ErrNoDB, or LoadDB's error when loading
	// failed, which the skipped row and the errors then give.
	DBError error
	// ExcludeDev leaves out findings in development-only dependencies.
	ExcludeDev bool
}

// Result is what Scan found.
type Result struct {
	// Lockfiles are the lockfiles read, sorted by path.
	Lockfiles []Lockfile

	cfg         Config
	found       int // lockfiles found, read or not
	findings    []finding.Finding
	errors      []finding.Error
	unread      int // lockfiles that could not be read
	excludedDev int // findings left out by ExcludeDev
	stopped     error
}

// Scan finds the lockfiles under dir and matches their packages against
// cfg.DB. A lockfile that cannot be read is an error of the result and the
// scan goes on; the error is non-nil only when dir itself cannot be read.
func Scan(ctx context.Context, dir string, cfg Config) (*Result, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("scan dependencies: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("scan dependencies: %s is not a directory", dir)
	}
	fsys, ok := os.DirFS(dir).(scalibrfs.FS)
	if !ok {
		return nil, errors.New("scan dependencies: os.DirFS cannot list or stat") // os.DirFS always can
	}
	res := &Result{cfg: cfg}
	paths, problems, err := findLockfiles(ctx, fsys)
	switch {
	case ctx.Err() != nil:
		res.stopped = ctx.Err()
	case err != nil:
		return nil, fmt.Errorf("scan dependencies in %s: %w", dir, err)
	}
	res.errors = append(res.errors, problems...)
	res.found = len(paths)
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			res.stopped = err
			break
		}
		lf, err := readLockfile(ctx, fsys, p)
		if err != nil {
			res.unread++
			res.errors = append(res.errors, finding.Error{Scope: p, Message: err.Error()})
			continue
		}
		res.Lockfiles = append(res.Lockfiles, *lf)
	}
	if res.stopped != nil {
		res.errors = append(res.errors, finding.Error{Scope: ".", Message: "scan stopped: " + res.stopped.Error()})
	}
	res.addDBErrors()
	if cfg.DB != nil {
		res.match(cfg.DB)
	}
	return res, nil
}

func (r *Result) addDBErrors() {
	scope := "advisory database"
	if r.cfg.DB != nil && r.cfg.DB.Path() != "" {
		scope = r.cfg.DB.Path()
	}
	var le *LoadError
	if errors.As(r.cfg.DBError, &le) {
		scope = le.Path
	}
	if r.cfg.DBError != nil && !errors.Is(r.cfg.DBError, ErrNoDB) {
		r.errors = append(r.errors, finding.Error{Scope: scope, Message: r.cfg.DBError.Error()})
	}
	if r.cfg.DB != nil {
		for _, p := range r.cfg.DB.Problems() {
			r.errors = append(r.errors, finding.Error{Scope: scope, Message: "advisory record skipped: " + p})
		}
	}
}

// match turns every (lockfile, package, advisory) that matches into a finding.
func (r *Result) match(db *DB) {
	for _, lf := range r.Lockfiles {
		for _, p := range lf.Packages {
			matches := db.match(p.Name, p.Version)
			if p.Version == "" {
				matches = db.matchAny(p.Name)
			}
			for _, m := range matches {
				if p.Dev && r.cfg.ExcludeDev {
					r.excludedDev++
					continue
				}
				r.findings = append(r.findings, newFinding(lf, p, m))
			}
		}
	}
	slices.SortFunc(r.findings, func(a, b finding.Finding) int {
		return cmp.Or(cmp.Compare(a.Location.File, b.Location.File), cmp.Compare(a.Location.Line, b.Location.Line),
			cmp.Compare(a.Package.Name, b.Package.Name), cmp.Compare(a.Package.Version, b.Package.Version),
			cmp.Compare(a.Advisory.ID, b.Advisory.ID))
	})
}

func newFinding(lf Lockfile, p Package, m match) finding.Finding {
	adv := m.adv
	score, sevNote := adv.severity.cvss(ruleVulnerable)
	id := adv.ID
	if len(adv.Aliases) > 0 {
		id += " (" + strings.Join(adv.Aliases, ", ") + ")"
	}
	var msg strings.Builder
	pkg := p.Name + "@" + p.Version
	switch {
	case p.Version == "":
		pkg = fmt.Sprintf("%s from git commit %s", p.Name, p.Commit)
		fmt.Fprintf(&msg, "%s, installed by %s, may be affected by %s", pkg, lf.Path, id)
	default:
		if p.Commit != "" {
			pkg += " (git commit " + p.Commit + ")"
		}
		fmt.Fprintf(&msg, "%s, installed by %s, is affected by %s", pkg, lf.Path, id)
	}
	if adv.Summary != "" {
		fmt.Fprintf(&msg, ": %s", adv.Summary)
	}
	msg.WriteString(".")
	switch {
	case p.Version == "":
		msg.WriteString(" The lockfile gives no version for it, so every advisory for the name is assumed to apply: check the commit against the advisory.")
	case m.fixed != "":
		fmt.Fprintf(&msg, " Fixed in %s.", m.fixed)
	default:
		msg.WriteString(" No fixed version is known.")
	}
	if p.Dev {
		msg.WriteString(" Development-only dependency.")
	}
	if adv.severity.source == "" {
		msg.WriteString(" The advisory gives no severity: reported as medium.")
	}

	evidence := []string{
		fmt.Sprintf("package: %s (npm) at %s:%d", pkg, lf.Path, p.Line),
	}
	if len(p.Chain) > 0 {
		evidence = append(evidence, "dependency chain: "+strings.Join(p.Chain, " > "))
	}
	evidence = append(evidence, fmt.Sprintf("development only: %t", p.Dev), "advisory: "+id)
	if adv.Summary != "" {
		evidence = append(evidence, "summary: "+adv.Summary)
	}
	evidence = append(evidence, "affected: "+strings.Join(m.ranges, "; "))
	if m.fixed != "" {
		evidence = append(evidence, "fixed: "+m.fixed)
	} else {
		evidence = append(evidence, "fixed: none known")
	}
	evidence = append(evidence, "severity: "+sevNote)

	f := ruleVulnerable.New(finding.Source(lf.Path, p.Line, 0), msg.String(), evidence...)
	f.CVSS = score
	f.Severity = requirement.FromCVSS(score)
	f.Fingerprint = finding.Fingerprint(ruleVulnerable.ID, lf.Path, p.Name, p.Version, adv.ID)
	f.Package = &finding.Package{Ecosystem: "npm", Name: p.Name, Version: p.Version}
	f.Advisory = &finding.Advisory{ID: adv.ID, Aliases: slices.Clone(adv.Aliases), Fixed: m.fixed}
	f.NeedsReview = p.Version == ""
	if m.fixed != "" {
		f.Remediation = fmt.Sprintf("Upgrade %s to %s or later (or the dependency that brings it in), regenerate %s and redeploy.", p.Name, m.fixed, lf.Path)
	}
	return f
}

// Findings are the advisories matched, one per lockfile, package version
// and advisory, sorted by lockfile, line, package and advisory id.
func (r *Result) Findings() []finding.Finding { return slices.Clone(r.findings) }

// Errors are what the scan could not do: lockfiles that could not be read,
// parts of the tree not searched, advisory data that could not be used.
func (r *Result) Errors() []finding.Error { return slices.Clone(r.errors) }

// Row is requirement 9's row of the checks table: not applicable without
// lockfiles, skipped without advisory data, failed when a critical or high
// advisory matches, an error when a lockfile could not be read, else passed.
func (r *Result) Row() finding.Check {
	row := func(s finding.Status, detail string) finding.Check {
		return finding.Check{Requirement: Requirement, Status: s, Detail: detail}
	}
	if r.found == 0 {
		if r.stopped != nil {
			return row(finding.Errored, "scan stopped before any lockfile was found: "+r.stopped.Error())
		}
		return row(finding.NotApplicable, "no lockfile found")
	}
	if r.cfg.DB == nil {
		if r.cfg.DBError != nil && !errors.Is(r.cfg.DBError, ErrNoDB) {
			return row(finding.Skipped, fmt.Sprintf("no advisory data (run ecoscan update): %v", r.cfg.DBError))
		}
		return row(finding.Skipped, "no advisory data (run ecoscan update)")
	}
	packages := 0
	for _, lf := range r.Lockfiles {
		packages += len(lf.Packages)
	}
	severe, severePkgs := 0, map[string]bool{}
	for _, f := range r.findings {
		if f.Severity >= finding.High {
			severe++
			severePkgs[f.Package.Name+"@"+f.Package.Version] = true
		}
	}
	var notes []string
	if lower := len(r.findings) - severe; lower > 0 {
		notes = append(notes, plural(lower, "lower-severity finding")+" reported")
	}
	if r.excludedDev > 0 {
		notes = append(notes, plural(r.excludedDev, "finding")+" in development-only dependencies left out")
	}
	if r.unread > 0 {
		notes = append(notes, fmt.Sprintf("%d of %d lockfiles could not be read", r.unread, r.found))
	}
	if r.stopped != nil {
		notes = append(notes, "scan stopped: "+r.stopped.Error())
	}
	scope := fmt.Sprintf("%s in %s", plural(packages, "package"), plural(len(r.Lockfiles), "lockfile"))
	detail := func(head string) string { return strings.Join(append([]string{head}, notes...), "; ") }
	switch {
	case severe > 0:
		return row(finding.Fail, detail(fmt.Sprintf("%s with critical or high advisories (%s) among %s",
			plural(len(severePkgs), "package"), plural(severe, "finding"), scope)))
	case r.unread > 0 || r.stopped != nil:
		return row(finding.Errored, detail("no critical or high advisories among "+scope+" read"))
	default:
		return row(finding.Pass, detail("no critical or high advisories among "+scope))
	}
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
