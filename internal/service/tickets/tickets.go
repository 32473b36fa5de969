// Package tickets is the ticket workflow of `ecoscan serve`, as pure logic
// over the platform types (no database): how a finished scan opens, keeps,
// reopens and patches an app's tickets (Reconcile), which changes a person
// may make (Transition), when a ticket is overdue or due soon, and which
// changes are worth a webhook notice (Notices, DueNotices).
//
// Due dates. A ticket is due at the end (23:59:59 UTC) of the day that
// requirement.Due gives its severity counted from when the ticket was
// opened, so the date a ticket shows is the date a report shows for the same
// finding found the same day. Whole seconds keep the instant exact in every
// database. A ticket is overdue once that instant has passed.
//
// Changes. Reconcile and Transition return platform.TicketChange values:
// the ticket as it is to be (ID 0 creates it) and the event that records
// why. A scan that merely sees a finding again moves the ticket's LastSeen
// and refreshes its evidence without recording an event: such a change has
// a zero Event (see HasEvent), so that the ticket's history holds what
// happened to it rather than one line per daily scan.
package tickets

import (
	"time"

	"github.com/ecoscan/ecoscan/internal/requirement"
	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// DueSoonWindow is how long before its due date an open ticket counts as
// due soon (the ticket.due_soon notice).
const DueSoonWindow = 7 * 24 * time.Hour

// SystemActor is the actor of the events that scans record.
const SystemActor = "system"

// Overdue reports whether t is open and its due date has passed.
func Overdue(t platform.Ticket, now time.Time) bool {
	return t.State.Open() && !t.Due.IsZero() && now.After(t.Due)
}

// DueSoon reports whether t is open, not yet overdue, and due within
// DueSoonWindow of now.
func DueSoon(t platform.Ticket, now time.Time) bool {
	return t.State.Open() && !t.Due.IsZero() && !now.After(t.Due) && t.Due.Sub(now) <= DueSoonWindow
}

// HasEvent reports whether c records an event in the ticket's history. A
// change without one only moves the ticket's LastSeen and evidence.
func HasEvent(c platform.TicketChange) bool { return c.Event.To != "" }

// DueFor is the due date of a problem of severity s reported at
// reported: the end of the UTC day that requirement.Due names.
func DueFor(s requirement.Severity, reported time.Time) time.Time {
	return endOfDay(reported.UTC().Add(requirement.FixWindow(s)))
}

// endOfDay is the last whole second of t's UTC day.
func endOfDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 23, 59, 59, 0, time.UTC)
}
