package analysis

import (
	_ "embed"
	"encoding/json"
	"regexp"
	"strings"

	"github.com/ecoscan/ecoscan/internal/forge/ast"
)

// normalise writes an external name without the `default` of ES module
// interop: "@forge/api:default.asApp()" is "@forge/api:asApp()".
func normalise(x string) string {
	pkg, path, ok := strings.Cut(x, ":")
	if !ok {
		return x
	}
	for {
		switch {
		case path == "default":
			path = ""
			continue
		case strings.HasPrefix(path, "default."):
			path = path[len("default."):]
			continue
		case strings.HasPrefix(path, "default()"):
			path = path[len("default"):]
		}
		break
	}
	return strings.TrimPrefix(pkg, "node:") + ":" + path
}

// segments splits an external path into its names: "asApp().requestJira" is
// [asApp requestJira].
func segments(path string) []string {
	path = strings.ReplaceAll(path, "()", "")
	if path == "" {
		return nil
	}
	return strings.Split(path, ".")
}

// keyArgument is an entry of keys.json: a function of a package that takes a
// key (or secret) as argument Arg. Function "A...B" matches a call chain that
// starts with A and ends with B (jose's `new SignJWT(..)...sign(key)`).
type keyArgument struct {
	Package  string `json:"package"`
	Function string `json:"function"`
	Arg      int    `json:"arg"`
	Verifies bool   `json:"verifies"` // it verifies a token with the key, and throws when it does not verify
	Source   string `json:"source"`
}

//go:embed keys.json
var keysJSON []byte

// keyArguments is the table of functions that take keys, from keys.json.
var keyArguments = func() []keyArgument {
	var ks []keyArgument
	if err := json.Unmarshal(keysJSON, &ks); err != nil {
		panic("analysis: keys.json: " + err.Error())
	}
	return ks
}()

// matchKeyFunction reports whether a call path matches a table function.
func matchKeyFunction(fn string, segs []string) bool {
	if first, last, ok := strings.Cut(fn, "..."); ok {
		return len(segs) >= 2 && segs[0] == first && segs[len(segs)-1] == last
	}
	want := segments(fn)
	if len(want) != len(segs) {
		return false
	}
	for i := range want {
		if want[i] != segs[i] {
			return false
		}
	}
	return true
}

// passThrough are functions whose result is their first argument, as far
// as constants and labels go (a key wrapped in a Buffer is the same key).
var passThrough = map[string]bool{
	"global:Buffer.from":          true,
	"buffer:Buffer.from":          true,
	"global:TextEncoder().encode": true,
	"crypto:createSecretKey":      true,
	"global:String":               true,
	"global:decodeURIComponent":   true,
	"global:encodeURIComponent":   true,
}

var productMethod = regexp.MustCompile(`^(?:.*\.)?(asApp|asUser)\(\)\.request(Jira|Confluence|Bitbucket|Graph)$`)

// permissionPaths are the product APIs that answer whether a user may do
// something (REFERENCE 6.3).
var permissionPaths = regexp.MustCompile(`/rest/api/[23]/mypermissions|/rest/api/[23]/permissions/check|/permission/check|/wiki/api/v2/.*/operations|/rest/api/[23]/user/permission/search`)

// logMethods are the console's writing methods.
var logMethods = map[string]bool{"log": true, "info": true, "warn": true, "error": true, "debug": true, "trace": true}

// external calls a package's function (or a method of something a package
// returned): the events it makes, the value it returns.
func (it *interp) external(c *Value, this *Value, args []*Value, x *ast.Call, e *env, st *flow, isNew bool) *Value {
	name := normalise(c.Ext)
	pkg, path, _ := strings.Cut(name, ":")
	segs := segments(path)
	pos := ast.Pos{}
	if x != nil {
		pos = x.Pos
	}
	file := it.currentFile()
	arg := func(i int) *Value {
		if i < len(args) && args[i] != nil {
			return args[i]
		}
		return unknown
	}
	result := &Value{Kind: KExternal, Ext: c.Ext + "()", Labels: c.Labels, Perm: c.Perm}
	for _, a := range args {
		result.Labels |= a.labels() &^ KeyedByInput
		if result.Perm == nil {
			result.Perm = a.perm()
		}
	}
	if this != nil {
		result.Labels |= this.labels() &^ KeyedByInput
	}

	if passThrough[name] {
		return arg(0)
	}
	if pkg == "global" && len(segs) == 2 && segs[0] == "console" && logMethods[segs[1]] {
		it.recordAt(&Event{Kind: Log, Pos: pos, File: file, Args: args, Detail: "console." + segs[1]}, st)
		return &Value{Kind: KNull}
	}
	for _, k := range keyArguments {
		if k.Package == pkg && matchKeyFunction(k.Function, segs) {
			it.recordAt(&Event{Kind: CryptoKey, Pos: pos, File: file, Arg: arg(k.Arg), Detail: pkg + ":" + k.Function}, st)
			if k.Verifies && arg(0).labels()&Request != 0 {
				st.verified = true
			}
		}
	}

	switch pkg {
	case "@forge/resolver":
		if isNew || len(segs) == 0 {
			return &Value{Kind: KResolver, Obj: &Object{Resolver: map[string]*Value{}}}
		}
	case "@forge/api", "@forge/bridge":
		if v, ok := it.forgeAPI(pkg, path, segs, args, arg, result, pos, file, st); ok {
			return v
		}
	case "@forge/kvs", "@forge/storage":
		if v, ok := it.storage(segs, args, arg, result, pos, file, st); ok {
			return v
		}
	case "@forge/sql":
		last := ""
		if len(segs) > 0 {
			last = segs[len(segs)-1]
		}
		if last == "executeRaw" || last == "prepare" || last == "executeDDL" || last == "execute" && len(segs) <= 2 && len(args) > 0 {
			it.recordAt(&Event{Kind: SQL, Pos: pos, File: file, Arg: arg(0), Detail: last}, st)
		}
	case "child_process":
		if len(segs) > 0 {
			it.recordAt(&Event{Kind: ChildProcess, Pos: pos, File: file, Detail: "child_process." + strings.Join(segs, "."), Args: args}, st)
		}
	case "crypto":
		if len(segs) == 1 && segs[0] == "timingSafeEqual" && isVerification(arg(0), arg(1)) {
			return withLabels(result, Verify)
		}
	case "node-fetch", "axios", "got", "undici", "cross-fetch", "global":
		if ev := fetchEvent(pkg, segs, args, arg); ev != nil {
			ev.Pos, ev.File = pos, file
			it.recordAt(ev, st)
		}
		if pkg == "global" && len(segs) == 1 && segs[0] == "require" {
			return unknown
		}
		if pkg == "global" && len(segs) == 2 && segs[0] == "JSON" {
			return result
		}
		if pkg == "global" && len(segs) >= 2 && segs[0] == "Object" {
			switch segs[1] {
			case "entries":
				return entriesOf(arg(0))
			case "keys":
				return newArray([]*Value{keysOf(arg(0))})
			case "values":
				return newArray([]*Value{valuesOf(arg(0))})
			case "assign":
				return it.objectAssign(args)
			}
		}
	}
	if pkg == "global" && len(segs) == 1 && segs[0] == "fetch" {
		return result
	}
	it.runCallbacks(this, args, x, st)
	return result
}

// forgeAPI models @forge/api and @forge/bridge.
func (it *interp) forgeAPI(pkg, path string, segs []string, args []*Value, arg func(int) *Value, result *Value, pos ast.Pos, file string, st *flow) (*Value, bool) {
	if m := productMethod.FindStringSubmatch(path); m != nil || pkg == "@forge/bridge" && len(segs) == 1 && strings.HasPrefix(segs[0], "request") && segs[0] != "request" {
		ev := &Event{Kind: ProductCall, Pos: pos, File: file, Method: "GET"}
		if m != nil {
			ev.As = strings.ToLower(strings.TrimPrefix(m[1], "as"))
			ev.Product = strings.ToLower(m[2])
		} else {
			ev.As, ev.Client = "user", true
			ev.Product = strings.ToLower(strings.TrimPrefix(segs[0], "request"))
		}
		u := arg(0)
		ev.URL, ev.URLKnown = u.pattern()
		ev.Resources = u.origins()
		ev.Arg = u
		if opts := arg(1); opts.Kind == KObject {
			if mv, ok := opts.Obj.Props["method"]; ok {
				if s, ok := mv.constString(); ok {
					ev.Method = strings.ToUpper(s)
				} else {
					ev.Method = ""
				}
			}
			ev.Headers = opts.Obj.Props["headers"]
			ev.Body = opts.Obj.Props["body"]
		} else if opts != unknown && opts.Kind != KNull {
			ev.Method = ""
		}
		it.recordAt(ev, st)
		if ev.As == "user" || ev.URLKnown && permissionPaths.MatchString(ev.URL) {
			what := strings.ToUpper(ev.Method) + " " + Display(ev.URL)
			if !ev.URLKnown {
				what = ev.Method + " (a path not known statically)"
			}
			result = withPerm(result, &permission{Resources: ev.Resources, Pos: pos, File: file, What: "as" + strings.ToUpper(ev.As[:1]) + ev.As[1:] + "() " + what})
		}
		return result, true
	}
	if len(segs) > 0 && segs[0] == "authorize" {
		var res []string
		for _, a := range args {
			res = appendOrigins(res, a.origins())
		}
		if p := result.Perm; p != nil {
			res = appendOrigins(res, p.Resources)
		}
		what := "authorize()." + strings.Join(segs[1:], ".")
		return withPerm(result, &permission{Resources: res, Pos: pos, File: file, What: strings.TrimSuffix(what, ".")}), true
	}
	if len(segs) == 1 && segs[0] == "assumeTrustedRoute" {
		it.recordAt(&Event{Kind: TrustedRoute, Pos: pos, File: file, Arg: arg(0)}, st)
		return arg(0), true
	}
	if len(segs) == 1 && segs[0] == "fetch" || len(segs) == 2 && segs[1] == "fetch" && segs[0] != "storage" {
		if ev := fetchEvent("global", []string{"fetch"}, args, arg); ev != nil {
			ev.Pos, ev.File = pos, file
			it.recordAt(ev, st)
		}
		return result, true
	}
	if len(segs) > 0 && (segs[0] == "storage" || segs[0] == "kvs") {
		return it.storage(segs[1:], args, arg, result, pos, file, st)
	}
	if len(segs) > 0 && segs[0] == "properties" && len(segs) >= 3 {
		switch segs[len(segs)-1] {
		case "set", "delete":
			it.recordAt(&Event{Kind: StorageWrite, Pos: pos, File: file, Args: args, Detail: "properties." + strings.Join(segs[1:], ".")}, st)
		}
		return result, true
	}
	if len(segs) >= 2 && segs[len(segs)-1] == "push" && (segs[0] == "Queue" || strings.Contains(path, "Queue")) {
		it.recordAt(&Event{Kind: QueuePush, Pos: pos, File: file, Args: args}, st)
		return result, true
	}
	return nil, false
}

func withPerm(v *Value, p *permission) *Value {
	c := *v
	c.Perm = p
	c.Labels |= Perm
	return &c
}

// storage models Forge storage: kvs, storage, entity store (segs start
// after the storage object: ["set"], ["entity", "set"], ...).
func (it *interp) storage(segs []string, args []*Value, arg func(int) *Value, result *Value, pos ast.Pos, file string, st *flow) (*Value, bool) {
	if len(segs) == 0 {
		return nil, false
	}
	op := segs[len(segs)-1]
	switch op {
	case "set", "setSecret", "delete", "deleteSecret", "transact":
		it.recordAt(&Event{Kind: StorageWrite, Pos: pos, File: file, Args: args, SecretStore: strings.HasSuffix(op, "Secret"), Detail: strings.Join(segs, ".")}, st)
		return result, true
	case "get", "getSecret", "query", "getMany":
		it.recordAt(&Event{Kind: StorageRead, Pos: pos, File: file, Args: args, SecretStore: op == "getSecret", Detail: strings.Join(segs, ".")}, st)
		if op == "getSecret" {
			return &Value{Kind: KUnknown, Labels: Secret, Origin: []string{"storage.getSecret"}}, true
		}
		return result, true
	}
	return nil, false
}

// fetchEvent describes a request made with fetch-like APIs: fetch(url,
// {method, headers, body}), axios(config), axios.get(url, config),
// axios.post(url, data, config), got(url, options).
func fetchEvent(pkg string, segs []string, args []*Value, arg func(int) *Value) *Event {
	ev := &Event{Kind: Fetch, Method: "GET"}
	var opts *Value
	switch {
	case pkg == "global" && len(segs) == 1 && segs[0] == "fetch", (pkg == "node-fetch" || pkg == "cross-fetch" || pkg == "got") && len(segs) == 0:
		ev.Arg, opts = arg(0), arg(1)
	case pkg == "undici" && len(segs) == 1 && (segs[0] == "fetch" || segs[0] == "request"):
		ev.Arg, opts = arg(0), arg(1)
	case pkg == "axios" && len(segs) == 0:
		cfg := arg(0)
		if cfg.Kind == KObject {
			ev.Arg, opts = prop(cfg, "url"), cfg
		} else {
			ev.Arg, opts = cfg, arg(1)
		}
	case (pkg == "axios" || pkg == "got") && len(segs) == 1:
		switch segs[0] {
		case "get", "delete", "head", "options":
			ev.Arg, opts = arg(0), arg(1)
		case "post", "put", "patch":
			ev.Arg, opts = arg(0), arg(2)
			ev.Body = arg(1)
		case "request":
			ev.Arg, opts = prop(arg(0), "url"), arg(0)
		default:
			return nil
		}
		ev.Method = strings.ToUpper(segs[0])
	default:
		return nil
	}
	ev.URL, ev.URLKnown = ev.Arg.pattern()
	ev.Resources = ev.Arg.origins()
	if opts != nil && opts.Kind == KObject {
		if m, ok := opts.Obj.Props["method"]; ok {
			if s, ok := m.constString(); ok {
				ev.Method = strings.ToUpper(s)
			}
		}
		ev.Headers = opts.Obj.Props["headers"]
		if b, ok := opts.Obj.Props["body"]; ok {
			ev.Body = b
		}
		if u, ok := opts.Obj.Props["url"]; ok && ev.Arg == unknown {
			ev.Arg = u
			ev.URL, ev.URLKnown = u.pattern()
		}
	}
	_ = args
	return ev
}

// entriesOf is Object.entries(v): an array of [key, value] pairs.
func entriesOf(v *Value) *Value {
	var pairs []*Value
	v.each(func(a *Value) {
		if a.Kind == KObject {
			for k, pv := range a.Obj.Props {
				pairs = append(pairs, newArray([]*Value{str(k), pv}))
			}
			return
		}
		d := derived(a)
		pairs = append(pairs, newArray([]*Value{d, d}))
	})
	return newArray(pairs)
}

// valuesOf is an element of Object.values(v).
func valuesOf(v *Value) *Value {
	var vals []*Value
	v.each(func(a *Value) {
		if a.Kind == KObject {
			for _, pv := range a.Obj.Props {
				vals = append(vals, pv)
			}
			return
		}
		vals = append(vals, derived(a))
	})
	return union(vals...)
}

// objectAssign is Object.assign(target, ...sources).
func (it *interp) objectAssign(args []*Value) *Value {
	if len(args) == 0 {
		return unknown
	}
	target := args[0]
	for _, src := range args[1:] {
		src.each(func(s *Value) {
			target.each(func(t *Value) {
				if t.Kind != KObject {
					return
				}
				if s.Kind == KObject {
					for k, v := range s.Obj.Props {
						t.Obj.Props[k] = union(t.Obj.Props[k], v)
					}
				}
			})
		})
	}
	return target
}

// resolverMethod is a method of @forge/resolver's Resolver: define(key, fn)
// records a resolver function, getDefinitions() returns the handler that
// dispatches to them.
func (it *interp) resolverMethod(r *Value, method string, args []*Value, _ *ast.Call) *Value {
	switch method {
	case "define":
		if len(args) < 2 {
			return unknown
		}
		key := "(a key not known statically)"
		args[0].each(func(k *Value) {
			if s, ok := k.constString(); ok {
				key = s
			}
			r.Obj.Resolver[key] = union(r.Obj.Resolver[key], args[1])
		})
		return r
	case "getDefinitions":
		return &Value{Kind: KDefs, Obj: r.Obj}
	}
	return unknown
}

// IsPermissionPath reports whether a product API path is a permission API,
// whose answer says what a user may do.
func IsPermissionPath(path string) bool { return permissionPaths.MatchString(path) }
