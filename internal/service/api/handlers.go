package api

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// The handlers decode a request, call one operation and encode its answer.

// page is the envelope of every listing.
type page[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next,omitempty"`
}

// newPage wraps one page of items; a full page has a next cursor (the last
// item's id), which may lead to an empty page.
func newPage[T any](items []T, p platform.Page, id func(T) int64) page[T] {
	limit := p.Limit
	if limit == 0 {
		limit = platform.DefaultPage
	}
	pg := page[T]{Items: items}
	if pg.Items == nil {
		pg.Items = []T{}
	}
	if n := len(items); n > 0 && n >= limit {
		pg.Next = strconv.FormatInt(id(items[n-1]), 10)
	}
	return pg
}

func all[T any](items []T) page[T] {
	if items == nil {
		items = []T{}
	}
	return page[T]{Items: items}
}

// appView is an app as the API shows it: the interval as a duration
// string ("24h0m0s"), never its secrets.
type appView struct {
	platform.App
	Interval string `json:"interval"`
}

func viewApp(a platform.App) appView { return appView{App: a, Interval: a.Interval.String()} }

func viewApps(apps []platform.App) []appView {
	out := make([]appView, len(apps))
	for i, a := range apps {
		out[i] = viewApp(a)
	}
	return out
}

func (s *server) healthz(w http.ResponseWriter, _ *http.Request, _ Caller) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": s.cfg.Version})
	return nil
}

func (s *server) readyz(w http.ResponseWriter, r *http.Request, _ Caller) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.cfg.Store.Ping(ctx); err != nil {
		s.cfg.Logger.LogAttrs(r.Context(), slog.LevelError, "readiness: database does not answer", slog.String("error", err.Error()))
		writeError(w, http.StatusServiceUnavailable, errorCode(http.StatusServiceUnavailable), "the database does not answer", "")
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	return nil
}

func (s *server) metrics(w http.ResponseWriter, r *http.Request, _ Caller) error {
	if s.cfg.Metrics == nil {
		return fmt.Errorf("%w: metrics are not enabled", ErrNotFound)
	}
	s.cfg.Metrics.ServeHTTP(w, r)
	return nil
}

func (s *server) openAPI(w http.ResponseWriter, _ *http.Request, _ Caller) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(openAPIDocument)))
	_, _ = w.Write(openAPIDocument)
	return nil
}

func (s *server) me(w http.ResponseWriter, _ *http.Request, c Caller) error {
	ms := c.Memberships
	if ms == nil {
		ms = []platform.Membership{}
	}
	writeJSON(w, http.StatusOK, struct {
		User        platform.User         `json:"user"`
		Memberships []platform.Membership `json:"memberships"`
	}{c.User, ms})
	return nil
}

func (s *server) listTokens(w http.ResponseWriter, r *http.Request, c Caller) error {
	toks, err := s.ops.Tokens(r.Context(), c)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, all(toks))
	return nil
}

func (s *server) createToken(w http.ResponseWriter, r *http.Request, c Caller) error {
	var req struct {
		Name          string `json:"name"`
		ExpiresInDays int    `json:"expires_in_days"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.ExpiresInDays < 0 || req.ExpiresInDays > int(MaxTokenTTL/(24*time.Hour)) {
		return invalid("expires_in_days", "must be between 1 and %d", int(MaxTokenTTL/(24*time.Hour)))
	}
	plain, tok, err := s.ops.CreateToken(r.Context(), c, req.Name, time.Duration(req.ExpiresInDays)*24*time.Hour)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, struct {
		platform.Token
		Plain string `json:"token"`
	}{tok, plain})
	return nil
}

func (s *server) revokeToken(w http.ResponseWriter, r *http.Request, c Caller) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.ops.RevokeToken(r.Context(), c, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) listOrgs(w http.ResponseWriter, r *http.Request, c Caller) error {
	orgs, err := s.ops.ListOrgs(r.Context(), c)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, all(orgs))
	return nil
}

func (s *server) createOrg(w http.ResponseWriter, r *http.Request, c Caller) error {
	var in OrgInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	org, err := s.ops.CreateOrg(r.Context(), c, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, org)
	return nil
}

func (s *server) getOrg(w http.ResponseWriter, r *http.Request, c Caller) error {
	org, err := pathID(r, "org")
	if err != nil {
		return err
	}
	got, err := s.ops.Org(r.Context(), c, org)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, got)
	return nil
}

func (s *server) listMembers(w http.ResponseWriter, r *http.Request, c Caller) error {
	org, err := pathID(r, "org")
	if err != nil {
		return err
	}
	ms, err := s.ops.Members(r.Context(), c, org)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, all(ms))
	return nil
}

func (s *server) setMember(w http.ResponseWriter, r *http.Request, c Caller) error {
	org, err := pathID(r, "org")
	if err != nil {
		return err
	}
	var in MemberInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	m, err := s.ops.SetMember(r.Context(), c, org, r.PathValue("user"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (s *server) removeMember(w http.ResponseWriter, r *http.Request, c Caller) error {
	org, err := pathID(r, "org")
	if err != nil {
		return err
	}
	if err := s.ops.RemoveMember(r.Context(), c, org, r.PathValue("user")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) listApps(w http.ResponseWriter, r *http.Request, c Caller) error {
	org, err := pathID(r, "org")
	if err != nil {
		return err
	}
	q, err := query(r, "kind", "deleted", "limit", "before")
	if err != nil {
		return err
	}
	p, err := pageOf(q)
	if err != nil {
		return err
	}
	f := platform.AppFilter{Kind: platform.AppKind(q.Get("kind"))}
	if f.IncludeDeleted, err = boolParam(q, "deleted"); err != nil {
		return err
	}
	apps, err := s.ops.ListApps(r.Context(), c, org, f, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newPage(viewApps(apps), p, func(a appView) int64 { return a.ID }))
	return nil
}

func (s *server) createApp(w http.ResponseWriter, r *http.Request, c Caller) error {
	org, err := pathID(r, "org")
	if err != nil {
		return err
	}
	if err := checkJSONType(r); err != nil {
		return err
	}
	in, err := parseCreateApp(r.Body)
	if err != nil {
		return err
	}
	in.IdempotencyKey = r.Header.Get("Idempotency-Key")
	app, created, err := s.ops.CreateApp(r.Context(), c, org, in)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	w.Header().Set("Location", fmt.Sprintf("/v1/orgs/%d/apps/%d", org, app.ID))
	writeJSON(w, status, viewApp(app))
	return nil
}

func (s *server) getApp(w http.ResponseWriter, r *http.Request, c Caller) error {
	org, app, err := orgAnd(r, "app")
	if err != nil {
		return err
	}
	a, err := s.ops.App(r.Context(), c, org, app)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewApp(a))
	return nil
}

func (s *server) updateApp(w http.ResponseWriter, r *http.Request, c Caller) error {
	org, app, err := orgAnd(r, "app")
	if err != nil {
		return err
	}
	if err := checkJSONType(r); err != nil {
		return err
	}
	p, err := parsePatchApp(r.Body)
	if err != nil {
		return err
	}
	a, err := s.ops.UpdateApp(r.Context(), c, org, app, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewApp(a))
	return nil
}

func (s *server) deleteApp(w http.ResponseWriter, r *http.Request, c Caller) error {
	org, app, err := orgAnd(r, "app")
	if err != nil {
		return err
	}
	if err := s.ops.DeleteApp(r.Context(), c, org, app); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) putArchive(w http.ResponseWriter, r *http.Request, c Caller) error {
	org, app, err := orgAnd(r, "app")
	if err != nil {
		return err
	}
	a, err := s.ops.PutArchive(r.Context(), c, org, app, r.Body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewApp(a))
	return nil
}

func (s *server) scanNow(w http.ResponseWriter, r *http.Request, c Caller) error {
	org, app, err := orgAnd(r, "app")
	if err != nil {
		return err
	}
	sc, err := s.ops.ScanNow(r.Context(), c, org, app)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/v1/orgs/%d/scans/%d", org, sc.ID))
	writeJSON(w, http.StatusAccepted, sc)
	return nil
}

func (s *server) listScans(w http.ResponseWriter, r *http.Request, c Caller) error {
	org, app, err := orgAnd(r, "app")
	if err != nil {
		return err
	}
	q, err := query(r, "limit", "before")
	if err != nil {
		return err
	}
	p, err := pageOf(q)
	if err != nil {
		return err
	}
	scans, err := s.ops.ListScans(r.Context(), c, org, app, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newPage(scans, p, func(sc platform.Scan) int64 { return sc.ID }))
	return nil
}

// scanView is a scan with its report (the JSON report of
// REPORT-CONTRACT.md) once it is done.
type scanView struct {
	platform.Scan
	Report json.RawMessage `json:"report,omitempty"`
}

func (s *server) getScan(w http.ResponseWriter, r *http.Request, c Caller) error {
	org, id, err := orgAnd(r, "scan")
	if err != nil {
		return err
	}
	sc, err := s.ops.Scan(r.Context(), c, org, id)
	if err != nil {
		return err
	}
	v := scanView{Scan: sc}
	if json.Valid(sc.Report) {
		v.Report = sc.Report
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *server) cancelScan(w http.ResponseWriter, r *http.Request, c Caller) error {
	org, id, err := orgAnd(r, "scan")
	if err != nil {
		return err
	}
	sc, err := s.ops.CancelScan(r.Context(), c, org, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sc)
	return nil
}

func (s *server) listFindings(w http.ResponseWriter, r *http.Request, c Caller) error {
	org, err := pathID(r, "org")
	if err != nil {
		return err
	}
	q, err := query(r, "app", "scan", "severity", "requirement", "limit", "before")
	if err != nil {
		return err
	}
	p, err := pageOf(q)
	if err != nil {
		return err
	}
	f := platform.FindingFilter{Severity: q.Get("severity"), Requirement: q.Get("requirement")}
	if f.App, err = idParam(q, "app"); err != nil {
		return err
	}
	if f.Scan, err = idParam(q, "scan"); err != nil {
		return err
	}
	fs, err := s.ops.ListFindings(r.Context(), c, org, f, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newPage(fs, p, func(f platform.StoredFinding) int64 { return f.ID }))
	return nil
}

func (s *server) listTickets(w http.ResponseWriter, r *http.Request, c Caller) error {
	org, err := pathID(r, "org")
	if err != nil {
		return err
	}
	q, err := query(r, "app", "state", "severity", "overdue", "due_before", "limit", "before")
	if err != nil {
		return err
	}
	p, err := pageOf(q)
	if err != nil {
		return err
	}
	f := platform.TicketFilter{Severity: q.Get("severity")}
	if f.App, err = idParam(q, "app"); err != nil {
		return err
	}
	for _, v := range q["state"] {
		for st := range strings.SplitSeq(v, ",") {
			f.States = append(f.States, platform.TicketState(strings.TrimSpace(st)))
		}
	}
	if f.Overdue, err = boolParam(q, "overdue"); err != nil {
		return err
	}
	if v := q.Get("due_before"); v != "" {
		t, err := parseDate(v)
		if err != nil {
			return badParam("due_before", "%v", err)
		}
		f.DueBefore = &t
	}
	ts, err := s.ops.ListTickets(r.Context(), c, org, f, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newPage(ts, p, func(t platform.Ticket) int64 { return t.ID }))
	return nil
}

// ticketView is a ticket with the evidence of its latest finding and its
// history.
type ticketView struct {
	platform.Ticket
	Detail json.RawMessage        `json:"detail,omitempty"`
	Events []platform.TicketEvent `json:"events"`
}

func (s *server) getTicket(w http.ResponseWriter, r *http.Request, c Caller) error {
	org, id, err := orgAnd(r, "id")
	if err != nil {
		return err
	}
	t, evs, err := s.ops.Ticket(r.Context(), c, org, id)
	if err != nil {
		return err
	}
	v := ticketView{Ticket: t, Events: evs}
	if v.Events == nil {
		v.Events = []platform.TicketEvent{}
	}
	if json.Valid(t.Detail) {
		v.Detail = t.Detail
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *server) transitionTicket(w http.ResponseWriter, r *http.Request, c Caller) error {
	org, id, err := orgAnd(r, "id")
	if err != nil {
		return err
	}
	if err := checkJSONType(r); err != nil {
		return err
	}
	req, due, err := parseTransition(r.Body)
	if err != nil {
		return err
	}
	t, err := s.ops.TransitionTicket(r.Context(), c, org, id, platform.TicketState(req.To), req.Reason, due)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *server) listWebhooks(w http.ResponseWriter, r *http.Request, c Caller) error {
	org, err := pathID(r, "org")
	if err != nil {
		return err
	}
	hooks, err := s.ops.Webhooks(r.Context(), c, org)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, all(hooks))
	return nil
}

func (s *server) createWebhook(w http.ResponseWriter, r *http.Request, c Caller) error {
	org, err := pathID(r, "org")
	if err != nil {
		return err
	}
	var in WebhookInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	hook, secret, err := s.ops.CreateWebhook(r.Context(), c, org, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, struct {
		platform.Webhook
		Secret string `json:"secret"`
	}{hook, secret})
	return nil
}

func (s *server) deleteWebhook(w http.ResponseWriter, r *http.Request, c Caller) error {
	org, id, err := orgAnd(r, "id")
	if err != nil {
		return err
	}
	if err := s.ops.DeleteWebhook(r.Context(), c, org, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// orgAnd reads the organization's id and another id from the path.
func orgAnd(r *http.Request, name string) (int64, int64, error) {
	org, err := pathID(r, "org")
	if err != nil {
		return 0, 0, err
	}
	id, err := pathID(r, name)
	if err != nil {
		return 0, 0, err
	}
	return org, id, nil
}

// boolParam reads true or false (absent: false).
func boolParam(q map[string][]string, name string) (bool, error) {
	vs := q[name]
	if len(vs) == 0 || vs[0] == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(vs[0])
	if err != nil {
		return false, badParam(name, "must be true or false")
	}
	return b, nil
}
