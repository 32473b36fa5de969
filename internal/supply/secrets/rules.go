package secrets

import (
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/spf13/viper"
	"github.com/zricethezav/gitleaks/v8/config"
	glregexp "github.com/zricethezav/gitleaks/v8/regexp"

	"github.com/ecoscan/ecoscan/internal/finding"
)

// ourRules is ecoscan's rule file: gitleaks' format with a few keys of ours
// (cvss, precedence, source, reason, and the data of the structural checks).
//
//go:embed rules.toml
var ourRules string

// What every finding rule of this package shares.
const (
	requirement = "5"
	idPrefix    = "secrets/"
	defaultCVSS = 7.5
	titlePrefix = "Committed secret: "
	remediation = "Remove the secret from the tree and its history, rotate it, and load it from the environment or a secret store."
)

// Precedence of gitleaks' own rules when several rules find one secret:
// generic rules lose to everything; the others, which know the shape of a
// provider's token, beat ecoscan's context rules (precedence 1 in rules.toml).
const (
	precedenceGeneric  = 0
	precedenceSpecific = 2
)

// ruleData is what ecoscan reads of one [[rules]] entry of rules.toml. The
// gitleaks keys (regex, keywords, allowlists, ...) are read by gitleaks'
// config package; this struct holds our keys and the data of the structural
// checks (Check != "").
type ruleData struct {
	ID          string
	Description string
	CVSS        float64
	Precedence  int
	Source      string
	Reason      string

	Check        string
	Path         string
	Sections     []string
	Names        string
	NotNames     string
	Templated    string
	Placeholders string
}

// ruleFile is rules.toml as ecoscan reads it.
type ruleFile struct {
	Rules []*ruleData
}

// rulebook is every rule a scan uses, parsed and compiled once.
type rulebook struct {
	gitleaks config.Config        // gitleaks' default rules with ours merged in
	ours     map[string]*ruleData // ecoscan's rules by gitleaks id
	order    []*ruleData          // ecoscan's rules in the order of rules.toml
	forge    *manifestCheck       // the forge-manifest check
}

var (
	bookOnce sync.Once
	book     *rulebook
	bookErr  error
)

// loadRulebook parses gitleaks' default rules and ours, once.
func loadRulebook() (*rulebook, error) {
	bookOnce.Do(func() { book, bookErr = parseRulebook(ourRules) })
	return book, bookErr
}

func parseRulebook(text string) (*rulebook, error) {
	defaults, err := parseGitleaks(config.DefaultConfig, nil)
	if err != nil {
		return nil, fmt.Errorf("load gitleaks' default rules: %w", err)
	}
	var file ruleFile
	ours, err := parseGitleaks(text, &file)
	if err != nil {
		return nil, fmt.Errorf("load ecoscan's secret rules: %w", err)
	}
	b := &rulebook{ours: map[string]*ruleData{}}
	for _, d := range file.Rules {
		if d.ID == "" || b.ours[d.ID] != nil {
			return nil, fmt.Errorf("load ecoscan's secret rules: missing or repeated id %q", d.ID)
		}
		if d.Description == "" || d.Source == "" || d.Reason == "" {
			return nil, fmt.Errorf("load ecoscan's secret rules: %s needs a description, a source and a reason", d.ID)
		}
		b.ours[d.ID] = d
		b.order = append(b.order, d)
		switch d.Check {
		case "":
		case "forge-manifest":
			if b.forge, err = newManifestCheck(d); err != nil {
				return nil, fmt.Errorf("load ecoscan's secret rules: %s: %w", d.ID, err)
			}
		default:
			return nil, fmt.Errorf("load ecoscan's secret rules: %s: unknown check %q", d.ID, d.Check)
		}
	}
	if b.forge == nil {
		return nil, errors.New("load ecoscan's secret rules: no forge-manifest check")
	}
	b.gitleaks = merge(defaults, ours)
	return b, nil
}

// parseGitleaks reads a configuration in gitleaks' format the way gitleaks
// does (viper, then ViperConfig.Translate), with a viper of its own rather
// than the global one that detect.NewDetectorDefaultConfig changes. When file
// is not nil, it also receives ecoscan's keys, and the rules that are
// structural checks are left out of the gitleaks configuration.
func parseGitleaks(text string, file *ruleFile) (config.Config, error) {
	v := viper.New()
	v.SetConfigType("toml")
	if err := v.ReadConfig(strings.NewReader(text)); err != nil {
		return config.Config{}, fmt.Errorf("read toml: %w", err)
	}
	var vc config.ViperConfig
	if err := v.Unmarshal(&vc); err != nil {
		return config.Config{}, fmt.Errorf("decode rules: %w", err)
	}
	if file != nil {
		if err := v.Unmarshal(file); err != nil {
			return config.Config{}, fmt.Errorf("decode ecoscan's keys: %w", err)
		}
		structural := map[string]bool{}
		for _, d := range file.Rules {
			structural[d.ID] = d.Check != ""
		}
		kept := vc.Rules[:0]
		for _, r := range vc.Rules {
			if !structural[r.ID] {
				kept = append(kept, r)
			}
		}
		vc.Rules = kept
	}
	cfg, err := translate(&vc)
	if err != nil {
		return config.Config{}, fmt.Errorf("compile rules: %w", err)
	}
	return cfg, nil
}

// translate is ViperConfig.Translate, which compiles regular expressions
// with MustCompile: a bad pattern becomes an error rather than a panic.
func translate(vc *config.ViperConfig) (cfg config.Config, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return vc.Translate()
}

// merge adds our rules to gitleaks' defaults (ours replace a default rule of
// the same id) and rebuilds the keyword list. gitleaks' global allowlist
// skips node_modules; the walk decides about node_modules (IncludeNodeModules),
// so that path is taken out of it.
func merge(defaults, ours config.Config) config.Config {
	out := config.Config{
		Title:    "gitleaks defaults and ecoscan rules",
		Rules:    map[string]config.Rule{},
		Keywords: map[string]struct{}{},
	}
	for _, id := range defaults.OrderedRules {
		if _, replaced := ours.Rules[id]; !replaced {
			out.Rules[id] = defaults.Rules[id]
			out.OrderedRules = append(out.OrderedRules, id)
		}
	}
	for _, id := range ours.OrderedRules {
		out.Rules[id] = ours.Rules[id]
		out.OrderedRules = append(out.OrderedRules, id)
	}
	for _, r := range out.Rules {
		for _, k := range r.Keywords {
			out.Keywords[strings.ToLower(k)] = struct{}{}
		}
	}
	for _, a := range append(slices.Clone(defaults.Allowlists), ours.Allowlists...) {
		out.Allowlists = append(out.Allowlists, withoutNodeModules(a))
	}
	return out
}

// withoutNodeModules is a copy of a global allowlist without the path
// pattern that skips node_modules.
func withoutNodeModules(a *config.Allowlist) *config.Allowlist {
	paths := slices.DeleteFunc(slices.Clone(a.Paths), func(p *glregexp.Regexp) bool {
		return strings.Contains(p.String(), "node_modules")
	})
	if len(paths) == len(a.Paths) {
		return a
	}
	c := &config.Allowlist{
		Description:    a.Description,
		MatchCondition: a.MatchCondition,
		Commits:        a.Commits,
		Paths:          paths,
		RegexTarget:    a.RegexTarget,
		Regexes:        a.Regexes,
		StopWords:      a.StopWords,
	}
	if err := c.Validate(); err != nil {
		return a
	}
	return c
}

// precedence orders the rules that found the same secret.
func (b *rulebook) precedence(id string) int {
	if d := b.ours[id]; d != nil {
		return d.Precedence
	}
	if strings.HasPrefix(id, "generic") {
		return precedenceGeneric
	}
	return precedenceSpecific
}

// cvss is the default CVSS of a rule's findings.
func (b *rulebook) cvss(id string) float64 {
	if d := b.ours[id]; d != nil && d.CVSS != 0 {
		return d.CVSS
	}
	return defaultCVSS
}

// rule is the finding rule of a gitleaks rule id: ours as rules.toml
// describes them, gitleaks' named after their description.
func (b *rulebook) rule(id string) finding.Rule {
	if d := b.ours[id]; d != nil {
		return ourRule(d)
	}
	desc := b.gitleaks.Rules[id].Description
	if desc == "" {
		desc = id
	}
	return finding.Rule{
		ID:          idPrefix + id,
		Requirement: requirement,
		Title:       titlePrefix + desc,
		CVSS:        defaultCVSS,
		Remediation: remediation,
		Doc:         "gitleaks' default rule " + id + " (gitleaks v8.30.1): " + desc,
	}
}

func ourRule(d *ruleData) finding.Rule {
	cvss := d.CVSS
	if cvss == 0 {
		cvss = defaultCVSS
	}
	return finding.Rule{
		ID:          idPrefix + d.ID,
		Requirement: requirement,
		Title:       titlePrefix + d.Description,
		CVSS:        cvss,
		Remediation: remediation,
		Doc:         d.Reason + " Source: " + d.Source,
	}
}

// Rules returns the finding rules of ecoscan's own secret rules, in the order
// of rules.toml. Findings of gitleaks' default rules have rules named
// "secrets/<gitleaks rule id>", made when they are found.
func Rules() []finding.Rule {
	b, err := loadRulebook()
	if err != nil {
		return nil
	}
	out := make([]finding.Rule, 0, len(b.order))
	for _, d := range b.order {
		out = append(out, ourRule(d))
	}
	return out
}
