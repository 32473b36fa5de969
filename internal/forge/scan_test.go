package forge

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ecoscan/ecoscan/internal/finding"
	"github.com/ecoscan/ecoscan/internal/supply"
)

// The apps under testdata/apps mark every finding they must produce with a
// comment "FINDING <rule>" on its line; every other line is a true negative
// of the same check (the nearest correct way is written beside each flaw).

var findingMark = regexp.MustCompile(`FINDING (forge/[a-z0-9-]+)`)

// expectations reads the marks of an app: "rule file:line".
func expectations(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for line := 1; sc.Scan(); line++ {
			for _, m := range findingMark.FindAllStringSubmatch(sc.Text(), -1) {
				out = append(out, fmt.Sprintf("%s %s:%d", m[1], filepath.ToSlash(rel), line))
			}
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// got lists the forge/ findings of a report as "rule file:line".
func got(r *finding.Report) []string {
	var out []string
	for _, f := range r.Findings {
		if strings.HasPrefix(f.Rule, "forge/") {
			out = append(out, fmt.Sprintf("%s %s:%d", f.Rule, f.Location.File, f.Location.Line))
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

var testNow = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func scanApp(t *testing.T, dir string) *finding.Report {
	t.Helper()
	// No data but the embedded scope tables: no advisories, whatever this
	// machine has installed.
	t.Setenv("ECOSCAN_DATA_DIR", t.TempDir())
	t.Setenv(supply.EnvOSVDB, "")
	rep, err := Scan(context.Background(), dir, Options{Version: "test", Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatalf("scan %s: %v", dir, err)
	}
	return rep
}

func TestApps(t *testing.T) {
	apps, err := filepath.Glob("testdata/apps/*")
	if err != nil || len(apps) == 0 {
		t.Fatalf("no test apps: %v", err)
	}
	fired := map[string]bool{}
	for _, app := range apps {
		t.Run(filepath.Base(app), func(t *testing.T) {
			want := expectations(t, app)
			rep := scanApp(t, app)
			have := got(rep)
			for _, w := range want {
				fired[strings.Fields(w)[0]] = true
			}
			if !slices.Equal(have, want) {
				t.Errorf("findings differ\n missing: %v\n extra:   %v", minus(want, have), minus(have, want))
				for _, f := range rep.Findings {
					t.Logf("%s %s: %s\n   %s", f.Rule, f.Location, f.Message, strings.Join(f.Evidence, "\n   "))
				}
			}
			for _, e := range rep.Errors {
				t.Errorf("unexpected error: %s: %s", e.Scope, e.Message)
			}
			for _, f := range rep.Findings {
				if err := f.Location.Validate(); err != nil {
					t.Errorf("%s: %v", f.Rule, err)
				}
				if f.Location.Line == 0 || f.Location.Column == 0 {
					t.Errorf("%s at %s: no line and column", f.Rule, f.Location)
				}
				if len(f.Evidence) == 0 {
					t.Errorf("%s at %s: no evidence", f.Rule, f.Location)
				}
			}
		})
	}
	// Every rule of every check has a true positive among the apps.
	for _, c := range checks {
		for _, r := range c.rules {
			if !fired[r.ID] {
				t.Errorf("rule %s has no true positive in testdata/apps", r.ID)
			}
		}
	}
}

// minus lists what a has and b has not.
func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func TestChecksTable(t *testing.T) {
	rep := scanApp(t, "testdata/apps/authz")
	rows := map[string]finding.Check{}
	for _, c := range rep.Checks {
		rows[c.Requirement] = c
	}
	for id, want := range map[string]finding.Status{
		"1.1": finding.NotApplicable, // no webtriggers
		"1.2": finding.Fail,
		"4":   finding.Pass, // read:jira-work and write:jira-work are both needed
		"7":   finding.Pass,
		"9":   finding.Pass, // runtime supported, and no lockfile to match
		"3":   finding.NotApplicable,
	} {
		if rows[id].Status != want {
			t.Errorf("row %s: %s (%s), want %s", id, rows[id].Status, rows[id].Detail, want)
		}
	}
	if len(rep.Checks) < 15 {
		t.Errorf("checks table has %d rows, want one per requirement", len(rep.Checks))
	}
}

// TestBadInput: a broken file, a missing handler, an unknown module type and
// a binary file each become an error of the report, and the rest of the app
// is still analysed.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("manifest.yml", `app:
  id: ari:cloud:ecosystem::app/bad
  runtime:
    name: nodejs22.x
modules:
  jira:issuePanel:
    - key: panel
      title: Panel
      resource: main
      resolver:
        function: good
  jira:somethingNew:
    - key: new
      function: good
  webtrigger:
    - key: hook
      function: missing-file
  function:
    - key: good
      handler: index.handler
    - key: missing-file
      handler: nowhere.run
resources:
  - key: main
    path: static/main
`)
	write("src/index.ts", `import Resolver from '@forge/resolver';
import api, { route } from '@forge/api';
import { broken } from './broken';
const resolver = new Resolver();
resolver.define('read', ({ payload }) => api.asApp().requestJira(route`+"`/rest/api/3/issue/${payload.key}`"+`));
export const handler = resolver.getDefinitions();
`)
	write("src/broken.ts", "export function broken( {\n  return ;;; }}}\n")
	write("src/blob.js", "\x00\x01\x02binary\x00")
	rep := scanApp(t, dir)
	if have := got(rep); !slices.Contains(have, "forge/asapp-without-authorization src/index.ts:5") {
		t.Errorf("the good resolver was not analysed: %v", have)
	}
	var errs []string
	for _, e := range rep.Errors {
		errs = append(errs, e.Scope+": "+e.Message)
	}
	all := strings.Join(errs, "\n")
	for _, want := range []string{"src/broken.ts", "src/blob.js", "nowhere.run", "jira:somethingNew"} {
		if !strings.Contains(all, want) {
			t.Errorf("errors do not mention %s:\n%s", want, all)
		}
	}
}
