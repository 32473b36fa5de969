package tickets

import (
	"testing"
	"time"

	"github.com/ecoscan/ecoscan/internal/finding"
	"github.com/ecoscan/ecoscan/internal/requirement"
	"github.com/ecoscan/ecoscan/internal/service/platform"
)

func TestNotices(t *testing.T) {
	panel := ruleForged.New(locPanel, "accepted")
	other := ruleForged.New(locOther, "accepted")
	tls := ruleTLS.New(locHost, "TLS 1.0")
	src := ruleSource.New(locSrc, "no check")
	raised := withSeverity(ruleForged.New(finding.Endpoint("POST", "https://app.example.com/hook"), "accepted"), requirement.Critical)
	seen := ruleForged.New(finding.Endpoint("GET", "https://app.example.com/seen"), "accepted")
	existing := []platform.Ticket{
		existingTicket(1, tls, platform.Patched),                                       // reopened
		existingTicket(2, src, platform.NeedsPatch),                                    // patched
		existingTicket(3, seen, platform.NeedsPatch),                                   // seen again: no notice
		existingTicket(4, withSeverity(raised, requirement.High), platform.NeedsPatch), // severity changed: no notice
	}
	changes := Reconcile(scanTime, testApp, testScan, report(passing(), nil, panel, other, tls, seen, raised), existing)
	if len(changes) != 6 {
		t.Fatalf("got %d changes, want 6", len(changes))
	}
	// A person's changes: between open states (nothing), to Patched, and
	// out of accepted risk.
	security := Actor{User: 7, Email: "sec@marketplace.example", Platform: true}
	review, err := Transition(scanTime, security, existingTicket(8, other, platform.NeedsPatch), platform.NeedsSecurityReview, "fix shipped", nil)
	if err != nil {
		t.Fatal(err)
	}
	manual, err := Transition(scanTime, security, existingTicket(9, other, platform.WaitingForRelease), platform.Patched, "verified by hand", nil)
	if err != nil {
		t.Fatal(err)
	}
	revoked, err := Transition(scanTime, security, existingTicket(10, other, platform.AcceptedRisk), platform.NeedsPatch, "acceptance revoked", nil)
	if err != nil {
		t.Fatal(err)
	}
	changes = append(changes, review, manual, revoked)

	at := "at:" + scanTime.Format(time.RFC3339Nano)
	want := []Notice{
		{platform.EventTicketReopened, platform.Ticket{Fingerprint: tls.Fingerprint}, "ticket.reopened/app:2/" + tls.Fingerprint + "/scan:77"},
		{platform.EventTicketPatched, platform.Ticket{Fingerprint: src.Fingerprint}, "ticket.patched/app:2/" + src.Fingerprint + "/scan:77"},
		{platform.EventTicketNew, platform.Ticket{Fingerprint: panel.Fingerprint}, "ticket.new/app:2/" + panel.Fingerprint + "/scan:77"},
		{platform.EventTicketNew, platform.Ticket{Fingerprint: other.Fingerprint}, "ticket.new/app:2/" + other.Fingerprint + "/scan:77"},
		{platform.EventTicketPatched, platform.Ticket{Fingerprint: other.Fingerprint}, "ticket.patched/app:2/" + other.Fingerprint + "/" + at},
		{platform.EventTicketReopened, platform.Ticket{Fingerprint: other.Fingerprint}, "ticket.reopened/app:2/" + other.Fingerprint + "/" + at},
	}
	got := Notices(changes)
	if len(got) != len(want) {
		t.Fatalf("got %d notices, want %d: %+v", len(got), len(want), got)
	}
	keys := map[string]bool{}
	for i, w := range want {
		g := got[i]
		if g.Event != w.Event || g.Ticket.Fingerprint != w.Ticket.Fingerprint || g.Key != w.Key {
			t.Errorf("notice %d = %s %s %q, want %s %s %q", i, g.Event, g.Ticket.Fingerprint, g.Key, w.Event, w.Ticket.Fingerprint, w.Key)
		}
		if keys[g.Key] {
			t.Errorf("key %q given twice", g.Key)
		}
		keys[g.Key] = true
	}
	if got := Notices(nil); got != nil {
		t.Errorf("Notices(nil) = %v", got)
	}
}

func TestDueNotices(t *testing.T) {
	now := scanTime
	mk := func(fp string, s platform.TicketState, due time.Time) platform.Ticket {
		return platform.Ticket{App: 2, Fingerprint: fp, State: s, Due: due}
	}
	in3days := endOfDay(now.Add(3 * 24 * time.Hour))
	in20days := endOfDay(now.Add(20 * 24 * time.Hour))
	yesterday := endOfDay(now.Add(-24 * time.Hour))
	tickets := []platform.Ticket{
		mk("a", platform.NeedsPatch, yesterday),
		mk("b", platform.ExtensionRequested, in3days),
		mk("c", platform.NeedsPatch, in20days),  // not yet
		mk("d", platform.Patched, yesterday),    // closed
		mk("e", platform.AcceptedRisk, in3days), // closed
	}
	got := DueNotices(tickets, now)
	want := []Notice{
		{platform.EventTicketOverdue, platform.Ticket{Fingerprint: "a", Overdue: true}, "ticket.overdue/app:2/a/due:" + yesterday.Format(time.RFC3339)},
		{platform.EventTicketDueSoon, platform.Ticket{Fingerprint: "b"}, "ticket.due_soon/app:2/b/due:" + in3days.Format(time.RFC3339)},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d notices, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Event != w.Event || g.Ticket.Fingerprint != w.Ticket.Fingerprint || g.Ticket.Overdue != w.Ticket.Overdue || g.Key != w.Key {
			t.Errorf("notice %d = %s %s overdue=%v %q, want %s %s overdue=%v %q", i,
				g.Event, g.Ticket.Fingerprint, g.Ticket.Overdue, g.Key, w.Event, w.Ticket.Fingerprint, w.Ticket.Overdue, w.Key)
		}
	}

	// An extension moves the due date, and with it the key: the notice is
	// due again for the new date.
	extended := tickets[1]
	extended.Due = endOfDay(now.Add(5 * 24 * time.Hour))
	if again := DueNotices([]platform.Ticket{extended}, now); len(again) != 1 || again[0].Key == got[1].Key {
		t.Errorf("extended ticket notices %+v, want one with a new key", again)
	}
}
