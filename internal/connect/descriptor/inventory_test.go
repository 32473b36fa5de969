package descriptor

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestInventoryGolden compares the whole inventory of each fixture with its
// golden file, testdata/NAME.inventory.json (go test -update rewrites them).
func TestInventoryGolden(t *testing.T) {
	for _, name := range []string{"jira-app", "confluence-app"} {
		t.Run(name, func(t *testing.T) {
			d, err := Parse(readFixture(t, name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			endpoints, problems := d.Inventory()
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(struct {
				Endpoints []Endpoint
				Problems  []Problem
			}{endpoints, problems}); err != nil {
				t.Fatal(err)
			}
			got := buf.Bytes()
			golden := "testdata/" + name + ".inventory.json"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("inventory differs from %s (go test -update rewrites it):\n%s", golden, got)
			}
		})
	}
}

// find returns the endpoint with method and URL.
func find(endpoints []Endpoint, method, url string) (Endpoint, bool) {
	for _, e := range endpoints {
		if e.Method == method && e.URL == url {
			return e, true
		}
	}
	return Endpoint{}, false
}

// TestInventoryJiraApp checks the endpoints of the Jira fixture one by one,
// each for the rule it shows.
func TestInventoryJiraApp(t *testing.T) {
	d, err := Parse(readFixture(t, "jira-app.json"))
	if err != nil {
		t.Fatal(err)
	}
	endpoints, problems := d.Inventory()
	if len(problems) != 0 {
		t.Errorf("problems: %q", problems)
	}
	const app = "https://timesheets.example.com/jira"
	for _, want := range []Endpoint{
		{Method: "POST", URL: app + "/lifecycle/installed", Kind: Lifecycle, Lifecycle: "installed", Template: "/lifecycle/installed", Source: "/lifecycle/installed"},
		{Method: "POST", URL: app + "/lifecycle/disabled", Kind: Lifecycle, Lifecycle: "disabled", Template: "/lifecycle/disabled", Source: "/lifecycle/disabled"},
		// Placeholders filled, one value each.
		{Method: "GET", URL: app + "/timesheet?project=ECO&user=" + mustExpand(t, "{user.accountId}"), Kind: Module,
			Template: "/timesheet?project={project.key}&user={user.accountId}", Source: "/modules/generalPages/0/url",
			ModuleType: "generalPages", ModuleKey: "timesheet-page"},
		// An icon is an asset, even of a module.
		{Method: "GET", URL: app + "/images/timesheet.svg", Kind: Asset, Template: "/images/timesheet.svg",
			Source: "/modules/generalPages/0/icon/url", ModuleType: "generalPages", ModuleKey: "timesheet-page"},
		// or(user_is_admin, user_is_sysadmin) is false for a non-admin; cacheable.
		{Method: "GET", URL: app + "/reports", Kind: Module, Template: "/reports", Source: "/modules/generalPages/1/url",
			ModuleType: "generalPages", ModuleKey: "reports-page", Admin: true,
			AdminReason: "condition user_is_admin or user_is_sysadmin", Cacheable: true},
		// An inverted admin condition lets non-admins in.
		{Method: "GET", URL: app + "/help", Kind: Module, Template: "/help", Source: "/modules/generalPages/2/url",
			ModuleType: "generalPages", ModuleKey: "help-page"},
		// adminPages and the single-object configurePage share a URL: merged, admin by both types.
		{Method: "GET", URL: app + "/admin/settings", Kind: Module, Template: "/admin/settings",
			Source: "/modules/adminPages/0/url, /modules/configurePage/url", ModuleType: "adminPages", ModuleKey: "settings",
			Admin: true, AdminReason: "module type adminPages; module type configurePage"},
		{Method: "GET", URL: app + "/welcome", Kind: Module, Template: "/welcome", Source: "/modules/postInstallPage/url",
			ModuleType: "postInstallPage", ModuleKey: "welcome", Cacheable: true},
		// and(user_is_logged_in, user_is_admin) is false for a non-admin.
		{Method: "GET", URL: app + "/panels/issue-time?issueKey=ECO-1&issueId=" + mustExpand(t, "{issue.id}") + "&projectId=" + mustExpand(t, "{project.id}"),
			Kind: Module, Template: "/panels/issue-time?issueKey={issue.key}&issueId={issue.id}&projectId={project.id}",
			Source: "/modules/webPanels/0/url", ModuleType: "webPanels", ModuleKey: "issue-time-panel",
			Admin: true, AdminReason: "condition user_is_admin", Cacheable: true},
		// The legacy {"type": "OR", "conditions": [...]} form.
		{Method: "GET", URL: app + "/panels/audit/ECO/ECO-1", Kind: Module, Template: "/panels/audit/{project.key}/{issue.key}",
			Source: "/modules/webPanels/1/url", ModuleType: "webPanels", ModuleKey: "legacy-admin-panel",
			Admin: true, AdminReason: "condition user_is_sysadmin or has_global_permission ADMINISTER"},
		// The icon of a product-relative web item is still the app's.
		{Method: "GET", URL: app + "/images/link.png", Kind: Asset, Template: "/images/link.png",
			Source: "/modules/webItems/0/icon/url", ModuleType: "webItems", ModuleKey: "browse-issue-link"},
		{Method: "GET", URL: app + "/dialogs/log-time?issueKey=ECO-1", Kind: Module, Template: "/dialogs/log-time?issueKey={issue.key}",
			Source: "/modules/webItems/1/url", ModuleType: "webItems", ModuleKey: "open-timesheet-dialog"},
		// A URL nested in target.options.
		{Method: "GET", URL: app + "/dialogs/log-time/frame", Kind: Module, Template: "/dialogs/log-time/frame",
			Source: "/modules/webItems/1/target/options/url", ModuleType: "webItems", ModuleKey: "open-timesheet-dialog"},
		// {condition.*} is "true"; an explicit invert: false changes nothing.
		{Method: "GET", URL: app + "/glance?issueKey=ECO-1&admin=true", Kind: Module,
			Template: "/glance?issueKey={issue.key}&admin={condition.is_admin}", Source: "/modules/jiraIssueGlances/0/target/url",
			ModuleType: "jiraIssueGlances", ModuleKey: "time-glance", Admin: true, AdminReason: "condition user_is_sysadmin"},
		// An absolute icon on another host.
		{Method: "GET", URL: "https://cdn.example.net/icons/time.png", Kind: Asset, Template: "https://cdn.example.net/icons/time.png",
			Source: "/modules/jiraIssueContents/0/icon/url", ModuleType: "jiraIssueContents", ModuleKey: "time-content", OffHost: true},
		{Method: "GET", URL: app + "/content/ECO-1", Kind: Module, Template: "/content/{issue.key}",
			Source: "/modules/jiraIssueContents/0/target/url", ModuleType: "jiraIssueContents", ModuleKey: "time-content"},
		{Method: "GET", URL: app + "/project-settings?projectKey=ECO", Kind: Module, Template: "/project-settings?projectKey={project.key}",
			Source: "/modules/jiraProjectAdminTabPanels/0/url", ModuleType: "jiraProjectAdminTabPanels", ModuleKey: "project-settings",
			Admin: true, AdminReason: "module type jiraProjectAdminTabPanels"},
		// A key ending in Url.
		{Method: "GET", URL: app + "/images/report-thumb.png", Kind: Asset, Template: "/images/report-thumb.png",
			Source: "/modules/jiraReports/0/thumbnailUrl", ModuleType: "jiraReports", ModuleKey: "time-report"},
		{Method: "GET", URL: app + "/workflow/edit", Kind: Module, Template: "/workflow/edit",
			Source:     "/modules/jiraWorkflowPostFunctions/0/create/url, /modules/jiraWorkflowPostFunctions/0/edit/url",
			ModuleType: "jiraWorkflowPostFunctions", ModuleKey: "log-on-close"},
		// A post function's triggered URL is POSTed by the product.
		{Method: "POST", URL: app + "/workflow/triggered", Kind: Webhook, Template: "/workflow/triggered",
			Source: "/modules/jiraWorkflowPostFunctions/0/triggered/url", ModuleType: "jiraWorkflowPostFunctions", ModuleKey: "log-on-close"},
		{Method: "GET", URL: app + "/macro?spaceKey=ECO&contentId=" + mustExpand(t, "{content.id}") + "&period=ecoscan", Kind: Module,
			Template: "/macro?spaceKey={space.key}&contentId={content.id}&period={macro.period}", Source: "/modules/dynamicContentMacros/0/url",
			ModuleType: "dynamicContentMacros", ModuleKey: "time-macro"},
		{Method: "GET", URL: "https://docs.example.com/time-macro", Kind: Asset, Template: "https://docs.example.com/time-macro",
			Source: "/modules/dynamicContentMacros/0/documentation/url", ModuleType: "dynamicContentMacros", ModuleKey: "time-macro", OffHost: true},
		{Method: "POST", URL: app + "/webhooks/issue-created?issue=ECO-1", Kind: Webhook, Template: "/webhooks/issue-created?issue={issue.key}",
			Source: "/modules/webhooks/0/url", ModuleType: "webhooks", ModuleKey: "jira:issue_created"},
		// Two events on one URL: one endpoint.
		{Method: "POST", URL: app + "/webhooks/issue-updated", Kind: Webhook, Template: "/webhooks/issue-updated",
			Source: "/modules/webhooks/1/url, /modules/webhooks/2/url", ModuleType: "webhooks", ModuleKey: "jira:issue_updated"},
	} {
		got, ok := find(endpoints, want.Method, want.URL)
		if !ok {
			t.Errorf("no endpoint %s %s", want.Method, want.URL)
			continue
		}
		if got != want {
			t.Errorf("%s %s\n got %+v\nwant %+v", want.Method, want.URL, got, want)
		}
	}
	// Product-relative web items are not the app's.
	for _, e := range endpoints {
		if strings.Contains(e.URL, "/browse/") || strings.Contains(e.URL, "/plugins/servlet/") {
			t.Errorf("product-relative URL taken as the app's: %+v", e)
		}
	}
}

func mustExpand(t *testing.T, template string) string {
	t.Helper()
	s, err := Expand(template)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// descriptorWith makes a descriptor with baseUrl base and the given modules JSON.
func descriptorWith(t testing.TB, base, modules string) *Descriptor {
	t.Helper()
	d, err := Parse([]byte(`{"key":"k","name":"n","baseUrl":"` + base + `","modules":` + modules + `}`))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestInventoryResolve(t *testing.T) {
	for _, tc := range []struct {
		base, url, want string
		offHost         bool
	}{
		{"https://h.example.com/app", "/panel", "https://h.example.com/app/panel", false},
		{"https://h.example.com/app/", "/panel", "https://h.example.com/app/panel", false},
		{"https://h.example.com/app", "panel", "https://h.example.com/app/panel", false},
		{"https://h.example.com", "/panel?a=1#frag", "https://h.example.com/panel?a=1", false},
		{"https://h.example.com", "/a b", "https://h.example.com/a%20b", false},
		{"https://h.example.com/app", "https://h.example.com/other", "https://h.example.com/other", false},
		{"https://h.example.com", "https://H.EXAMPLE.COM:443/x", "https://H.EXAMPLE.COM:443/x", false},
		{"https://h.example.com", "https://h.example.com:8443/x", "https://h.example.com:8443/x", true},
		{"https://h.example.com", "http://h.example.com/x", "http://h.example.com/x", true},
		{"https://h.example.com", "https://other.example.com/x", "https://other.example.com/x", true},
		{"https://h.example.com:8443/app", "//cdn.example.com/x", "https://cdn.example.com/x", true},
	} {
		t.Run(tc.base+" "+tc.url, func(t *testing.T) {
			d := descriptorWith(t, tc.base, `{"generalPages":[{"key":"p","url":`+quote(tc.url)+`}]}`)
			endpoints, problems := d.Inventory()
			if len(problems) != 0 || len(endpoints) != 1 {
				t.Fatalf("endpoints %+v, problems %q", endpoints, problems)
			}
			if e := endpoints[0]; e.URL != tc.want || e.OffHost != tc.offHost || e.Template != tc.url {
				t.Errorf("URL, OffHost, Template = %q, %v, %q; want %q, %v, %q", e.URL, e.OffHost, e.Template, tc.want, tc.offHost, tc.url)
			}
		})
	}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestInventoryProblems(t *testing.T) {
	d := descriptorWith(t, "https://h.example.com", `{
		"generalPages": [
			{"key": "a", "url": ""},
			{"key": "b", "url": "javascript:alert(1)"},
			{"key": "c", "url": "/x/{issue.key"},
			{"key": "d", "url": 42},
			{"key": "e", "url": "/bad%zz"},
			{"key": "f", "url": "//"},
			{"key": "g", "url": "https://h.example.com:0/x"},
			{"key": "h", "url": "https://bücher.example/x"},
			"not an entry"
		],
		"webhooks": [{"url": "/hook"}, {"event": "x", "url": null}],
		"dialogs": 7
	}`)
	endpoints, problems := d.Inventory()
	want := []Problem{
		{"/modules/dialogs", "module type dialogs is a number, not an array or object"},
		{"/modules/generalPages/0/url", `URL "": empty URL`},
		{"/modules/generalPages/1/url", `URL "javascript:alert(1)": scheme "javascript" is not http or https`},
		{"/modules/generalPages/2/url", `URL "/x/{issue.key": placeholder opened at position 4 is not closed`},
		{"/modules/generalPages/3/url", "URL is a number, not a string"},
		{"/modules/generalPages/4/url", `URL "/bad%zz": not a URL: invalid URL escape "%zz"`},
		{"/modules/generalPages/5/url", `URL "//": no host`},
		{"/modules/generalPages/6/url", `URL "https://h.example.com:0/x": port 0 is out of range`},
		{"/modules/generalPages/7/url", `URL "https://bücher.example/x": host "bücher.example" is not in ASCII (write an international name in its xn-- form)`},
		{"/modules/generalPages/8", "module entry is a string, not an object"},
		{"/modules/webhooks/0/event", "webhook has no event"},
		{"/modules/webhooks/1/url", "webhook URL is null, not a string"},
	}
	if !reflect.DeepEqual(problems, want) {
		t.Errorf("problems\n got %q\nwant %q", problems, want)
	}
	if len(endpoints) != 1 || endpoints[0].URL != "https://h.example.com/hook" || endpoints[0].Method != "POST" {
		t.Errorf("endpoints = %+v, want only POST /hook", endpoints)
	}
}

// TestInventoryAdminPerEntry: one admin-only entry does not make its whole
// module type admin-only (a weakness of CSRT).
func TestInventoryAdminPerEntry(t *testing.T) {
	d := descriptorWith(t, "https://h.example.com", `{"webPanels": [
		{"key": "admin", "url": "/admin-panel", "conditions": [{"condition": "user_is_admin"}]},
		{"key": "everyone", "url": "/panel"},
		{"key": "maybe", "url": "/maybe", "conditions": [{"or": [{"condition": "user_is_admin"}, {"condition": "user_is_logged_in"}]}]}
	]}`)
	endpoints, _ := d.Inventory()
	want := map[string]bool{"/admin-panel": true, "/panel": false, "/maybe": false}
	for _, e := range endpoints {
		path := strings.TrimPrefix(e.URL, "https://h.example.com")
		if e.Admin != want[path] {
			t.Errorf("%s: Admin = %v, want %v", path, e.Admin, want[path])
		}
		if e.Admin != (e.AdminReason != "") {
			t.Errorf("%s: Admin = %v with reason %q", path, e.Admin, e.AdminReason)
		}
	}
	if len(endpoints) != len(want) {
		t.Errorf("endpoints = %+v", endpoints)
	}
}

// TestInventoryMerge: one URL in several entries is one endpoint, admin-only
// and cacheable only if every occurrence is.
func TestInventoryMerge(t *testing.T) {
	for _, tc := range []struct {
		name, modules     string
		admin, cacheable  bool
		reason, source    string
		kind              Kind
		moduleType, mkKey string
	}{
		{"admin and not", `{"adminPages":[{"key":"a","url":"/p","cacheable":true}],"generalPages":[{"key":"g","url":"/p","cacheable":true}]}`,
			false, true, "", "/modules/adminPages/0/url, /modules/generalPages/0/url", Module, "adminPages", "a"},
		{"admin twice", `{"adminPages":[{"key":"a","url":"/p"},{"key":"b","url":"/p"}],"webPanels":[{"key":"w","url":"/p","conditions":{"condition":"user_is_sysadmin"}}]}`,
			true, false, "module type adminPages; condition user_is_sysadmin", "/modules/adminPages/0/url, /modules/adminPages/1/url, /modules/webPanels/0/url", Module, "adminPages", "a"},
		{"cacheable once", `{"generalPages":[{"key":"a","url":"/p","cacheable":true},{"key":"b","url":"/p"}]}`,
			false, false, "", "/modules/generalPages/0/url, /modules/generalPages/1/url", Module, "generalPages", "a"},
		{"module beats asset", `{"generalPages":[{"key":"a","icon":{"url":"/p"}},{"key":"b","url":"/p"}]}`,
			false, false, "", "/modules/generalPages/0/icon/url, /modules/generalPages/1/url", Module, "generalPages", "b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			endpoints, problems := descriptorWith(t, "https://h.example.com", tc.modules).Inventory()
			if len(endpoints) != 1 || len(problems) != 0 {
				t.Fatalf("endpoints %+v, problems %q", endpoints, problems)
			}
			e := endpoints[0]
			if e.Admin != tc.admin || e.Cacheable != tc.cacheable || e.AdminReason != tc.reason || e.Source != tc.source ||
				e.Kind != tc.kind || e.ModuleType != tc.moduleType || e.ModuleKey != tc.mkKey {
				t.Errorf("got %+v", e)
			}
		})
	}
}

func TestInventoryLifecycleShared(t *testing.T) {
	d, err := Parse([]byte(`{"key":"k","name":"n","baseUrl":"https://h.example.com",
		"lifecycle":{"enabled":"/hook","installed":"/hook"},
		"modules":{"webhooks":[{"event":"e","url":"/hook"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	endpoints, _ := d.Inventory()
	want := []Endpoint{{Method: "POST", Template: "/hook", URL: "https://h.example.com/hook", Kind: Lifecycle, Lifecycle: "installed",
		Source: "/lifecycle/installed, /lifecycle/enabled, /modules/webhooks/0/url"}}
	if !reflect.DeepEqual(endpoints, want) {
		t.Errorf("endpoints\n got %+v\nwant %+v", endpoints, want)
	}
}

func TestInventorySorted(t *testing.T) {
	d, err := Parse(readFixture(t, "jira-app.json"))
	if err != nil {
		t.Fatal(err)
	}
	endpoints, _ := d.Inventory()
	for i := 1; i < len(endpoints); i++ {
		a, b := endpoints[i-1], endpoints[i]
		if a.URL > b.URL || (a.URL == b.URL && a.Method >= b.Method) {
			t.Errorf("not sorted: %s %s before %s %s", a.Method, a.URL, b.Method, b.URL)
		}
	}
	again, _ := d.Inventory()
	if !reflect.DeepEqual(endpoints, again) {
		t.Error("Inventory is not deterministic")
	}
}

// TestInventoryManyURLs: 100,000 URLs stop at the bound with a Problem.
func TestInventoryManyURLs(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"key":"k","name":"n","baseUrl":"https://h.example.com","modules":{"generalPages":[`)
	for i := range 100_000 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"key":"p%d","url":"/p/%d"}`, i, i)
	}
	b.WriteString(`]}}`)
	d, err := Parse([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	endpoints, problems := d.Inventory()
	if len(endpoints) != maxURLs {
		t.Errorf("%d endpoints, want %d", len(endpoints), maxURLs)
	}
	want := []Problem{{Message: "more than 20000 URLs: the rest are left out"}}
	if !reflect.DeepEqual(problems, want) {
		t.Errorf("problems = %q, want %q", problems, want)
	}
}

// TestInventoryManyProblems: problems are bounded too.
func TestInventoryManyProblems(t *testing.T) {
	modules := `{"generalPages":[` + strings.Repeat(`{"url":1},`, 5000) + `{"url":1}]}`
	_, problems := descriptorWith(t, "https://h.example.com", modules).Inventory()
	if len(problems) != maxProblems+1 || problems[maxProblems].Message != "more than 1000 problems: the rest are left out" {
		t.Errorf("%d problems, last %q", len(problems), problems[len(problems)-1])
	}
}

func TestInventoryZeroDescriptor(t *testing.T) {
	endpoints, problems := (&Descriptor{}).Inventory()
	if len(endpoints) != 0 || len(problems) != 1 {
		t.Errorf("Inventory of a zero Descriptor = %+v, %q", endpoints, problems)
	}
}
