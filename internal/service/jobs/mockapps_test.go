package jobs

import (
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// mockApps serves many small Connect apps over TLS on loopback: app i's
// descriptor is /app/i/atlassian-connect.json, and its one page,
// /app/i/page, refuses every request (no installation is known).
type mockApps struct {
	srv         *httptest.Server
	pool        *x509.CertPool
	descriptors atomic.Int64
}

func newMockApps(t testing.TB) *mockApps {
	t.Helper()
	m := &mockApps{}
	m.srv = httptest.NewTLSServer(http.HandlerFunc(m.serve))
	t.Cleanup(m.srv.Close)
	m.pool = x509.NewCertPool()
	m.pool.AddCert(m.srv.Certificate())
	return m
}

func (m *mockApps) descriptorURL(i int) string {
	return fmt.Sprintf("%s/app/%d/atlassian-connect.json", m.srv.URL, i)
}

func (m *mockApps) descriptorHits() int { return int(m.descriptors.Load()) }

func (m *mockApps) serve(w http.ResponseWriter, r *http.Request) {
	app, ok := strings.CutSuffix(r.URL.Path, "/atlassian-connect.json")
	if !ok {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	m.descriptors.Add(1)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"key":            "com.example.mock" + strings.ReplaceAll(app, "/", "."),
		"name":           "mock " + app,
		"baseUrl":        m.srv.URL + app,
		"authentication": map[string]any{"type": "jwt"},
		"modules": map[string]any{
			"generalPages": []any{map[string]any{"key": "page", "name": map[string]any{"value": "Page"}, "url": "/page"}},
		},
	})
}
