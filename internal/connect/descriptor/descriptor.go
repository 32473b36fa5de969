// Package descriptor reads an Atlassian Connect app descriptor
// (atlassian-connect.json) and derives from it the inventory of endpoints the
// Connect checks probe: the lifecycle and webhook URLs the product calls, and
// every URL of every module, with its placeholders filled, whether only
// administrators are meant to reach it, and whether it is a cacheable shell.
//
// The package does no I/O: the caller fetches the descriptor and hands Parse
// its bytes. Nothing here panics on any input; nesting depth and the number of
// URLs taken from one descriptor are bounded.
package descriptor

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Bounds on what one descriptor may make this package do.
const (
	maxDepth    = 128    // nesting levels of arrays and objects Parse accepts
	maxURLs     = 20_000 // URLs Inventory takes before it stops with a Problem
	maxProblems = 1_000  // Problems Inventory reports before it says the rest are left out
)

// Descriptor is a parsed atlassian-connect.json.
type Descriptor struct {
	Key  string // the app key
	Name string // the app name
	// BaseURL is the absolute https URL that relative URLs resolve against.
	BaseURL *url.URL
	// AuthType is "jwt" or "none", in lower case. A descriptor without
	// authentication.type gets "jwt", Connect's default.
	AuthType string
	// Lifecycle maps a lifecycle event ("installed", "uninstalled",
	// "enabled", "disabled") to its URL as written.
	Lifecycle map[string]string
	// Scopes are the requested scopes in upper case, such as "READ".
	Scopes []string
	// APIMigrations holds the apiMigrations flags, such as "signed-install".
	APIMigrations map[string]bool
	// Modules is the raw module tree keyed by module type, as decoded JSON:
	// map[string]any, []any, string, json.Number, bool and nil.
	Modules map[string]any

	problems []Problem // non-fatal problems found while parsing
}

// lifecycleEvents are the lifecycle URLs the product calls, in the order
// Inventory lists them.
var lifecycleEvents = []string{"installed", "uninstalled", "enabled", "disabled"}

// Parse parses and validates a descriptor. The top level must be a JSON object
// with a non-empty key, name and baseUrl; baseUrl must be an absolute https
// URL without user information, query or fragment, and authentication.type,
// when present, jwt or none in any case. JSON errors give the line and column
// (1-based, counting characters) and wrap the *json.SyntaxError; nesting deeper
// than 128 levels is an error. Oddities that do not stop a scan (a lifecycle
// URL that is not a string, an unknown lifecycle event) are reported later by
// Inventory as Problems.
func Parse(data []byte) (*Descriptor, error) {
	tree, err := decode(data)
	if err != nil {
		return nil, err
	}
	root, ok := tree.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("descriptor must be a JSON object, found %s", typeName(tree))
	}
	d := &Descriptor{}
	var missing []string
	var errs []error
	text := func(field string) string {
		v, ok := root[field]
		s, isString := v.(string)
		switch {
		case !ok || v == nil || (isString && strings.TrimSpace(s) == ""):
			missing = append(missing, field)
		case !isString:
			errs = append(errs, fmt.Errorf("%s must be a string, found %s", field, typeName(v)))
		}
		return strings.TrimSpace(s)
	}
	d.Key = text("key")
	rawBase := text("baseUrl")
	d.Name = text("name")
	if len(missing) > 0 {
		errs = append([]error{fmt.Errorf("missing or empty: %s", strings.Join(missing, ", "))}, errs...)
	}
	if rawBase != "" {
		d.BaseURL, err = parseBaseURL(rawBase)
		if err != nil {
			errs = append(errs, err)
		}
	}
	d.AuthType, err = authType(root["authentication"])
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, &invalidError{errs}
	}
	d.readLifecycle(root["lifecycle"])
	d.readScopes(root["scopes"])
	d.readAPIMigrations(root["apiMigrations"])
	switch m := root["modules"].(type) {
	case map[string]any:
		d.Modules = m
	case nil:
		d.Modules = map[string]any{}
	default:
		d.Modules = map[string]any{}
		d.problem("/modules", "modules is %s, not an object: no module URLs taken", article(typeName(m)))
	}
	return d, nil
}

// invalidError is the error of a descriptor that fails validation: every
// reason, in one line.
type invalidError struct{ errs []error }

func (e *invalidError) Error() string {
	parts := make([]string, len(e.errs))
	for i, err := range e.errs {
		parts[i] = err.Error()
	}
	return "descriptor is invalid: " + strings.Join(parts, "; ")
}

func (e *invalidError) Unwrap() []error { return e.errs }

// parseBaseURL checks that raw is an absolute https URL with a host and
// nothing that would make resolving relative URLs against it ambiguous.
func parseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, fmt.Errorf("baseUrl %q is not a URL: %w", clip(raw), urlError(err))
	case u.Scheme != "https" || u.Opaque != "":
		return nil, fmt.Errorf("baseUrl %q is not an absolute https URL", clip(raw))
	case u.User != nil:
		return nil, fmt.Errorf("baseUrl %q must not contain user information", clip(u.Redacted()))
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, fmt.Errorf("baseUrl %q must not have a query or fragment", clip(raw))
	}
	if err := checkHost(u); err != nil {
		return nil, fmt.Errorf("baseUrl %q: %w", clip(raw), err)
	}
	return u, nil
}

// urlError is the reason of a url.Parse error, without the URL it repeats.
func urlError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// clip shortens a string from the input for a message.
func clip(s string) string {
	const limit = 200
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// checkHost checks that u names a host that can be connected to: present,
// in ASCII (an international name must be in its xn-- form), with a port, if
// any, from 1 to 65535.
func checkHost(u *url.URL) error {
	host := u.Hostname()
	if host == "" {
		return errors.New("no host")
	}
	for i := range len(host) {
		if host[i] >= utf8.RuneSelf || host[i] <= ' ' {
			return fmt.Errorf("host %q is not in ASCII (write an international name in its xn-- form)", clip(host))
		}
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("port %s is out of range", p)
		}
	}
	return nil
}

// authType reads authentication.type.
func authType(v any) (string, error) {
	if v == nil {
		return "jwt", nil
	}
	auth, ok := v.(map[string]any)
	if !ok {
		return "", fmt.Errorf("authentication must be an object, found %s", typeName(v))
	}
	t, ok := auth["type"]
	if !ok || t == nil {
		return "jwt", nil
	}
	s, ok := t.(string)
	if !ok {
		return "", fmt.Errorf("authentication.type must be a string, found %s", typeName(t))
	}
	switch l := strings.ToLower(strings.TrimSpace(s)); l {
	case "jwt", "none":
		return l, nil
	}
	return "", fmt.Errorf("authentication.type %q is not jwt or none", clip(s))
}

func (d *Descriptor) readLifecycle(v any) {
	d.Lifecycle = map[string]string{}
	if v == nil {
		return
	}
	m, ok := v.(map[string]any)
	if !ok {
		d.problem("/lifecycle", "lifecycle is %s, not an object: no lifecycle URLs taken", article(typeName(v)))
		return
	}
	for _, ev := range sortedKeys(m) {
		src := "/lifecycle/" + escapePointer(ev)
		s, ok := m[ev].(string)
		switch {
		case !ok:
			d.problem(src, "lifecycle URL is %s, not a string", article(typeName(m[ev])))
		case !isLifecycleEvent(ev):
			d.problem(src, "unknown lifecycle event %q: the product never calls it", clip(ev))
		default:
			d.Lifecycle[ev] = s
		}
	}
}

func isLifecycleEvent(ev string) bool {
	for _, e := range lifecycleEvents {
		if e == ev {
			return true
		}
	}
	return false
}

func (d *Descriptor) readScopes(v any) {
	if v == nil {
		return
	}
	list, ok := v.([]any)
	if !ok {
		d.problem("/scopes", "scopes is %s, not an array", article(typeName(v)))
		return
	}
	for i, s := range list {
		str, ok := s.(string)
		if !ok {
			d.problem(fmt.Sprintf("/scopes/%d", i), "scope is %s, not a string", article(typeName(s)))
			continue
		}
		d.Scopes = append(d.Scopes, strings.ToUpper(strings.TrimSpace(str)))
	}
}

func (d *Descriptor) readAPIMigrations(v any) {
	d.APIMigrations = map[string]bool{}
	if v == nil {
		return
	}
	m, ok := v.(map[string]any)
	if !ok {
		d.problem("/apiMigrations", "apiMigrations is %s, not an object", article(typeName(v)))
		return
	}
	for _, k := range sortedKeys(m) {
		b, ok := m[k].(bool)
		if !ok {
			d.problem("/apiMigrations/"+escapePointer(k), "apiMigrations flag is %s, not a boolean", article(typeName(m[k])))
			continue
		}
		d.APIMigrations[k] = b
	}
}

func (d *Descriptor) problem(source, format string, args ...any) {
	d.problems = append(d.problems, Problem{Source: source, Message: fmt.Sprintf(format, args...)})
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// decode decodes data into a tree of map[string]any, []any, string,
// json.Number, bool and nil. It builds the tree from the token stream with an
// explicit stack, so nesting is bounded by maxDepth and never by the Go stack.
func decode(data []byte) (any, error) {
	data = bytes.TrimPrefix(data, utf8BOM)
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("descriptor is empty")
	}
	type frame struct {
		obj    map[string]any // the object being built, or nil for an array
		arr    []any
		key    string
		hasKey bool
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil, syntaxError(data, err)
		}
		var v any
		switch t := tok.(type) {
		case json.Delim:
			if t == '{' || t == '[' {
				if len(stack) == maxDepth {
					line, col := position(data, dec.InputOffset()-1)
					return nil, fmt.Errorf("descriptor is not valid JSON: line %d, column %d: nested more than %d levels deep", line, col, maxDepth)
				}
				f := &frame{arr: []any{}}
				if t == '{' {
					f.obj, f.arr = map[string]any{}, nil
				}
				stack = append(stack, f)
				continue
			}
			// The decoder only returns a closing delimiter that matches an
			// open one, so the stack is not empty here.
			f := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if f.obj != nil {
				v = f.obj
			} else {
				v = f.arr
			}
		case string:
			if n := len(stack); n > 0 && stack[n-1].obj != nil && !stack[n-1].hasKey {
				stack[n-1].key, stack[n-1].hasKey = t, true
				continue
			}
			v = t
		default:
			v = tok
		}
		if len(stack) == 0 {
			if _, err := dec.Token(); err != io.EOF {
				return nil, syntaxError(data, err)
			}
			return v, nil
		}
		top := stack[len(stack)-1]
		if top.obj != nil {
			top.obj[top.key] = v
			top.hasKey = false
		} else {
			top.arr = append(top.arr, v)
		}
	}
}

// syntaxError describes the first JSON error in data, with its line and
// column. The token stream reports truncation as io.EOF and its offsets are
// not always exact, so the position comes from a whole-document check.
func syntaxError(data []byte, err error) error {
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		if err != nil {
			line, col := position(data, int64(len(data)))
			return fmt.Errorf("descriptor is not valid JSON: line %d, column %d: unexpected end of input", line, col)
		}
		err = errors.New("more data after the top-level value")
	}
	var se *json.SyntaxError
	if verr := json.Unmarshal(data, new(json.RawMessage)); errors.As(verr, &se) {
		err = se
	}
	if errors.As(err, &se) {
		// Offset counts the bytes read, the offending one included.
		line, col := position(data, se.Offset-1)
		return fmt.Errorf("descriptor is not valid JSON: line %d, column %d: %w", line, col, se)
	}
	return fmt.Errorf("descriptor is not valid JSON: %w", err)
}

// position gives the 1-based line and column (in characters) of byte offset
// off in data.
func position(data []byte, off int64) (line, col int) {
	off = max(0, min(off, int64(len(data))))
	before := data[:off]
	start := bytes.LastIndexByte(before, '\n') + 1
	return bytes.Count(before, []byte{'\n'}) + 1, utf8.RuneCount(before[start:]) + 1
}

// typeName names the JSON type of a decoded value.
func typeName(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// article prefixes a JSON type name with "a" or "an" ("null" stays alone).
func article(name string) string {
	switch {
	case name == "null":
		return name
	case strings.IndexByte("aeiou", name[0]) >= 0:
		return "an " + name
	}
	return "a " + name
}
