// Package report turns a finding.Report into the formats people and tools
// read: one file per format, each behind the Format interface, all listed in
// one table. The engines know nothing of formats; formats know nothing of how
// a finding was made.
package report

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/ecoscan/ecoscan/internal/finding"
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
var formats = []Format{textFormat{}, jsonFormat{}, sarifFormat{}}

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
