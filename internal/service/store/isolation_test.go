package store

import (
	"context"
	"database/sql"
	"reflect"
	"testing"

	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// snapshot is everything of one organization, read platform-wide, to show
// that another organization's calls changed none of it.
type snapshot struct {
	Org      platform.Org
	Members  []platform.Membership
	Apps     []platform.App
	Archive  []byte
	Scans    []platform.Scan
	Findings []platform.StoredFinding
	Tickets  []platform.Ticket
	Events   [][]platform.TicketEvent
	Webhooks []platform.Webhook
}

func snap(t *testing.T, s *Store, tn tenant) snapshot {
	t.Helper()
	ctx := context.Background()
	all := platform.AllScope()
	var sn snapshot
	sn.Org = must[platform.Org](t)(s.Org(ctx, all, tn.org.ID))
	sn.Members = must[[]platform.Membership](t)(s.Members(ctx, all, tn.org.ID))
	for _, id := range []int64{tn.connect.ID, tn.forge.ID} {
		sn.Apps = append(sn.Apps, must[platform.App](t)(s.App(ctx, all, id)))
		sn.Scans = append(sn.Scans, must[[]platform.Scan](t)(s.ListScans(ctx, all, id, platform.Page{}))...)
	}
	sn.Archive = must[[]byte](t)(s.Archive(ctx, all, tn.forge.ID))
	for _, sc := range sn.Scans {
		sn.Findings = append(sn.Findings, must[[]platform.StoredFinding](t)(s.ListFindings(ctx, all, platform.FindingFilter{Scan: sc.ID}, platform.Page{}))...)
	}
	for _, id := range []int64{tn.connect.ID, tn.forge.ID} {
		sn.Tickets = append(sn.Tickets, must[[]platform.Ticket](t)(s.ListTickets(ctx, all, platform.TicketFilter{App: id, Now: t0}, platform.Page{}))...)
	}
	for _, tk := range sn.Tickets {
		sn.Events = append(sn.Events, must[[]platform.TicketEvent](t)(s.TicketEvents(ctx, all, tk.ID)))
	}
	sn.Webhooks = must[[]platform.Webhook](t)(s.Webhooks(ctx, all, tn.org.ID))
	return sn
}

func TestTenantIsolation(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a := newTenant(t, s, "acme")
		b := newTenant(t, s, "beta")
		bScope := platform.OrgScope(b.org.ID)
		bQueued := must[platform.Scan](t)(s.CreateScan(ctx, bScope, platform.Scan{App: b.connect.ID, Trigger: "manual", QueuedAt: t0}))
		before := snap(t, s, b)

		for _, sc := range []platform.Scope{platform.OrgScope(a.org.ID), {}} {
			// Every call of this scope on b's rows is ErrNotFound.
			notFound := map[string]error{}
			try := func(name string, err error) { notFound[name] = err }
			try2 := func(name string) func(any, error) { return func(_ any, err error) { try(name, err) } }
			try2("Org")(s.Org(ctx, sc, b.org.ID))
			try("SetMember", s.SetMember(ctx, sc, platform.Membership{Org: b.org.ID, User: a.user.ID, Role: platform.RoleAdmin}))
			try("RemoveMember", s.RemoveMember(ctx, sc, b.org.ID, b.user.ID))
			try2("Members")(s.Members(ctx, sc, b.org.ID))
			_, _, err := s.CreateApp(ctx, sc, platform.App{Org: b.org.ID, Kind: platform.Forge, Name: "intruder"})
			try("CreateApp", err)
			try2("App")(s.App(ctx, sc, b.connect.ID))
			renamed := b.connect
			renamed.Name = "pwned"
			try("UpdateApp", s.UpdateApp(ctx, sc, renamed))
			try("DeleteApp", s.DeleteApp(ctx, sc, b.connect.ID, t0))
			try("SetArchive", s.SetArchive(ctx, sc, b.forge.ID, sha([]byte("evil")), []byte("evil")))
			try2("Archive")(s.Archive(ctx, sc, b.forge.ID))
			try2("CreateScan")(s.CreateScan(ctx, sc, platform.Scan{App: b.connect.ID, Trigger: "manual"}))
			try2("Scan")(s.Scan(ctx, sc, b.scan.ID))
			try2("ListScans")(s.ListScans(ctx, sc, b.connect.ID, platform.Page{}))
			try("SetScanJob", s.SetScanJob(ctx, sc, bQueued.ID, 666))
			try("StartScan", s.StartScan(ctx, sc, bQueued.ID, t0))
			try("FailScan", s.FailScan(ctx, sc, bQueued.ID, platform.ScanCanceled, t0, "x"))
			try("TicketsOfAppTx", s.InTx(ctx, sc, func(tx *sql.Tx) error { _, err := s.TicketsOfAppTx(ctx, tx, b.connect.ID); return err }))
			try("FinishScanTx", s.InTx(ctx, sc, func(tx *sql.Tx) error {
				return s.FinishScanTx(ctx, tx, scanResult(bQueued.ID, t0, 2))
			}))
			try2("Finding")(s.Finding(ctx, sc, b.findings[0].ID))
			try2("Ticket")(s.Ticket(ctx, sc, b.tickets[0].ID, t0))
			try2("TicketEvents")(s.TicketEvents(ctx, sc, b.tickets[0].ID))
			changed := b.tickets[0]
			changed.State = platform.FalsePositive
			try("ChangeTicket", s.ChangeTicket(ctx, sc, platform.TicketChange{Ticket: changed,
				Event: platform.TicketEvent{Actor: "user:1", From: platform.NeedsPatch}}))
			try2("CreateWebhook")(s.CreateWebhook(ctx, sc, platform.Webhook{Org: b.org.ID, URL: "https://evil.example", Events: []string{platform.EventTicketNew}}))
			try2("Webhooks")(s.Webhooks(ctx, sc, b.org.ID))
			try("DeleteWebhook", s.DeleteWebhook(ctx, sc, b.webhook.ID))
			for name, err := range notFound {
				wantErr(t, name+" across organizations", err, platform.ErrNotFound)
			}

			// Listings hold none of b's rows.
			orgs := must[[]platform.Org](t)(s.ListOrgs(ctx, sc))
			apps := must[[]platform.App](t)(s.ListApps(ctx, sc, platform.AppFilter{IncludeDeleted: true}, platform.Page{}))
			scans := must[[]platform.Scan](t)(s.ListScans(ctx, sc, 0, platform.Page{}))
			findings := must[[]platform.StoredFinding](t)(s.ListFindings(ctx, sc, platform.FindingFilter{}, platform.Page{}))
			findings = append(findings, must[[]platform.StoredFinding](t)(s.ListFindings(ctx, sc, platform.FindingFilter{Scan: b.scan.ID}, platform.Page{}))...)
			findings = append(findings, must[[]platform.StoredFinding](t)(s.ListFindings(ctx, sc, platform.FindingFilter{App: b.connect.ID}, platform.Page{}))...)
			tickets := must[[]platform.Ticket](t)(s.ListTickets(ctx, sc, platform.TicketFilter{}, platform.Page{}))
			tickets = append(tickets, must[[]platform.Ticket](t)(s.ListTickets(ctx, sc, platform.TicketFilter{App: b.connect.ID}, platform.Page{}))...)
			var orgIDs []int64
			for _, o := range orgs {
				orgIDs = append(orgIDs, o.ID)
			}
			for _, x := range apps {
				orgIDs = append(orgIDs, x.Org)
			}
			for _, x := range scans {
				orgIDs = append(orgIDs, x.Org)
			}
			for _, x := range findings {
				orgIDs = append(orgIDs, x.Org)
			}
			for _, x := range tickets {
				orgIDs = append(orgIDs, x.Org)
			}
			for _, id := range orgIDs {
				if id != sc.Org {
					t.Errorf("scope %+v lists a row of organization %d", sc, id)
				}
			}
			if sc.Org == a.org.ID && (len(orgs) != 1 || len(apps) != 2 || len(scans) != 1 || len(findings) != 2 || len(tickets) != 2) {
				t.Errorf("acme lists %d orgs, %d apps, %d scans, %d findings, %d tickets", len(orgs), len(apps), len(scans), len(findings), len(tickets))
			}
		}

		// A scan of a's may not touch b's tickets either.
		aScope := platform.OrgScope(a.org.ID)
		aScan := must[platform.Scan](t)(s.CreateScan(ctx, aScope, platform.Scan{App: a.connect.ID, Trigger: "manual"}))
		r := scanResult(aScan.ID, t0, 0)
		hijack := b.tickets[0]
		hijack.App, hijack.Org, hijack.State = a.connect.ID, a.org.ID, platform.Patched
		r.Changes = []platform.TicketChange{{Ticket: hijack}}
		err := s.InTx(ctx, aScope, func(tx *sql.Tx) error { return s.FinishScanTx(ctx, tx, r) })
		wantErr(t, "a's scan updating b's ticket", err, platform.ErrNotFound)

		if after := snap(t, s, b); !reflect.DeepEqual(after, before) {
			t.Errorf("beta changed:\nbefore %+v\nafter  %+v", before, after)
		}
		if n := must[[]platform.Membership](t)(s.MembershipsOf(ctx, a.user.ID)); len(n) != 1 {
			t.Errorf("acme's admin joined beta: %+v", n)
		}
	})
}

// TestRowsKeepTheirParentsOrganization shows the schema refusing a row
// whose organization is not its parent's, even where no scope is in the
// way.
func TestRowsKeepTheirParentsOrganization(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a := newTenant(t, s, "acme")
		b := newTenant(t, s, "beta")
		at := s.ts(t0)
		for _, tc := range []struct {
			name   string
			insert string // $1 the organization, $2 the parent, $3 what else
			parent int64
			third  any
		}{
			{"scan of another's app", `INSERT INTO scans (org_id, app_id, state, trigger, queued_at) VALUES ($1, $2, 'queued', 'manual', $3)`, b.connect.ID, at},
			{"finding of another's scan", `INSERT INTO findings (org_id, app_id, scan_id, fingerprint, rule, requirement, severity, title, location, created_at)
				VALUES ($1, 0, $2, 'f', 'r', '1', 'low', 't', 'l', $3)`, b.scan.ID, at},
			{"ticket of another's app", `INSERT INTO tickets (org_id, app_id, fingerprint, rule, requirement, severity, title, location, state, first_seen, last_seen, due, updated_at)
				VALUES ($1, $2, 'x', 'r', '1', 'low', 't', 'l', 'needs-patch', $3, $3, $3, $3)`, b.connect.ID, at},
			{"event of another's ticket", `INSERT INTO ticket_events (org_id, ticket_id, at, actor, to_state) VALUES ($1, $2, $3, 'system', 'patched')`, b.tickets[0].ID, at},
			{"notice of another's ticket", `INSERT INTO notices (org_id, ticket_id, event, key, sent_at) VALUES ($1, $2, 'ticket.new', '', $3)`, b.tickets[0].ID, at},
			{"archive of another's app", `INSERT INTO app_archives (org_id, app_id, data) VALUES ($1, $2, $3)`, b.connect.ID, []byte("x")},
		} {
			err := s.InTx(ctx, platform.AllScope(), func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, tc.insert, a.org.ID, tc.parent, tc.third)
				return mapErr(err)
			})
			wantErr(t, tc.name, err, platform.ErrNotFound)
		}
	})
}
