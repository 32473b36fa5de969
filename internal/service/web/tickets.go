package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/ecoscan/ecoscan/internal/service/api"
	"github.com/ecoscan/ecoscan/internal/service/platform"
	"github.com/ecoscan/ecoscan/internal/service/tickets"
)

// ticketQuery is the tickets page's filter, as its form and links carry it
// in the query string.
type ticketQuery struct {
	State    string // a state, "open" (the default: every open state) or "all"
	Severity string // a severity name or "" for all
	Overdue  bool
	DueWeek  bool  // due within the next 7 days (or overdue)
	App      int64 // 0 for every app
	Before   int64 // the page: tickets with ids below this one
}

// Problems with a ticket filter.
var errTicketQuery = errors.New("unknown ticket filter")

// parseTicketQuery reads the tickets page's query string. Unknown values
// are errors rather than ignored, so that a mistyped link does not show a
// list that looks complete.
func parseTicketQuery(q url.Values) (ticketQuery, error) {
	tq := ticketQuery{State: "open"}
	if v := q.Get("state"); v != "" {
		if v != "open" && v != "all" && !platform.TicketState(v).Valid() {
			return tq, fmt.Errorf("%w: state %q", errTicketQuery, v)
		}
		tq.State = v
	}
	if v := q.Get("severity"); v != "" {
		if !isSeverity(v) {
			return tq, fmt.Errorf("%w: severity %q", errTicketQuery, v)
		}
		tq.Severity = v
	}
	var err error
	if tq.Overdue, err = flag(q, "overdue"); err != nil {
		return tq, err
	}
	if tq.DueWeek, err = flag(q, "due_week"); err != nil {
		return tq, err
	}
	if tq.App, err = optionalID(q, "app"); err != nil {
		return tq, err
	}
	if tq.Before, err = optionalID(q, "before"); err != nil {
		return tq, err
	}
	return tq, nil
}

func isSeverity(s string) bool {
	for _, name := range severityNames {
		if s == name {
			return true
		}
	}
	return false
}

// flag reads a checkbox: absent, or "1".
func flag(q url.Values, name string) (bool, error) {
	switch q.Get(name) {
	case "":
		return false, nil
	case "1", "on":
		return true, nil
	}
	return false, fmt.Errorf("%w: %s %q", errTicketQuery, name, q.Get(name))
}

// optionalID reads a positive id; absent is 0.
func optionalID(q url.Values, name string) (int64, error) {
	v := q.Get(name)
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%w: %s %q", errTicketQuery, name, v)
	}
	return id, nil
}

// filter is the store's filter for the query at now.
func (tq ticketQuery) filter(now time.Time) platform.TicketFilter {
	f := platform.TicketFilter{App: tq.App, Severity: tq.Severity, Overdue: tq.Overdue, Now: now}
	switch tq.State {
	case "all":
	case "open":
		for _, st := range platform.TicketStates {
			if st.Open() {
				f.States = append(f.States, st)
			}
		}
	default:
		f.States = []platform.TicketState{platform.TicketState(tq.State)}
	}
	if tq.DueWeek {
		week := now.Add(7 * 24 * time.Hour)
		f.DueBefore = &week
	}
	return f
}

// values is the query again, for links to further pages.
func (tq ticketQuery) values() url.Values {
	q := url.Values{}
	q.Set("state", tq.State)
	if tq.Severity != "" {
		q.Set("severity", tq.Severity)
	}
	if tq.Overdue {
		q.Set("overdue", "1")
	}
	if tq.DueWeek {
		q.Set("due_week", "1")
	}
	if tq.App != 0 {
		q.Set("app", strconv.FormatInt(tq.App, 10))
	}
	return q
}

// ticketsPageSize is how many tickets one page lists.
const ticketsPageSize = 100

// ticketsView is the tickets page.
type ticketsView struct {
	Org     orgView
	Query   ticketQuery
	States  []platform.TicketState
	Apps    []platform.App
	AppName map[int64]string
	Tickets []platform.Ticket
	More    string // the query of the next page, "" on the last
}

// ticketsPage answers GET /orgs/{org}/tickets.
func (s *server) ticketsPage(w http.ResponseWriter, r *http.Request, c *signedIn) {
	o, err := s.org(r, c)
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	tq, err := parseTicketQuery(r.URL.Query())
	if err != nil {
		s.errorPage(w, r, c, http.StatusBadRequest, clean(err.Error()))
		return
	}
	ctx := r.Context()
	apps, err := s.cfg.Ops.ListApps(ctx, c.caller(), o.ID, platform.AppFilter{IncludeDeleted: true}, platform.Page{Limit: platform.MaxPage})
	if err != nil {
		s.fail(w, r, c, fmt.Errorf("list apps: %w", err))
		return
	}
	tickets, err := s.cfg.Ops.ListTickets(ctx, c.caller(), o.ID, tq.filter(s.now()), platform.Page{Limit: ticketsPageSize + 1, Before: tq.Before})
	if err != nil {
		s.fail(w, r, c, fmt.Errorf("list tickets: %w", err))
		return
	}
	v := ticketsView{Org: o, Query: tq, States: platform.TicketStates, Apps: apps, AppName: map[int64]string{}, Tickets: tickets}
	for _, a := range apps {
		v.AppName[a.ID] = a.Name
	}
	if len(tickets) > ticketsPageSize {
		v.Tickets = tickets[:ticketsPageSize]
		next := tq.values()
		next.Set("before", strconv.FormatInt(v.Tickets[ticketsPageSize-1].ID, 10))
		v.More = next.Encode()
	}
	p := layoutPage(c, "Tickets · "+o.Name, "tickets")
	p.Org, p.Body = &o, v
	s.render(w, r, http.StatusOK, "tickets", p)
}

// ticketView is the ticket page, and the fragment of its state that a
// change replaces.
type ticketView struct {
	Org     orgView
	Ticket  platform.Ticket
	AppName string
	Finding *findingView
	Events  []platform.TicketEvent
	Targets []platform.TicketState // the states the form offers
	// CanExtend shows the new due date field (the platform team, for a
	// ticket in Extension Requested).
	CanExtend bool
	CSRF      string
	Error     string // why the last change was refused
	Reason    string // the refused change's comment, to edit and send again
	Notice    string
}

// ticketPage answers GET /orgs/{org}/tickets/{ticket}.
func (s *server) ticketPage(w http.ResponseWriter, r *http.Request, c *signedIn) {
	o, err := s.org(r, c)
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	id, err := pathID(r, "ticket")
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	v, err := s.ticket(r, c, o, id)
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	v.Notice = noticeText(r.URL.Query().Get("done"))
	p := layoutPage(c, "Ticket "+strconv.FormatInt(id, 10)+" · "+v.Ticket.Title, "tickets")
	p.Org, p.Body = &o, v
	s.render(w, r, http.StatusOK, "ticket", p)
}

// ticket reads a ticket with its history.
func (s *server) ticket(r *http.Request, c *signedIn, o orgView, id int64) (ticketView, error) {
	ctx := r.Context()
	t, events, err := s.cfg.Ops.Ticket(ctx, c.caller(), o.ID, id)
	if err != nil {
		return ticketView{}, fmt.Errorf("read ticket %d: %w", id, err)
	}
	v := ticketView{Org: o, Ticket: t, Events: events, CSRF: c.session.CSRF}
	if app, err := s.cfg.Ops.App(ctx, c.caller(), o.ID, t.App); err == nil {
		v.AppName = app.Name
	} else if api.Status(err) != http.StatusNotFound {
		return ticketView{}, fmt.Errorf("read app %d: %w", t.App, err)
	}
	if f, ok := findingDetail(t.Detail); ok {
		f.Open = true
		v.Finding = &f
	}
	v.Targets, v.CanExtend = s.moves(c, o, t)
	return v, nil
}

// moves are the states the user may move t to, and whether they may grant
// an extension, as the ticket workflow (tickets.Transition) rules: the form
// offers what the rules allow rather than knowing them itself.
func (s *server) moves(c *signedIn, o orgView, t platform.Ticket) (targets []platform.TicketState, extend bool) {
	now := s.now()
	who := tickets.Actor{User: c.user.ID, Email: c.user.Email, Platform: c.user.Platform, Role: o.Role}
	const probeReason = "allowed?"
	for _, st := range platform.TicketStates {
		if _, err := tickets.Transition(now, who, t, st, probeReason, nil); err == nil {
			targets = append(targets, st)
		}
	}
	later := now
	if t.Due.After(now) {
		later = t.Due
	}
	later = later.Add(30 * 24 * time.Hour)
	for _, st := range targets {
		if _, err := tickets.Transition(now, who, t, st, probeReason, &later); err == nil {
			return targets, true
		}
	}
	return targets, false
}
