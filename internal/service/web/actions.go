package web

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// scanNow answers POST /orgs/{org}/apps/{app}/scan. htmx gets the scan
// status box, which then polls; a plain form post goes back to the app
// page.
func (s *server) scanNow(w http.ResponseWriter, r *http.Request, c *signedIn) {
	o, app, err := s.app(r, c)
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	sc, err := s.cfg.Ops.ScanNow(r.Context(), c.caller(), o.ID, app.ID)
	if err != nil {
		s.refused(w, r, c, err, func(status int, msg string) { s.errorPage(w, r, c, status, "The scan was refused: "+msg) })
		return
	}
	s.log.Info("scan requested", "org", o.ID, "app", app.ID, "scan", sc.ID, "user", c.user.ID)
	if isHTMX(r) {
		s.renderFragment(w, http.StatusOK, "scan-status", s.scanStatus(r.Context(), o, app, []platform.Scan{sc}, c.session.CSRF))
		return
	}
	redirect(w, r, appURL(o.ID, app.ID)+"?done=scan")
}

// putArchive hands an uploaded archive to api.Ops, which checks and
// stores it.
func (s *server) putArchive(r *http.Request, c *signedIn, o orgView, app int64, archive io.Reader) error {
	if _, err := s.cfg.Ops.PutArchive(r.Context(), c.caller(), o.ID, app, archive); err != nil {
		return err
	}
	s.log.Info("archive uploaded", "org", o.ID, "app", app, "user", c.user.ID)
	return nil
}

// changeTicket answers POST /orgs/{org}/tickets/{ticket}/state: a move to
// another state with a comment, and for the platform team a new due date.
// htmx gets the ticket's state section again (with the refusal, if any); a
// plain form post goes back to the ticket page.
func (s *server) changeTicket(w http.ResponseWriter, r *http.Request, c *signedIn) {
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
	to := platform.TicketState(r.PostFormValue("to"))
	reason := r.PostFormValue("reason")
	due, problem := formDate(r.PostFormValue("due"))
	status := http.StatusOK
	if problem != "" {
		status = http.StatusUnprocessableEntity
	} else if _, err := s.cfg.Ops.TransitionTicket(r.Context(), c.caller(), o.ID, id, to, reason, due); err != nil {
		var ok bool
		if status, problem, ok = refusal(err); !ok {
			s.fail(w, r, c, err)
			return
		}
	} else {
		s.log.Info("ticket changed", "org", o.ID, "ticket", id, "to", to, "user", c.user.ID)
		if !isHTMX(r) {
			redirect(w, r, "/orgs/"+strconv.FormatInt(o.ID, 10)+"/tickets/"+strconv.FormatInt(id, 10)+"?done=ticket")
			return
		}
	}
	v, err := s.ticket(r, c, o, id)
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	v.Error = problem
	if problem == "" {
		v.Notice = noticeText("ticket")
	} else {
		v.Reason = reason
	}
	if isHTMX(r) {
		s.renderFragment(w, status, "ticket-state", v)
		return
	}
	p := layoutPage(c, "Ticket "+strconv.FormatInt(id, 10)+" · "+v.Ticket.Title, "tickets")
	p.Org, p.Body = &o, v
	s.render(w, r, status, "ticket", p)
}

// formDate reads an optional date field (YYYY-MM-DD, as <input
// type="date"> sends it); the answer's second value says what is wrong.
func formDate(v string) (*time.Time, string) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, ""
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return nil, fmt.Sprintf("New due date: %q is not a date (YYYY-MM-DD).", clean(v))
	}
	return &t, ""
}
