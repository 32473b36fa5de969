package tickets

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ecoscan/ecoscan/internal/requirement"
	"github.com/ecoscan/ecoscan/internal/service/platform"
)

func TestTransition(t *testing.T) {
	now := scanTime
	base := existingTicket(5, ruleForged.New(locPanel, "accepted"), platform.NeedsPatch)
	in := func(s platform.TicketState) platform.Ticket {
		tk := base
		tk.State = s
		return tk
	}
	viewer := Actor{User: 3, Email: "v@vendor.example", Role: platform.RoleViewer}
	member := Actor{User: 4, Email: "m@vendor.example", Role: platform.RoleMember}
	admin := Actor{User: 5, Email: "a@vendor.example", Role: platform.RoleAdmin}
	outsider := Actor{User: 6, Email: "o@elsewhere.example"}
	security := Actor{User: 7, Email: "sec@marketplace.example", Platform: true}
	later := base.Due.Add(30 * 24 * time.Hour)
	earlier := base.Due.Add(-24 * time.Hour)
	passed := now.Add(-48 * time.Hour)
	overdue := in(platform.ExtensionRequested)
	overdue.Due = now.Add(-10 * 24 * time.Hour)
	const why = "fix is in review"

	tests := []struct {
		name   string
		who    Actor
		ticket platform.Ticket
		to     platform.TicketState
		reason string
		due    *time.Time
		err    error // nil: allowed
	}{
		{"member moves to security review", member, in(platform.NeedsPatch), platform.NeedsSecurityReview, why, nil, nil},
		{"admin moves to waiting for release", admin, in(platform.NeedsSecurityReview), platform.WaitingForRelease, why, nil, nil},
		{"member asks for an extension", member, in(platform.NeedsPatch), platform.ExtensionRequested, why, nil, nil},
		{"member withdraws an extension request", member, in(platform.ExtensionRequested), platform.NeedsPatch, why, nil, nil},
		{"member reopens a patched ticket", member, in(platform.Patched), platform.NeedsPatch, why, nil, nil},
		{"viewer moves nothing", viewer, in(platform.NeedsPatch), platform.NeedsSecurityReview, why, nil, ErrForbidden},
		{"outsider moves nothing", outsider, in(platform.NeedsPatch), platform.NeedsSecurityReview, why, nil, ErrForbidden},
		{"unknown user moves nothing", Actor{Role: platform.RoleAdmin}, in(platform.NeedsPatch), platform.NeedsSecurityReview, why, nil, ErrForbidden},
		{"unknown role moves nothing", Actor{User: 9, Role: "owner"}, in(platform.NeedsPatch), platform.NeedsSecurityReview, why, nil, ErrForbidden},
		{"member cannot mark patched", member, in(platform.WaitingForRelease), platform.Patched, why, nil, ErrForbidden},
		{"platform marks patched", security, in(platform.WaitingForRelease), platform.Patched, why, nil, nil},
		{"member cannot accept a risk", admin, in(platform.NeedsPatch), platform.AcceptedRisk, why, nil, ErrForbidden},
		{"platform accepts a risk", security, in(platform.NeedsPatch), platform.AcceptedRisk, why, nil, nil},
		{"member cannot mark a false positive", admin, in(platform.NeedsPatch), platform.FalsePositive, why, nil, ErrForbidden},
		{"platform marks a false positive", security, in(platform.NeedsSecurityReview), platform.FalsePositive, why, nil, nil},
		{"member cannot reopen an accepted risk", admin, in(platform.AcceptedRisk), platform.NeedsPatch, why, nil, ErrForbidden},
		{"platform reopens an accepted risk", security, in(platform.AcceptedRisk), platform.NeedsPatch, why, nil, nil},
		{"member cannot reopen a false positive", member, in(platform.FalsePositive), platform.NeedsPatch, why, nil, ErrForbidden},
		{"same state is refused", member, in(platform.NeedsPatch), platform.NeedsPatch, why, nil, ErrInvalidTransition},
		{"same state is refused for the platform too", security, in(platform.AcceptedRisk), platform.AcceptedRisk, why, nil, ErrInvalidTransition},
		{"unknown target state", security, in(platform.NeedsPatch), "done", why, nil, ErrInvalidTransition},
		{"ticket in an unknown state", security, in("lost"), platform.NeedsPatch, why, nil, ErrInvalidTransition},
		{"reason required", member, in(platform.NeedsPatch), platform.NeedsSecurityReview, "", nil, ErrInvalidTransition},
		{"blank reason refused", member, in(platform.NeedsPatch), platform.NeedsSecurityReview, " \n\t ", nil, ErrInvalidTransition},
		{"reason at the limit", member, in(platform.NeedsPatch), platform.NeedsSecurityReview, strings.Repeat("é", MaxReason), nil, nil},
		{"reason over the limit", member, in(platform.NeedsPatch), platform.NeedsSecurityReview, strings.Repeat("é", MaxReason+1), nil, ErrInvalidTransition},
		{"reason with a control character", member, in(platform.NeedsPatch), platform.NeedsSecurityReview, "fixed\x1b[31m", nil, ErrInvalidTransition},
		{"reason in broken UTF-8", member, in(platform.NeedsPatch), platform.NeedsSecurityReview, "fixed \xff", nil, ErrInvalidTransition},
		{"reason over lines", member, in(platform.NeedsPatch), platform.NeedsSecurityReview, "fixed in 2.1\r\nsee PR 12\tthanks", nil, nil},
		{"platform grants an extension", security, in(platform.ExtensionRequested), platform.NeedsPatch, why, &later, nil},
		{"platform grants an extension to an overdue ticket", security, overdue, platform.NeedsPatch, why, &later, nil},
		{"member cannot grant an extension", admin, in(platform.ExtensionRequested), platform.NeedsPatch, why, &later, ErrForbidden},
		{"extension only from extension requested", security, in(platform.NeedsPatch), platform.WaitingForRelease, why, &later, ErrInvalidTransition},
		{"extension must be later than the due date", security, in(platform.ExtensionRequested), platform.NeedsPatch, why, &earlier, ErrInvalidTransition},
		{"extension to the same day is no extension", security, in(platform.ExtensionRequested), platform.NeedsPatch, why, &base.Due, ErrInvalidTransition},
		{"extension to a date that has passed", security, overdue, platform.NeedsPatch, why, &passed, ErrInvalidTransition},
		{"extension keeps the ticket open", security, in(platform.ExtensionRequested), platform.AcceptedRisk, why, &later, ErrInvalidTransition},
		{"platform refuses an extension", security, in(platform.ExtensionRequested), platform.NeedsPatch, why, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.ticket
			c, err := Transition(now, tc.who, tc.ticket, tc.to, tc.reason, tc.due)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				other := ErrForbidden
				if tc.err == ErrForbidden {
					other = ErrInvalidTransition
				}
				if errors.Is(err, other) {
					t.Errorf("err %v is both forbidden and invalid", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v, want the change", err)
			}
			tk, ev := c.Ticket, c.Event
			if tk.ID != before.ID || tk.State != tc.to || !tk.UpdatedAt.Equal(now) || tk.Overdue != Overdue(tk, now) {
				t.Errorf("ticket %+v", tk)
			}
			if ev.Ticket != before.ID || ev.Org != before.Org || ev.From != before.State || ev.To != tc.to ||
				!ev.At.Equal(now) || ev.Scan != 0 || ev.Reason != strings.TrimSpace(tc.reason) {
				t.Errorf("event %+v", ev)
			}
			if want := "user:" + strconv.FormatInt(tc.who.User, 10) + " " + tc.who.Email; ev.Actor != want {
				t.Errorf("actor %q, want %q", ev.Actor, want)
			}
			if tc.due == nil {
				if !tk.Due.Equal(before.Due) || ev.DueFrom != nil || ev.DueTo != nil {
					t.Errorf("due moved without an extension: %v, event %v -> %v", tk.Due, ev.DueFrom, ev.DueTo)
				}
				return
			}
			if want := endOfDay(*tc.due); !tk.Due.Equal(want) || ev.DueTo == nil || !ev.DueTo.Equal(want) ||
				ev.DueFrom == nil || !ev.DueFrom.Equal(before.Due) {
				t.Errorf("due %v, event %v -> %v; want %v from %v", tk.Due, ev.DueFrom, ev.DueTo, want, before.Due)
			}
			if tk.Overdue {
				t.Errorf("ticket granted an extension is still overdue")
			}
		})
	}
}

func TestOverdueAndDueSoon(t *testing.T) {
	due := DueFor(requirement.High, firstSeen)
	tk := func(s platform.TicketState) platform.Ticket {
		return platform.Ticket{State: s, Due: due}
	}
	tests := []struct {
		name    string
		ticket  platform.Ticket
		now     time.Time
		overdue bool
		soon    bool
	}{
		{"open, a second past due", tk(platform.NeedsPatch), due.Add(time.Second), true, false},
		{"open, at the due instant", tk(platform.NeedsPatch), due, false, true},
		{"open, due in 7 days", tk(platform.WaitingForRelease), due.Add(-DueSoonWindow), false, true},
		{"open, due in 7 days and a second", tk(platform.NeedsSecurityReview), due.Add(-DueSoonWindow - time.Second), false, false},
		{"extension requested counts", tk(platform.ExtensionRequested), due.Add(time.Hour), true, false},
		{"patched is never overdue", tk(platform.Patched), due.Add(time.Hour), false, false},
		{"patched is never due soon", tk(platform.Patched), due.Add(-time.Hour), false, false},
		{"accepted risk is never overdue", tk(platform.AcceptedRisk), due.Add(time.Hour), false, false},
		{"false positive is never due soon", tk(platform.FalsePositive), due.Add(-time.Hour), false, false},
		{"no due date", platform.Ticket{State: platform.NeedsPatch}, due, false, false},
	}
	for _, tc := range tests {
		if got := Overdue(tc.ticket, tc.now); got != tc.overdue {
			t.Errorf("%s: Overdue = %v, want %v", tc.name, got, tc.overdue)
		}
		if got := DueSoon(tc.ticket, tc.now); got != tc.soon {
			t.Errorf("%s: DueSoon = %v, want %v", tc.name, got, tc.soon)
		}
	}
}
