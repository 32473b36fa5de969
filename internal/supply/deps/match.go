package deps

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/google/osv-scalibr/semantic"

	"github.com/ecoscan/ecoscan/internal/finding"
)

// advisory is what a finding tells of one OSV record.
type advisory struct {
	ID       string
	Aliases  []string
	Summary  string
	severity severity
}

// severity is an advisory's score and where it came from.
type severity struct {
	score  float64
	source string // "" when the advisory gives none
}

// githubScores turns the severities of GitHub's advisory database
// (database_specific.severity) into a score inside the CVSS band of the same
// name, for advisories without a CVSS v3 vector.
var githubScores = map[string]float64{"CRITICAL": 9.0, "HIGH": 7.0, "MODERATE": 5.0, "MEDIUM": 5.0, "LOW": 3.0}

// severityOf takes the CVSS v3 vector of the record (or of one of its npm
// packages), else its database severity; none gives the zero severity.
func severityOf(rec *osvRecord) severity {
	lists := [][]osvSeverity{rec.Severity}
	for _, a := range rec.Affected {
		if a.Package.Ecosystem == "npm" {
			lists = append(lists, a.Severity)
		}
	}
	for _, list := range lists {
		for _, s := range list {
			if s.Type != "CVSS_V3" {
				continue
			}
			if score, err := cvss3Score(s.Score); err == nil {
				return severity{score: score, source: fmt.Sprintf("%s (base score %.1f)", s.Score, score)}
			}
		}
	}
	var specific struct {
		Severity string `json:"severity"`
	}
	if len(rec.DatabaseSpecific) > 0 && json.Unmarshal(rec.DatabaseSpecific, &specific) == nil {
		name := strings.ToUpper(strings.TrimSpace(specific.Severity))
		if score, ok := githubScores[name]; ok {
			return severity{score: score, source: fmt.Sprintf("database severity %s, scored %.1f", name, score)}
		}
	}
	return severity{}
}

// eventKind is the kind of one event of an OSV range.
type eventKind int

const (
	introduced eventKind = iota
	fixed
	lastAffected
)

// event is one parsed event of a range: its kind, its version as written and
// as npm orders it.
type event struct {
	kind    eventKind
	raw     string
	version semantic.SemverVersion
}

// affected is one affected[] entry of an advisory for an npm package: its
// explicit versions and its SEMVER and ECOSYSTEM ranges, events sorted.
type affected struct {
	adv      *advisory
	versions []string
	ranges   [][]event
}

func newAffected(adv *advisory, a *osvAffected) *affected {
	entry := &affected{adv: adv, versions: slices.Clone(a.Versions)}
	for _, r := range a.Ranges {
		if r.Type != "SEMVER" && r.Type != "ECOSYSTEM" {
			continue // GIT ranges name commits, not npm versions
		}
		var events []event
		for _, e := range r.Events {
			switch {
			case e.Introduced != "":
				events = append(events, event{kind: introduced, raw: e.Introduced})
			case e.Fixed != "":
				events = append(events, event{kind: fixed, raw: e.Fixed})
			case e.LastAffected != "":
				events = append(events, event{kind: lastAffected, raw: e.LastAffected})
			}
		}
		if len(events) == 0 {
			continue
		}
		for i := range events {
			events[i].version = semantic.ParseSemverVersion(events[i].raw)
		}
		// OSV evaluates events in version order; "introduced: 0" comes first.
		slices.SortStableFunc(events, func(a, b event) int {
			az, bz := a.kind == introduced && a.raw == "0", b.kind == introduced && b.raw == "0"
			switch {
			case az && bz:
				return 0
			case az:
				return -1
			case bz:
				return 1
			}
			return compareVersions(a.version, b.version)
		})
		entry.ranges = append(entry.ranges, events)
	}
	if len(entry.versions) == 0 && len(entry.ranges) == 0 {
		return nil
	}
	return entry
}

func compareVersions(a, b semantic.SemverVersion) int {
	c, err := a.Compare(b)
	if err != nil {
		return 0 // both are npm versions: unreachable
	}
	return c
}

// contains reports whether the range of sorted events holds version v.
func contains(events []event, v semantic.SemverVersion, raw string) bool {
	in := false
	for _, e := range events {
		switch {
		case !in && e.kind == introduced:
			in = e.raw == "0" || compareVersions(v, e.version) >= 0
		case in && e.kind == fixed:
			in = compareVersions(v, e.version) < 0
		case in && e.kind == lastAffected:
			in = raw == e.raw || compareVersions(v, e.version) <= 0
		}
	}
	return in
}

// describe writes a range as people read it: ">=1.0.0 <1.2.3, >=2.0.0 <=2.1.0".
func describe(events []event) string {
	var parts []string
	open := ""
	for _, e := range events {
		switch e.kind {
		case introduced:
			if open != "" {
				parts = append(parts, open)
			}
			open = ">=" + e.raw
		case fixed:
			parts = append(parts, strings.TrimSpace(open+" <"+e.raw))
			open = ""
		case lastAffected:
			parts = append(parts, strings.TrimSpace(open+" <="+e.raw))
			open = ""
		}
	}
	if open != "" {
		parts = append(parts, open)
	}
	return strings.Join(parts, ", ")
}

// match is one advisory that affects one package version.
type match struct {
	adv    *advisory
	fixed  string   // the lowest fixed version above the installed one, if any
	ranges []string // the affected ranges or version lists that hold the version
}

// match returns the advisories that affect version of the npm package name,
// one per id (a record repeated in the zip counts once), sorted by id.
func (db *DB) match(name, version string) []match {
	entries := db.byName[name]
	if len(entries) == 0 || version == "" {
		return nil
	}
	v := semantic.ParseSemverVersion(version)
	var out []match
	index := map[string]int{}
	for _, entry := range entries {
		var why []string
		if slices.Contains(entry.versions, version) {
			why = append(why, "versions "+listVersions(entry.versions))
		}
		for _, r := range entry.ranges {
			if contains(r, v, version) {
				why = append(why, describe(r))
			}
		}
		if len(why) == 0 {
			continue
		}
		i, seen := index[entry.adv.ID]
		if !seen {
			i = len(out)
			index[entry.adv.ID] = i
			out = append(out, match{adv: entry.adv})
		}
		m := &out[i]
		m.ranges = append(m.ranges, why...)
		if f := lowestFixAbove(entry, v); f != "" && (m.fixed == "" || compareVersions(semantic.ParseSemverVersion(f), semantic.ParseSemverVersion(m.fixed)) < 0) {
			m.fixed = f
		}
	}
	slices.SortFunc(out, func(a, b match) int { return cmp.Compare(a.adv.ID, b.adv.ID) })
	return out
}

// matchAny returns every advisory for the npm package name, one per id,
// sorted by id: what may affect a package whose version is unknown (one
// installed from a git commit that a package-lock v1 gives no version for).
// osv-scanner does the same, on the principle that a false positive is
// better than a false negative.
func (db *DB) matchAny(name string) []match {
	var out []match
	index := map[string]int{}
	for _, entry := range db.byName[name] {
		i, seen := index[entry.adv.ID]
		if !seen {
			i = len(out)
			index[entry.adv.ID] = i
			out = append(out, match{adv: entry.adv})
		}
		if len(entry.versions) > 0 {
			out[i].ranges = append(out[i].ranges, "versions "+listVersions(entry.versions))
		}
		for _, r := range entry.ranges {
			out[i].ranges = append(out[i].ranges, describe(r))
		}
	}
	slices.SortFunc(out, func(a, b match) int { return cmp.Compare(a.adv.ID, b.adv.ID) })
	return out
}

// lowestFixAbove is the lowest fixed version of the entry's ranges above v.
func lowestFixAbove(entry *affected, v semantic.SemverVersion) string {
	var best *event
	for _, r := range entry.ranges {
		for i := range r {
			e := &r[i]
			if e.kind != fixed || compareVersions(e.version, v) <= 0 {
				continue
			}
			if best == nil || compareVersions(e.version, best.version) < 0 {
				best = e
			}
		}
	}
	if best == nil {
		return ""
	}
	return best.raw
}

// listVersions writes an explicit version list, shortened when long.
func listVersions(vs []string) string {
	const shown = 8
	if len(vs) <= shown {
		return strings.Join(vs, ", ")
	}
	return strings.Join(vs[:shown], ", ") + fmt.Sprintf(" and %d more", len(vs)-shown)
}

// cvss is the score a finding gets from the severity, and where it comes from.
func (s severity) cvss(rule finding.Rule) (float64, string) {
	if s.source == "" {
		return rule.CVSS, fmt.Sprintf("none in the advisory, scored %.1f (medium)", rule.CVSS)
	}
	return s.score, s.source
}
