package tickets

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ecoscan/ecoscan/internal/finding"
	"github.com/ecoscan/ecoscan/internal/requirement"
	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// Reconcile compares the report of a finished scan of app with the app's
// existing tickets (every state) and returns the changes the scan makes:
// changes to existing tickets in the order given, then new tickets in the
// order of the report's findings. Events carry Actor "system", the scan's
// id and a reason that says what the scan saw. A nil report changes nothing.
//
// The rules, by the state of the ticket that follows a fingerprint:
//   - none: an unsuppressed finding opens a ticket in Needs Patch, due
//     DueFor(severity, now). A suppressed finding opens nothing.
//   - open (Needs Patch, Needs Security Review, Waiting for Release,
//     Extension Requested), finding seen (suppressed or not): LastSeen,
//     title, location and evidence follow the finding, with no event. When
//     the severity changed, the ticket takes the new severity and the
//     earlier of its due date and DueFor(new severity, FirstSeen), with an
//     event.
//   - open, finding not seen: Patched, but only if the scan tested the
//     ticket's requirement (its checks rows for it all pass or fail, none
//     error, skipped or not-applicable) and no report error's scope covers
//     the ticket's location (see errorCovers). Otherwise it is left alone:
//     a check that did not run, or an endpoint that errored, proves
//     nothing.
//   - Patched, finding seen unsuppressed: reopened in Needs Patch with a
//     fresh window, due DueFor(severity, now): the fix that the earlier scan
//     confirmed was real then, and the regression is a new report of the
//     problem. (Vendors cannot mark tickets Patched themselves, see
//     Transition, so a reopen cannot be used to restart a clock.) FirstSeen
//     is kept. Seen suppressed: only LastSeen moves.
//   - Accepted Risk, False Positive: never changed by a scan, except that
//     LastSeen moves when the finding is seen.
//
// A change is returned only when the ticket differs from what it was.
func Reconcile(now time.Time, app platform.App, scanID int64, rep *finding.Report, existing []platform.Ticket) []platform.TicketChange {
	if rep == nil {
		return nil
	}
	now = now.UTC()
	r := reconciler{now: now, app: app, scan: scanID, rep: rep}
	seen := r.index()

	var changes []platform.TicketChange
	tracked := make(map[string]bool, len(existing))
	for _, t := range existing {
		tracked[t.Fingerprint] = true
		f, ok := seen[t.Fingerprint]
		var c platform.TicketChange
		var changed bool
		if ok {
			c, changed = r.seenAgain(t, f)
		} else {
			c, changed = r.notSeen(t)
		}
		if changed {
			changes = append(changes, c)
		}
	}
	for _, fp := range r.order {
		f := seen[fp]
		if tracked[fp] || f.Suppressed() {
			continue
		}
		changes = append(changes, r.open(fp, f))
	}
	return changes
}

// reconciler holds what every rule of Reconcile needs.
type reconciler struct {
	now   time.Time
	app   platform.App
	scan  int64
	rep   *finding.Report
	order []string // fingerprints in the order the report first gives them
}

// index maps each fingerprint of the report to its finding. A finding
// without a fingerprint gets the one its rule and location make. When a
// fingerprint appears twice, an unsuppressed finding wins over a suppressed
// one, then the more severe.
func (r *reconciler) index() map[string]finding.Finding {
	seen := make(map[string]finding.Finding, len(r.rep.Findings))
	for _, f := range r.rep.Findings {
		if f.Fingerprint == "" {
			f.Fingerprint = finding.Fingerprint(f.Rule, f.Location.Key())
		}
		f.Severity = severityOf(f)
		prev, dup := seen[f.Fingerprint]
		if !dup {
			r.order = append(r.order, f.Fingerprint)
			seen[f.Fingerprint] = f
			continue
		}
		if prev.Suppressed() && !f.Suppressed() ||
			prev.Suppressed() == f.Suppressed() && f.Severity > prev.Severity {
			seen[f.Fingerprint] = f
		}
	}
	return seen
}

// severityOf is the finding's severity, or its requirement's default when
// the finding has none that is valid.
func severityOf(f finding.Finding) requirement.Severity {
	if f.Severity >= requirement.Low && f.Severity <= requirement.Critical {
		return f.Severity
	}
	if req, ok := requirement.Lookup(f.Requirement); ok {
		return req.Severity()
	}
	return requirement.Low
}

// detail is the finding as JSON, the ticket's evidence.
func detail(f finding.Finding) []byte {
	b, err := json.Marshal(f)
	if err != nil {
		// Every field of a finding whose severity severityOf made valid
		// marshals; keep the ticket rather than lose it over its evidence.
		return nil
	}
	return b
}

func (r *reconciler) event(t platform.Ticket, to platform.TicketState, reason string) platform.TicketEvent {
	return platform.TicketEvent{
		Org:    t.Org,
		Ticket: t.ID,
		At:     r.now,
		Actor:  SystemActor,
		From:   t.State,
		To:     to,
		Reason: reason,
		Scan:   r.scan,
	}
}

// open makes the ticket of a finding no ticket follows yet.
func (r *reconciler) open(fp string, f finding.Finding) platform.TicketChange {
	due := DueFor(f.Severity, r.now)
	t := platform.Ticket{
		Org:         r.app.Org,
		App:         r.app.ID,
		Fingerprint: fp,
		Rule:        f.Rule,
		Requirement: f.Requirement,
		Severity:    f.Severity.String(),
		Title:       f.Title,
		Location:    f.Location.String(),
		State:       platform.NeedsPatch,
		FirstSeen:   r.now,
		LastSeen:    r.now,
		Due:         due,
		UpdatedAt:   r.now,
		Detail:      detail(f),
	}
	t.Overdue = Overdue(t, r.now)
	ev := r.event(platform.Ticket{Org: t.Org}, platform.NeedsPatch,
		fmt.Sprintf("found by scan %d: %s at %s (%s)", r.scan, f.Title, t.Location, t.Severity))
	ev.DueTo = &due
	return platform.TicketChange{Ticket: t, Event: ev}
}

// seenAgain applies the scan's sight of f to the ticket t that follows it.
func (r *reconciler) seenAgain(t platform.Ticket, f finding.Finding) (platform.TicketChange, bool) {
	next := t
	next.LastSeen = r.now
	switch {
	case t.State == platform.AcceptedRisk || t.State == platform.FalsePositive:
		return platform.TicketChange{Ticket: next}, !next.LastSeen.Equal(t.LastSeen)

	case t.State == platform.Patched:
		if f.Suppressed() {
			return platform.TicketChange{Ticket: next}, !next.LastSeen.Equal(t.LastSeen)
		}
		r.follow(&next, f)
		next.Severity = f.Severity.String()
		next.State = platform.NeedsPatch
		next.Due = DueFor(f.Severity, r.now)
		next.UpdatedAt = r.now
		next.Overdue = Overdue(next, r.now)
		ev := r.event(t, platform.NeedsPatch,
			fmt.Sprintf("reopened by scan %d: the finding is back at %s (%s)", r.scan, next.Location, next.Severity))
		ev.DueFrom, ev.DueTo = timePtr(t.Due), timePtr(next.Due)
		return platform.TicketChange{Ticket: next, Event: ev}, true

	default: // open
		r.follow(&next, f)
		old, err := requirement.ParseSeverity(t.Severity)
		if err == nil && old == f.Severity {
			return platform.TicketChange{Ticket: next}, !sameTicket(t, next)
		}
		next.Severity = f.Severity.String()
		if d := DueFor(f.Severity, t.FirstSeen); d.Before(t.Due) || t.Due.IsZero() {
			next.Due = d
		}
		next.UpdatedAt = r.now
		next.Overdue = Overdue(next, r.now)
		ev := r.event(t, t.State,
			fmt.Sprintf("scan %d rates the finding %s (was %s)", r.scan, next.Severity, t.Severity))
		if !next.Due.Equal(t.Due) {
			ev.DueFrom, ev.DueTo = timePtr(t.Due), timePtr(next.Due)
		}
		return platform.TicketChange{Ticket: next, Event: ev}, true
	}
}

// follow brings the ticket's description of the finding up to date.
func (r *reconciler) follow(t *platform.Ticket, f finding.Finding) {
	t.Rule = f.Rule
	t.Requirement = f.Requirement
	t.Title = f.Title
	t.Location = f.Location.String()
	if d := detail(f); d != nil {
		t.Detail = d
	}
}

// sameTicket reports whether a ticket that a scan saw again is unchanged.
func sameTicket(a, b platform.Ticket) bool {
	return a.LastSeen.Equal(b.LastSeen) && a.Rule == b.Rule && a.Requirement == b.Requirement &&
		a.Title == b.Title && a.Location == b.Location && bytes.Equal(a.Detail, b.Detail)
}

// notSeen patches an open ticket whose finding the scan no longer reports,
// when the scan proves it gone.
func (r *reconciler) notSeen(t platform.Ticket) (platform.TicketChange, bool) {
	if !t.State.Open() {
		return platform.TicketChange{}, false
	}
	ran, why := r.checkRan(t.Requirement)
	if !ran {
		return platform.TicketChange{}, false
	}
	for _, place := range ticketPlaces(t) {
		for _, e := range r.rep.Errors {
			if errorCovers(e.Scope, place, r.rep.Target.Ref) {
				return platform.TicketChange{}, false
			}
		}
	}
	next := t
	next.State = platform.Patched
	next.UpdatedAt = r.now
	next.Overdue = false
	ev := r.event(t, platform.Patched,
		fmt.Sprintf("patched: scan %d no longer finds it at %s (requirement %s: %s)", r.scan, t.Location, t.Requirement, why))
	return platform.TicketChange{Ticket: next, Event: ev}, true
}

// checkRan reports whether the scan tested requirement req: the report has
// rows for it and every one passed or failed. It also says what the rows
// say, for the event's reason.
func (r *reconciler) checkRan(req string) (bool, string) {
	var rows []finding.Check
	for _, c := range r.rep.Checks {
		if c.Requirement == req {
			if c.Status != finding.Pass && c.Status != finding.Fail {
				return false, ""
			}
			rows = append(rows, c)
		}
	}
	if len(rows) == 0 {
		return false, ""
	}
	merged := finding.MergeChecks(req, rows...)
	if merged.Detail == "" {
		return true, string(merged.Status)
	}
	return true, string(merged.Status) + ", " + merged.Detail
}

func timePtr(t time.Time) *time.Time { return &t }
