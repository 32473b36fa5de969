package descriptor

import (
	"cmp"
	"fmt"
	"maps"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Kind says what an endpoint is for, which decides how it is probed and judged.
type Kind string

// The kinds of endpoint, in the order of precedence used when one URL is
// found in several roles.
const (
	// Lifecycle is a lifecycle URL (installed, uninstalled, enabled,
	// disabled) the product POSTs to.
	Lifecycle Kind = "lifecycle"
	// Webhook is a URL the product POSTs events to: a webhook, or a
	// workflow post function's "triggered" URL.
	Webhook Kind = "webhook"
	// Module is a URL of a module that the product loads, usually in an
	// iframe, with a JWT.
	Module Kind = "module"
	// Asset is a static resource or a link for people (an icon, an image, a
	// stylesheet, a documentation page): public by design.
	Asset Kind = "asset"
)

func (k Kind) rank() int {
	switch k {
	case Lifecycle:
		return 0
	case Webhook:
		return 1
	case Module:
		return 2
	}
	return 3
}

// Endpoint is one (method, URL) of the app that the scanner probes.
type Endpoint struct {
	Method   string // GET or POST
	Template string // the URL as written in the descriptor
	URL      string // absolute, placeholders filled, fragment dropped
	Kind     Kind   // what the endpoint is for
	// Lifecycle is the lifecycle event of a Lifecycle endpoint; when one
	// URL serves several, the first of installed, uninstalled, enabled,
	// disabled.
	Lifecycle string
	// Source is the JSON pointer of where the URL was found, such as
	// /modules/adminPages/0/url; several are joined with ", ".
	Source     string
	ModuleType string // the module type, such as "adminPages"; "" for lifecycle URLs
	ModuleKey  string // the module entry's key; the event of a webhook
	// Admin is true when only administrators are meant to reach the URL:
	// the module type is an admin one, or the entry's conditions are
	// definitely false for a user who is not an admin. AdminReason says why.
	Admin       bool
	AdminReason string
	// Cacheable is true when the module entry says cacheable: true, so the
	// URL serves a static shell that authenticates later.
	Cacheable bool
	// OffHost is true when the URL's host:port differs from the baseUrl's.
	OffHost bool
}

// Problem is something in the descriptor that Inventory could not turn into an
// endpoint, or a bound it reached.
type Problem struct {
	Source  string // JSON pointer of the offending value; "" for the whole descriptor
	Message string
}

// adminTypes are the module types whose pages only administrators reach.
var adminTypes = map[string]bool{
	"adminPages":                true,
	"configurePage":             true,
	"jiraProjectAdminTabPanels": true,
	"jiraProjectPermissions":    true,
}

// assetKeys are the keys whose objects hold static resources or links for
// people, such as "icon": {"url": "/icon.png"}.
var assetKeys = map[string]bool{
	"icon": true, "image": true, "thumbnail": true, "logo": true, "avatar": true,
	"documentation": true, "home": true,
}

// staticExtensions are the path extensions of static resources.
var staticExtensions = map[string]bool{
	".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".svg": true, ".ico": true, ".webp": true,
	".css": true, ".js": true, ".mjs": true, ".map": true,
	".woff": true, ".woff2": true, ".ttf": true, ".otf": true, ".eot": true,
}

// Inventory lists the endpoints of the app, sorted by URL then method, and the
// problems met on the way (those found by Parse first).
//
// Lifecycle URLs and webhooks are POST. Every other URL comes from a walk of
// the whole module tree: every string under a key named "url" or ending in
// "Url" (such as thumbnailUrl) is a GET endpoint of the module entry it is in,
// except the URLs of entries whose context is "page" or "product", which
// belong to the product, not the app. URLs inside an icon, image or similar
// object, or with a static file extension, are Assets. Relative URLs resolve
// under the baseUrl's path; placeholders are filled by Expand. The same method
// and URL found several times is one Endpoint. At most 20,000 URLs are taken.
func (d *Descriptor) Inventory() (endpoints []Endpoint, problems []Problem) {
	if d.BaseURL == nil {
		return nil, []Problem{{Message: "descriptor has no baseUrl: it was not made by Parse"}}
	}
	c := &collector{base: d.BaseURL, index: map[string]int{}}
	for _, p := range d.problems {
		c.problem(p.Source, "%s", p.Message)
	}
	for _, ev := range lifecycleEvents {
		if u, ok := d.Lifecycle[ev]; ok {
			c.add(Endpoint{Method: "POST", Template: u, Kind: Lifecycle, Lifecycle: ev, Source: "/lifecycle/" + ev}, nil)
		}
	}
	for _, typ := range sortedKeys(d.Modules) {
		c.moduleType(typ, d.Modules[typ])
	}
	slices.SortFunc(c.endpoints, func(a, b Endpoint) int {
		return cmp.Or(cmp.Compare(a.URL, b.URL), cmp.Compare(a.Method, b.Method))
	})
	return c.endpoints, c.problems
}

// collector gathers the endpoints and problems of one Inventory.
type collector struct {
	base      *url.URL
	endpoints []Endpoint
	index     map[string]int // "METHOD URL" -> index in endpoints
	problems  []Problem
	urls      int  // URLs taken so far
	full      bool // maxURLs reached
}

// entry is what a module entry says about the URLs inside it.
type entry struct {
	moduleType, key string
	admin           bool
	reason          string
	cacheable       bool
	productRelative bool // context "page" or "product": its own URLs are the product's
}

func (c *collector) problem(source, format string, args ...any) {
	switch {
	case len(c.problems) < maxProblems:
		c.problems = append(c.problems, Problem{Source: source, Message: fmt.Sprintf(format, args...)})
	case len(c.problems) == maxProblems:
		c.problems = append(c.problems, Problem{Message: fmt.Sprintf("more than %d problems: the rest are left out", maxProblems)})
	}
}

// moduleType takes the entries of one module type: an array of entries, or a
// single entry (configurePage, postInstallPage).
func (c *collector) moduleType(typ string, v any) {
	ptr := "/modules/" + escapePointer(typ)
	switch t := v.(type) {
	case []any:
		for i, e := range t {
			c.entry(typ, e, ptr+"/"+strconv.Itoa(i))
		}
	case map[string]any:
		c.entry(typ, t, ptr)
	default:
		c.problem(ptr, "module type %s is %s, not an array or object", typ, article(typeName(v)))
	}
}

func (c *collector) entry(typ string, v any, ptr string) {
	if c.full {
		return
	}
	obj, ok := v.(map[string]any)
	if !ok {
		c.problem(ptr, "module entry is %s, not an object", article(typeName(v)))
		return
	}
	e := &entry{moduleType: typ, cacheable: obj["cacheable"] == true}
	e.key, _ = obj["key"].(string)
	if adminTypes[typ] {
		e.admin, e.reason = true, "module type "+typ
	} else {
		e.admin, e.reason = RequiresAdmin(obj["conditions"])
	}
	if ctx, _ := obj["context"].(string); strings.EqualFold(ctx, "page") || strings.EqualFold(ctx, "product") {
		e.productRelative = true
	}
	if typ == "webhooks" {
		c.webhook(obj, ptr, e)
		return
	}
	c.walk(obj, ptr, false, e)
}

// webhook takes a webhooks entry, {"event": ..., "url": ...}.
func (c *collector) webhook(obj map[string]any, ptr string, e *entry) {
	u, ok := obj["url"].(string)
	if !ok {
		c.problem(ptr+"/url", "webhook URL is %s, not a string", article(typeName(obj["url"])))
		return
	}
	event, _ := obj["event"].(string)
	if event == "" {
		c.problem(ptr+"/event", "webhook has no event")
	}
	c.add(Endpoint{Method: "POST", Template: u, Kind: Webhook, Source: ptr + "/url", ModuleType: e.moduleType, ModuleKey: event}, nil)
}

// walk looks for URLs in v, a value inside a module entry. asset is true
// inside an icon, image or similar object. Depth is bounded by Parse.
func (c *collector) walk(v any, ptr string, asset bool, e *entry) {
	switch t := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(t) {
			if c.full {
				return
			}
			child, cptr := t[k], ptr+"/"+escapePointer(k)
			if isURLKey(k) {
				if s, ok := child.(string); ok {
					c.moduleURL(s, cptr, k, asset || assetKeys[strings.TrimSuffix(k, "Url")], e)
					continue
				}
				if _, nested := child.(map[string]any); !nested {
					c.problem(cptr, "URL is %s, not a string", article(typeName(child)))
					continue
				}
			}
			c.walk(child, cptr, asset || assetKeys[k], e)
		}
	case []any:
		for i, child := range t {
			if c.full {
				return
			}
			c.walk(child, ptr+"/"+strconv.Itoa(i), asset, e)
		}
	}
}

func isURLKey(k string) bool {
	return k == "url" || (len(k) > len("Url") && strings.HasSuffix(k, "Url"))
}

// moduleURL takes a URL found at ptr in a module entry.
func (c *collector) moduleURL(template, ptr, key string, asset bool, e *entry) {
	ep := Endpoint{Method: "GET", Template: template, Kind: Module, Source: ptr, ModuleType: e.moduleType, ModuleKey: e.key}
	switch {
	case asset:
		ep.Kind = Asset
	case e.productRelative:
		return // relative to the product, not the app
	case strings.HasSuffix(ptr, "/triggered/"+key):
		// A workflow post function's "triggered" URL: the product POSTs
		// the transition to it, server to server.
		ep.Method, ep.Kind = "POST", Webhook
	}
	c.add(ep, e)
}

// add fills, resolves and records an endpoint; e is its module entry, if any.
func (c *collector) add(ep Endpoint, e *entry) {
	if c.full {
		return
	}
	if c.urls == maxURLs {
		c.full = true
		c.problem("", "more than %d URLs: the rest are left out", maxURLs)
		return
	}
	c.urls++
	expanded, err := Expand(ep.Template)
	if err != nil {
		c.problem(ep.Source, "URL %q: %v", clip(ep.Template), err)
		return
	}
	u, err := c.resolve(expanded)
	if err != nil {
		c.problem(ep.Source, "URL %q: %v", clip(ep.Template), err)
		return
	}
	ep.URL, ep.OffHost = u.String(), !sameHostPort(u, c.base)
	if ep.Kind == Module && staticExtensions[strings.ToLower(path.Ext(u.Path))] {
		ep.Kind = Asset
	}
	if ep.Kind == Module && e != nil {
		ep.Admin, ep.AdminReason, ep.Cacheable = e.admin, e.reason, e.cacheable
	}
	c.merge(ep)
}

// merge records ep, or folds it into the endpoint with the same method and
// URL: sources are joined, the most specific kind gives the identity, and
// Admin and Cacheable hold only if they hold for every occurrence.
func (c *collector) merge(ep Endpoint) {
	id := ep.Method + " " + ep.URL
	i, ok := c.index[id]
	if !ok {
		c.index[id] = len(c.endpoints)
		c.endpoints = append(c.endpoints, ep)
		return
	}
	m := &c.endpoints[i]
	m.Source += ", " + ep.Source
	if ep.Kind.rank() < m.Kind.rank() {
		m.Kind, m.Template, m.ModuleType, m.ModuleKey = ep.Kind, ep.Template, ep.ModuleType, ep.ModuleKey
	}
	if m.Lifecycle == "" {
		m.Lifecycle = ep.Lifecycle
	}
	switch {
	case !m.Admin || !ep.Admin:
		m.Admin, m.AdminReason = false, ""
	case !slices.Contains(strings.Split(m.AdminReason, "; "), ep.AdminReason):
		m.AdminReason += "; " + ep.AdminReason
	}
	m.Cacheable = m.Cacheable && ep.Cacheable
}

// resolve makes ref absolute. A relative ref goes under the baseUrl's path
// (https://h/app and /panel give https://h/app/panel); a protocol-relative one
// takes the baseUrl's scheme. The result has no fragment, and is checked to
// parse back as an absolute URL with a host.
func (c *collector) resolve(ref string) (*url.URL, error) {
	if strings.TrimSpace(ref) == "" {
		return nil, fmt.Errorf("empty URL")
	}
	u, err := url.Parse(ref)
	if err != nil {
		return nil, fmt.Errorf("not a URL: %w", urlError(err))
	}
	switch {
	case u.Scheme != "":
		if u.Scheme != "https" && u.Scheme != "http" {
			return nil, fmt.Errorf("scheme %q is not http or https", clip(u.Scheme))
		}
	case u.Host != "" || strings.HasPrefix(ref, "//"):
		u.Scheme = c.base.Scheme
	default:
		joined := strings.TrimSuffix(c.base.String(), "/") + "/" + strings.TrimPrefix(ref, "/")
		if u, err = url.Parse(joined); err != nil {
			return nil, fmt.Errorf("not a URL under the baseUrl: %w", urlError(err))
		}
	}
	if err := checkHost(u); err != nil {
		return nil, err
	}
	u.Fragment, u.RawFragment = "", ""
	back, err := url.Parse(u.String())
	if err != nil || !back.IsAbs() || back.Hostname() == "" {
		return nil, fmt.Errorf("does not resolve to an absolute URL with a host")
	}
	return back, nil
}

// sameHostPort reports whether a and b name the same host and port, the
// scheme's default port counting as given.
func sameHostPort(a, b *url.URL) bool {
	return strings.EqualFold(a.Hostname(), b.Hostname()) && portOf(a) == portOf(b)
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "http" {
		return "80"
	}
	return "443"
}

// escapePointer escapes a key for a JSON pointer (RFC 6901).
func escapePointer(k string) string {
	return strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
}

func sortedKeys(m map[string]any) []string {
	return slices.Sorted(maps.Keys(m))
}
