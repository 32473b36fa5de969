package tickets

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ecoscan/ecoscan/internal/finding"
	"github.com/ecoscan/ecoscan/internal/requirement"
	"github.com/ecoscan/ecoscan/internal/service/platform"
)

var (
	firstSeen = time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC)
	scanTime  = time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC)
	testApp   = platform.App{ID: 2, Org: 1, Kind: platform.Connect, Name: "Example"}

	ruleForged = finding.Rule{ID: "connect/authn-forged-jwt-accepted", Requirement: "1.1", Title: "Endpoint accepts a forged JWT", CVSS: 8.8} // high
	ruleTLS    = finding.Rule{ID: "tls/protocol-below-1.2", Requirement: "3", Title: "TLS below 1.2", CVSS: 5.3}                              // medium
	ruleSource = finding.Rule{ID: "forge/unchecked-permission", Requirement: "1.2", Title: "Resolver skips the permission check", CVSS: 9.1}  // critical

	locPanel = finding.Endpoint("GET", "https://app.example.com/panel")
	locOther = finding.Endpoint("GET", "https://app.example.com/other")
	locHost  = finding.Host("app.example.com", 443)
	locSrc   = finding.Source("src/index.ts", 12, 5)
)

const testScan = 77

// existingTicket is the ticket an earlier scan opened for f, in state.
func existingTicket(id int64, f finding.Finding, state platform.TicketState) platform.Ticket {
	d, err := json.Marshal(f)
	if err != nil {
		panic(err)
	}
	return platform.Ticket{
		ID: id, Org: testApp.Org, App: testApp.ID,
		Fingerprint: f.Fingerprint, Rule: f.Rule, Requirement: f.Requirement,
		Severity: f.Severity.String(), Title: f.Title, Location: f.Location.String(),
		State: state, FirstSeen: firstSeen, LastSeen: firstSeen,
		Due: DueFor(f.Severity, firstSeen), UpdatedAt: firstSeen, Detail: d,
	}
}

func withSeverity(f finding.Finding, s requirement.Severity) finding.Finding {
	f.Severity = s
	return f
}

func suppressed(f finding.Finding) finding.Finding {
	f.Suppression = &finding.Suppression{By: finding.ByFingerprint, Reason: "vendor says so", Expires: "2027-01-01"}
	return f
}

// passing is a checks table where every requirement of the test rules ran.
func passing() []finding.Check {
	return []finding.Check{
		{Requirement: "1.1", Status: finding.Pass, Detail: "41 endpoints"},
		{Requirement: "1.2", Status: finding.Pass},
		{Requirement: "3", Status: finding.Pass},
	}
}

func checksWith(req string, st finding.Status) []finding.Check {
	var out []finding.Check
	for _, c := range passing() {
		if c.Requirement == req {
			c.Status = st
		}
		out = append(out, c)
	}
	return out
}

func report(checks []finding.Check, errs []finding.Error, fs ...finding.Finding) *finding.Report {
	return &finding.Report{
		Target:   finding.Target{Kind: "connect", Ref: "/scans/77/src"},
		Findings: fs, Checks: checks, Errors: errs,
	}
}

// wantChange is what one returned change must be.
type wantChange struct {
	fingerprint string
	state       platform.TicketState
	severity    string
	due         time.Time
	lastSeen    time.Time
	event       bool                 // an event is recorded
	from        platform.TicketState // the event's From
	reason      string               // a part of the event's reason
	dueMoved    bool                 // the event records DueFrom and DueTo
}

func TestReconcile(t *testing.T) {
	panel := ruleForged.New(locPanel, "accepted")
	other := ruleForged.New(locOther, "accepted")
	tls := ruleTLS.New(locHost, "TLS 1.0 offered")
	src := ruleSource.New(locSrc, "no permission check")

	tests := []struct {
		name     string
		existing []platform.Ticket
		rep      *finding.Report
		want     []wantChange
	}{
		{
			name: "new finding opens a ticket in Needs Patch",
			rep:  report(passing(), nil, panel),
			want: []wantChange{{fingerprint: panel.Fingerprint, state: platform.NeedsPatch, severity: "high",
				due: DueFor(requirement.High, scanTime), lastSeen: scanTime, event: true, reason: "found by scan 77", dueMoved: true}},
		},
		{
			name: "suppressed new finding opens nothing",
			rep:  report(passing(), nil, suppressed(panel)),
		},
		{
			name: "fingerprint reported twice, once suppressed, opens one ticket",
			rep:  report(passing(), nil, suppressed(panel), panel),
			want: []wantChange{{fingerprint: panel.Fingerprint, state: platform.NeedsPatch, severity: "high",
				due: DueFor(requirement.High, scanTime), lastSeen: scanTime, event: true, reason: "found by scan 77", dueMoved: true}},
		},
		{
			name:     "open ticket seen again moves LastSeen without an event",
			existing: []platform.Ticket{existingTicket(1, panel, platform.WaitingForRelease)},
			rep:      report(passing(), nil, panel),
			want: []wantChange{{fingerprint: panel.Fingerprint, state: platform.WaitingForRelease, severity: "high",
				due: DueFor(requirement.High, firstSeen), lastSeen: scanTime}},
		},
		{
			name: "open ticket already up to date with this scan changes nothing",
			existing: func() []platform.Ticket {
				tk := existingTicket(1, panel, platform.NeedsPatch)
				tk.LastSeen = scanTime
				return []platform.Ticket{tk}
			}(),
			rep: report(passing(), nil, panel),
		},
		{
			name:     "open ticket seen suppressed is still seen, not patched",
			existing: []platform.Ticket{existingTicket(1, panel, platform.NeedsPatch)},
			rep:      report(passing(), nil, suppressed(panel)),
			want: []wantChange{{fingerprint: panel.Fingerprint, state: platform.NeedsPatch, severity: "high",
				due: DueFor(requirement.High, firstSeen), lastSeen: scanTime}},
		},
		{
			name:     "severity raised: stricter due date from first seen, with an event",
			existing: []platform.Ticket{existingTicket(1, panel, platform.NeedsPatch)},
			rep:      report(passing(), nil, withSeverity(panel, requirement.Critical)),
			want: []wantChange{{fingerprint: panel.Fingerprint, state: platform.NeedsPatch, severity: "critical",
				due: DueFor(requirement.Critical, firstSeen), lastSeen: scanTime, event: true, from: platform.NeedsPatch,
				reason: "rates the finding critical (was high)", dueMoved: true}},
		},
		{
			name:     "severity lowered: the old, stricter due date stays",
			existing: []platform.Ticket{existingTicket(1, panel, platform.NeedsPatch)},
			rep:      report(passing(), nil, withSeverity(panel, requirement.Low)),
			want: []wantChange{{fingerprint: panel.Fingerprint, state: platform.NeedsPatch, severity: "low",
				due: DueFor(requirement.High, firstSeen), lastSeen: scanTime, event: true, from: platform.NeedsPatch,
				reason: "rates the finding low (was high)"}},
		},
		{
			name:     "patched ticket seen again reopens with a fresh window",
			existing: []platform.Ticket{existingTicket(1, panel, platform.Patched)},
			rep:      report(passing(), nil, panel),
			want: []wantChange{{fingerprint: panel.Fingerprint, state: platform.NeedsPatch, severity: "high",
				due: DueFor(requirement.High, scanTime), lastSeen: scanTime, event: true, from: platform.Patched,
				reason: "reopened by scan 77", dueMoved: true}},
		},
		{
			name:     "patched ticket seen suppressed is not reopened",
			existing: []platform.Ticket{existingTicket(1, panel, platform.Patched)},
			rep:      report(passing(), nil, suppressed(panel)),
			want: []wantChange{{fingerprint: panel.Fingerprint, state: platform.Patched, severity: "high",
				due: DueFor(requirement.High, firstSeen), lastSeen: scanTime}},
		},
		{
			name:     "patched ticket not seen stays as it is",
			existing: []platform.Ticket{existingTicket(1, panel, platform.Patched)},
			rep:      report(passing(), nil),
		},
		{
			name:     "open ticket not seen, its check passed: patched",
			existing: []platform.Ticket{existingTicket(1, panel, platform.NeedsSecurityReview)},
			rep:      report(passing(), nil),
			want: []wantChange{{fingerprint: panel.Fingerprint, state: platform.Patched, severity: "high",
				due: DueFor(requirement.High, firstSeen), lastSeen: firstSeen, event: true, from: platform.NeedsSecurityReview,
				reason: "scan 77 no longer finds it at GET https://app.example.com/panel (requirement 1.1: pass, 41 endpoints)"}},
		},
		{
			name:     "open ticket not seen, its check failed on other findings: patched",
			existing: []platform.Ticket{existingTicket(1, panel, platform.NeedsPatch)},
			rep:      report(checksWith("1.1", finding.Fail), nil, other),
			want: []wantChange{
				{fingerprint: panel.Fingerprint, state: platform.Patched, severity: "high", due: DueFor(requirement.High, firstSeen),
					lastSeen: firstSeen, event: true, from: platform.NeedsPatch, reason: "requirement 1.1: fail"},
				{fingerprint: other.Fingerprint, state: platform.NeedsPatch, severity: "high", due: DueFor(requirement.High, scanTime),
					lastSeen: scanTime, event: true, reason: "found by scan 77", dueMoved: true},
			},
		},
		{
			name:     "open ticket not seen, its check errored: left alone",
			existing: []platform.Ticket{existingTicket(1, panel, platform.NeedsPatch)},
			rep:      report(checksWith("1.1", finding.Errored), nil),
		},
		{
			name:     "open ticket not seen, its check skipped: left alone",
			existing: []platform.Ticket{existingTicket(1, panel, platform.NeedsPatch)},
			rep:      report(checksWith("1.1", finding.Skipped), nil),
		},
		{
			name:     "open ticket not seen, its check not applicable: left alone",
			existing: []platform.Ticket{existingTicket(1, panel, platform.NeedsPatch)},
			rep:      report(checksWith("1.1", finding.NotApplicable), nil),
		},
		{
			name:     "open ticket not seen, one of its check rows errored: left alone",
			existing: []platform.Ticket{existingTicket(1, panel, platform.NeedsPatch)},
			rep:      report(append(passing(), finding.Check{Requirement: "1.1", Status: finding.Errored}), nil),
		},
		{
			name:     "open ticket not seen, no row for its requirement: left alone",
			existing: []platform.Ticket{existingTicket(1, panel, platform.NeedsPatch)},
			rep:      report(passing()[1:], nil),
		},
		{
			name:     "open ticket not seen, its endpoint errored: left alone",
			existing: []platform.Ticket{existingTicket(1, panel, platform.NeedsPatch)},
			rep:      report(passing(), []finding.Error{{Scope: "https://app.example.com/panel", Message: "timed out after 30s"}}),
		},
		{
			name:     "open ticket not seen, another endpoint errored: patched",
			existing: []platform.Ticket{existingTicket(1, panel, platform.NeedsPatch)},
			rep:      report(passing(), []finding.Error{{Scope: "https://app.example.com/other", Message: "timed out after 30s"}}),
			want: []wantChange{{fingerprint: panel.Fingerprint, state: platform.Patched, severity: "high",
				due: DueFor(requirement.High, firstSeen), lastSeen: firstSeen, event: true, from: platform.NeedsPatch, reason: "no longer finds it"}},
		},
		{
			name:     "open endpoint ticket not seen, its host errored: left alone",
			existing: []platform.Ticket{existingTicket(1, panel, platform.NeedsPatch)},
			rep:      report(passing(), []finding.Error{{Scope: "app.example.com:443", Message: "connection reset"}}),
		},
		{
			name:     "open host ticket not seen, its host errored: left alone",
			existing: []platform.Ticket{existingTicket(1, tls, platform.NeedsPatch)},
			rep:      report(passing(), []finding.Error{{Scope: "app.example.com:443", Message: "TLS probe: reset"}}),
		},
		{
			name:     "open host ticket not seen, another port errored: patched",
			existing: []platform.Ticket{existingTicket(1, tls, platform.NeedsPatch)},
			rep:      report(passing(), []finding.Error{{Scope: "app.example.com:8443", Message: "TLS probe: reset"}}),
			want: []wantChange{{fingerprint: tls.Fingerprint, state: platform.Patched, severity: "medium",
				due: DueFor(requirement.Medium, firstSeen), lastSeen: firstSeen, event: true, from: platform.NeedsPatch, reason: "requirement 3: pass"}},
		},
		{
			name:     "open source ticket not seen, its file did not parse: left alone",
			existing: []platform.Ticket{existingTicket(1, src, platform.NeedsPatch)},
			rep:      report(passing(), []finding.Error{{Scope: "src/index.ts:40:2", Message: "syntax error"}}),
		},
		{
			name:     "open source ticket not seen, the analysis of the whole tree stopped: left alone",
			existing: []platform.Ticket{existingTicket(1, src, platform.NeedsPatch)},
			rep:      report(passing(), []finding.Error{{Scope: "/scans/77/src", Message: "analysis budget exhausted"}}),
		},
		{
			name:     "open source ticket not seen, another file did not parse: patched",
			existing: []platform.Ticket{existingTicket(1, src, platform.NeedsPatch)},
			rep:      report(passing(), []finding.Error{{Scope: "src/index.tsx:40:2", Message: "syntax error"}}),
			want: []wantChange{{fingerprint: src.Fingerprint, state: platform.Patched, severity: "critical",
				due: DueFor(requirement.Critical, firstSeen), lastSeen: firstSeen, event: true, from: platform.NeedsPatch, reason: "requirement 1.2"}},
		},
		{
			name:     "open ticket not seen, an error without scope: left alone",
			existing: []platform.Ticket{existingTicket(1, panel, platform.NeedsPatch)},
			rep:      report(passing(), []finding.Error{{Message: "something failed"}}),
		},
		{
			name: "ticket without evidence is matched by its location text",
			existing: func() []platform.Ticket {
				tk := existingTicket(1, panel, platform.NeedsPatch)
				tk.Detail = nil
				return []platform.Ticket{tk}
			}(),
			rep: report(passing(), []finding.Error{{Scope: "https://APP.example.com:443/panel?x=1", Message: "timed out"}}),
		},
		{
			name:     "accepted risk seen again: only LastSeen moves",
			existing: []platform.Ticket{existingTicket(1, panel, platform.AcceptedRisk)},
			rep:      report(passing(), nil, withSeverity(panel, requirement.Critical)),
			want: []wantChange{{fingerprint: panel.Fingerprint, state: platform.AcceptedRisk, severity: "high",
				due: DueFor(requirement.High, firstSeen), lastSeen: scanTime}},
		},
		{
			name:     "accepted risk not seen: untouched",
			existing: []platform.Ticket{existingTicket(1, panel, platform.AcceptedRisk)},
			rep:      report(passing(), nil),
		},
		{
			name:     "false positive seen again: only LastSeen moves",
			existing: []platform.Ticket{existingTicket(1, panel, platform.FalsePositive)},
			rep:      report(passing(), nil, panel),
			want: []wantChange{{fingerprint: panel.Fingerprint, state: platform.FalsePositive, severity: "high",
				due: DueFor(requirement.High, firstSeen), lastSeen: scanTime}},
		},
		{
			name:     "false positive not seen: untouched",
			existing: []platform.Ticket{existingTicket(1, panel, platform.FalsePositive)},
			rep:      report(passing(), nil),
		},
		{
			name:     "no report changes nothing",
			existing: []platform.Ticket{existingTicket(1, panel, platform.NeedsPatch)},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Reconcile(scanTime, testApp, testScan, tc.rep, tc.existing)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d changes, want %d: %+v", len(got), len(tc.want), got)
			}
			for i, w := range tc.want {
				checkChange(t, got[i], w, tc.existing)
			}
		})
	}
}

func checkChange(t *testing.T, c platform.TicketChange, w wantChange, existing []platform.Ticket) {
	t.Helper()
	tk := c.Ticket
	if tk.Fingerprint != w.fingerprint || tk.State != w.state || tk.Severity != w.severity {
		t.Errorf("ticket %s %s %s, want %s %s %s", tk.Fingerprint, tk.State, tk.Severity, w.fingerprint, w.state, w.severity)
	}
	if !tk.Due.Equal(w.due) {
		t.Errorf("due %v, want %v", tk.Due, w.due)
	}
	if !tk.LastSeen.Equal(w.lastSeen) {
		t.Errorf("last seen %v, want %v", tk.LastSeen, w.lastSeen)
	}
	if tk.Org != testApp.Org || tk.App != testApp.ID {
		t.Errorf("ticket of org %d app %d, want %d %d", tk.Org, tk.App, testApp.Org, testApp.ID)
	}
	if tk.Overdue != Overdue(tk, scanTime) {
		t.Errorf("overdue flag %v disagrees with Overdue", tk.Overdue)
	}
	if HasEvent(c) != w.event {
		t.Fatalf("event %+v, want one: %v", c.Event, w.event)
	}
	if !w.event {
		return
	}
	ev := c.Event
	if ev.Actor != SystemActor || ev.Scan != testScan || !ev.At.Equal(scanTime) || ev.Org != testApp.Org || ev.Ticket != tk.ID {
		t.Errorf("event %+v: want actor system, scan %d, at %v, org %d, ticket %d", ev, testScan, scanTime, testApp.Org, tk.ID)
	}
	if ev.From != w.from || ev.To != w.state {
		t.Errorf("event %s -> %s, want %s -> %s", ev.From, ev.To, w.from, w.state)
	}
	if !strings.Contains(ev.Reason, w.reason) {
		t.Errorf("reason %q does not say %q", ev.Reason, w.reason)
	}
	if (ev.DueTo != nil) != w.dueMoved {
		t.Fatalf("event due %v, want a due change: %v", ev.DueTo, w.dueMoved)
	}
	if ev.DueTo != nil && !ev.DueTo.Equal(tk.Due) {
		t.Errorf("event due to %v, ticket due %v", *ev.DueTo, tk.Due)
	}
	if ev.DueFrom != nil {
		var old *platform.Ticket
		for i := range existing {
			if existing[i].Fingerprint == tk.Fingerprint {
				old = &existing[i]
			}
		}
		if old == nil || !ev.DueFrom.Equal(old.Due) {
			t.Errorf("event due from %v, want the old due date", *ev.DueFrom)
		}
	}
}

func TestReconcileNewTicketFields(t *testing.T) {
	f := ruleSource.New(locSrc, "no permission check", "src/index.ts:12 resolver")
	got := Reconcile(scanTime, testApp, testScan, report(passing(), nil, f), nil)
	if len(got) != 1 {
		t.Fatalf("got %d changes, want 1", len(got))
	}
	tk := got[0].Ticket
	if tk.ID != 0 || tk.Rule != f.Rule || tk.Requirement != "1.2" || tk.Title != f.Title ||
		tk.Location != "src/index.ts:12:5" || !tk.FirstSeen.Equal(scanTime) || !tk.UpdatedAt.Equal(scanTime) {
		t.Errorf("new ticket %+v", tk)
	}
	if got, want := tk.Due.Format(time.DateOnly), requirement.Due(requirement.Critical, scanTime); got != want {
		t.Errorf("due day %s, want requirement.Due's %s", got, want)
	}
	var back finding.Finding
	if err := json.Unmarshal(tk.Detail, &back); err != nil {
		t.Fatalf("detail is not the finding as JSON: %v", err)
	}
	if back.Fingerprint != f.Fingerprint || back.Message != f.Message || back.Location != f.Location {
		t.Errorf("detail %+v, want the finding %+v", back, f)
	}
}

func TestReconcileFindingWithoutFingerprintOrSeverity(t *testing.T) {
	f := ruleForged.New(locPanel, "accepted")
	want := f.Fingerprint
	f.Fingerprint = ""
	f.Severity = 0
	got := Reconcile(scanTime, testApp, testScan, report(passing(), nil, f), nil)
	if len(got) != 1 {
		t.Fatalf("got %d changes, want 1", len(got))
	}
	// Requirement 1.1's default CVSS is 5.3: medium.
	if tk := got[0].Ticket; tk.Fingerprint != want || tk.Severity != "medium" || tk.Detail == nil {
		t.Errorf("ticket %s %s detail %d bytes, want fingerprint %s, severity medium and evidence", tk.Fingerprint, tk.Severity, len(tk.Detail), want)
	}
}

func TestDueForMatchesRequirementDue(t *testing.T) {
	times := []time.Time{
		time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 3, 1, 23, 59, 59, 0, time.UTC),
		time.Date(2026, 3, 1, 23, 30, 0, 0, time.FixedZone("UTC-5", -5*3600)), // already the 2nd in UTC
	}
	for _, s := range []requirement.Severity{requirement.Low, requirement.Medium, requirement.High, requirement.Critical} {
		for _, at := range times {
			due := DueFor(s, at)
			if got, want := due.Format(time.DateOnly), requirement.Due(s, at); got != want {
				t.Errorf("DueFor(%s, %v) = %s, want %s", s, at, got, want)
			}
			if h, m, sec := due.Clock(); h != 23 || m != 59 || sec != 59 || due.Nanosecond() != 0 || due.Location() != time.UTC {
				t.Errorf("DueFor(%s, %v) = %v, want the end of a UTC day", s, at, due)
			}
		}
	}
}

func BenchmarkReconcile(b *testing.B) {
	const n = 2000
	var fs []finding.Finding
	var existing []platform.Ticket
	for i := range n {
		f := ruleForged.New(finding.Endpoint("GET", "https://app.example.com/p/"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+"/"+time.Duration(i).String()), "accepted")
		fs = append(fs, f)
		if i%2 == 0 {
			existing = append(existing, existingTicket(int64(i+1), f, platform.NeedsPatch))
		}
	}
	// Half the tickets are seen again; a quarter of the findings are gone.
	rep := report(passing(), []finding.Error{{Scope: "https://app.example.com/slow", Message: "timed out"}}, fs[:3*n/4]...)
	b.ReportAllocs()
	for b.Loop() {
		Reconcile(scanTime, testApp, testScan, rep, existing)
	}
}
