// Package report turns a finding.Report into the formats people and tools
// read: one file per format, each behind the Format interface, all listed in
// one table. The engines know nothing of formats; formats know nothing of how
// a finding was made.
package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/ecoscan/ecoscan/internal/finding"
	"github.com/ecoscan/ecoscan/internal/requirement"
)

// Options are the settings a format may honour.
type Options struct {
	Color bool // ANSI colour (text only): on a terminal, and never when NO_COLOR is set
}

// Format writes a report in one output format.
type Format interface {
	Name() string
	Write(w io.Writer, r *finding.Report, opts Options) error
}

// formats is the one list of output formats.
var formats = []Format{textFormat{}, jsonFormat{}, sarifFormat{}, markdownFormat{}, htmlFormat{}}

// Lookup returns the format with this name.
func Lookup(name string) (Format, error) {
	for _, f := range formats {
		if f.Name() == name {
			return f, nil
		}
	}
	return nil, fmt.Errorf("unknown format %q (want %s)", name, strings.Join(Names(), ", "))
}

// Names lists the format names.
func Names() []string {
	var names []string
	for _, f := range formats {
		names = append(names, f.Name())
	}
	return slices.Clip(names)
}

// requirementGroup is the findings of one requirement that count (not
// suppressed), worst first, with their number by severity.
type requirementGroup struct {
	ID       string // the requirement's number, as the findings give it
	Title    string // the catalog's title of the requirement; "" for a number it does not know
	Findings []finding.Finding
	Count    map[finding.Severity]int
}

// groupByRequirement groups the findings that count by requirement, in the
// catalog's order, with requirements the catalog does not know after them in
// the order of their numbers. Suppressed findings are left out.
func groupByRequirement(findings []finding.Finding) []requirementGroup {
	rank := map[string]int{}
	for i, req := range requirement.All() {
		rank[req.ID] = i
	}
	byID := map[string]*requirementGroup{}
	var groups []*requirementGroup
	for _, f := range worstFirst(findings) {
		if f.Suppressed() {
			continue
		}
		g, ok := byID[f.Requirement]
		if !ok {
			g = &requirementGroup{ID: f.Requirement, Count: map[finding.Severity]int{}}
			if req, known := requirement.Lookup(f.Requirement); known {
				g.Title = req.Title
			}
			byID[f.Requirement] = g
			groups = append(groups, g)
		}
		g.Findings = append(g.Findings, f)
		g.Count[f.Severity]++
	}
	slices.SortFunc(groups, func(a, b *requirementGroup) int {
		ra, aKnown := rank[a.ID]
		rb, bKnown := rank[b.ID]
		switch {
		case aKnown && bKnown:
			return cmp.Compare(ra, rb)
		case aKnown != bKnown:
			if aKnown {
				return -1
			}
			return 1
		default:
			return cmp.Compare(a.ID, b.ID)
		}
	})
	out := make([]requirementGroup, len(groups))
	for i, g := range groups {
		out[i] = *g
	}
	return out
}

// suppressedFindings returns the suppressed findings, worst first.
func suppressedFindings(findings []finding.Finding) []finding.Finding {
	var out []finding.Finding
	for _, f := range worstFirst(findings) {
		if f.Suppressed() {
			out = append(out, f)
		}
	}
	return out
}
