package api

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ecoscan/ecoscan/internal/connect/token"
	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// Scan intervals.
const (
	DefaultInterval = 24 * time.Hour
	MinInterval     = time.Hour
	MaxInterval     = 30 * 24 * time.Hour
	// maxSecret bounds a credential given at registration.
	maxSecret = 8 << 10
	// maxIdempotencyKey bounds an Idempotency-Key.
	maxIdempotencyKey = 255
)

// AppInput registers an app. A Connect app has a descriptor URL and,
// optionally, a test installation's credentials: its shared secret and
// client key (together) and a non-admin user's JWT. A Forge app has neither;
// its source is uploaded with PutArchive.
type AppInput struct {
	Kind          platform.AppKind // "" means Connect
	Name          string
	DescriptorURL string
	SharedSecret  token.Secret
	ClientKey     token.Secret
	UserJWT       token.Secret
	Interval      time.Duration // 0 means DefaultInterval
	// IdempotencyKey, when set, makes a retried registration return the app
	// the first one created.
	IdempotencyKey string
}

// AppPatch changes an app: nil fields stay as they are. An empty secret
// removes the secret.
type AppPatch struct {
	Name          *string
	DescriptorURL *string
	SharedSecret  *token.Secret
	ClientKey     *token.Secret
	UserJWT       *token.Secret
	Interval      *time.Duration
}

// sealedColumns are an app's sealed credential columns, as SecretAD names
// them.
const (
	colSharedSecret = "shared_secret"
	colClientKey    = "client_key"
	colUserJWT      = "user_jwt"
)

// CreateApp registers an app in the organization (members and admins). It
// returns the app and whether it was created: false when the
// IdempotencyKey was used before, in which case the first app is returned
// (or ErrConflict if the key was used for a different app).
//
// Secrets are sealed once the app has its id (the id is part of what they
// are bound to), then written with UpdateApp; if that fails the new app is
// deleted again.
func (o *Ops) CreateApp(ctx context.Context, c Caller, org int64, in AppInput) (platform.App, bool, error) {
	scope, err := o.authorize(ctx, c, org, platform.RoleMember)
	if err != nil {
		return platform.App{}, false, err
	}
	if in.Kind == "" {
		in.Kind = platform.Connect
	}
	if err := checkAppInput(&in); err != nil {
		return platform.App{}, false, err
	}
	if in.Kind == platform.Connect {
		if in.DescriptorURL, err = o.checkTarget(ctx, "descriptor_url", in.DescriptorURL); err != nil {
			return platform.App{}, false, err
		}
	}
	hasSecrets := in.SharedSecret != "" || in.ClientKey != "" || in.UserJWT != ""
	if hasSecrets && o.cfg.Keys == nil {
		return platform.App{}, false, errors.New("register app: no key ring to seal its secrets with")
	}
	now := o.now()
	next := now
	if in.Kind == platform.Forge {
		// Nothing to scan before the source is uploaded.
		next = now.Add(in.Interval)
	}
	app, created, err := o.cfg.Store.CreateApp(ctx, scope, platform.App{
		Org: org, Kind: in.Kind, Name: in.Name, DescriptorURL: in.DescriptorURL,
		Interval: in.Interval, NextScanAt: next, CreatedAt: now, IdempotencyKey: in.IdempotencyKey,
	})
	if err != nil {
		return platform.App{}, false, o.storeErr("register app", err)
	}
	if !created {
		if app.Kind != in.Kind || app.Name != in.Name || app.DescriptorURL != in.DescriptorURL {
			return platform.App{}, false, fmt.Errorf("%w: the Idempotency-Key was used for another app (%d)", ErrConflict, app.ID)
		}
		return app, false, nil
	}
	if !hasSecrets {
		return app, true, nil
	}
	for _, f := range []struct {
		col   string
		value token.Secret
		dst   *string
	}{
		{colSharedSecret, in.SharedSecret, &app.SharedSecret},
		{colClientKey, in.ClientKey, &app.ClientKey},
		{colUserJWT, in.UserJWT, &app.UserJWT},
	} {
		if f.value == "" {
			continue
		}
		sealed, err := o.cfg.Keys.SealSecret(f.value, platform.SecretAD("app", app.ID, f.col))
		if err != nil {
			return platform.App{}, false, o.undoCreate(ctx, scope, app.ID, fmt.Errorf("seal %s of app %d: %w", f.col, app.ID, err))
		}
		*f.dst = sealed
	}
	if err := o.cfg.Store.UpdateApp(ctx, scope, app); err != nil {
		return platform.App{}, false, o.undoCreate(ctx, scope, app.ID, fmt.Errorf("store secrets of app %d: %w", app.ID, err))
	}
	app, err = o.cfg.Store.App(ctx, scope, app.ID)
	if err != nil {
		return platform.App{}, false, o.storeErr("reload app", err)
	}
	return app, true, nil
}

// undoCreate deletes an app whose registration failed half-way and returns
// the failure.
func (o *Ops) undoCreate(ctx context.Context, scope platform.Scope, app int64, cause error) error {
	if err := o.cfg.Store.DeleteApp(ctx, scope, app, o.now()); err != nil {
		return fmt.Errorf("%w (and deleting the half-registered app failed: %v)", cause, err)
	}
	return cause
}

// checkAppInput validates and normalizes what does not need the network.
func checkAppInput(in *AppInput) error {
	var err error
	if in.Name, err = checkName("name", in.Name); err != nil {
		return err
	}
	switch in.Kind {
	case platform.Connect:
		if (in.SharedSecret == "") != (in.ClientKey == "") {
			return invalid("shared_secret", "shared_secret and client_key go together: give both or neither")
		}
	case platform.Forge:
		switch {
		case in.DescriptorURL != "":
			return invalid("descriptor_url", "a Forge app has no descriptor URL; upload its source archive")
		case in.SharedSecret != "" || in.ClientKey != "" || in.UserJWT != "":
			return invalid("shared_secret", "credentials are for Connect apps only")
		}
	default:
		return invalid("kind", "must be connect or forge")
	}
	for field, s := range map[string]token.Secret{"shared_secret": in.SharedSecret, "client_key": in.ClientKey, "user_jwt": in.UserJWT} {
		if len(s) > maxSecret {
			return invalid(field, "is longer than %d bytes", maxSecret)
		}
	}
	if in.Interval, err = checkInterval(in.Interval); err != nil {
		return err
	}
	if len(in.IdempotencyKey) > maxIdempotencyKey {
		return invalid("Idempotency-Key", "is longer than %d characters", maxIdempotencyKey)
	}
	for _, r := range in.IdempotencyKey {
		if r < 0x21 || r > 0x7e {
			return invalid("Idempotency-Key", "must be printable ASCII without spaces")
		}
	}
	return nil
}

func checkInterval(d time.Duration) (time.Duration, error) {
	switch {
	case d == 0:
		return DefaultInterval, nil
	case d < MinInterval || d > MaxInterval:
		return 0, invalid("interval", "must be between %s and %s", MinInterval, MaxInterval)
	}
	return d, nil
}

// App returns one app of the organization, deleted ones included (with
// DeletedAt set).
func (o *Ops) App(ctx context.Context, c Caller, org, id int64) (platform.App, error) {
	scope, err := o.authorize(ctx, c, org, platform.RoleViewer)
	if err != nil {
		return platform.App{}, err
	}
	return o.loadApp(ctx, scope, id)
}

func (o *Ops) loadApp(ctx context.Context, scope platform.Scope, id int64) (platform.App, error) {
	if id <= 0 {
		return platform.App{}, ErrNotFound
	}
	app, err := o.cfg.Store.App(ctx, scope, id)
	if err != nil {
		return platform.App{}, o.storeErr("load app", err)
	}
	return app, nil
}

// liveApp loads an app that may be changed: not deleted.
func (o *Ops) liveApp(ctx context.Context, scope platform.Scope, id int64) (platform.App, error) {
	app, err := o.loadApp(ctx, scope, id)
	if err != nil {
		return platform.App{}, err
	}
	if app.DeletedAt != nil {
		return platform.App{}, fmt.Errorf("%w: app %d was deleted", ErrGone, id)
	}
	return app, nil
}

// ListApps lists the organization's apps, newest first.
func (o *Ops) ListApps(ctx context.Context, c Caller, org int64, f platform.AppFilter, p platform.Page) ([]platform.App, error) {
	scope, err := o.authorize(ctx, c, org, platform.RoleViewer)
	if err != nil {
		return nil, err
	}
	if f.Kind != "" && f.Kind != platform.Connect && f.Kind != platform.Forge {
		return nil, badParam("kind", "must be connect or forge")
	}
	if err := checkPage(p); err != nil {
		return nil, err
	}
	apps, err := o.cfg.Store.ListApps(ctx, scope, f, p)
	if err != nil {
		return nil, o.storeErr("list apps", err)
	}
	return apps, nil
}

// UpdateApp changes an app's name, descriptor URL, credentials or interval
// (members and admins).
func (o *Ops) UpdateApp(ctx context.Context, c Caller, org, id int64, p AppPatch) (platform.App, error) {
	scope, err := o.authorize(ctx, c, org, platform.RoleMember)
	if err != nil {
		return platform.App{}, err
	}
	app, err := o.liveApp(ctx, scope, id)
	if err != nil {
		return platform.App{}, err
	}
	if p.Name != nil {
		if app.Name, err = checkName("name", *p.Name); err != nil {
			return platform.App{}, err
		}
	}
	if p.Interval != nil {
		if app.Interval, err = checkInterval(*p.Interval); err != nil {
			return platform.App{}, err
		}
	}
	connectOnly := p.DescriptorURL != nil || p.SharedSecret != nil || p.ClientKey != nil || p.UserJWT != nil
	if connectOnly && app.Kind != platform.Connect {
		return platform.App{}, invalid("descriptor_url", "descriptor URLs and credentials are for Connect apps only")
	}
	if p.DescriptorURL != nil {
		if app.DescriptorURL, err = o.checkTarget(ctx, "descriptor_url", *p.DescriptorURL); err != nil {
			return platform.App{}, err
		}
	}
	for _, f := range []struct {
		field string
		value *token.Secret
		dst   *string
	}{
		{colSharedSecret, p.SharedSecret, &app.SharedSecret},
		{colClientKey, p.ClientKey, &app.ClientKey},
		{colUserJWT, p.UserJWT, &app.UserJWT},
	} {
		switch {
		case f.value == nil:
		case *f.value == "":
			*f.dst = ""
		case len(*f.value) > maxSecret:
			return platform.App{}, invalid(f.field, "is longer than %d bytes", maxSecret)
		case o.cfg.Keys == nil:
			return platform.App{}, errors.New("update app: no key ring to seal its secrets with")
		default:
			if *f.dst, err = o.cfg.Keys.SealSecret(*f.value, platform.SecretAD("app", app.ID, f.field)); err != nil {
				return platform.App{}, fmt.Errorf("seal %s of app %d: %w", f.field, app.ID, err)
			}
		}
	}
	if (app.SharedSecret == "") != (app.ClientKey == "") {
		return platform.App{}, invalid("shared_secret", "shared_secret and client_key go together: set or remove both")
	}
	if err := o.cfg.Store.UpdateApp(ctx, scope, app); err != nil {
		return platform.App{}, o.storeErr("update app", err)
	}
	return o.loadApp(ctx, scope, id)
}

// DeleteApp deletes an app (admins only): it disappears from listings and
// the schedule, and its data is purged after the retention period.
// Deleting a deleted app does nothing.
func (o *Ops) DeleteApp(ctx context.Context, c Caller, org, id int64) error {
	scope, err := o.authorize(ctx, c, org, platform.RoleAdmin)
	if err != nil {
		return err
	}
	app, err := o.loadApp(ctx, scope, id)
	if err != nil {
		return err
	}
	if app.DeletedAt != nil {
		return nil
	}
	if err := o.cfg.Store.DeleteApp(ctx, scope, id, o.now()); err != nil {
		return o.storeErr("delete app", err)
	}
	return nil
}

// checkPage refuses page sizes and cursors out of range.
func checkPage(p platform.Page) error {
	if p.Limit < 0 || p.Limit > platform.MaxPage {
		return badParam("limit", "must be between 1 and %d", platform.MaxPage)
	}
	if p.Before < 0 {
		return badParam("before", "must be a positive id")
	}
	return nil
}
