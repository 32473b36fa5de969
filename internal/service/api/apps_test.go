package api

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// tenant is an organization with one user of each role.
type tenant struct {
	org                   int64
	admin, member, viewer principal
	apps                  string // the apps collection's path
}

func (e *env) tenant(name string) tenant {
	org := e.org(name)
	return tenant{
		org:    org,
		admin:  e.user("admin@"+name+".test", org, platform.RoleAdmin, false),
		member: e.user("member@"+name+".test", org, platform.RoleMember, false),
		viewer: e.user("viewer@"+name+".test", org, platform.RoleViewer, false),
		apps:   fmt.Sprintf("/v1/orgs/%d/apps", org),
	}
}

// register registers an app and returns it.
func (e *env) register(tn tenant, body map[string]any) appView {
	e.t.Helper()
	var app appView
	e.expect(http.StatusCreated, req{method: "POST", path: tn.apps, token: tn.member.token, json: body}).decode(e.t, &app)
	return app
}

func TestRegisterConnectApp(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant("acme")
	secrets := []string{"s3cr3t-shared-value-1234", "client-key-abcdef", "eyJhbGciOi.user-jwt.sig"}
	var app appView
	a := e.expect(http.StatusCreated, req{method: "POST", path: tn.apps, token: tn.member.token, json: map[string]any{
		"name": "Acme for Jira", "descriptor_url": "https://app.example.com/atlassian-connect.json",
		"shared_secret": secrets[0], "client_key": secrets[1], "user_jwt": secrets[2], "interval": "12h",
	}})
	a.decode(t, &app)
	if app.Kind != platform.Connect || app.Name != "Acme for Jira" || !app.HasSharedSecret || !app.HasUserJWT ||
		app.Interval != "12h0m0s" || app.Org != tn.org || !app.NextScanAt.Equal(e.clock()) {
		t.Errorf("app %+v", app)
	}
	if loc := a.header.Get("Location"); loc != fmt.Sprintf("%s/%d", tn.apps, app.ID) {
		t.Errorf("Location %q", loc)
	}
	// The store holds the secrets sealed, bound to the app's row.
	stored, err := e.st.App(context.Background(), platform.OrgScope(tn.org), app.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range []struct{ col, sealed string }{{"shared_secret", stored.SharedSecret}, {"client_key", stored.ClientKey}, {"user_jwt", stored.UserJWT}} {
		if strings.Contains(c.sealed, secrets[i]) {
			t.Errorf("%s stored in clear text", c.col)
		}
		got, err := e.keys.OpenSecret(c.sealed, platform.SecretAD("app", app.ID, c.col))
		if err != nil || string(got) != secrets[i] {
			t.Errorf("%s does not open to the secret: %v", c.col, err)
		}
	}

	e.expect(http.StatusOK, req{method: "GET", path: fmt.Sprintf("%s/%d", tn.apps, app.ID), token: tn.viewer.token}).decode(t, &app)
	var list page[appView]
	e.expect(http.StatusOK, req{method: "GET", path: tn.apps, token: tn.viewer.token}).decode(t, &list)

	// Change the name and remove the user JWT; give a new shared secret
	// without a client key: refused.
	e.expect(http.StatusOK, req{method: "PATCH", path: fmt.Sprintf("%s/%d", tn.apps, app.ID), token: tn.member.token,
		json: map[string]any{"name": "Renamed", "user_jwt": "", "interval": "48h"}}).decode(t, &app)
	if app.Name != "Renamed" || app.HasUserJWT || !app.HasSharedSecret || app.Interval != "48h0m0s" {
		t.Errorf("after PATCH: %+v", app)
	}
	e.expect(http.StatusUnprocessableEntity, req{method: "PATCH", path: fmt.Sprintf("%s/%d", tn.apps, app.ID), token: tn.member.token,
		json: map[string]any{"client_key": ""}})
	newSecret := "rotated-shared-secret-5678"
	e.expect(http.StatusOK, req{method: "PATCH", path: fmt.Sprintf("%s/%d", tn.apps, app.ID), token: tn.member.token,
		json: map[string]any{"shared_secret": newSecret}})
	stored, _ = e.st.App(context.Background(), platform.OrgScope(tn.org), app.ID)
	if got, err := e.keys.OpenSecret(stored.SharedSecret, platform.SecretAD("app", app.ID, "shared_secret")); err != nil || string(got) != newSecret {
		t.Errorf("rotated secret: %v", err)
	}

	e.noAnswerHolds(append(secrets, newSecret)...)
	if logs := e.logs.String(); strings.Contains(logs, secrets[0]) || strings.Contains(logs, newSecret) {
		t.Error("a secret reached the log")
	}
}

func TestDescriptorURLChecks(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant("acme")
	for _, c := range []struct{ url, why string }{
		{"", "is required"},
		{"http://app.example.com/d.json", "must be https"},
		{"ftp://app.example.com/d.json", "absolute https"},
		{"/atlassian-connect.json", "absolute https"},
		{"https://user:pw@app.example.com/d.json", "credentials"},
		{"https://app.example.com/d.json#x", "fragment"},
		{"https://127.0.0.1:8443/d.json", "loopback"},
		{"https://[::1]/d.json", "loopback"},
		{"https://10.0.0.7/d.json", "private"},
		{"https://intranet.example.com/d.json", "10.1.2.3"},
		{"https://metadata.example.com/latest", "metadata"},
		{"https://169.254.169.254/latest", "metadata"},
		{"https://unknown.example.com/d.json", "does not resolve"},
		{"https://app.example.com:99999/d.json", "port"},
		{"https://" + strings.Repeat("a", 2100) + ".com/", "longer"},
	} {
		a := e.expect(http.StatusUnprocessableEntity, req{method: "POST", path: tn.apps, token: tn.member.token,
			json: map[string]any{"name": "x", "descriptor_url": c.url}})
		code, msg, field := a.errorCode(t)
		if code != "invalid" || field != "descriptor_url" || !strings.Contains(msg, c.why) {
			t.Errorf("%q: %s %s %q, want a message with %q", c.url, code, field, msg, c.why)
		}
	}
	e.register(tn, map[string]any{"name": "ok", "descriptor_url": "https://app.example.com/d.json"})
}

func TestDescriptorOnLoopbackAllowListed(t *testing.T) {
	e := newEnv(t, withAllow("127.0.0.0/8"))
	tn := e.tenant("acme")
	app := e.register(tn, map[string]any{"name": "local", "descriptor_url": "https://127.0.0.1:8443/d.json"})
	if app.DescriptorURL != "https://127.0.0.1:8443/d.json" {
		t.Errorf("descriptor %q", app.DescriptorURL)
	}
	// Plain http is fine for an allow-listed address, not for others.
	e.register(tn, map[string]any{"name": "local http", "descriptor_url": "http://127.0.0.1:8080/d.json"})
	e.expect(http.StatusUnprocessableEntity, req{method: "POST", path: tn.apps, token: tn.member.token,
		json: map[string]any{"name": "x", "descriptor_url": "https://10.0.0.1/d.json"}})
	// The allow-list never lets a metadata address through by a wide prefix.
	e2 := newEnv(t, withAllow("169.254.0.0/16"))
	tn2 := e2.tenant("acme")
	e2.expect(http.StatusUnprocessableEntity, req{method: "POST", path: tn2.apps, token: tn2.member.token,
		json: map[string]any{"name": "x", "descriptor_url": "https://169.254.169.254/d.json"}})
}

func TestRegisterValidation(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant("acme")
	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"descriptor_url": "https://app.example.com/d.json"}, "name"},
		{map[string]any{"name": "x", "kind": "jira", "descriptor_url": "https://app.example.com/d.json"}, "kind"},
		{map[string]any{"name": "x", "descriptor_url": "https://app.example.com/d.json", "interval": "5m"}, "interval"},
		{map[string]any{"name": "x", "descriptor_url": "https://app.example.com/d.json", "interval": "daily"}, "interval"},
		{map[string]any{"name": "x", "descriptor_url": "https://app.example.com/d.json", "shared_secret": "only-half"}, "shared_secret"},
		{map[string]any{"name": "x", "kind": "forge", "descriptor_url": "https://app.example.com/d.json"}, "descriptor_url"},
		{map[string]any{"name": "x", "kind": "forge", "user_jwt": "j"}, "shared_secret"},
		{map[string]any{"name": "bad\x00name", "descriptor_url": "https://app.example.com/d.json"}, "name"},
		{map[string]any{"name": strings.Repeat("n", 201), "descriptor_url": "https://app.example.com/d.json"}, "name"},
	} {
		a := e.expect(http.StatusUnprocessableEntity, req{method: "POST", path: tn.apps, token: tn.member.token, json: c.body})
		if _, msg, field := a.errorCode(t); field != c.field {
			t.Errorf("%v: field %q (%s), want %q", c.body, field, msg, c.field)
		}
	}
	a := e.expect(http.StatusUnprocessableEntity, req{method: "POST", path: tn.apps, token: tn.member.token,
		json:   map[string]any{"name": "x", "descriptor_url": "https://app.example.com/d.json"},
		header: map[string]string{"Idempotency-Key": "has space"}})
	if _, _, field := a.errorCode(t); field != "Idempotency-Key" {
		t.Errorf("idempotency key field %q", field)
	}
}

func TestIdempotentRegistration(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant("acme")
	body := map[string]any{"name": "Acme", "descriptor_url": "https://app.example.com/d.json", "shared_secret": "ss-123456", "client_key": "ck"}
	key := map[string]string{"Idempotency-Key": "create-acme-1"}
	var first, again appView
	e.expect(http.StatusCreated, req{method: "POST", path: tn.apps, token: tn.member.token, json: body, header: key}).decode(t, &first)
	e.expect(http.StatusOK, req{method: "POST", path: tn.apps, token: tn.member.token, json: body, header: key}).decode(t, &again)
	if again.ID != first.ID || !again.HasSharedSecret {
		t.Errorf("retry gave %+v, want app %d", again, first.ID)
	}
	// The same key for another app is a conflict; another key is another app.
	e.expect(http.StatusConflict, req{method: "POST", path: tn.apps, token: tn.member.token,
		json: map[string]any{"name": "Other", "descriptor_url": "https://app.example.com/d.json"}, header: key})
	e.expect(http.StatusCreated, req{method: "POST", path: tn.apps, token: tn.member.token, json: body,
		header: map[string]string{"Idempotency-Key": "create-acme-2"}})
	// Keys are per organization.
	other := e.tenant("other")
	e.expect(http.StatusCreated, req{method: "POST", path: other.apps, token: other.member.token, json: body, header: key})
	var list page[appView]
	e.expect(http.StatusOK, req{method: "GET", path: tn.apps, token: tn.viewer.token}).decode(t, &list)
	if len(list.Items) != 2 {
		t.Errorf("%d apps, want 2", len(list.Items))
	}
}

func TestAppRolesAndDeletion(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant("acme")
	body := map[string]any{"name": "x", "descriptor_url": "https://app.example.com/d.json"}
	e.expect(http.StatusForbidden, req{method: "POST", path: tn.apps, token: tn.viewer.token, json: body})
	app := e.register(tn, body)
	path := fmt.Sprintf("%s/%d", tn.apps, app.ID)
	e.expect(http.StatusForbidden, req{method: "PATCH", path: path, token: tn.viewer.token, json: map[string]any{"name": "y"}})
	e.expect(http.StatusForbidden, req{method: "DELETE", path: path, token: tn.member.token})
	e.expect(http.StatusForbidden, req{method: "POST", path: path + "/scans", token: tn.viewer.token})

	e.expect(http.StatusNoContent, req{method: "DELETE", path: path, token: tn.admin.token})
	e.expect(http.StatusNoContent, req{method: "DELETE", path: path, token: tn.admin.token})
	var got appView
	e.expect(http.StatusOK, req{method: "GET", path: path, token: tn.viewer.token}).decode(t, &got)
	if got.DeletedAt == nil {
		t.Error("a deleted app without deleted_at")
	}
	e.expect(http.StatusGone, req{method: "PATCH", path: path, token: tn.member.token, json: map[string]any{"name": "y"}})
	e.expect(http.StatusGone, req{method: "POST", path: path + "/scans", token: tn.member.token})
	var list page[appView]
	e.expect(http.StatusOK, req{method: "GET", path: tn.apps, token: tn.viewer.token}).decode(t, &list)
	if len(list.Items) != 0 {
		t.Errorf("deleted app listed: %+v", list.Items)
	}
	e.expect(http.StatusOK, req{method: "GET", path: tn.apps + "?deleted=true", token: tn.viewer.token}).decode(t, &list)
	if len(list.Items) != 1 {
		t.Errorf("deleted=true lists %d apps", len(list.Items))
	}
}

func TestListAppsPagesAndFilters(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant("acme")
	ids := map[int64]bool{}
	for i := range 5 {
		ids[e.register(tn, map[string]any{"name": fmt.Sprint("connect ", i), "descriptor_url": "https://app.example.com/d.json"}).ID] = true
	}
	forge := e.register(tn, map[string]any{"name": "forge", "kind": "forge"})
	if !forge.NextScanAt.Equal(e.clock().Add(24 * time.Hour)) {
		t.Errorf("a Forge app is scheduled at %v before it has its source", forge.NextScanAt)
	}

	seen := map[int64]bool{}
	path := tn.apps + "?kind=connect&limit=2"
	pages := 0
	for {
		var pg page[appView]
		e.expect(http.StatusOK, req{method: "GET", path: path, token: tn.viewer.token}).decode(t, &pg)
		pages++
		for _, a := range pg.Items {
			if a.Kind != platform.Connect || seen[a.ID] {
				t.Errorf("page %d: %+v", pages, a)
			}
			seen[a.ID] = true
		}
		if pg.Next == "" {
			break
		}
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
		path = tn.apps + "?kind=connect&limit=2&before=" + pg.Next
	}
	if len(seen) != 5 || pages != 3 {
		t.Errorf("%d apps in %d pages, want 5 in 3", len(seen), pages)
	}
	var pg page[appView]
	e.expect(http.StatusOK, req{method: "GET", path: tn.apps + "?kind=forge", token: tn.viewer.token}).decode(t, &pg)
	if len(pg.Items) != 1 || pg.Items[0].ID != forge.ID || pg.Next != "" {
		t.Errorf("forge apps: %+v", pg)
	}
}

// tarGz builds a tar.gz of entries: a typeflag per name, with content or
// a link target.
type entry struct {
	name, body, link string
	flag             byte
}

func tarGz(t *testing.T, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, en := range entries {
		h := &tar.Header{Name: en.name, Mode: 0o644, Typeflag: en.flag, Linkname: en.link, Size: int64(len(en.body)), Format: tar.FormatPAX}
		if en.flag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			if _, err := tw.Write([]byte(en.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestPutArchive(t *testing.T) {
	e := newEnv(t, withLimits(0, 64<<10))
	tn := e.tenant("acme")
	forge := e.register(tn, map[string]any{"name": "forge", "kind": "forge"})
	connect := e.register(tn, map[string]any{"name": "connect", "descriptor_url": "https://app.example.com/d.json"})
	path := fmt.Sprintf("%s/%d/archive", tn.apps, forge.ID)
	put := func(status int, body []byte, token string) answer {
		return e.expect(status, req{method: "PUT", path: path, token: token, raw: body, contentType: "application/gzip"})
	}

	manifest := entry{name: "manifest.yml", body: "app:\n  id: ari:cloud:ecosystem::app/1\n"}
	good := tarGz(t, manifest, entry{name: "src/index.js", body: "export const run = () => 1;\n"},
		entry{name: "node_modules/.bin/tool", flag: tar.TypeSymlink, link: "../tool/cli.js"})
	var app appView
	put(http.StatusOK, good, tn.member.token).decode(t, &app)
	sum := sha256.Sum256(good)
	if app.ArchiveSHA256 != hex.EncodeToString(sum[:]) || app.ArchiveSize != int64(len(good)) {
		t.Errorf("archive recorded as %s (%d bytes)", app.ArchiveSHA256, app.ArchiveSize)
	}
	stored, err := e.st.Archive(context.Background(), platform.OrgScope(tn.org), forge.ID)
	if err != nil || !bytes.Equal(stored, good) {
		t.Errorf("stored archive differs: %v", err)
	}
	put(http.StatusOK, zipOf(t, map[string]string{"manifest.yml": "app: {}\n"}), tn.member.token)

	for name, c := range map[string]struct {
		body []byte
		why  string
	}{
		"path traversal":          {tarGz(t, manifest, entry{name: "../../etc/cron.d/x", body: "* * * * * root sh"}), "unsafe path"},
		"absolute path":           {tarGz(t, manifest, entry{name: "/etc/passwd", body: "x"}), "unsafe path"},
		"symlink out of the tree": {tarGz(t, manifest, entry{name: "src/passwd", flag: tar.TypeSymlink, link: "../../../etc/passwd"}), "outside the archive"},
		"absolute symlink":        {tarGz(t, manifest, entry{name: "src/key", flag: tar.TypeSymlink, link: "/root/.ssh/id_rsa"}), "outside the archive"},
		"hard link out":           {tarGz(t, manifest, entry{name: "h", flag: tar.TypeLink, link: "../outside"}), "archive"},
		"file beneath a link":     {tarGz(t, manifest, entry{name: "dir", flag: tar.TypeSymlink, link: "/tmp"}, entry{name: "dir/x", body: "x"}), "archive"},
		"device file":             {tarGz(t, manifest, entry{name: "dev", flag: tar.TypeChar}), "special file"},
		"not an archive":          {[]byte("just some text, not an archive at all"), "not a tar"},
		"empty archive":           {tarGz(t, entry{name: "src/", flag: tar.TypeDir}), "no files"},
		"bomb":                    {tarGz(t, entry{name: "big", body: strings.Repeat("0", 1<<20)}), "too large"},
		"truncated":               {good[:len(good)/2], "archive"},
	} {
		a := put(http.StatusUnprocessableEntity, c.body, tn.member.token)
		if _, msg, field := a.errorCode(t); field != "archive" || !strings.Contains(msg, c.why) {
			t.Errorf("%s: %s %q, want a message with %q", name, field, msg, c.why)
		}
	}
	put(http.StatusUnprocessableEntity, nil, tn.member.token)
	put(http.StatusRequestEntityTooLarge, bytes.Repeat([]byte{0x1f}, 65<<10), tn.member.token)
	put(http.StatusForbidden, good, tn.viewer.token)
	e.expect(http.StatusUnprocessableEntity, req{method: "PUT", path: fmt.Sprintf("%s/%d/archive", tn.apps, connect.ID),
		token: tn.member.token, raw: good})

	// Nothing refused was stored: the archive is still the zip.
	e.expect(http.StatusOK, req{method: "GET", path: fmt.Sprintf("%s/%d", tn.apps, forge.ID), token: tn.viewer.token}).decode(t, &app)
	if z := zipOf(t, map[string]string{"manifest.yml": "app: {}\n"}); app.ArchiveSize != int64(len(z)) {
		t.Errorf("archive size %d after refusals, want the zip's %d", app.ArchiveSize, len(z))
	}
}
