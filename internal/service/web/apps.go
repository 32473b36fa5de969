package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// appView is the app page.
type appView struct {
	Org     orgView
	App     platform.App
	Status  scanStatusView
	Latest  *platform.Scan  // the latest finished scan whose report is shown
	Recent  []platform.Scan // the latest scans, newest first
	Report  reportView
	Open    map[string]int // open tickets by severity
	Overdue int
	History []historyPoint // the chart's numbers, oldest first
}

// scanStatusView is the scan status box, which polls while a scan is
// queued or running.
type scanStatusView struct {
	Org     orgView
	App     platform.App
	Scan    *platform.Scan // the newest scan; nil before the first
	Waiting int            // jobs waiting in the queue, when known
	CSRF    string
}

// Active reports whether the box should keep polling.
func (v scanStatusView) Active() bool {
	return v.Scan != nil && (v.Scan.State == platform.ScanQueued || v.Scan.State == platform.ScanRunning)
}

// historyPoint is one finished scan of the chart.
type historyPoint struct {
	Scan   int64
	At     int64 // Unix seconds of its end
	Counts [4]int
}

// recentScans is how many scans the app page lists.
const recentScans = 10

// appPage answers GET /orgs/{org}/apps/{app}.
func (s *server) appPage(w http.ResponseWriter, r *http.Request, c *signedIn) {
	ctx := r.Context()
	o, app, err := s.app(r, c)
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	scans, err := s.cfg.Ops.ListScans(ctx, c.caller(), o.ID, app.ID, platform.Page{Limit: platform.MaxPage})
	if err != nil {
		s.fail(w, r, c, fmt.Errorf("list scans of app %d: %w", app.ID, err))
		return
	}
	v := appView{Org: o, App: app, Recent: scans[:min(len(scans), recentScans)], Open: map[string]int{}, History: history(scans)}
	v.Status = s.scanStatus(ctx, o, app, scans, c.session.CSRF)

	tickets, err := s.cfg.Ops.ListTickets(ctx, c.caller(), o.ID, platform.TicketFilter{App: app.ID}, platform.Page{Limit: platform.MaxPage})
	if err != nil {
		s.fail(w, r, c, fmt.Errorf("list tickets of app %d: %w", app.ID, err))
		return
	}
	byFingerprint := map[string]int64{}
	for _, t := range tickets {
		byFingerprint[t.Fingerprint] = t.ID
		if t.State.Open() {
			v.Open[t.Severity]++
			if t.Overdue {
				v.Overdue++
			}
		}
	}
	if i := slices.IndexFunc(scans, func(sc platform.Scan) bool { return sc.State == platform.ScanDone }); i >= 0 {
		full, err := s.cfg.Ops.Scan(ctx, c.caller(), o.ID, scans[i].ID)
		if err != nil {
			s.fail(w, r, c, fmt.Errorf("read scan %d: %w", scans[i].ID, err))
			return
		}
		v.Latest = &full
		v.Report = newReportView(full.Report, byFingerprint)
	}
	p := layoutPage(c, app.Name, "apps")
	p.Org, p.Chart, p.Body = &o, len(v.History) > 0, v
	p.Notice = noticeText(r.URL.Query().Get("done"))
	s.render(w, r, http.StatusOK, "app", p)
}

// app reads the app the request's {org} and {app} name.
func (s *server) app(r *http.Request, c *signedIn) (orgView, platform.App, error) {
	o, err := s.org(r, c)
	if err != nil {
		return orgView{}, platform.App{}, err
	}
	id, err := pathID(r, "app")
	if err != nil {
		return orgView{}, platform.App{}, err
	}
	app, err := s.cfg.Ops.App(r.Context(), c.caller(), o.ID, id)
	if err != nil {
		return orgView{}, platform.App{}, fmt.Errorf("read app %d: %w", id, err)
	}
	return o, app, nil
}

// scanStatus is the status box of the newest of scans (newest first).
func (s *server) scanStatus(ctx context.Context, o orgView, app platform.App, scans []platform.Scan, csrf string) scanStatusView {
	v := scanStatusView{Org: o, App: app, CSRF: csrf}
	if len(scans) == 0 {
		return v
	}
	v.Scan = &scans[0]
	if v.Active() && s.cfg.Queue != nil {
		if n, err := s.cfg.Queue.Depth(ctx); err == nil {
			v.Waiting = n
		} else {
			s.log.Warn("queue depth", "err", err)
		}
	}
	return v
}

// history turns scans (newest first) into the chart's points, oldest
// first: one per finished scan.
func history(scans []platform.Scan) []historyPoint {
	var out []historyPoint
	for i := len(scans) - 1; i >= 0; i-- {
		sc := scans[i]
		if sc.State != platform.ScanDone || sc.FinishedAt == nil {
			continue
		}
		p := historyPoint{Scan: sc.ID, At: sc.FinishedAt.Unix()}
		for j, sev := range severityNames {
			p.Counts[j] = sc.Counts[sev]
		}
		out = append(out, p)
	}
	return out
}

// historyJSON is the chart's data as static/chart.js reads it: uPlot's
// columns, the times first, then one column per severity.
type historyJSON struct {
	Series []string  `json:"series"`
	Data   [][]int64 `json:"data"`
}

// appHistory answers GET /orgs/{org}/apps/{app}/history: the findings of
// each finished scan by severity, for the chart.
func (s *server) appHistory(w http.ResponseWriter, r *http.Request, c *signedIn) {
	o, app, err := s.app(r, c)
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	scans, err := s.cfg.Ops.ListScans(r.Context(), c.caller(), o.ID, app.ID, platform.Page{Limit: platform.MaxPage})
	if err != nil {
		s.fail(w, r, c, fmt.Errorf("list scans of app %d: %w", app.ID, err))
		return
	}
	points := history(scans)
	out := historyJSON{Series: severityNames, Data: make([][]int64, 1+len(severityNames))}
	for i := range out.Data {
		out.Data[i] = make([]int64, 0, len(points))
	}
	for _, p := range points {
		out.Data[0] = append(out.Data[0], p.At)
		for j, n := range p.Counts {
			out.Data[j+1] = append(out.Data[j+1], int64(n))
		}
	}
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(out); err != nil {
		s.log.Warn("write history", "err", err)
	}
}

// scanStatusFragment answers GET
// /orgs/{org}/apps/{app}/scans/{scan}/status, the box's poll. When the
// scan has ended, htmx reloads the page, which then shows its results.
func (s *server) scanStatusFragment(w http.ResponseWriter, r *http.Request, c *signedIn) {
	o, app, err := s.app(r, c)
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	id, err := pathID(r, "scan")
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	sc, err := s.cfg.Ops.Scan(r.Context(), c.caller(), o.ID, id)
	if err == nil && sc.App != app.ID {
		err = fmt.Errorf("scan %d of another app: %w", id, platform.ErrNotFound)
	}
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	sc.Report = nil
	v := s.scanStatus(r.Context(), o, app, []platform.Scan{sc}, c.session.CSRF)
	if !v.Active() && isHTMX(r) {
		w.Header().Set("HX-Refresh", "true")
	}
	s.renderFragment(w, http.StatusOK, "scan-status", v)
}

// noticeText is the line of good news a redirect after a change asks for
// (?done=...). Only these fixed texts can be shown, so a link cannot put
// words on the page.
func noticeText(done string) string {
	switch done {
	case "scan":
		return "Scan queued."
	case "registered":
		return "App registered. It is scanned on its schedule; Scan now scans it at once."
	case "archive":
		return "Archive uploaded. A scan of it is queued."
	case "ticket":
		return "Ticket updated."
	case "member":
		return "Member saved."
	case "removed":
		return "Member removed."
	case "revoked":
		return "Token revoked."
	}
	return ""
}
