package suppress

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/ecoscan/ecoscan/internal/finding"
)

// MaxBaselineSize is the largest baseline report read.
const MaxBaselineSize = 256 << 20

// Baseline is an earlier report whose findings are known: applying it leaves
// them out of a new report, so that the new report shows what is new.
type Baseline struct {
	Path   string         // the report, as given
	Target finding.Target // what the earlier scan scanned
	known  map[string]bool
}

// Len is the number of distinct fingerprints the baseline knows.
func (b *Baseline) Len() int { return len(b.known) }

// LoadBaseline reads and parses the JSON report at path.
func LoadBaseline(path string) (*Baseline, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read baseline: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxBaselineSize+1))
	if err != nil {
		return nil, fmt.Errorf("read baseline %s: %w", path, err)
	}
	return ParseBaseline(path, data)
}

// ParseBaseline parses an "ecoscan.report/v1" JSON report (as --format json
// writes it); name is the file's name in errors and in the report. Only what
// a baseline needs is checked: the schema's name, the target, and the
// fingerprint of every finding.
func ParseBaseline(name string, data []byte) (*Baseline, error) {
	if len(data) > MaxBaselineSize {
		return nil, fmt.Errorf("baseline %s: larger than %d MiB", name, MaxBaselineSize>>20)
	}
	var doc struct {
		Schema   *string        `json:"schema"`
		Target   finding.Target `json:"target"`
		Findings *[]struct {
			Fingerprint *string `json:"fingerprint"`
		} `json:"findings"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("baseline %s is not an ecoscan JSON report: %w", name, jsonPosition(data, err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("baseline %s is not an ecoscan JSON report: more than one JSON value", name)
	}
	switch {
	case doc.Schema == nil:
		return nil, fmt.Errorf("baseline %s is not an ecoscan JSON report (no \"schema\"; write one with --format json)", name)
	case *doc.Schema != finding.Schema:
		return nil, fmt.Errorf("baseline %s is a %q report; this ecoscan reads %q", name, *doc.Schema, finding.Schema)
	case doc.Findings == nil:
		return nil, fmt.Errorf("baseline %s has no \"findings\" list", name)
	}
	b := &Baseline{Path: name, Target: doc.Target, known: make(map[string]bool, len(*doc.Findings))}
	for i, f := range *doc.Findings {
		if f.Fingerprint == nil || !fingerprintForm.MatchString(*f.Fingerprint) {
			return nil, fmt.Errorf("baseline %s: finding %d has no valid fingerprint (16 lower-case hex digits)", name, i)
		}
		b.known[*f.Fingerprint] = true
	}
	return b, nil
}

// jsonPosition adds to a JSON syntax or type error the line and column of
// the character at fault.
func jsonPosition(data []byte, err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	off := int64(-1)
	switch {
	case errors.As(err, &syntax):
		off = syntax.Offset
	case errors.As(err, &typ):
		off = typ.Offset
	}
	if off <= 0 || off > int64(len(data)) {
		return err
	}
	line, col := position(data, int(off)-1) // the offset is just after the character at fault
	return fmt.Errorf("line %d, column %d: %w", line, col, err)
}

// Apply leaves out of r every finding whose fingerprint the baseline knows,
// and records in r how many it left out and from which file. The checks
// table's rows say how many of their findings the baseline knew. A baseline
// of another kind of scan is applied too, with a warning: only findings both
// kinds of scan make can match.
func (b *Baseline) Apply(r *finding.Report) {
	kept := r.Findings[:0]
	known := map[string]int{} // by requirement
	n := 0
	for _, f := range r.Findings {
		if b.known[f.Fingerprint] {
			known[f.Requirement]++
			n++
			continue
		}
		kept = append(kept, f)
	}
	clear(r.Findings[len(kept):])
	r.Findings = kept
	r.Baseline = &finding.Baseline{File: b.Path, Known: n}
	if b.Target.Kind != "" && r.Target.Kind != "" && b.Target.Kind != r.Target.Kind {
		r.Warnings = append(r.Warnings, finding.Warning{
			Scope: b.Path,
			Message: fmt.Sprintf("the baseline is a report of a %s scan and this is a %s scan: only findings both kinds of scan make can match",
				b.Target.Kind, r.Target.Kind),
		})
	}
	annotateChecks(r, known, "known from the baseline")
}
