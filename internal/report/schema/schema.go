// Package schema carries the JSON Schema (draft 2020-12) of the
// "ecoscan.report/v1" JSON report of REPORT-CONTRACT.md, so that tests hold
// the JSON output to the contract and consumers can validate reports too. Its
// $id, https://ecoscan.dev/schema/report-v1.json, is an identifier only:
// nothing is fetched.
package schema

import (
	"bytes"
	_ "embed"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// ID is the $id of ReportV1.
const ID = "https://ecoscan.dev/schema/report-v1.json"

// ReportV1 is the text of the schema of the "ecoscan.report/v1" report.
//
//go:embed report-v1.schema.json
var ReportV1 []byte

// compiled is ReportV1, compiled once, with formats (date-time, date, uri)
// asserted rather than only annotated.
var compiled = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(ReportV1))
	if err != nil {
		return nil, fmt.Errorf("decode the report schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(ID, doc); err != nil {
		return nil, fmt.Errorf("add the report schema: %w", err)
	}
	s, err := c.Compile(ID)
	if err != nil {
		return nil, fmt.Errorf("compile the report schema: %w", err)
	}
	return s, nil
})

// Validate reports whether doc is a valid "ecoscan.report/v1" JSON report.
func Validate(doc []byte) error {
	s, err := compiled()
	if err != nil {
		return err
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("report is not JSON: %w", err)
	}
	if err := s.Validate(v); err != nil {
		return fmt.Errorf("report does not match %s: %w", ID, err)
	}
	return nil
}
