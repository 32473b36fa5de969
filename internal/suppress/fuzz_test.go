package suppress

import (
	"errors"
	"testing"
	"time"

	"github.com/ecoscan/ecoscan/internal/finding"
)

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("version: 1\nsuppressions:\n  - fingerprint: 5f1c0a9e2b7d4c31\n    reason: r\n    expires: 2027-01-31\n"))
	f.Add([]byte("version: 1\nsuppressions:\n  - rule: forge/x\n    location: {file: 'src/**/*.ts', line: 3}\n    reason: |\n      a\n    expires: 2027-01-31\n"))
	f.Add([]byte("version: 1\nsuppressions:\n  - {rule: connect/x, location: {url: 'https://a.example/*', method: get}, reason: r, expires: 2027-01-31}\n"))
	f.Add([]byte("version: 1\nsuppressions:\n  - {rule: tls/x, location: {host: '[::1]', port: 8443}, reason: r, expires: 2027-01-31}\n"))
	f.Add([]byte("version: 1\nsuppressions:\n  - &a {fingerprint: x}\n  - *a\n  - !!map {}\n  - <<: {}\n"))
	f.Add([]byte("version: [[[[{a: [b, {c: d}]}]]]]\n---\n- - - - x\n"))
	f.Add([]byte("%YAML 1.2\n---\nversion: 1\n...\n"))
	f.Add([]byte("\"\\u00e9\": '''x'\nversion: 0x10\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig("c.yml", data)
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) || err.Error() == "" {
				t.Fatalf("error %v is not an *Error", err)
			}
			if cfg != nil {
				t.Fatal("a config and an error")
			}
			return
		}
		for _, s := range cfg.Suppressions {
			if (s.Fingerprint == "") == (s.Rule == "") || s.Reason == "" || s.Expires.IsZero() || s.Line < 1 {
				t.Fatalf("accepted an incomplete suppression %+v", s)
			}
			if s.Location != nil && s.Fingerprint != "" {
				t.Fatalf("accepted a fingerprint with a location %+v", s)
			}
		}
		// Applying whatever was accepted must not fail either.
		r := &finding.Report{Findings: []finding.Finding{asappIndex, cacheStat, tlsLegacy}}
		cfg.Apply(r, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	})
}

func FuzzParseBaseline(f *testing.F) {
	f.Add([]byte(`{"schema": "ecoscan.report/v1", "target": {"kind": "forge", "ref": "."}, "findings": [{"fingerprint": "5f1c0a9e2b7d4c31"}]}`))
	f.Add([]byte(`{"schema": "ecoscan.report/v1", "findings": []}`))
	f.Add([]byte(`{"schema": "ecoscan.report/v2", "findings": [{"fingerprint": 5}]}`))
	f.Add([]byte(`[[[[[{"schema": null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseBaseline("b.json", data)
		if err != nil {
			if b != nil || err.Error() == "" {
				t.Fatalf("baseline %v and error %v", b, err)
			}
			return
		}
		r := &finding.Report{Findings: []finding.Finding{asappIndex, cacheStat, tlsLegacy}}
		b.Apply(r)
		if r.Baseline == nil || r.Baseline.Known+len(r.Findings) != 3 {
			t.Fatalf("baseline %+v left %d of 3 findings", r.Baseline, len(r.Findings))
		}
	})
}
