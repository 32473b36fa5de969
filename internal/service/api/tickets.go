package api

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ecoscan/ecoscan/internal/service/platform"
	"github.com/ecoscan/ecoscan/internal/service/tickets"
)

// ListTickets lists the organization's tickets, newest first, narrowed by
// the filter; the filter's Now is set to the current time.
func (o *Ops) ListTickets(ctx context.Context, c Caller, org int64, f platform.TicketFilter, p platform.Page) ([]platform.Ticket, error) {
	scope, err := o.authorize(ctx, c, org, platform.RoleViewer)
	if err != nil {
		return nil, err
	}
	if err := checkPage(p); err != nil {
		return nil, err
	}
	if f.App < 0 {
		return nil, badParam("app", "ids are positive")
	}
	for _, s := range f.States {
		if !s.Valid() {
			return nil, badParam("state", "unknown state %q", s)
		}
	}
	if f.Severity, err = checkSeverity(f.Severity); err != nil {
		return nil, err
	}
	f.Now = o.now()
	ts, err := o.cfg.Store.ListTickets(ctx, scope, f, p)
	if err != nil {
		return nil, o.storeErr("list tickets", err)
	}
	return ts, nil
}

// Ticket returns one ticket and its events, oldest first.
func (o *Ops) Ticket(ctx context.Context, c Caller, org, id int64) (platform.Ticket, []platform.TicketEvent, error) {
	scope, err := o.authorize(ctx, c, org, platform.RoleViewer)
	if err != nil {
		return platform.Ticket{}, nil, err
	}
	t, err := o.loadTicket(ctx, scope, id)
	if err != nil {
		return platform.Ticket{}, nil, err
	}
	evs, err := o.cfg.Store.TicketEvents(ctx, scope, id)
	if err != nil {
		return platform.Ticket{}, nil, o.storeErr("load ticket events", err)
	}
	return t, evs, nil
}

func (o *Ops) loadTicket(ctx context.Context, scope platform.Scope, id int64) (platform.Ticket, error) {
	if id <= 0 {
		return platform.Ticket{}, ErrNotFound
	}
	t, err := o.cfg.Store.Ticket(ctx, scope, id, o.now())
	if err != nil {
		return platform.Ticket{}, o.storeErr("load ticket", err)
	}
	return t, nil
}

// TransitionTicket moves a ticket to another state with a reason, and for
// the platform team optionally a new due date (an extension), as
// tickets.Transition allows. It returns the ticket as changed. A ticket
// changed by someone else since it was read is ErrConflict.
func (o *Ops) TransitionTicket(ctx context.Context, c Caller, org, id int64, to platform.TicketState, reason string, due *time.Time) (platform.Ticket, error) {
	scope, err := o.authorize(ctx, c, org, platform.RoleViewer)
	if err != nil {
		return platform.Ticket{}, err
	}
	if !to.Valid() {
		return platform.Ticket{}, invalid("to", "unknown state %q", to)
	}
	t, err := o.loadTicket(ctx, scope, id)
	if err != nil {
		return platform.Ticket{}, err
	}
	role, _ := c.role(org)
	who := tickets.Actor{User: c.User.ID, Email: c.User.Email, Platform: c.User.Platform, Role: role}
	change, err := tickets.Transition(o.now(), who, t, to, reason, due)
	switch {
	case errors.Is(err, tickets.ErrForbidden):
		return platform.Ticket{}, kindError{err, ErrForbidden}
	case errors.Is(err, tickets.ErrInvalidTransition):
		return platform.Ticket{}, kindError{err, ErrInvalid}
	case err != nil:
		return platform.Ticket{}, fmt.Errorf("transition ticket %d: %w", id, err)
	}
	if err := o.cfg.Store.ChangeTicket(ctx, scope, change); err != nil {
		if errors.Is(err, platform.ErrStale) {
			return platform.Ticket{}, fmt.Errorf("%w: ticket %d changed meanwhile; reload it and try again", ErrConflict, id)
		}
		return platform.Ticket{}, o.storeErr("change ticket", err)
	}
	return o.loadTicket(ctx, scope, id)
}

// kindError gives an error of another package the kind of one of ours,
// keeping its message.
type kindError struct {
	err  error
	kind error
}

func (e kindError) Error() string   { return e.err.Error() }
func (e kindError) Unwrap() []error { return []error{e.kind, e.err} }
