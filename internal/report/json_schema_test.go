package report

import (
	"testing"

	"github.com/ecoscan/ecoscan/internal/finding"
	"github.com/ecoscan/ecoscan/internal/report/schema"
)

// TestJSONSchema checks that the JSON format writes reports that validate
// against the published "ecoscan.report/v1" schema.
func TestJSONSchema(t *testing.T) {
	for name, report := range map[string]func() *finding.Report{"sample": sampleReport, "empty": emptyReport} {
		t.Run(name, func(t *testing.T) {
			if err := schema.Validate(render(t, "json", report(), Options{})); err != nil {
				t.Error(err)
			}
		})
	}
}
