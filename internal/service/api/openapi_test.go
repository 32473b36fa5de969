package api

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
)

// TestOpenAPIMatchesRoutes holds the document and the route table to each
// other, both ways: every route is documented (with the right security)
// and every documented operation is a route.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc, _, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	registered := map[string]route{}
	for _, rt := range routes {
		key := rt.Method + " " + rt.Pattern
		if _, dup := registered[key]; dup {
			t.Errorf("route %s twice in the table", key)
		}
		registered[key] = rt
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			key := method + " " + path
			documented[key] = true
			rt, ok := registered[key]
			if !ok {
				t.Errorf("the document describes %s, which is not a route", key)
				continue
			}
			public := op.Security != nil && len(*op.Security) == 0
			if public == rt.Auth {
				t.Errorf("%s: the document says public=%v, the route says auth=%v", key, public, rt.Auth)
			}
			for _, p := range strings.Split(path, "/") {
				if strings.HasPrefix(p, "{") {
					name := strings.Trim(p, "{}")
					if op.Parameters.GetByInAndName("path", name) == nil {
						t.Errorf("%s: path parameter %s is not documented", key, name)
					}
				}
			}
		}
	}
	var missing []string
	for key := range registered {
		if !documented[key] {
			missing = append(missing, key)
		}
	}
	sort.Strings(missing)
	for _, key := range missing {
		t.Errorf("route %s is not in the document", key)
	}
}

// TestOpenAPIServed checks the document served is the one embedded, and
// that it is valid (TestMain loaded and validated it with kin-openapi).
func TestOpenAPIServed(t *testing.T) {
	e := newEnv(t)
	a := e.expect(http.StatusOK, req{method: "GET", path: "/v1/openapi.json"})
	if !bytes.Equal(a.body, openAPIDocument) {
		t.Error("the document served differs from the one embedded")
	}
	if ct := a.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
}

// TestAnswerValidationBites makes sure the validation every test request
// goes through refuses answers the document does not describe.
func TestAnswerValidationBites(t *testing.T) {
	hr := httptest.NewRequest("GET", "/v1/orgs/1/apps/2", nil)
	good := `{"id":2,"org_id":1,"kind":"connect","name":"a","has_shared_secret":false,"has_user_jwt":false,"interval":"24h0m0s",` +
		`"next_scan_at":"2026-01-01T00:00:00Z","created_at":"2026-01-01T00:00:00Z","overdue":0}`
	for name, c := range map[string]struct {
		status int
		body   string
		ok     bool
	}{
		"app":                         {200, good, true},
		"error":                       {404, `{"error":{"code":"not_found","message":"not found"}}`, true},
		"a secret field":              {200, strings.Replace(good, `"name":"a"`, `"name":"a","shared_secret":"s"`, 1), false},
		"a field missing":             {200, strings.Replace(good, `"kind":"connect",`, "", 1), false},
		"an error of the wrong shape": {500, `{"message":"boom"}`, false},
	} {
		a := answer{status: c.status, header: http.Header{"Content-Type": {"application/json"}}, body: []byte(c.body)}
		if err := validateAnswer(hr, a); (err == nil) != c.ok {
			t.Errorf("%s: validation error %v, want ok=%v", name, err, c.ok)
		}
	}
}
