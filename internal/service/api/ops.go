package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/ecoscan/ecoscan/internal/service/archive"
	"github.com/ecoscan/ecoscan/internal/service/keyring"
	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// Defaults for the zero fields of Config.
const (
	DefaultRateLimit  rate.Limit = 20 // requests per second and token (or remote IP)
	DefaultBurst                 = 40
	DefaultMaxBody               = 1 << 20  // 1 MiB of JSON
	DefaultMaxArchive            = 32 << 20 // 32 MiB, archive.DefaultLimits' MaxArchive
)

// Config is what the API and its operations need.
type Config struct {
	Store platform.Store
	Queue platform.Queue
	// Keys seals the secrets given at registration (shared secrets, client
	// keys, user tokens, webhook secrets) before they reach the store.
	Keys *keyring.KeyRing
	// Allow lets targets through the egress check although their addresses
	// are private or loopback (tests, on-premises deployments).
	Allow []netip.Prefix
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives the access log and internal errors (JSON handler
	// recommended); nil discards them.
	Logger *slog.Logger
	// Metrics is served at GET /metrics when not nil.
	Metrics http.Handler
	// RateLimit and Burst bound the requests of each API token, and of each
	// remote IP address for requests without a valid token. Zero means
	// DefaultRateLimit and DefaultBurst; rate.Inf turns limiting off.
	RateLimit rate.Limit
	Burst     int
	// MaxBody bounds JSON request bodies (default DefaultMaxBody) and
	// MaxArchive uploaded Forge archives (default DefaultMaxArchive).
	MaxBody    int64
	MaxArchive int64
	// ArchiveLimits bound the trial extraction of uploaded archives; zero
	// fields take package archive's defaults, and MaxArchive above
	// replaces theirs.
	ArchiveLimits archive.Limits
	// Version is reported by GET /healthz.
	Version string
	// Resolver resolves the hosts of descriptor and webhook URLs; nil means
	// net.DefaultResolver.
	Resolver Resolver
}

// Resolver looks up a host's addresses (net.Resolver implements it).
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// withDefaults fills the zero fields of c.
func (c Config) withDefaults() Config {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.RateLimit == 0 {
		c.RateLimit = DefaultRateLimit
	}
	if c.Burst <= 0 {
		c.Burst = DefaultBurst
	}
	if c.MaxBody <= 0 {
		c.MaxBody = DefaultMaxBody
	}
	if c.MaxArchive <= 0 {
		c.MaxArchive = DefaultMaxArchive
	}
	c.ArchiveLimits.MaxArchive = c.MaxArchive
	if c.Resolver == nil {
		c.Resolver = defaultResolver{}
	}
	return c
}

// Ops are the operations of the platform that people start: registering
// apps, running scans, moving tickets, managing members, tokens and
// webhooks. The JSON API and the web dashboard both call them, so that
// permission checks and validation live in one place. Every operation takes
// the Caller and, for an organization's resources, the organization's id;
// a resource of another organization is ErrNotFound.
//
// Who may do what: viewers read; members also register and change apps,
// upload archives, run and cancel scans and move tickets (as package tickets
// allows); admins also delete apps and manage members and webhooks. Users
// of the platform security team (User.Platform) see every organization and
// act in each as an admin, with the ticket moves only they may make.
type Ops struct {
	cfg Config
	// touched remembers when each token's last use was written, so that a
	// busy token is written at most once a minute.
	touchedMu sync.Mutex
	touched   map[int64]time.Time
}

// NewOps returns the operations over cfg's store, queue and keys.
func NewOps(cfg Config) *Ops {
	return &Ops{cfg: cfg.withDefaults(), touched: make(map[int64]time.Time)}
}

// Caller is who makes a request: the user and their memberships.
type Caller struct {
	User        platform.User
	Memberships []platform.Membership
}

// role is the caller's role in org, and whether the caller is a member.
func (c Caller) role(org int64) (platform.Role, bool) {
	for _, m := range c.Memberships {
		if m.Org == org {
			return m.Role, true
		}
	}
	return "", false
}

// CallerFor loads the memberships of user, for callers authenticated by
// other means than an API token (the dashboard's sessions).
func (o *Ops) CallerFor(ctx context.Context, user platform.User) (Caller, error) {
	ms, err := o.cfg.Store.MembershipsOf(ctx, user.ID)
	if err != nil {
		return Caller{}, fmt.Errorf("load memberships of user %d: %w", user.ID, err)
	}
	return Caller{User: user, Memberships: ms}, nil
}

// authorize checks that the caller may act in org with at least role min
// and returns the scope to use. A caller who is not a member gets
// ErrNotFound, whether or not the organization exists; platform users act
// as admins of every organization that exists.
func (o *Ops) authorize(ctx context.Context, c Caller, org int64, min platform.Role) (platform.Scope, error) {
	if org <= 0 || c.User.ID <= 0 {
		return platform.Scope{}, ErrNotFound
	}
	scope := platform.OrgScope(org)
	role, member := c.role(org)
	if !member {
		if !c.User.Platform {
			return platform.Scope{}, ErrNotFound
		}
		if _, err := o.cfg.Store.Org(ctx, scope, org); err != nil {
			return platform.Scope{}, o.storeErr("load organization", err)
		}
		return scope, nil
	}
	if c.User.Platform || role.AtLeast(min) {
		return scope, nil
	}
	return platform.Scope{}, fmt.Errorf("%w: this needs the %s role in the organization; yours is %s", ErrForbidden, min, role)
}

// storeErr wraps a store error with what was being done, keeping the
// sentinel errors (not found, conflict, stale, invalid) for Status.
func (o *Ops) storeErr(doing string, err error) error {
	if errors.Is(err, platform.ErrNotFound) {
		return ErrNotFound
	}
	return fmt.Errorf("%s: %w", doing, err)
}

func (o *Ops) now() time.Time { return o.cfg.Now().UTC() }
