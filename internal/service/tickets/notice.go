package tickets

import (
	"strconv"
	"time"

	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// Notice is one webhook notification to send about a ticket: the event
// (platform.EventTicketNew, ...), the ticket as it now is, and a key that
// names this occurrence of the event so that it is sent once
// (Store.Notified). Keys name the ticket by app and fingerprint, so that
// they do not depend on the ticket's id being known.
type Notice struct {
	Event  string
	Ticket platform.Ticket
	Key    string
}

// Notices maps ticket changes to the notices they call for:
//   - a new ticket (an event with no From state): ticket.new;
//   - a ticket moved from a closed state (Patched, Accepted Risk, False
//     Positive) back to an open one: ticket.reopened;
//   - a ticket moved to Patched: ticket.patched.
//
// Other changes (seen again, severity changed, moves between open states)
// notify nothing. The key names the event, the ticket and the scan that made
// the change, or the instant of a person's change.
func Notices(changes []platform.TicketChange) []Notice {
	var out []Notice
	for _, c := range changes {
		ev := c.Event
		var event string
		switch {
		case ev.To == "":
			continue
		case ev.From == "":
			event = platform.EventTicketNew
		case !ev.From.Open() && ev.To.Open():
			event = platform.EventTicketReopened
		case ev.To == platform.Patched && ev.From != platform.Patched:
			event = platform.EventTicketPatched
		default:
			continue
		}
		when := "at:" + ev.At.UTC().Format(time.RFC3339Nano)
		if ev.Scan != 0 {
			when = "scan:" + strconv.FormatInt(ev.Scan, 10)
		}
		out = append(out, Notice{Event: event, Ticket: c.Ticket, Key: noticeKey(event, c.Ticket, when)})
	}
	return out
}

// DueNotices returns, for tickets such as Store.OpenTicketsDueBefore lists,
// a ticket.overdue notice for each open ticket past its due date and a
// ticket.due_soon notice for each one due within DueSoonWindow. The key
// holds the due date, so that an extension makes the notices due again.
func DueNotices(tickets []platform.Ticket, now time.Time) []Notice {
	var out []Notice
	for _, t := range tickets {
		var event string
		switch {
		case Overdue(t, now):
			event = platform.EventTicketOverdue
		case DueSoon(t, now):
			event = platform.EventTicketDueSoon
		default:
			continue
		}
		t.Overdue = event == platform.EventTicketOverdue
		out = append(out, Notice{Event: event, Ticket: t, Key: noticeKey(event, t, "due:"+t.Due.UTC().Format(time.RFC3339))})
	}
	return out
}

func noticeKey(event string, t platform.Ticket, when string) string {
	return event + "/app:" + strconv.FormatInt(t.App, 10) + "/" + t.Fingerprint + "/" + when
}
