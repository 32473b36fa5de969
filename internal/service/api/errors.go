package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// The errors Ops returns, wrapped, so that the API and the dashboard answer
// the same status for the same failure (see Status).
var (
	// ErrUnauthorized: no credentials, or credentials that are wrong,
	// revoked or expired.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrForbidden: the caller's role in the organization is too weak.
	ErrForbidden = errors.New("forbidden")
	// ErrNotFound: absent, or belonging to an organization the caller does
	// not see (the two are never told apart).
	ErrNotFound = errors.New("not found")
	// ErrInvalid: a value in the request is refused; a *FieldError names it.
	ErrInvalid = errors.New("invalid")
	// ErrBadRequest: the request cannot be read at all: malformed JSON, an
	// unknown field, a query parameter of the wrong form.
	ErrBadRequest = errors.New("bad request")
	// ErrConflict: the request contradicts the current state (a name taken,
	// a ticket changed meanwhile, an idempotency key reused for another
	// request).
	ErrConflict = errors.New("conflict")
	// ErrGone: the app was deleted; it can be read but not changed.
	ErrGone = errors.New("gone")
	// ErrTooLarge: the request body exceeds its limit.
	ErrTooLarge = errors.New("too large")
	// ErrUnsupportedMedia: the request body is not of a type the endpoint
	// reads.
	ErrUnsupportedMedia = errors.New("unsupported media type")
)

// FieldError says which field of a request was refused and why. It wraps
// ErrInvalid (a value refused, 422) or ErrBadRequest (a value that cannot be
// read, 400).
type FieldError struct {
	Field   string // the JSON field or query parameter, e.g. "descriptor_url"
	Message string // what is wrong, for a person
	kind    error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// Unwrap returns ErrInvalid or ErrBadRequest.
func (e *FieldError) Unwrap() error { return e.kind }

// invalid refuses the value of a field (422).
func invalid(field, format string, args ...any) error {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...), kind: ErrInvalid}
}

// badParam refuses a query parameter or field that cannot be read (400).
func badParam(field, format string, args ...any) error {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...), kind: ErrBadRequest}
}

// Status is the HTTP status for an error of Ops (or of the store beneath
// it): the one place where failures become answers.
func Status(err error) int {
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, ErrUnauthorized):
		return http.StatusUnauthorized
	case errors.Is(err, ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, ErrNotFound), errors.Is(err, platform.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, ErrBadRequest):
		return http.StatusBadRequest
	case errors.Is(err, ErrInvalid), errors.Is(err, platform.ErrInvalid):
		return http.StatusUnprocessableEntity
	case errors.Is(err, ErrConflict), errors.Is(err, platform.ErrConflict), errors.Is(err, platform.ErrStale):
		return http.StatusConflict
	case errors.Is(err, ErrGone):
		return http.StatusGone
	case errors.Is(err, ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrUnsupportedMedia):
		return http.StatusUnsupportedMediaType
	}
	return http.StatusInternalServerError
}

// errorCode is the machine-readable code of the JSON error answer.
func errorCode(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "bad_request"
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusNotFound:
		return "not_found"
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusConflict:
		return "conflict"
	case http.StatusGone:
		return "gone"
	case http.StatusRequestEntityTooLarge:
		return "too_large"
	case http.StatusUnsupportedMediaType:
		return "unsupported_media_type"
	case http.StatusUnprocessableEntity:
		return "invalid"
	case http.StatusTooManyRequests:
		return "rate_limited"
	case http.StatusServiceUnavailable:
		return "unavailable"
	}
	return "internal"
}

// publicMessage is the message shown for err: the error itself for the
// caller's own mistakes, a fixed text for the rest, whose detail goes to the
// log only (it may name tables, hosts or keys).
func publicMessage(status int, err error) string {
	switch status {
	case http.StatusInternalServerError:
		return "internal error"
	case http.StatusNotFound:
		return "not found"
	case http.StatusUnauthorized:
		return "missing, invalid, revoked or expired API token"
	}
	return err.Error()
}
