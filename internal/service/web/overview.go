package web

import (
	"fmt"
	"net/http"

	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// overviewView is the overview page: every organization the user sees with
// its apps.
type overviewView struct {
	Orgs []orgApps
}

// orgApps is one organization's part of the overview.
type orgApps struct {
	Org     orgView
	Apps    []platform.App
	Open    map[string]int // open tickets by severity, over the apps
	Overdue int
}

// overview answers GET /: the apps of each organization with their last
// scan, open findings by severity and overdue tickets.
func (s *server) overview(w http.ResponseWriter, r *http.Request, c *signedIn) {
	orgs, err := s.orgs(r.Context(), c)
	if err != nil {
		s.serverError(w, r, c, err)
		return
	}
	var v overviewView
	for _, o := range orgs {
		apps, err := s.cfg.Ops.ListApps(r.Context(), c.caller(), o.ID, platform.AppFilter{}, platform.Page{Limit: platform.MaxPage})
		if err != nil {
			s.serverError(w, r, c, fmt.Errorf("list apps of organization %d: %w", o.ID, err))
			return
		}
		oa := orgApps{Org: o, Apps: apps, Open: map[string]int{}}
		for _, a := range apps {
			for sev, n := range a.OpenBySeverity {
				oa.Open[sev] += n
			}
			oa.Overdue += a.Overdue
		}
		v.Orgs = append(v.Orgs, oa)
	}
	p := layoutPage(c, "Overview", "overview")
	p.Body = v
	s.render(w, r, http.StatusOK, "overview", p)
}
