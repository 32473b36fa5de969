package api

import (
	"context"
	"fmt"
	"strings"

	"github.com/ecoscan/ecoscan/internal/requirement"
	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// ScanNow queues a scan of the app (members and admins); while one is
// queued or running, that one is returned. A Forge app needs its source
// archive first.
func (o *Ops) ScanNow(ctx context.Context, c Caller, org, app int64) (platform.Scan, error) {
	scope, err := o.authorize(ctx, c, org, platform.RoleMember)
	if err != nil {
		return platform.Scan{}, err
	}
	a, err := o.liveApp(ctx, scope, app)
	if err != nil {
		return platform.Scan{}, err
	}
	if a.Kind == platform.Forge && a.ArchiveSHA256 == "" {
		return platform.Scan{}, fmt.Errorf("%w: upload the app's source archive before scanning it", ErrConflict)
	}
	sc, err := o.cfg.Queue.ScanNow(ctx, scope, a.ID)
	if err != nil {
		return platform.Scan{}, o.storeErr("queue scan", err)
	}
	return sc, nil
}

// ListScans lists an app's scans, newest first, without their reports.
func (o *Ops) ListScans(ctx context.Context, c Caller, org, app int64, p platform.Page) ([]platform.Scan, error) {
	scope, err := o.authorize(ctx, c, org, platform.RoleViewer)
	if err != nil {
		return nil, err
	}
	if err := checkPage(p); err != nil {
		return nil, err
	}
	if _, err := o.loadApp(ctx, scope, app); err != nil {
		return nil, err
	}
	scans, err := o.cfg.Store.ListScans(ctx, scope, app, p)
	if err != nil {
		return nil, o.storeErr("list scans", err)
	}
	return scans, nil
}

// Scan returns one scan with its report.
func (o *Ops) Scan(ctx context.Context, c Caller, org, id int64) (platform.Scan, error) {
	scope, err := o.authorize(ctx, c, org, platform.RoleViewer)
	if err != nil {
		return platform.Scan{}, err
	}
	return o.loadScan(ctx, scope, id)
}

func (o *Ops) loadScan(ctx context.Context, scope platform.Scope, id int64) (platform.Scan, error) {
	if id <= 0 {
		return platform.Scan{}, ErrNotFound
	}
	sc, err := o.cfg.Store.Scan(ctx, scope, id)
	if err != nil {
		return platform.Scan{}, o.storeErr("load scan", err)
	}
	return sc, nil
}

// CancelScan cancels a queued or running scan (members and admins) and
// returns it as it now stands; a finished scan is ErrConflict.
func (o *Ops) CancelScan(ctx context.Context, c Caller, org, id int64) (platform.Scan, error) {
	scope, err := o.authorize(ctx, c, org, platform.RoleMember)
	if err != nil {
		return platform.Scan{}, err
	}
	sc, err := o.loadScan(ctx, scope, id)
	if err != nil {
		return platform.Scan{}, err
	}
	if sc.State != platform.ScanQueued && sc.State != platform.ScanRunning {
		return platform.Scan{}, fmt.Errorf("%w: scan %d is already %s", ErrConflict, id, sc.State)
	}
	if err := o.cfg.Queue.CancelScan(ctx, scope, id); err != nil {
		return platform.Scan{}, o.storeErr("cancel scan", err)
	}
	return o.loadScan(ctx, scope, id)
}

// ListFindings lists the organization's findings, newest first, narrowed
// by the filter (see platform.FindingFilter: an app without a scan means
// the app's latest finished scan).
func (o *Ops) ListFindings(ctx context.Context, c Caller, org int64, f platform.FindingFilter, p platform.Page) ([]platform.StoredFinding, error) {
	scope, err := o.authorize(ctx, c, org, platform.RoleViewer)
	if err != nil {
		return nil, err
	}
	if err := checkPage(p); err != nil {
		return nil, err
	}
	if f.App < 0 || f.Scan < 0 {
		return nil, badParam("app", "ids are positive")
	}
	if f.Severity, err = checkSeverity(f.Severity); err != nil {
		return nil, err
	}
	if f.Requirement != "" {
		if _, ok := requirement.Lookup(f.Requirement); !ok {
			return nil, badParam("requirement", "unknown requirement %q (e.g. 1.1, 6.2)", f.Requirement)
		}
	}
	fs, err := o.cfg.Store.ListFindings(ctx, scope, f, p)
	if err != nil {
		return nil, o.storeErr("list findings", err)
	}
	return fs, nil
}

// checkSeverity accepts a severity name in any case and returns it in
// lower case, as the store keeps it; "" stays "".
func checkSeverity(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	sev, err := requirement.ParseSeverity(s)
	if err != nil {
		return "", badParam("severity", "must be low, medium, high or critical")
	}
	return strings.ToLower(sev.String()), nil
}
