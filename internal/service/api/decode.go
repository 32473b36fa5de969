package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/ecoscan/ecoscan/internal/connect/token"
	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// decodeJSON reads r's body, which must be JSON (by Content-Type), into dst.
func decodeJSON(r *http.Request, dst any) error {
	if err := checkJSONType(r); err != nil {
		return err
	}
	return decodeStrict(r.Body, dst)
}

// checkJSONType refuses a body that is not declared JSON.
func checkJSONType(r *http.Request) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return fmt.Errorf("%w: send the body as application/json", ErrUnsupportedMedia)
	}
	return nil
}

// decodeStrict reads exactly one JSON value into dst: unknown fields,
// trailing data and malformed JSON are refused with a message that says
// where.
func decodeStrict(body io.Reader, dst any) error {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonErr(err, dec.InputOffset())
	}
	var extra json.RawMessage
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
		return nil
	case err != nil:
		return jsonErr(err, dec.InputOffset())
	}
	return fmt.Errorf("%w: unexpected data after the JSON object (byte %d)", ErrBadRequest, dec.InputOffset()-int64(len(extra)))
}

// jsonErr explains a decoding failure.
func jsonErr(err error, offset int64) error {
	var (
		syntax  *json.SyntaxError
		typ     *json.UnmarshalTypeError
		tooBig  *http.MaxBytesError
		unknown = "json: unknown field "
	)
	switch {
	case errors.As(err, &tooBig):
		return fmt.Errorf("%w: the body exceeds %d bytes", ErrTooLarge, tooBig.Limit)
	case errors.As(err, &syntax):
		return fmt.Errorf("%w: malformed JSON at byte %d: %s", ErrBadRequest, syntax.Offset, strings.TrimPrefix(syntax.Error(), "json: "))
	case errors.As(err, &typ):
		if typ.Field == "" {
			return fmt.Errorf("%w: expected a JSON object, got %s (byte %d)", ErrBadRequest, typ.Value, typ.Offset)
		}
		return badParam(typ.Field, "expected %s, got %s (byte %d)", jsonType(typ.Type), typ.Value, typ.Offset)
	case strings.HasPrefix(err.Error(), unknown):
		field, uerr := strconv.Unquote(strings.TrimPrefix(err.Error(), unknown))
		if uerr != nil {
			field = strings.TrimPrefix(err.Error(), unknown)
		}
		return badParam(field, "unknown field")
	case errors.Is(err, io.EOF):
		return fmt.Errorf("%w: the body is empty; expected a JSON object", ErrBadRequest)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: malformed JSON: the body ends early (byte %d)", ErrBadRequest, offset)
	}
	return fmt.Errorf("%w: malformed JSON at byte %d: %v", ErrBadRequest, offset, err)
}

// jsonType names the JSON type a Go type is read from.
func jsonType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}

// createAppRequest is the body of POST /v1/orgs/{org}/apps.
type createAppRequest struct {
	Kind          string `json:"kind"`
	Name          string `json:"name"`
	DescriptorURL string `json:"descriptor_url"`
	SharedSecret  string `json:"shared_secret"`
	ClientKey     string `json:"client_key"`
	UserJWT       string `json:"user_jwt"`
	Interval      string `json:"interval"`
}

// parseCreateApp reads an app registration.
func parseCreateApp(body io.Reader) (AppInput, error) {
	var req createAppRequest
	if err := decodeStrict(body, &req); err != nil {
		return AppInput{}, err
	}
	in := AppInput{
		Kind: platform.AppKind(req.Kind), Name: req.Name, DescriptorURL: req.DescriptorURL,
		SharedSecret: token.Secret(req.SharedSecret), ClientKey: token.Secret(req.ClientKey), UserJWT: token.Secret(req.UserJWT),
	}
	if req.Interval != "" {
		d, err := parseInterval(req.Interval)
		if err != nil {
			return AppInput{}, err
		}
		in.Interval = d
	}
	return in, nil
}

// patchAppRequest is the body of PATCH /v1/orgs/{org}/apps/{app}: absent
// fields stay as they are.
type patchAppRequest struct {
	Name          *string `json:"name"`
	DescriptorURL *string `json:"descriptor_url"`
	SharedSecret  *string `json:"shared_secret"`
	ClientKey     *string `json:"client_key"`
	UserJWT       *string `json:"user_jwt"`
	Interval      *string `json:"interval"`
}

// parsePatchApp reads an app change.
func parsePatchApp(body io.Reader) (AppPatch, error) {
	var req patchAppRequest
	if err := decodeStrict(body, &req); err != nil {
		return AppPatch{}, err
	}
	secret := func(s *string) *token.Secret {
		if s == nil {
			return nil
		}
		v := token.Secret(*s)
		return &v
	}
	p := AppPatch{
		Name: req.Name, DescriptorURL: req.DescriptorURL,
		SharedSecret: secret(req.SharedSecret), ClientKey: secret(req.ClientKey), UserJWT: secret(req.UserJWT),
	}
	if req.Interval != nil {
		d, err := parseInterval(*req.Interval)
		if err != nil {
			return AppPatch{}, err
		}
		p.Interval = &d
	}
	return p, nil
}

// parseInterval reads a scan interval: a Go duration such as "24h" or
// "168h".
func parseInterval(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, invalid("interval", "must be a duration such as \"24h\" or \"168h\"")
	}
	return d, nil
}

// transitionRequest is the body of POST .../tickets/{id}/transitions.
type transitionRequest struct {
	To     string `json:"to"`
	Reason string `json:"reason"`
	Due    string `json:"due"`
}

// parseTransition reads a ticket transition.
func parseTransition(body io.Reader) (transitionRequest, *time.Time, error) {
	var req transitionRequest
	if err := decodeStrict(body, &req); err != nil {
		return req, nil, err
	}
	if req.Due == "" {
		return req, nil, nil
	}
	due, err := parseDate(req.Due)
	if err != nil {
		return req, nil, invalid("due", "%v", err)
	}
	return req, &due, nil
}

// parseDate reads a date ("2026-12-31", midnight UTC) or an RFC 3339
// instant.
func parseDate(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date such as 2026-12-31 or an RFC 3339 time", s)
	}
	return t.UTC(), nil
}

// query checks the request's query parameters: only those named may
// appear, each once.
func query(r *http.Request, allowed ...string) (url.Values, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("%w: malformed query string", ErrBadRequest)
	}
	for k, vs := range q {
		known := false
		for _, a := range allowed {
			known = known || a == k
		}
		switch {
		case !known:
			return nil, badParam(k, "unknown query parameter (known: %s)", strings.Join(allowed, ", "))
		case len(vs) > 1 && k != "state":
			return nil, badParam(k, "given more than once")
		}
	}
	return q, nil
}

// pageOf reads the limit and before parameters.
func pageOf(q url.Values) (platform.Page, error) {
	var p platform.Page
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > platform.MaxPage {
			return p, badParam("limit", "must be a number between 1 and %d", platform.MaxPage)
		}
		p.Limit = n
	}
	if s := q.Get("before"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id < 1 {
			return p, badParam("before", "must be the next cursor of a previous page")
		}
		p.Before = id
	}
	return p, nil
}

// idParam reads a numeric id from the query (0 when absent).
func idParam(q url.Values, name string) (int64, error) {
	s := q.Get(name)
	if s == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 1 {
		return 0, badParam(name, "must be a positive id")
	}
	return id, nil
}

// pathID reads a numeric id from the path; anything else names nothing.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id < 1 {
		return 0, ErrNotFound
	}
	return id, nil
}
