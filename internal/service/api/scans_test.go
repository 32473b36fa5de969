package api

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// seeded is what seedScan wrote.
type seeded struct {
	scan    platform.Scan
	tickets map[string]platform.Ticket // by fingerprint
}

// seedTicket is one finding of a seeded scan and the ticket it opens.
type seedTicket struct {
	fingerprint, requirement, severity string
	state                              platform.TicketState
	due                                time.Time
}

// seedScan writes a finished scan of app with findings and their tickets,
// as a worker would.
func (e *env) seedScan(org, app int64, items ...seedTicket) seeded {
	e.t.Helper()
	ctx := context.Background()
	scope := platform.OrgScope(org)
	now := e.clock()
	sc, err := e.st.CreateScan(ctx, scope, platform.Scan{Org: org, App: app, State: platform.ScanQueued, Trigger: "schedule", QueuedAt: now})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.st.StartScan(ctx, scope, sc.ID, now); err != nil {
		e.t.Fatal(err)
	}
	res := platform.ScanResult{
		Scan: platform.Scan{ID: sc.ID, State: platform.ScanDone, FinishedAt: &now, Counts: map[string]int{},
			Report: []byte(`{"schema":"ecoscan.report/v1","findings":[]}`)},
	}
	for _, it := range items {
		res.Scan.Counts[it.severity]++
		detail, _ := json.Marshal(map[string]string{"rule": "rule-" + it.requirement, "fingerprint": it.fingerprint})
		res.Findings = append(res.Findings, platform.StoredFinding{
			Org: org, App: app, Scan: sc.ID, Fingerprint: it.fingerprint, Rule: "rule-" + it.requirement,
			Requirement: it.requirement, Severity: it.severity, Title: "finding " + it.fingerprint, Location: "https://app.example.com/x",
			Detail: detail, CreatedAt: now,
		})
		res.Changes = append(res.Changes, platform.TicketChange{
			Ticket: platform.Ticket{Org: org, App: app, Fingerprint: it.fingerprint, Rule: "rule-" + it.requirement,
				Requirement: it.requirement, Severity: it.severity, Title: "finding " + it.fingerprint, Location: "https://app.example.com/x",
				State: it.state, FirstSeen: now, LastSeen: now, Due: it.due, UpdatedAt: now, Detail: detail},
			Event: platform.TicketEvent{Org: org, At: now, Actor: "system", To: it.state, Reason: "opened by the scan", Scan: sc.ID},
		})
	}
	err = e.st.InTx(ctx, scope, func(tx *sql.Tx) error { return e.st.FinishScanTx(ctx, tx, res) })
	if err != nil {
		e.t.Fatalf("finish scan: %v", err)
	}
	out := seeded{tickets: map[string]platform.Ticket{}}
	if out.scan, err = e.st.Scan(ctx, scope, sc.ID); err != nil {
		e.t.Fatal(err)
	}
	ts, err := e.st.ListTickets(ctx, scope, platform.TicketFilter{App: app, Now: now}, platform.Page{Limit: platform.MaxPage})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, t := range ts {
		out.tickets[t.Fingerprint] = t
	}
	return out
}

func TestScans(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant("acme")
	app := e.register(tn, map[string]any{"name": "a", "descriptor_url": "https://app.example.com/d.json"})
	forge := e.register(tn, map[string]any{"name": "f", "kind": "forge"})
	appPath := fmt.Sprintf("%s/%d", tn.apps, app.ID)

	var sc platform.Scan
	a := e.expect(http.StatusAccepted, req{method: "POST", path: appPath + "/scans", token: tn.member.token})
	a.decode(t, &sc)
	if sc.App != app.ID || sc.State != platform.ScanQueued || sc.Trigger != "manual" {
		t.Errorf("scan %+v", sc)
	}
	if loc := a.header.Get("Location"); loc != fmt.Sprintf("/v1/orgs/%d/scans/%d", tn.org, sc.ID) {
		t.Errorf("Location %q", loc)
	}
	scanned, _ := e.queue.calls()
	if len(scanned) != 1 || scanned[0] != (queueCall{platform.OrgScope(tn.org), app.ID}) {
		t.Errorf("queue calls %+v", scanned)
	}
	// A Forge app is scanned from its source, which it does not have yet.
	e.expect(http.StatusConflict, req{method: "POST", path: fmt.Sprintf("%s/%d/scans", tn.apps, forge.ID), token: tn.member.token})

	// Cancel the queued scan; a finished one cannot be.
	scanPath := fmt.Sprintf("/v1/orgs/%d/scans/%d", tn.org, sc.ID)
	e.expect(http.StatusForbidden, req{method: "DELETE", path: scanPath, token: tn.viewer.token})
	e.expect(http.StatusOK, req{method: "DELETE", path: scanPath, token: tn.member.token}).decode(t, &sc)
	if sc.State != platform.ScanCanceled {
		t.Errorf("after cancel: %s", sc.State)
	}
	if _, canceled := e.queue.calls(); len(canceled) != 1 || canceled[0].id != sc.ID {
		t.Errorf("cancel calls %+v", canceled)
	}
	e.expect(http.StatusConflict, req{method: "DELETE", path: scanPath, token: tn.member.token})

	done := e.seedScan(tn.org, app.ID, seedTicket{"fp1", "1.1", "high", platform.NeedsPatch, e.clock().Add(42 * 24 * time.Hour)})
	var view struct {
		platform.Scan
		Report map[string]any `json:"report"`
	}
	e.expect(http.StatusOK, req{method: "GET", path: fmt.Sprintf("/v1/orgs/%d/scans/%d", tn.org, done.scan.ID), token: tn.viewer.token}).decode(t, &view)
	if view.State != platform.ScanDone || view.Report["schema"] != "ecoscan.report/v1" || view.Counts["high"] != 1 {
		t.Errorf("scan with report: %+v", view)
	}
	var list page[platform.Scan]
	e.expect(http.StatusOK, req{method: "GET", path: appPath + "/scans?limit=1", token: tn.viewer.token}).decode(t, &list)
	if len(list.Items) != 1 || list.Items[0].ID != done.scan.ID || list.Next == "" {
		t.Errorf("first page %+v", list)
	}
	e.expect(http.StatusOK, req{method: "GET", path: appPath + "/scans?limit=1&before=" + list.Next, token: tn.viewer.token}).decode(t, &list)
	if len(list.Items) != 1 || list.Items[0].ID != sc.ID {
		t.Errorf("second page %+v", list)
	}
	if strings.Contains(fmt.Sprint(list.Items[0].Report), "schema") {
		t.Error("listings carry reports")
	}
}

func TestFindingsAndTicketFilters(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant("acme")
	a1 := e.register(tn, map[string]any{"name": "a1", "descriptor_url": "https://app.example.com/d.json"})
	a2 := e.register(tn, map[string]any{"name": "a2", "descriptor_url": "https://app.example.com/d.json"})
	now := e.clock()
	s1 := e.seedScan(tn.org, a1.ID,
		seedTicket{"late", "1.1", "critical", platform.NeedsPatch, now.Add(-24 * time.Hour)},
		seedTicket{"soon", "6.2", "high", platform.WaitingForRelease, now.Add(5 * 24 * time.Hour)},
		seedTicket{"accepted", "1.1", "low", platform.AcceptedRisk, now.Add(-48 * time.Hour)},
	)
	e.seedScan(tn.org, a2.ID, seedTicket{"other", "3", "medium", platform.NeedsPatch, now.Add(60 * 24 * time.Hour)})

	findings := func(q string) []string {
		t.Helper()
		var pg page[platform.StoredFinding]
		e.expect(http.StatusOK, req{method: "GET", path: fmt.Sprintf("/v1/orgs/%d/findings%s", tn.org, q), token: tn.viewer.token}).decode(t, &pg)
		var fps []string
		for _, f := range pg.Items {
			fps = append(fps, f.Fingerprint)
		}
		slices.Sort(fps)
		return fps
	}
	for q, want := range map[string][]string{
		"":                            {"accepted", "late", "other", "soon"},
		"?severity=critical":          {"late"},
		"?severity=HIGH":              {"soon"},
		"?requirement=1.1":            {"accepted", "late"},
		fmt.Sprintf("?app=%d", a2.ID): {"other"},
		fmt.Sprintf("?scan=%d&requirement=6.2", s1.scan.ID): {"soon"},
	} {
		if got := findings(q); !slices.Equal(got, want) {
			t.Errorf("findings%s: %v, want %v", q, got, want)
		}
	}

	tickets := func(q string) []string {
		t.Helper()
		var pg page[platform.Ticket]
		e.expect(http.StatusOK, req{method: "GET", path: fmt.Sprintf("/v1/orgs/%d/tickets%s", tn.org, q), token: tn.viewer.token}).decode(t, &pg)
		var fps []string
		for _, tk := range pg.Items {
			fps = append(fps, tk.Fingerprint)
		}
		slices.Sort(fps)
		return fps
	}
	dueBefore := now.Add(10 * 24 * time.Hour).Format(time.DateOnly)
	for q, want := range map[string][]string{
		"":                                 {"accepted", "late", "other", "soon"},
		"?overdue=true":                    {"late"},
		"?state=needs-patch":               {"late", "other"},
		"?state=needs-patch,accepted-risk": {"accepted", "late", "other"},
		"?state=needs-patch&state=waiting-for-release": {"late", "other", "soon"},
		"?severity=low":                           {"accepted"},
		"?due_before=" + dueBefore:                {"accepted", "late", "soon"},
		fmt.Sprintf("?app=%d", a1.ID):             {"accepted", "late", "soon"},
		"?due_before=" + now.Format(time.RFC3339): {"accepted", "late"},
	} {
		if got := tickets(q); !slices.Equal(got, want) {
			t.Errorf("tickets%s: %v, want %v", q, got, want)
		}
	}

	var tk ticketView
	late := s1.tickets["late"]
	e.expect(http.StatusOK, req{method: "GET", path: fmt.Sprintf("/v1/orgs/%d/tickets/%d", tn.org, late.ID), token: tn.viewer.token}).decode(t, &tk)
	if !tk.Overdue || len(tk.Events) != 1 || tk.Events[0].Actor != "system" || !strings.Contains(string(tk.Detail), `"fingerprint":"late"`) {
		t.Errorf("ticket %+v", tk)
	}
}

func TestTicketTransitions(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant("acme")
	sec := e.user("sec@marketplace.test", 0, "", true)
	app := e.register(tn, map[string]any{"name": "a", "descriptor_url": "https://app.example.com/d.json"})
	now := e.clock()
	s := e.seedScan(tn.org, app.ID,
		seedTicket{"one", "1.1", "high", platform.NeedsPatch, now.Add(10 * 24 * time.Hour)},
		seedTicket{"two", "1.1", "high", platform.ExtensionRequested, now.Add(10 * 24 * time.Hour)},
	)
	path := func(fp string) string {
		return fmt.Sprintf("/v1/orgs/%d/tickets/%d/transitions", tn.org, s.tickets[fp].ID)
	}
	move := func(status int, who principal, fp string, body map[string]any) platform.Ticket {
		t.Helper()
		var tk platform.Ticket
		a := e.expect(status, req{method: "POST", path: path(fp), token: who.token, json: body})
		if status == http.StatusOK {
			a.decode(t, &tk)
		}
		return tk
	}

	tk := move(http.StatusOK, tn.member, "one", map[string]any{"to": "needs-security-review", "reason": "fixed in 2.3.1"})
	if tk.State != platform.NeedsSecurityReview {
		t.Errorf("state %s", tk.State)
	}
	move(http.StatusForbidden, tn.viewer, "one", map[string]any{"to": "needs-patch", "reason": "x"})
	move(http.StatusForbidden, tn.member, "one", map[string]any{"to": "accepted-risk", "reason": "we accept"})
	move(http.StatusForbidden, tn.admin, "one", map[string]any{"to": "false-positive", "reason": "not a bug"})
	move(http.StatusUnprocessableEntity, tn.member, "one", map[string]any{"to": "needs-security-review", "reason": "again"})
	move(http.StatusUnprocessableEntity, tn.member, "one", map[string]any{"to": "needs-patch", "reason": "  "})
	a := e.expect(http.StatusUnprocessableEntity, req{method: "POST", path: path("one"), token: tn.member.token, json: map[string]any{"to": "done", "reason": "x"}})
	if _, _, field := a.errorCode(t); field != "to" {
		t.Errorf("unknown state: field %q", field)
	}
	a = e.expect(http.StatusUnprocessableEntity, req{method: "POST", path: path("one"), token: sec.token, json: map[string]any{"to": "needs-patch", "reason": "x", "due": "next week"}})
	if _, _, field := a.errorCode(t); field != "due" {
		t.Errorf("bad due date: field %q", field)
	}

	// The platform team accepts risks and grants extensions.
	if tk := move(http.StatusOK, sec, "one", map[string]any{"to": "accepted-risk", "reason": "compensating control"}); tk.State != platform.AcceptedRisk {
		t.Errorf("accepted: %s", tk.State)
	}
	move(http.StatusForbidden, tn.member, "two", map[string]any{"to": "needs-patch", "reason": "more time", "due": "2026-08-01"})
	tk = move(http.StatusOK, sec, "two", map[string]any{"to": "needs-patch", "reason": "granted", "due": "2026-08-01"})
	if tk.Due.Format(time.DateOnly) != "2026-08-01" {
		t.Errorf("extension: due %v", tk.Due)
	}
	var view ticketView
	e.expect(http.StatusOK, req{method: "GET", path: fmt.Sprintf("/v1/orgs/%d/tickets/%d", tn.org, s.tickets["two"].ID), token: tn.viewer.token}).decode(t, &view)
	if n := len(view.Events); n != 2 || view.Events[n-1].Reason != "granted" || view.Events[n-1].DueTo == nil ||
		!strings.Contains(view.Events[n-1].Actor, "sec@marketplace.test") {
		t.Errorf("events %+v", view.Events)
	}
}

// staleStore answers ticket reads with the state the ticket had before
// someone else moved it, as a request racing another sees it.
type staleStore struct {
	platform.Store
	was platform.TicketState
}

func (s staleStore) Ticket(ctx context.Context, sc platform.Scope, id int64, now time.Time) (platform.Ticket, error) {
	t, err := s.Store.Ticket(ctx, sc, id, now)
	t.State = s.was
	return t, err
}

func TestTransitionLostRace(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant("acme")
	app := e.register(tn, map[string]any{"name": "a", "descriptor_url": "https://app.example.com/d.json"})
	s := e.seedScan(tn.org, app.ID, seedTicket{"one", "1.1", "high", platform.WaitingForRelease, e.clock().Add(24 * time.Hour)})
	cfg := e.cfg
	cfg.Store = staleStore{Store: e.st, was: platform.NeedsPatch}
	ops := NewOps(cfg)
	c, err := ops.CallerFor(context.Background(), tn.member.user)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ops.TransitionTicket(context.Background(), c, tn.org, s.tickets["one"].ID, platform.NeedsSecurityReview, "fixed", nil)
	if Status(err) != http.StatusConflict {
		t.Fatalf("lost race: %v (status %d), want 409", err, Status(err))
	}
}

func TestWebhooks(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant("acme")
	base := fmt.Sprintf("/v1/orgs/%d/webhooks", tn.org)
	var hook struct {
		platform.Webhook
		Secret string `json:"secret"`
	}
	e.expect(http.StatusCreated, req{method: "POST", path: base, token: tn.admin.token,
		json: WebhookInput{URL: "https://hooks.example.com/ecoscan", Events: []string{"ticket.new", "ticket.overdue", "ticket.new"}}}).decode(t, &hook)
	if len(hook.Secret) < 40 || !slices.Equal(hook.Events, []string{"ticket.new", "ticket.overdue"}) {
		t.Errorf("webhook %+v", hook)
	}
	hooks, err := e.st.Webhooks(context.Background(), platform.OrgScope(tn.org), tn.org)
	if err != nil || len(hooks) != 1 {
		t.Fatalf("stored hooks %v %v", hooks, err)
	}
	if strings.Contains(hooks[0].Secret, hook.Secret) {
		t.Error("webhook secret stored in clear text")
	}
	if got, err := e.keys.OpenSecret(hooks[0].Secret, platform.SecretAD("webhook", hook.ID, "secret")); err != nil || string(got) != hook.Secret {
		t.Errorf("the stored secret does not open to the one shown: %v", err)
	}

	var list page[platform.Webhook]
	e.expect(http.StatusOK, req{method: "GET", path: base, token: tn.admin.token}).decode(t, &list)
	if len(list.Items) != 1 {
		t.Errorf("%d webhooks", len(list.Items))
	}
	var all page[platform.Webhook]
	e.expect(http.StatusCreated, req{method: "POST", path: base, token: tn.admin.token, json: WebhookInput{URL: "https://hooks.example.com/all"}})
	e.expect(http.StatusOK, req{method: "GET", path: base, token: tn.admin.token}).decode(t, &all)
	if len(all.Items) != 2 || len(all.Items[0].Events)+len(all.Items[1].Events) != 2+len(WebhookEvents) {
		t.Errorf("webhooks %+v", all.Items)
	}

	e.expect(http.StatusForbidden, req{method: "GET", path: base, token: tn.member.token})
	e.expect(http.StatusForbidden, req{method: "POST", path: base, token: tn.member.token, json: WebhookInput{URL: "https://hooks.example.com/x"}})
	for _, c := range []WebhookInput{
		{URL: "https://10.0.0.2/hook"},
		{URL: "http://hooks.example.com/hook"},
		{URL: "https://metadata.example.com/"},
		{URL: "https://hooks.example.com/x", Events: []string{"ticket.deleted"}},
	} {
		e.expect(http.StatusUnprocessableEntity, req{method: "POST", path: base, token: tn.admin.token, json: c})
	}
	e.expect(http.StatusForbidden, req{method: "DELETE", path: fmt.Sprintf("%s/%d", base, hook.ID), token: tn.member.token})
	e.expect(http.StatusNoContent, req{method: "DELETE", path: fmt.Sprintf("%s/%d", base, hook.ID), token: tn.admin.token})
	e.expect(http.StatusNotFound, req{method: "DELETE", path: fmt.Sprintf("%s/%d", base, hook.ID), token: tn.admin.token})

	// The secret was shown once, in its creation answer.
	e.mu.Lock()
	n := 0
	for _, b := range e.answers {
		if strings.Contains(string(b), hook.Secret) {
			n++
		}
	}
	e.mu.Unlock()
	if n != 1 {
		t.Errorf("the webhook secret appears in %d answers, want 1", n)
	}
}
