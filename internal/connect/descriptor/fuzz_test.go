package descriptor

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// FuzzParse: Parse then Inventory never panic, and every endpoint is usable:
// an absolute URL with a host, a method, a source, a reason when admin-only,
// each (method, URL) once, in order.
func FuzzParse(f *testing.F) {
	// Small seeds: the fuzzer minimizes every new input it finds, which takes
	// long for a descriptor of several kilobytes such as the fixtures.
	f.Add([]byte(`{"key":"k","name":"n","baseUrl":"https://h.example.com/app","lifecycle":{"installed":"/i"},` +
		`"modules":{"webhooks":[{"event":"e","url":"/w?{a}{b}"}],"x":{"url":"//o.example.com/{c.id}"},` +
		`"y":[{"url":"/y","conditions":[{"or":[{"condition":"user_is_admin"}],"invert":true}]}]}}`))
	f.Add([]byte(`{"key":"k","name":"n","baseUrl":"https://h.example.com","modules":{"a/b~c":[{"url":"/{x"}, {"icon":{"url":7}}]}}`))
	f.Add([]byte(`{"key":"k","baseUrl":"http://x"}`))
	f.Add([]byte(`[[[[[[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse(data)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if d.BaseURL == nil || d.BaseURL.Scheme != "https" || d.BaseURL.Host == "" {
			t.Fatalf("accepted baseUrl %v", d.BaseURL)
		}
		endpoints, problems := d.Inventory()
		for i, e := range endpoints {
			u, err := url.Parse(e.URL)
			if err != nil || !u.IsAbs() || u.Host == "" {
				t.Errorf("endpoint URL %q (from %q) is not absolute: %v", e.URL, e.Template, err)
			}
			if e.Method != "GET" && e.Method != "POST" {
				t.Errorf("method %q", e.Method)
			}
			if e.Source == "" {
				t.Errorf("endpoint %s %s has no source", e.Method, e.URL)
			}
			if e.Admin && e.AdminReason == "" {
				t.Errorf("admin endpoint %s %s has no reason", e.Method, e.URL)
			}
			if i > 0 {
				p := endpoints[i-1]
				if p.URL > e.URL || (p.URL == e.URL && p.Method >= e.Method) {
					t.Errorf("%s %s listed before %s %s", p.Method, p.URL, e.Method, e.URL)
				}
			}
		}
		if len(problems) > maxProblems+1 || len(endpoints) > maxURLs {
			t.Errorf("%d endpoints, %d problems: past the bounds", len(endpoints), len(problems))
		}
		again, againProblems := d.Inventory()
		if !reflect.DeepEqual(endpoints, again) || !reflect.DeepEqual(problems, againProblems) {
			t.Error("Inventory is not deterministic")
		}
	})
}

// FuzzExpand: Expand never panics, leaves no brace on success, keeps
// brace-free templates as they are, and gives the same result every time.
func FuzzExpand(f *testing.F) {
	for _, s := range []string{
		"", "/plain", "/browse/{issue.key}", "/x/{a}/y/{b}", "{a}{b}{c}{a}", "/p?{condition.x}&{project.id}&{user.accountId}",
		"{", "}", "{{}}", "/é/{ issue.key }", "{İ.Id}", "{ac.parentIssueKey}{issue.key}{ac.otherIssueKey}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, template string) {
		got, err := Expand(template)
		again, againErr := Expand(template)
		if got != again || (err == nil) != (againErr == nil) {
			t.Fatalf("Expand(%q) gave %q, %v then %q, %v", template, got, err, again, againErr)
		}
		if err != nil {
			return
		}
		if strings.ContainsAny(got, "{}") {
			t.Errorf("Expand(%q) = %q still has a brace", template, got)
		}
		if !strings.ContainsAny(template, "{}") && got != template {
			t.Errorf("Expand(%q) = %q changed a template without placeholders", template, got)
		}
	})
}
