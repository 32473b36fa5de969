package tickets

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// Errors of Transition, wrapped with what was refused: ErrForbidden when
// the person may not make the change (403), ErrInvalidTransition when no
// one may (422).
var (
	ErrForbidden         = errors.New("forbidden")
	ErrInvalidTransition = errors.New("invalid transition")
)

// MaxReason is the longest reason a person may give, in characters.
const MaxReason = 2000

// Actor is the person who changes a ticket: their user id and email, whether
// they are of the platform security team, and their role in the ticket's
// organization ("" when they are not a member).
type Actor struct {
	User     int64
	Email    string
	Platform bool
	Role     platform.Role
}

// String is the actor as TicketEvent.Actor records it: "user:<id> <email>".
func (a Actor) String() string {
	return "user:" + strconv.FormatInt(a.User, 10) + " " + a.Email
}

// vendorStates are the states an organization's members and admins may
// move a ticket between.
var vendorStates = map[platform.TicketState]bool{
	platform.NeedsPatch:          true,
	platform.NeedsSecurityReview: true,
	platform.WaitingForRelease:   true,
	platform.ExtensionRequested:  true,
}

// Transition validates a person's change of ticket t to state to, with a
// reason, and returns the change to store. newDue, when not nil, grants an
// extension: the ticket becomes due at the end of newDue's UTC day.
//
// Who may do what:
//   - viewers, and people who are neither members of the ticket's
//     organization nor of the platform team, change nothing;
//   - members and admins move tickets between Needs Patch, Needs Security
//     Review, Waiting for Release and Extension Requested, and may reopen a
//     Patched ticket. They cannot mark a ticket Patched: a vendor who has
//     shipped a fix moves it to Needs Security Review (or Waiting for
//     Release), and the next scan that tests the requirement and no longer
//     sees the finding patches it (see Reconcile);
//   - the platform team may make any move, and alone may accept a risk,
//     mark a false positive, mark a ticket Patched by hand, move a ticket
//     out of Accepted Risk or False Positive, and grant an extension.
//
// An extension is granted only to a ticket in Extension Requested, only to
// a later date than the current due date and than now, and moves it to
// another open state (usually Needs Patch). A reason (at most MaxReason
// characters, no control characters but line breaks and tabs) is
// always required, and a move to the state the ticket is in is refused.
func Transition(now time.Time, who Actor, t platform.Ticket, to platform.TicketState, reason string, newDue *time.Time) (platform.TicketChange, error) {
	now = now.UTC()
	if who.User <= 0 {
		return platform.TicketChange{}, fmt.Errorf("%w: no signed-in user", ErrForbidden)
	}
	if !who.Platform && !who.Role.AtLeast(platform.RoleMember) {
		return platform.TicketChange{}, fmt.Errorf("%w: a %s cannot change tickets", ErrForbidden, roleName(who.Role))
	}
	if !t.State.Valid() {
		return platform.TicketChange{}, fmt.Errorf("%w: ticket %d is in unknown state %q", ErrInvalidTransition, t.ID, t.State)
	}
	if !to.Valid() {
		return platform.TicketChange{}, fmt.Errorf("%w: unknown state %q", ErrInvalidTransition, to)
	}
	reason, err := checkReason(reason)
	if err != nil {
		return platform.TicketChange{}, err
	}
	if to == t.State {
		return platform.TicketChange{}, fmt.Errorf("%w: ticket %d is already %s", ErrInvalidTransition, t.ID, to)
	}
	if !who.Platform {
		if !vendorStates[to] {
			return platform.TicketChange{}, fmt.Errorf("%w: only the platform security team may move a ticket to %s", ErrForbidden, to)
		}
		if !vendorStates[t.State] && t.State != platform.Patched {
			return platform.TicketChange{}, fmt.Errorf("%w: only the platform security team may move a ticket out of %s", ErrForbidden, t.State)
		}
		if newDue != nil {
			return platform.TicketChange{}, fmt.Errorf("%w: only the platform security team may grant an extension", ErrForbidden)
		}
	}

	next := t
	next.State = to
	next.UpdatedAt = now
	ev := platform.TicketEvent{
		Org:    t.Org,
		Ticket: t.ID,
		At:     now,
		Actor:  who.String(),
		From:   t.State,
		To:     to,
		Reason: reason,
	}
	if newDue != nil {
		due, err := extension(now, t, to, *newDue)
		if err != nil {
			return platform.TicketChange{}, err
		}
		next.Due = due
		ev.DueFrom, ev.DueTo = timePtr(t.Due), timePtr(due)
	}
	next.Overdue = Overdue(next, now)
	return platform.TicketChange{Ticket: next, Event: ev}, nil
}

// extension checks a granted extension and returns the new due date.
func extension(now time.Time, t platform.Ticket, to platform.TicketState, newDue time.Time) (time.Time, error) {
	if t.State != platform.ExtensionRequested {
		return time.Time{}, fmt.Errorf("%w: an extension is granted only to a ticket in %s, ticket %d is %s",
			ErrInvalidTransition, platform.ExtensionRequested, t.ID, t.State)
	}
	if !to.Open() {
		return time.Time{}, fmt.Errorf("%w: a ticket granted an extension stays open, not %s", ErrInvalidTransition, to)
	}
	due := endOfDay(newDue)
	if !due.After(t.Due) {
		return time.Time{}, fmt.Errorf("%w: the new due date %s is not later than the current one %s",
			ErrInvalidTransition, due.Format(time.DateOnly), t.Due.UTC().Format(time.DateOnly))
	}
	if !due.After(now) {
		return time.Time{}, fmt.Errorf("%w: the new due date %s has passed", ErrInvalidTransition, due.Format(time.DateOnly))
	}
	return due, nil
}

// checkReason trims a person's reason and refuses an empty, overlong or
// garbled one.
func checkReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return "", fmt.Errorf("%w: a reason is required", ErrInvalidTransition)
	case !utf8.ValidString(reason):
		return "", fmt.Errorf("%w: the reason is not valid UTF-8", ErrInvalidTransition)
	case utf8.RuneCountInString(reason) > MaxReason:
		return "", fmt.Errorf("%w: the reason is longer than %d characters", ErrInvalidTransition, MaxReason)
	}
	for _, r := range reason {
		if unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' {
			return "", fmt.Errorf("%w: the reason holds control character %U", ErrInvalidTransition, r)
		}
	}
	return reason, nil
}

func roleName(r platform.Role) string {
	if r == "" {
		return "non-member"
	}
	return string(r)
}
