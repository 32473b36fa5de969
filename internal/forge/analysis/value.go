package analysis

import (
	"sort"
	"strings"

	"github.com/ecoscan/ecoscan/internal/forge/ast"
)

// Label is a set of facts about where a value came from, as bits.
type Label uint16

// The labels a value can carry. They spread through every operation that
// derives a value from another (member access, concatenation, calls of
// unknown functions, awaiting).
const (
	// Tainted: from an entry's untrusted input (a resolver's payload, a
	// webtrigger's request, an event's or a Rovo action's payload).
	Tainted Label = 1 << iota
	// Request: from a webtrigger's request (headers, body, query).
	Request
	// Secret: from a place secrets are kept (process.env, getSecret), or a
	// value named like a secret (token, password, apiKey, ...).
	Secret
	// Perm: the result of a permission check (authorize(), a permission API,
	// a product call made as the user).
	Perm
	// Verify: the outcome of comparing a request's value with a secret, or of a
	// signature verification.
	Verify
	// KeyedByInput: read from an object with a key chosen by the input
	// (obj[payload.k]): writing into it may reach Object.prototype.
	KeyedByInput
)

// Kind is what a value is.
type Kind uint8

// The kinds of values.
const (
	KUnknown Kind = iota
	KString       // Str holds the known text; Hole marks unknown parts
	KNumber
	KBool
	KNull // null and undefined
	KObject
	KArray
	KFunc
	KClass
	KModule   // a namespace of one of the app's modules
	KExternal // a package's export, or something derived from it: Ext names it
	KResolver // an instance of @forge/resolver's Resolver
	KDefs     // the result of resolver.getDefinitions()
)

// Hole marks an unknown part of a string value (a template's expression whose
// value is not known).
const Hole = "\x00"

// maxAlts bounds the alternatives a value may hold, and maxElems the elements
// an array value keeps, so that loops and unions stay small.
const (
	maxAlts  = 8
	maxElems = 64
)

// Value is the abstract value of an expression. Values are shared: an object
// value is one object, whatever variables point at it.
type Value struct {
	Kind   Kind
	Labels Label
	Str    string      // KString (with Hole for unknown parts), KNumber and KBool (as written)
	Obj    *Object     // KObject, KArray (Elems), KClass (the prototype's members), KResolver
	Fn     *Closure    // KFunc
	Mod    *module     // KModule
	Ext    string      // KExternal: "pkg:path", e.g. "@forge/api:asApp().requestJira"
	Origin []string    // the input fields it derives from ("payload.issueId"): a resource's identity
	Perm   *permission // set when this value is (derived from) a permission check's result
	Alts   []*Value    // when not empty, the value is one of these (and the fields above are unused)
	Pos    ast.Pos     // where the value was made, for literals
	File   string
}

// Object is the state of an object or array value.
type Object struct {
	Props    map[string]*Value
	Elems    []*Value
	Resolver map[string]*Value // KResolver: the functions defined, by key
	Class    *ast.Class        // KClass: the class (for construction)
	ClassEnv *env
	Super    *Value
	Module   bool // a module-level object (writes from handlers are shared state)
}

// Closure is a function with the environment it was made in.
type Closure struct {
	Fn   *ast.Func
	Env  *env
	File *module
	This *Value // bound receiver for methods taken from objects, or nil
}

// permission describes a permission check: the resources it is about (the
// origins of its arguments), when known.
type permission struct {
	Resources []string
	Pos       ast.Pos
	File      string
	What      string // "authorize().onJiraIssue", "GET /rest/api/3/mypermissions", ...
}

var unknown = &Value{Kind: KUnknown}

// unknownWith is an unknown value carrying labels and origins.
func unknownWith(labels Label, origin []string) *Value {
	if labels == 0 && len(origin) == 0 {
		return unknown
	}
	return &Value{Kind: KUnknown, Labels: labels, Origin: origin}
}

// str is a string value.
func str(s string) *Value { return &Value{Kind: KString, Str: s} }

// ext is a value of package pkg at path.
func ext(pkg, path string) *Value { return &Value{Kind: KExternal, Ext: pkg + ":" + path} }

// each calls f on each alternative of v (v itself when it has none).
func (v *Value) each(f func(*Value)) {
	if v == nil {
		f(unknown)
		return
	}
	if len(v.Alts) == 0 {
		f(v)
		return
	}
	for _, a := range v.Alts {
		f(a)
	}
}

// labels is the union of the labels of v's alternatives.
func (v *Value) labels() Label {
	var l Label
	v.each(func(a *Value) { l |= a.Labels })
	return l
}

// origins is the union of the origins of v's alternatives.
func (v *Value) origins() []string {
	var out []string
	v.each(func(a *Value) { out = appendOrigins(out, a.Origin) })
	return out
}

// perm returns the permission check v derives from, if any.
func (v *Value) perm() *permission {
	var p *permission
	v.each(func(a *Value) {
		if p == nil && a.Perm != nil {
			p = a.Perm
		}
	})
	return p
}

// constString returns the string when v is one fully known string.
func (v *Value) constString() (string, bool) {
	if v == nil || len(v.Alts) > 0 || v.Kind != KString || strings.Contains(v.Str, Hole) {
		return "", false
	}
	return v.Str, true
}

// pattern returns v's string with holes for unknown parts, when v is a string
// (or one of several strings with the same text).
func (v *Value) pattern() (string, bool) {
	if v == nil {
		return "", false
	}
	if len(v.Alts) > 0 {
		p, ok := v.Alts[0].pattern()
		for _, a := range v.Alts[1:] {
			q, ok2 := a.pattern()
			if !ok || !ok2 || p != q {
				return "", false
			}
		}
		return p, ok
	}
	if v.Kind == KString {
		return v.Str, true
	}
	return "", false
}

// externals lists the external names v may be.
func (v *Value) externals() []string {
	var out []string
	v.each(func(a *Value) {
		if a.Kind == KExternal {
			out = append(out, a.Ext)
		}
	})
	return out
}

// union is a value that is one of vs. Unknown alternatives keep their labels.
func union(vs ...*Value) *Value {
	var alts []*Value
	seen := map[*Value]bool{}
	for _, v := range vs {
		if v == nil {
			continue
		}
		v.each(func(a *Value) {
			if seen[a] {
				return
			}
			seen[a] = true
			alts = append(alts, a)
		})
	}
	switch len(alts) {
	case 0:
		return unknown
	case 1:
		return alts[0]
	}
	if len(alts) > maxAlts {
		// Too many to keep apart: keep functions and objects (calls and
		// property reads need them), fold the rest into one unknown.
		var keep []*Value
		var l Label
		var origin []string
		for _, a := range alts {
			l |= a.Labels
			origin = appendOrigins(origin, a.Origin)
			if (a.Kind == KFunc || a.Kind == KObject || a.Kind == KExternal) && len(keep) < maxAlts-1 {
				keep = append(keep, a)
			}
		}
		alts = append(keep, unknownWith(l, origin))
	}
	return &Value{Alts: alts}
}

// derived is a value computed from inputs by an operation the analysis does
// not model: unknown, with the labels, origins and permission of the inputs.
func derived(inputs ...*Value) *Value {
	var l Label
	var origin []string
	var perm *permission
	for _, in := range inputs {
		if in == nil {
			continue
		}
		l |= in.labels()
		origin = appendOrigins(origin, in.origins())
		if perm == nil {
			perm = in.perm()
		}
	}
	if l == 0 && len(origin) == 0 && perm == nil {
		return unknown
	}
	return &Value{Kind: KUnknown, Labels: l, Origin: origin, Perm: perm}
}

// result is the value of an operation that transforms its inputs (a call
// of a function the analysis does not follow): it keeps their labels and
// permission, but not their origins, since it is not the input itself.
func result(inputs ...*Value) *Value {
	d := derived(inputs...)
	if len(d.Origin) == 0 {
		return d
	}
	return &Value{Kind: KUnknown, Labels: d.Labels, Perm: d.Perm}
}

// withLabels returns v with more labels (a copy when they change anything).
func withLabels(v *Value, l Label) *Value {
	if v == nil {
		v = unknown
	}
	if v.labels()&l == l {
		return v
	}
	if len(v.Alts) > 0 {
		alts := make([]*Value, len(v.Alts))
		for i, a := range v.Alts {
			alts[i] = withLabels(a, l)
		}
		return &Value{Alts: alts}
	}
	c := *v
	c.Labels |= l
	return &c
}

// appendOrigins adds origins not yet in dst, keeping at most 8.
func appendOrigins(dst, src []string) []string {
	for _, o := range src {
		if len(dst) >= 8 {
			break
		}
		found := false
		for _, d := range dst {
			if d == o {
				found = true
				break
			}
		}
		if !found {
			dst = append(dst, o)
		}
	}
	return dst
}

// newObject makes an empty object value.
func newObject() *Value {
	return &Value{Kind: KObject, Obj: &Object{Props: map[string]*Value{}}}
}

// newArray makes an array value of elems (bounded).
func newArray(elems []*Value) *Value {
	if len(elems) > maxElems {
		elems = append(elems[:maxElems-1:maxElems-1], union(elems[maxElems-1:]...))
	}
	return &Value{Kind: KArray, Obj: &Object{Elems: elems}}
}

// prop reads property name of v.
func prop(v *Value, name string) *Value {
	var outs []*Value
	v.each(func(a *Value) { outs = append(outs, prop1(a, name)) })
	return union(outs...)
}

func prop1(v *Value, name string) *Value {
	switch v.Kind {
	case KObject, KClass:
		if p, ok := v.Obj.Props[name]; ok {
			return p
		}
		if v.Obj.Super != nil {
			return prop(v.Obj.Super, name)
		}
		return inputField(v, name)
	case KArray:
		if name == "length" {
			return &Value{Kind: KNumber}
		}
		return inputField(v, name)
	case KModule:
		return v.Mod.export(name)
	case KExternal:
		if v.Ext == "global:process.env" || v.Ext == "process:env" {
			// A secret's usual home.
			return &Value{Kind: KUnknown, Labels: Secret, Origin: []string{"process.env." + name}}
		}
		sep := "."
		if strings.HasSuffix(v.Ext, ":") {
			sep = ""
		}
		return &Value{Kind: KExternal, Ext: v.Ext + sep + name, Labels: v.Labels, Origin: v.Origin, Perm: v.Perm}
	case KString:
		if name == "length" {
			return &Value{Kind: KNumber}
		}
	}
	return inputField(v, name)
}

// inputField is the value of an unmodelled field of v: it keeps v's labels,
// and its origin names the field (payload -> payload.issueId).
func inputField(v *Value, name string) *Value {
	if name == "length" {
		return &Value{Kind: KNumber}
	}
	l := v.Labels
	if secretName(name) {
		l |= Secret
	}
	if l == 0 && v.Perm == nil {
		return unknown
	}
	var origin []string
	for _, o := range v.Origin {
		if len(o) < 120 {
			origin = append(origin, o+"."+name)
		}
	}
	return &Value{Kind: KUnknown, Labels: l, Origin: origin, Perm: v.Perm}
}

// secretWords are the parts of a name that say its value is a secret.
var secretWords = []string{"secret", "password", "passwd", "token", "apikey", "api_key", "api-key", "privatekey", "private_key", "credential", "authorization"}

// secretName reports whether a field or variable name says it holds a secret.
func secretName(name string) bool {
	n := strings.ToLower(name)
	for _, w := range secretWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// Display shows a string pattern with its holes as {}.
func Display(p string) string { return strings.ReplaceAll(p, Hole, "{}") }

// sig is a short text that tells apart the argument values that matter to
// the analysis of a call, for memoising calls.
func sig(b *strings.Builder, v *Value, depth int) {
	if v == nil {
		b.WriteString("_")
		return
	}
	if len(v.Alts) > 0 {
		b.WriteString("(")
		for _, a := range v.Alts {
			sig(b, a, depth)
			b.WriteString("|")
		}
		b.WriteString(")")
		return
	}
	b.WriteByte(byte('a' + v.Kind))
	b.WriteByte(byte('A' + v.Labels&0x3f))
	if v.Perm != nil {
		b.WriteString("P")
	}
	if len(v.Origin) > 0 {
		b.WriteString(strings.Join(v.Origin, ","))
	}
	switch v.Kind {
	case KString:
		if len(v.Str) < 64 {
			b.WriteString(v.Str)
		}
	case KExternal:
		b.WriteString(v.Ext)
	case KFunc:
		b.WriteString(posKey(v.Fn.File.path, v.Fn.Fn.Pos))
	case KObject:
		if depth > 1 {
			return
		}
		keys := make([]string, 0, len(v.Obj.Props))
		for k := range v.Obj.Props {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString("{")
		for _, k := range keys {
			b.WriteString(k)
			b.WriteString(":")
			sig(b, v.Obj.Props[k], depth+1)
		}
		b.WriteString("}")
	}
}

// ConstString returns the string when v is one fully known string.
func (v *Value) ConstString() (string, bool) { return v.constString() }

// Pattern returns v's string with Hole for unknown parts, when v is a string.
func (v *Value) Pattern() (string, bool) { return v.pattern() }

// Origins lists the input fields v derives from ("payload.issueId",
// "process.env.API_TOKEN").
func (v *Value) Origins() []string { return v.origins() }

// HasLabel reports whether any alternative of v carries l.
func (v *Value) HasLabel(l Label) bool { return v != nil && v.labels()&l != 0 }

// Keys lists the known property names of v's objects.
func (v *Value) Keys() []string {
	var keys []string
	v.each(func(a *Value) {
		if a.Kind == KObject {
			for k := range a.Obj.Props {
				keys = append(keys, k)
			}
		}
	})
	sort.Strings(keys)
	return keys
}

// Prop is the value of v's property name.
func (v *Value) Prop(name string) *Value { return prop(v, name) }

// SecretName reports whether a field or variable name says it holds a secret.
func SecretName(name string) bool { return secretName(name) }
