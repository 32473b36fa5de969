package api

import (
	"bytes"
	"net/http"
	"testing"
	"unicode/utf8"

	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// FuzzDecodeApp feeds app registrations and changes to the decoding and
// validation that run before any store call: they never panic, refuse
// only with the caller's errors (400, 413, 422), and what they accept is
// within bounds.
func FuzzDecodeApp(f *testing.F) {
	for _, seed := range []string{
		`{"name":"Acme","descriptor_url":"https://app.example.com/d.json","shared_secret":"s","client_key":"k","interval":"24h"}`,
		`{"kind":"forge","name":"f"}`,
		`{"name":"x","interval":"-1h"}`,
		`{"name":"x","interval":"9999999999h"}`,
		`{"name":"\u0000"}`,
		`{"name":"x"} trailing`,
		`{"name":"x","name":"y"}`,
		`{"NAME":"x"}`,
		`{"kind":null,"name":["x"]}`,
		`[]`, `null`, `"x"`, `{`, ``, "\xff\xfe",
		`{"user_jwt":` + `"` + string(bytes.Repeat([]byte("j"), 9000)) + `"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := parseCreateApp(bytes.NewReader(data))
		if err != nil {
			requireCallerError(t, err)
		} else if err := checkAppInput(&in); err != nil {
			requireCallerError(t, err)
		} else {
			if in.Kind != platform.Connect && in.Kind != platform.Forge {
				t.Errorf("accepted kind %q", in.Kind)
			}
			if in.Name == "" || !utf8.ValidString(in.Name) || utf8.RuneCountInString(in.Name) > maxName {
				t.Errorf("accepted name %q", in.Name)
			}
			if in.Interval < MinInterval || in.Interval > MaxInterval {
				t.Errorf("accepted interval %v", in.Interval)
			}
			if len(in.SharedSecret) > maxSecret || len(in.UserJWT) > maxSecret || (in.SharedSecret == "") != (in.ClientKey == "") {
				t.Error("accepted credentials out of bounds")
			}
		}
		if _, err := parsePatchApp(bytes.NewReader(data)); err != nil {
			requireCallerError(t, err)
		}
	})
}

// FuzzDecodeTransition does the same for ticket transitions.
func FuzzDecodeTransition(f *testing.F) {
	for _, seed := range []string{
		`{"to":"needs-patch","reason":"fixed"}`,
		`{"to":"needs-patch","reason":"granted","due":"2026-08-01"}`,
		`{"to":"needs-patch","reason":"granted","due":"2026-08-01T10:00:00+02:00"}`,
		`{"to":"x","due":"2026-02-30"}`,
		`{"due":12}`, `{"to":"a"}{"to":"b"}`, `{`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		req, due, err := parseTransition(bytes.NewReader(data))
		if err != nil {
			requireCallerError(t, err)
			return
		}
		if (req.Due == "") != (due == nil) {
			t.Errorf("due %q read as %v", req.Due, due)
		}
	})
}

func requireCallerError(t *testing.T, err error) {
	t.Helper()
	switch Status(err) {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
	default:
		t.Errorf("error %v answers %d", err, Status(err))
	}
}
