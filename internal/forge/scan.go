// Package forge is the static scan of a Forge app (`ecoscan forge <dir>`):
// it loads the manifest (package manifest), parses the JavaScript and
// TypeScript source (package parse), resolves imports (package resolve),
// follows values and calls from every entry point the manifest names
// (package analysis), and judges what the code does with the checks of
// this package, one file per requirement. The source tree's committed
// secrets and vulnerable dependencies come from package supply.
package forge

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ecoscan/ecoscan/internal/data"
	"github.com/ecoscan/ecoscan/internal/finding"
	"github.com/ecoscan/ecoscan/internal/forge/analysis"
	"github.com/ecoscan/ecoscan/internal/forge/manifest"
	"github.com/ecoscan/ecoscan/internal/forge/parse"
	"github.com/ecoscan/ecoscan/internal/forge/resolve"
	"github.com/ecoscan/ecoscan/internal/supply"
)

// Options are the settings of a Forge scan.
type Options struct {
	Version string
	// DataDir is where `ecoscan update` keeps the scope tables and advisories
	// ("" means the embedded scope tables and no advisories unless
	// Supply.OSVDB names some).
	DataDir string
	// Supply configures the source-tree part (dependencies and secrets);
	// secrets are always scanned.
	Supply  supply.Config
	Workers int              // parallel parsing (default: the number of CPUs)
	Now     func() time.Time // the scan's clock (tests)
	// MaxSteps bounds the analysis's work (0: the default).
	MaxSteps int
}

// ErrManifest wraps every failure to load the manifest: the scan cannot be
// completed (exit code 2).
var ErrManifest = errors.New("manifest")

// Scan scans the Forge app in dir. An error means the scan could not be
// completed (no readable manifest, an unreadable directory); everything that
// fails after that is reported in the report's errors and checks.
func Scan(ctx context.Context, dir string, opts Options) (*finding.Report, error) {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	rep := &finding.Report{
		Tool:      finding.Tool{Name: "ecoscan", Version: opts.Version},
		Target:    finding.Target{Kind: "forge", Ref: dir},
		StartedAt: now(),
	}
	man, err := manifest.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrManifest, err)
	}
	rep.Target.AppKey = man.AppID
	for _, pr := range man.Problems {
		rep.Errors = append(rep.Errors, finding.Error{Scope: fmt.Sprintf("%s:%d:%d", man.Path, pr.Pos.Line, pr.Pos.Column), Message: pr.Msg})
	}

	parsed, err := parse.Dir(ctx, dir, parse.Options{Workers: opts.Workers})
	if err != nil {
		return nil, fmt.Errorf("read source of %s: %w", dir, err)
	}
	for _, fe := range parsed.Errors {
		scope := fe.Path
		if fe.Line > 0 {
			scope = fmt.Sprintf("%s:%d:%d", fe.Path, fe.Line, fe.Column)
		}
		rep.Errors = append(rep.Errors, finding.Error{Scope: scope, Message: fe.Msg})
	}
	paths := make([]string, len(parsed.Files))
	for i, f := range parsed.Files {
		paths[i] = f.Path
	}
	res, problems := resolve.New(dir, paths)
	for _, pr := range problems {
		scope := pr.Path
		if pr.Line > 0 {
			scope = fmt.Sprintf("%s:%d:%d", pr.Path, pr.Line, pr.Column)
		}
		rep.Errors = append(rep.Errors, finding.Error{Scope: scope, Message: pr.Msg})
	}

	entries, entryErrs := entryPoints(man, res)
	rep.Errors = append(rep.Errors, entryErrs...)
	result := analysis.Analyse(analysis.Input{
		Files:    parsed.Files,
		Resolve:  resolver(res),
		Entries:  entries,
		MaxSteps: opts.MaxSteps,
	})
	for _, e := range result.Errors {
		scope := e.File
		if scope == "" {
			scope = dir
		} else if e.Pos.Line > 0 {
			scope = fmt.Sprintf("%s:%d:%d", e.File, e.Pos.Line, e.Pos.Col)
		}
		rep.Errors = append(rep.Errors, finding.Error{Scope: scope, Message: e.Msg})
	}

	scfg := opts.Supply
	scfg.Secrets = true
	src, err := supply.Scan(ctx, dir, scfg)
	if err != nil {
		return nil, fmt.Errorf("scan source tree %s: %w", dir, err)
	}
	rep.Findings = append(rep.Findings, src.Findings...)
	rep.Errors = append(rep.Errors, src.Errors...)

	p := &pass{man: man, res: result, now: rep.StartedAt, report: rep, seen: map[string]bool{}}
	for _, f := range rep.Findings {
		p.seen[f.Fingerprint] = true
	}
	p.scopes, _, p.scopesErr = data.Scopes(opts.DataDir)
	runChecks(p, src.Checks)
	if len(result.EntryPoints) == 0 && len(entries) > 0 {
		rep.Errors = append(rep.Errors, finding.Error{Scope: man.Path, Message: "no entry point of the manifest could be followed into the code: the code checks saw only code that no entry point reaches"})
	}
	rep.Finish(now())
	return rep, nil
}

// resolver adapts package resolve to the analysis.
func resolver(r *resolve.Resolver) func(from, spec string) analysis.Target {
	return func(from, spec string) analysis.Target {
		t := r.Resolve(from, spec)
		out := analysis.Target{Path: t.Path, Package: t.Package, Subpath: t.Subpath, Reason: t.Reason}
		switch t.Kind {
		case resolve.File:
			out.Kind = analysis.FileTarget
		case resolve.Package:
			out.Kind = analysis.PackageTarget
		case resolve.Builtin:
			out.Kind = analysis.BuiltinTarget
		default:
			out.Kind = analysis.Unresolved
		}
		return out
	}
}

// entryKinds maps the manifest's entry kinds to how the analysis treats
// them; kinds that run no function of the app (Forge remote endpoints) are
// absent.
var entryKinds = map[manifest.EntryKind]analysis.EntryKind{
	manifest.Resolver:         analysis.Invokable,
	manifest.FunctionUI:       analysis.Invokable,
	manifest.RovoAction:       analysis.Invokable,
	manifest.APIRoute:         analysis.Invokable,
	manifest.WebTrigger:       analysis.WebTrigger,
	manifest.ProductTrigger:   analysis.ProductEvent,
	manifest.ModuleFunction:   analysis.ProductEvent,
	manifest.ScheduledTrigger: analysis.Background,
	manifest.QueueConsumer:    analysis.Background,
	manifest.Unknown:          analysis.Background,
}

// exposure orders the analysis's entry kinds: a function that several
// modules use is analysed as its most exposed use.
var exposure = map[analysis.EntryKind]int{analysis.Background: 0, analysis.ProductEvent: 1, analysis.Invokable: 2, analysis.WebTrigger: 3}

// entryPoints turns the manifest's entries into the analysis's: one per
// function, its handler resolved to a file and export. What cannot be
// resolved is an error, never dropped.
func entryPoints(man *manifest.Manifest, r *resolve.Resolver) ([]*analysis.Entry, []finding.Error) {
	var errs []finding.Error
	byFunction := map[string]*analysis.Entry{}
	adminOnly := map[string]bool{}
	var order []string
	for _, e := range man.Entries {
		kind, ok := entryKinds[e.Kind]
		if !ok {
			continue
		}
		where := fmt.Sprintf("%s:%d:%d", man.Path, e.Pos.Line, e.Pos.Column)
		if e.Kind == manifest.Unknown {
			errs = append(errs, finding.Error{Scope: where, Message: fmt.Sprintf("module type %s (key %s) is not one ecoscan knows: its function %s is analysed as a background function, not as one users can invoke", e.ModuleType, e.ModuleKey, e.Function)})
		}
		fn := man.Functions[e.Function]
		if fn == nil {
			continue // an undefined function is one of the manifest's Problems, reported already
		}
		module := fmt.Sprintf("%s %s", e.ModuleType, e.ModuleKey)
		ae := byFunction[fn.Key]
		if ae == nil {
			t := r.Handler(fn.Module)
			if t.Kind != resolve.File {
				errs = append(errs, finding.Error{Scope: fmt.Sprintf("%s:%d:%d", man.Path, fn.Pos.Line, fn.Pos.Column), Message: fmt.Sprintf("function %s: handler %s cannot be found: %s", fn.Key, fn.Handler, t.Reason)})
				byFunction[fn.Key] = &analysis.Entry{} // reported once
				continue
			}
			ae = &analysis.Entry{Kind: kind, File: t.Path, Export: fn.Export, Where: where}
			byFunction[fn.Key] = ae
			adminOnly[fn.Key] = true
			order = append(order, fn.Key)
		}
		if ae.File == "" {
			continue
		}
		if exposure[kind] > exposure[ae.Kind] {
			ae.Kind = kind
		}
		if kind == analysis.Invokable && !e.Admin {
			adminOnly[fn.Key] = false
		}
		ae.Modules = append(ae.Modules, module)
	}
	var out []*analysis.Entry
	for _, key := range order {
		ae := byFunction[key]
		ae.Admin = ae.Kind == analysis.Invokable && adminOnly[key]
		ae.Name = fmt.Sprintf("function %s (%s)", key, strings.Join(ae.Modules, ", "))
		out = append(out, ae)
	}
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Scope < errs[j].Scope })
	return out, errs
}
