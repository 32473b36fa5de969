package report

import (
	"cmp"
	"slices"

	"github.com/ecoscan/ecoscan/internal/finding"
)

// worstFirst returns the findings in the order people read them: by severity,
// worst first, then by rule, then by location, and by fingerprint last so that
// the order never depends on how the engines happened to emit them. The
// report's own slice is left as it is.
func worstFirst(findings []finding.Finding) []finding.Finding {
	sorted := slices.Clone(findings)
	slices.SortStableFunc(sorted, func(a, b finding.Finding) int {
		return cmp.Or(
			cmp.Compare(b.Severity, a.Severity),
			cmp.Compare(a.Rule, b.Rule),
			compareLocations(a.Location, b.Location),
			cmp.Compare(a.Fingerprint, b.Fingerprint),
		)
	})
	return sorted
}

// compareLocations orders locations field by field, so that line 9 of a file
// comes before line 10.
func compareLocations(a, b finding.Location) int {
	return cmp.Or(
		cmp.Compare(a.URL, b.URL),
		cmp.Compare(a.Method, b.Method),
		cmp.Compare(a.Host, b.Host),
		cmp.Compare(a.Port, b.Port),
		cmp.Compare(a.File, b.File),
		cmp.Compare(a.Line, b.Line),
		cmp.Compare(a.Column, b.Column),
	)
}
