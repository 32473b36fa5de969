package manifest

import (
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
)

// maxScalarPaths bounds the bytes of Manifest.Scalars' paths: long keys above
// many values (through aliases) would otherwise cost their length per value.
const maxScalarPaths = 32 << 20

// extractor builds a Manifest from the document.
type extractor struct {
	m          *Manifest
	moduleKeys map[string]Pos // "type\x00key" -> first position
	remotes    map[string]Remote
	resources  map[string]bool
	endpoints  map[string]bool
	actions    map[string]bool
	// references checked once everything is read
	functionRefs []*Entry
	endpointRefs []*Entry
	named        []namedRef
}

// namedRef is a reference by key to a remote, resource or action.
type namedRef struct {
	what  string // "remote", "resource", "action"
	where string // the referring path
	name  Value
}

func extract(file string, doc *document) (*Manifest, error) {
	root := doc.root
	if root.kind != mapNode {
		return nil, errorAt(root.pos, "the manifest must be a mapping (app:, modules:, permissions: ...), found %s", describe(root))
	}
	x := &extractor{
		m:          &Manifest{Path: file, Functions: map[string]*Function{}},
		moduleKeys: map[string]Pos{},
		remotes:    map[string]Remote{},
		resources:  map[string]bool{},
		endpoints:  map[string]bool{},
		actions:    map[string]bool{},
	}
	if doc.more.Line > 0 {
		x.problem(doc.more, "the manifest has more than one YAML document; ecoscan reads only the first")
	}
	for _, step := range []func(*node) error{x.app, x.remotesSection, x.resourcesSection, x.modules, x.permissions, x.providers} {
		if err := step(root); err != nil {
			return nil, err
		}
	}
	if err := x.scalars(root); err != nil {
		return nil, err
	}
	x.checkReferences()
	slices.SortStableFunc(x.m.Problems, func(a, b Problem) int {
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line - b.Pos.Line
		}
		return a.Pos.Column - b.Pos.Column
	})
	return x.m, nil
}

func (x *extractor) problem(pos Pos, format string, args ...any) {
	if pos.Line == 0 {
		pos = Pos{1, 1}
	}
	x.m.Problems = append(x.m.Problems, Problem{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

// present reports whether n holds something (not absent, not an empty
// value).
func present(n *node) bool { return n != nil && n.kind != nullNode }

// mapping returns n if it is a mapping, nil if it is absent or empty, and an
// error otherwise.
func mapping(n *node, where string) (*node, error) {
	if !present(n) {
		return nil, nil
	}
	if n.kind != mapNode {
		return nil, errorAt(n.pos, "%s: expected a mapping, found %s", where, describe(n))
	}
	return n, nil
}

// list returns n's items if it is a list, nothing if it is absent or empty,
// and an error otherwise.
func list(n *node, where string) ([]*node, error) {
	if !present(n) {
		return nil, nil
	}
	if n.kind != seqNode {
		return nil, errorAt(n.pos, "%s: expected a list, found %s", where, describe(n))
	}
	return n.items, nil
}

// scalar returns n as a Value; it must be a scalar.
func scalar(n *node, where string) (Value, error) {
	if n == nil || n.kind != scalarNode {
		at := Pos{}
		if n != nil {
			at = n.pos
		}
		return Value{}, errorAt(at, "%s: expected a string, found %s", where, describe(n))
	}
	return Value{Value: n.text, Pos: n.pos}, nil
}

// optScalar returns parent's key as a Value, false if it is absent or empty.
func optScalar(parent *node, key, where string) (Value, bool, error) {
	n := parent.get(key)
	if !present(n) {
		return Value{}, false, nil
	}
	v, err := scalar(n, where)
	return v, err == nil, err
}

// scalarList returns the items of a list of scalars.
func scalarList(n *node, where string) ([]Value, error) {
	items, err := list(n, where)
	if err != nil {
		return nil, err
	}
	out := make([]Value, 0, len(items))
	for i, it := range items {
		v, err := scalar(it, indexPath(where, i))
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (x *extractor) app(root *node) error {
	app, err := mapping(root.get("app"), "app")
	if err != nil {
		return err
	}
	if app == nil {
		x.problem(root.pos, "the manifest has no app section (app.id, app.runtime.name)")
		return nil
	}
	id, ok, err := optScalar(app, "id", "app.id")
	if err != nil {
		return err
	}
	if ok {
		x.m.AppID, x.m.AppIDPos = id.Value, id.Pos
	} else {
		x.problem(app.pos, "app.id is missing")
	}
	runtime, err := mapping(app.get("runtime"), "app.runtime")
	if err != nil || runtime == nil {
		return err
	}
	name, ok, err := optScalar(runtime, "name", "app.runtime.name")
	if ok {
		x.m.Runtime = name
	}
	return err
}

func (x *extractor) remotesSection(root *node) error {
	items, err := list(root.get("remotes"), "remotes")
	if err != nil {
		return err
	}
	for i, it := range items {
		where := indexPath("remotes", i)
		if !present(it) {
			x.problem(it.pos, "%s: an empty entry", where)
			continue
		}
		if _, err := mapping(it, where); err != nil {
			return err
		}
		key, ok, err := optScalar(it, "key", where+".key")
		if err != nil {
			return err
		}
		if !ok {
			x.problem(it.pos, "%s: a remote has no key", where)
			continue
		}
		r := Remote{Key: key.Value, Pos: key.Pos}
		switch base := it.get("baseUrl"); {
		case !present(base):
			x.problem(key.Pos, "%s: remote %q has no baseUrl", where, key.Value)
		case base.kind == mapNode:
			r.BaseURL = regionalDefault(base)
		default:
			v, err := scalar(base, where+".baseUrl")
			if err != nil {
				return err
			}
			r.BaseURL = v.Value
		}
		ops, err := scalarList(it.get("operations"), where+".operations")
		if err != nil {
			return err
		}
		for _, op := range ops {
			r.Operations = append(r.Operations, op.Value)
		}
		if first, dup := x.remotes[r.Key]; dup {
			x.problem(key.Pos, "%s: duplicate remote key %q (first at %d:%d, which is the one used)", where, r.Key, first.Pos.Line, first.Pos.Column)
			continue
		}
		x.m.Remotes = append(x.m.Remotes, r)
		x.remotes[r.Key] = r
	}
	return nil
}

// regionalDefault is the base URL of a per-region baseUrl: its default, or
// else its first scalar.
func regionalDefault(base *node) string {
	if d := base.get("default"); d != nil && d.kind == scalarNode {
		return d.text
	}
	for _, p := range base.pairs {
		if p.value.kind == scalarNode {
			return p.value.text
		}
	}
	return ""
}

func (x *extractor) resourcesSection(root *node) error {
	items, err := list(root.get("resources"), "resources")
	if err != nil {
		return err
	}
	for i, it := range items {
		where := indexPath("resources", i)
		if !present(it) {
			x.problem(it.pos, "%s: an empty entry", where)
			continue
		}
		if _, err := mapping(it, where); err != nil {
			return err
		}
		key, ok, err := optScalar(it, "key", where+".key")
		if err != nil {
			return err
		}
		if !ok {
			x.problem(it.pos, "%s: a resource has no key", where)
			continue
		}
		p, _, err := optScalar(it, "path", where+".path")
		if err != nil {
			return err
		}
		x.resources[key.Value] = true
		x.m.Resources = append(x.m.Resources, Resource{Key: key.Value, Path: p.Value, Pos: key.Pos})
	}
	return nil
}

func (x *extractor) modules(root *node) error {
	mods, err := mapping(root.get("modules"), "modules")
	if err != nil {
		return err
	}
	if mods == nil {
		x.problem(root.pos, "the manifest has no modules")
		return nil
	}
	for _, p := range mods.pairs {
		typ := p.key
		where := keyPath("modules", typ)
		entries, err := list(p.value, where)
		if err != nil {
			return err
		}
		for i, e := range entries {
			ewhere := indexPath(where, i)
			if e.kind != mapNode {
				return errorAt(e.pos, "%s: expected a module entry (a mapping), found %s", ewhere, describe(e))
			}
			if typ == "function" {
				err = x.function(e, ewhere)
			} else {
				err = x.module(typ, e, ewhere)
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// function reads an entry of modules.function.
func (x *extractor) function(e *node, where string) error {
	key, ok, err := optScalar(e, "key", where+".key")
	if err != nil {
		return err
	}
	if !ok {
		return errorAt(e.pos, "%s: a function has no key", where)
	}
	h := e.get("handler")
	if !present(h) {
		return errorAt(key.Pos, "%s.handler: function %q has no handler", where, key.Value)
	}
	handler, err := scalar(h, where+".handler")
	if err != nil {
		return err
	}
	module, export, problem := splitHandler(handler.Value)
	if problem != "" {
		x.problem(handler.Pos, "%s.handler: %s", where, problem)
	}
	if first, dup := x.m.Functions[key.Value]; dup {
		x.problem(key.Pos, "%s: duplicate function key %q (first at %d:%d, which is the one used)", where, key.Value, first.Pos.Line, first.Pos.Column)
		return nil
	}
	x.m.Functions[key.Value] = &Function{Key: key.Value, Handler: handler.Value, Module: module, Export: export, Pos: key.Pos}
	return nil
}

// splitHandler splits "dir/file.export" into its module ("dir/file",
// cleaned, relative to src/) and export; problem says what is wrong with it.
func splitHandler(h string) (module, export, problem string) {
	dot := strings.LastIndexByte(h, '.')
	if dot < 0 {
		module = h
		problem = fmt.Sprintf("handler %q has no export part (expected file.export, such as index.run)", h)
	} else {
		module, export = h[:dot], h[dot+1:]
		switch {
		case module == "":
			problem = fmt.Sprintf("handler %q has no file part (expected file.export, such as index.run)", h)
		case export == "":
			problem = fmt.Sprintf("handler %q has no export part (expected file.export, such as index.run)", h)
		}
	}
	if module == "" {
		return "", export, problem
	}
	clean := path.Clean(module)
	switch {
	case path.IsAbs(module) || clean == ".." || strings.HasPrefix(clean, "../"):
		return "", export, fmt.Sprintf("handler %q points outside src/; it is not followed", h)
	case clean == ".":
		return "", export, fmt.Sprintf("handler %q has no file part (expected file.export, such as index.run)", h)
	}
	return clean, export, problem
}

// module reads an entry of a module type other than function.
func (x *extractor) module(typ string, e *node, where string) error {
	key, ok, err := optScalar(e, "key", where+".key")
	if err != nil {
		return err
	}
	if !ok {
		x.problem(e.pos, "%s: a module entry has no key", where)
		key.Pos = e.pos
	} else if first, dup := x.moduleKeys[typ+"\x00"+key.Value]; dup {
		x.problem(key.Pos, "%s: duplicate key %q in modules.%s (first at %d:%d)", where, key.Value, typ, first.Line, first.Column)
	} else {
		x.moduleKeys[typ+"\x00"+key.Value] = key.Pos
	}
	mt, known := moduleTypes[typ]
	var fields map[string]Value
	if known {
		fields = entryFieldValues(e, entryFields[mt.Role])
	}
	switch mt.Role {
	case roleEndpoint:
		x.endpoints[key.Value] = true
		entry := &Entry{Kind: RemoteEndpoint, ModuleType: typ, ModuleKey: key.Value, Function: key.Value, Pos: key.Pos, Fields: fields}
		x.m.Entries = append(x.m.Entries, entry)
		if r, ok := fields["remote"]; ok {
			x.named = append(x.named, namedRef{"remote", where + ".remote", r})
		}
	case roleAction:
		x.actions[key.Value] = true
	case roleAgent:
		acts, err := scalarList(e.get("actions"), where+".actions")
		if err != nil {
			return err
		}
		for _, a := range acts {
			x.named = append(x.named, namedRef{"action", where + ".actions", a})
		}
	}
	w := &refWalk{where: &pathBuf{b: []byte(where)}, problem: x.problem}
	if mt.Role == roleAction {
		// An action's inputs are named by the app: an input may be
		// called "function".
		w.skip = "inputs"
	}
	if err := w.walk(e, ""); err != nil {
		return err
	}
	for _, r := range w.resources {
		x.named = append(x.named, namedRef{"resource", r.where, r.name})
	}
	for _, r := range w.refs {
		c := classify(typ, r)
		entry := &Entry{
			Kind:       c.kind,
			ModuleType: typ,
			ModuleKey:  key.Value,
			Function:   r.name.Value,
			Pos:        r.name.Pos,
			Admin:      mt.Admin,
			Invokable:  c.invokable,
			Fields:     maps.Clone(fields),
		}
		x.m.Entries = append(x.m.Entries, entry)
		if c.unclassified {
			x.m.Unclassified = append(x.m.Unclassified, Unclassified{ModuleType: typ, ModuleKey: key.Value, Function: r.name.Value, Pos: r.name.Pos})
		}
		if c.kind == RemoteResolver {
			x.endpointRefs = append(x.endpointRefs, entry)
		} else {
			x.functionRefs = append(x.functionRefs, entry)
		}
	}
	return nil
}

// entryFieldValues reads the fields of a module entry: each a scalar, or a
// list of scalars (joined with commas, at the list's position).
func entryFieldValues(e *node, fields [][2]string) map[string]Value {
	var out map[string]Value
	for _, f := range fields {
		n := e
		for _, k := range strings.Split(f[1], ".") {
			n = n.get(k)
		}
		if n == nil {
			continue
		}
		var v Value
		switch n.kind {
		case scalarNode:
			v = Value{Value: n.text, Pos: n.pos}
		case seqNode:
			parts := make([]string, 0, len(n.items))
			for _, it := range n.items {
				if it.kind == scalarNode {
					parts = append(parts, it.text)
				}
			}
			v = Value{Value: strings.Join(parts, ","), Pos: n.pos}
		default:
			continue
		}
		if out == nil {
			out = map[string]Value{}
		}
		out[f[0]] = v
	}
	return out
}

// refWalk finds, at any depth of a module entry, what it names: function:
// K, endpoint: K, resolver: {function: K} or {endpoint: K}, and resource: K.
// A wrong shape at the entry's top level is an error; deeper, where a key
// of that name may mean something else, it is a problem and the value is
// walked like any other.
type refWalk struct {
	where     *pathBuf
	skip      string // a top-level key not to walk
	problem   func(pos Pos, format string, args ...any)
	refs      []ref
	resources []struct {
		where string
		name  Value
	}
}

func (w *refWalk) walk(n *node, parent string) error {
	switch n.kind {
	case seqNode:
		for i, it := range n.items {
			mark := w.where.index(i)
			err := w.walk(it, parent)
			w.where.back(mark)
			if err != nil {
				return err
			}
		}
	case mapNode:
		for _, p := range n.pairs {
			if parent == "" && p.key == w.skip {
				continue
			}
			mark := w.where.key(p.key)
			err := w.pair(p, parent)
			w.where.back(mark)
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// wrong reports a reference of the wrong shape: an error at the top level,
// a problem deeper.
func (w *refWalk) wrong(parent string, err error) error {
	if parent == "" {
		return err
	}
	var pe *posError
	if errors.As(err, &pe) {
		w.problem(pe.pos, "%s; not followed", pe.msg)
	}
	return nil
}

func (w *refWalk) pair(p pair, parent string) error {
	switch p.key {
	case "function", "endpoint":
		v, err := scalar(p.value, w.where.String())
		if err != nil {
			if err := w.wrong(parent, err); err != nil {
				return err
			}
			return w.walk(p.value, p.key)
		}
		kind := refFunction
		if p.key == "endpoint" {
			kind = refEndpoint
		}
		w.refs = append(w.refs, ref{kind: kind, parent: parent, name: v})
		return nil
	case "resolver":
		res, err := mapping(p.value, w.where.String())
		if err != nil {
			if err := w.wrong(parent, err); err != nil {
				return err
			}
			return w.walk(p.value, p.key)
		}
		if res == nil {
			return nil
		}
		var found []ref
		for _, k := range []string{"function", "endpoint"} {
			n := res.get(k)
			if n == nil {
				continue
			}
			v, err := scalar(n, w.where.String()+"."+k)
			if err != nil {
				return w.wrong(parent, err)
			}
			kind := refResolverFunction
			if k == "endpoint" {
				kind = refEndpoint
			}
			found = append(found, ref{kind: kind, parent: parent, name: v})
		}
		if len(found) == 0 {
			return w.wrong(parent, errorAt(res.pos, "%s: a resolver names neither a function nor an endpoint", w.where.String()))
		}
		w.refs = append(w.refs, found...)
		return nil
	case "resource":
		if p.value.kind == scalarNode {
			w.resources = append(w.resources, struct {
				where string
				name  Value
			}{w.where.String(), Value{Value: p.value.text, Pos: p.value.pos}})
			return nil
		}
	}
	return w.walk(p.value, p.key)
}

// egressKinds are the kinds of permissions.external besides fetch.
var egressKinds = []string{"images", "media", "scripts", "styles", "fonts", "frames", "navigation"}

func (x *extractor) permissions(root *node) error {
	perms, err := mapping(root.get("permissions"), "permissions")
	if err != nil || perms == nil {
		return err
	}
	if err := x.scopes(perms.get("scopes")); err != nil {
		return err
	}
	content, err := mapping(perms.get("content"), "permissions.content")
	if err != nil {
		return err
	}
	if content != nil {
		for _, p := range content.pairs {
			where := keyPath("permissions.content", p.key)
			if p.key != "scripts" && p.key != "styles" {
				x.problem(p.keyPos, "%s is not checked: ecoscan knows permissions.content.scripts and .styles", where)
				continue
			}
			values, err := scalarList(p.value, where)
			if err != nil {
				return err
			}
			for _, v := range values {
				x.m.Content = append(x.m.Content, Content{Kind: p.key, Value: v.Value, Pos: v.Pos})
			}
		}
	}
	external, err := mapping(perms.get("external"), "permissions.external")
	if err != nil || external == nil {
		return err
	}
	for _, p := range external.pairs {
		where := keyPath("permissions.external", p.key)
		switch {
		case p.key == "fetch":
			fetch, err := mapping(p.value, where)
			if err != nil {
				return err
			}
			if fetch == nil {
				continue
			}
			for _, f := range fetch.pairs {
				fwhere := keyPath(where, f.key)
				if f.key != "backend" && f.key != "client" {
					x.problem(f.keyPos, "%s is not checked: ecoscan knows fetch.backend and fetch.client", fwhere)
					continue
				}
				if err := x.egress("fetch."+f.key, f.value, fwhere); err != nil {
					return err
				}
			}
		case slices.Contains(egressKinds, p.key):
			if err := x.egress(p.key, p.value, where); err != nil {
				return err
			}
		default:
			x.problem(p.keyPos, "%s is not checked: ecoscan knows fetch, %s", where, strings.Join(egressKinds, ", "))
		}
	}
	return nil
}

func (x *extractor) scopes(n *node) error {
	if !present(n) {
		return nil
	}
	switch n.kind {
	case seqNode:
		values, err := scalarList(n, "permissions.scopes")
		if err != nil {
			return err
		}
		x.m.Scopes = append(x.m.Scopes, values...)
	case mapNode:
		for _, p := range n.pairs {
			x.m.Scopes = append(x.m.Scopes, Value{Value: p.key, Pos: p.keyPos})
		}
	default:
		return errorAt(n.pos, "permissions.scopes: expected a list of scopes or a mapping of scopes, found %s", describe(n))
	}
	return nil
}

// egress reads a list of permissions.external: addresses, {address,
// category} or {remote: key}.
func (x *extractor) egress(kind string, n *node, where string) error {
	items, err := list(n, where)
	if err != nil {
		return err
	}
	for i, it := range items {
		iwhere := indexPath(where, i)
		switch it.kind {
		case scalarNode:
			x.m.Egress = append(x.m.Egress, Egress{Kind: kind, Address: it.text, Pos: it.pos})
		case mapNode:
			addr, hasAddr, err := optScalar(it, "address", iwhere+".address")
			if err != nil {
				return err
			}
			remote, hasRemote, err := optScalar(it, "remote", iwhere+".remote")
			if err != nil {
				return err
			}
			category, _, err := optScalar(it, "category", iwhere+".category")
			if err != nil {
				return err
			}
			switch {
			case hasAddr:
				x.m.Egress = append(x.m.Egress, Egress{Kind: kind, Address: addr.Value, Category: category.Value, Pos: addr.Pos})
			case hasRemote:
				eg := Egress{Kind: kind, Remote: remote.Value, Category: category.Value, Pos: remote.Pos}
				eg.Address = x.remotes[remote.Value].BaseURL
				x.m.Egress = append(x.m.Egress, eg)
				x.named = append(x.named, namedRef{"remote", iwhere + ".remote", remote})
			default:
				x.problem(it.pos, "%s: an egress entry with neither an address nor a remote", iwhere)
			}
		default:
			return errorAt(it.pos, "%s: expected an address, found %s", iwhere, describe(it))
		}
	}
	return nil
}

func (x *extractor) providers(root *node) error {
	providers, err := mapping(root.get("providers"), "providers")
	if err != nil || providers == nil {
		return err
	}
	items, err := list(providers.get("auth"), "providers.auth")
	if err != nil {
		return err
	}
	for i, it := range items {
		where := indexPath("providers.auth", i)
		if !present(it) {
			x.problem(it.pos, "%s: an empty entry", where)
			continue
		}
		if _, err := mapping(it, where); err != nil {
			return err
		}
		key, ok, err := optScalar(it, "key", where+".key")
		if err != nil {
			return err
		}
		if !ok {
			x.problem(it.pos, "%s: a provider has no key", where)
			key.Pos = it.pos
		}
		name, _, err := optScalar(it, "name", where+".name")
		if err != nil {
			return err
		}
		typ, _, err := optScalar(it, "type", where+".type")
		if err != nil {
			return err
		}
		remotes, err := scalarList(it.get("remotes"), where+".remotes")
		if err != nil {
			return err
		}
		p := Provider{Key: key.Value, Name: name.Value, Type: typ.Value, Pos: key.Pos}
		for _, r := range remotes {
			p.Remotes = append(p.Remotes, r.Value)
			x.named = append(x.named, namedRef{"remote", where + ".remotes", r})
		}
		x.m.Providers = append(x.m.Providers, p)
	}
	return nil
}

// scalars lists every scalar of the document with its path, aliases
// expanded (the document is at most MaxNodes nodes that way).
func (x *extractor) scalars(root *node) error {
	var b pathBuf
	total := 0
	var walk func(n *node) error
	walk = func(n *node) error {
		switch n.kind {
		case scalarNode, nullNode:
			total += len(b.b)
			if total > maxScalarPaths {
				return errorAt(n.pos, "the manifest's keys are too long to list its values (paths of more than %d MiB)", maxScalarPaths>>20)
			}
			x.m.Scalars = append(x.m.Scalars, Scalar{Path: b.String(), Value: n.text, Pos: n.pos})
		case mapNode:
			for _, p := range n.pairs {
				mark := b.key(p.key)
				err := walk(p.value)
				b.back(mark)
				if err != nil {
					return err
				}
			}
		case seqNode:
			for i, it := range n.items {
				mark := b.index(i)
				err := walk(it)
				b.back(mark)
				if err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(root)
}

// checkReferences reports references to functions, endpoints, remotes,
// resources and actions that the manifest does not define.
func (x *extractor) checkReferences() {
	for _, e := range x.functionRefs {
		if x.m.Functions[e.Function] == nil {
			x.problem(e.Pos, "%s %s names function %q, which modules.function does not define", e.ModuleType, e.ModuleKey, e.Function)
		}
	}
	for _, e := range x.endpointRefs {
		if !x.endpoints[e.Function] {
			x.problem(e.Pos, "%s %s names endpoint %q, which modules.endpoint does not define", e.ModuleType, e.ModuleKey, e.Function)
		}
	}
	for _, r := range x.named {
		var ok bool
		var section string
		switch r.what {
		case "remote":
			_, ok = x.remotes[r.name.Value]
			section = "remotes"
		case "resource":
			ok, section = x.resources[r.name.Value], "resources"
		case "action":
			ok, section = x.actions[r.name.Value], "modules.action"
		}
		if !ok {
			x.problem(r.name.Pos, "%s names %s %q, which %s does not define", r.where, r.what, r.name.Value, section)
		}
	}
}

// pathBuf builds paths ("modules.jira:issuePanel[0].resolver") with
// truncation instead of copies.
type pathBuf struct{ b []byte }

// key appends a key and returns the length to go back to.
func (p *pathBuf) key(k string) int {
	n := len(p.b)
	p.b = appendKey(p.b, k)
	return n
}

// index appends a list index and returns the length to go back to.
func (p *pathBuf) index(i int) int {
	n := len(p.b)
	p.b = append(p.b, '[')
	p.b = strconv.AppendInt(p.b, int64(i), 10)
	p.b = append(p.b, ']')
	return n
}

func (p *pathBuf) back(n int)         { p.b = p.b[:n] }
func (p *pathBuf) String() string     { return string(p.b) }
func keyPath(parent, k string) string { return string(appendKey([]byte(parent), k)) }
func indexPath(parent string, i int) string {
	return parent + "[" + strconv.Itoa(i) + "]"
}

// appendKey appends .k to a path, or ["k"] when k holds a character that
// would make the path ambiguous.
func appendKey(b []byte, k string) []byte {
	plain := k != ""
	for _, r := range k {
		if r == '.' || r == '[' || r == ']' || r == '"' || r <= ' ' || r == 0x7f {
			plain = false
			break
		}
	}
	if !plain {
		b = append(b, '[')
		b = strconv.AppendQuote(b, k)
		return append(b, ']')
	}
	if len(b) > 0 {
		b = append(b, '.')
	}
	return append(b, k...)
}
