package descriptor

import (
	"regexp"
	"testing"
)

func TestExpand(t *testing.T) {
	for _, tc := range []struct {
		template, want string
	}{
		{"", ""},
		{"/plain/path?a=1", "/plain/path?a=1"},
		{"/browse/{issue.key}", "/browse/ECO-1"},
		{"/p?project={project.key}&space={space.key}", "/p?project=ECO&space=ECO2"},
		{"/p?admin={condition.is_admin}&other={condition.user_is_logged_in}", "/p?admin=true&other=true"},
		{"/p/{ac.foo}", "/p/ecoscan"},
		{"/p/{ issue.key }", "/p/ECO-1"},
		{"/p/{}", "/p/ecoscan"},
		{"/p?k={ac.issueKey}&p={ac.projectKey}", "/p?k=ECO-1&p=ECO"},
		// The same placeholder twice is the same value.
		{"/p/{issue.key}/{issue.key}", "/p/ECO-1/ECO-1"},
		// Two issue keys: two issues.
		{"/p/{issue.key}/{ac.parentIssueKey}", "/p/ECO-1/ECO-2"},
		{"/é/{ac.x}", "/é/ecoscan"},
	} {
		got, err := Expand(tc.template)
		if err != nil || got != tc.want {
			t.Errorf("Expand(%q) = %q, %v; want %q", tc.template, got, err, tc.want)
		}
	}
}

// TestExpandOneValuePerPlaceholder: "{a}...{b}" never collapses into one
// value (a weakness of CSRT): the text between stays and each placeholder
// gets a value of its own.
func TestExpandOneValuePerPlaceholder(t *testing.T) {
	for _, tc := range []struct {
		template string
		pattern  string // the result, with (\w+) for each value
	}{
		{"/x/{a}/y/{b}", `^/x/(\w+)/y/(\w+)$`},
		{"/x?one={ac.one}&two={ac.two}&three={ac.three}", `^/x\?one=(\w+)&two=(\w+)&three=(\w+)$`},
		{"/x/{project.id}/{issue.id}/{content.id}", `^/x/(\d+)/(\d+)/(\d+)$`},
		{"{a}{b}", `^(ecoscan)(ecoscan2)$`},
	} {
		got, err := Expand(tc.template)
		if err != nil {
			t.Fatalf("Expand(%q): %v", tc.template, err)
		}
		m := regexp.MustCompile(tc.pattern).FindStringSubmatch(got)
		if m == nil {
			t.Errorf("Expand(%q) = %q, does not match %s", tc.template, got, tc.pattern)
			continue
		}
		seen := map[string]bool{}
		for _, v := range m[1:] {
			if seen[v] {
				t.Errorf("Expand(%q) = %q: value %q given to two placeholders", tc.template, got, v)
			}
			seen[v] = true
		}
	}
}

func TestExpandValues(t *testing.T) {
	for _, tc := range []struct {
		name, pattern string
	}{
		{"condition.anything", `^true$`},
		{"issue.key", `^ECO-1$`},
		{"project.key", `^ECO$`},
		{"space.key", `^ECO$`},
		{"project.id", `^[1-9]\d{4}$`},
		{"issue.id", `^[1-9]\d{4}$`},
		{"content.id", `^[1-9]\d{4}$`},
		{"ac.pageId", `^[1-9]\d{4}$`},
		{"user.accountId", `^[0-9a-f]{24}$`},
		{"user.key", `^ecoscan$`},
		{"ac.valid", `^ecoscan$`},
		{"timestamp", `^ecoscan$`},
	} {
		got, err := Expand("{" + tc.name + "}")
		if err != nil || !regexp.MustCompile(tc.pattern).MatchString(got) {
			t.Errorf("Expand({%s}) = %q, %v; want %s", tc.name, got, err, tc.pattern)
		}
	}
	a, _ := Expand("{project.id}")
	b, _ := Expand("/other/{project.id}")
	if "/other/"+a != b {
		t.Errorf("{project.id} gives %q alone and %q in another template", a, b)
	}
}

func TestExpandErrors(t *testing.T) {
	for _, tc := range []struct {
		template, want string
	}{
		{"/x/{issue.key", "placeholder opened at position 4 is not closed"},
		{"/x/issue.key}", "'}' at position 13 closes no placeholder"},
		{"/x/{a{b}}", "placeholder opened at position 4 holds a '{' at position 6"},
		{"/é/{a", "placeholder opened at position 4 is not closed"},
		{"{a}}", "'}' at position 4 closes no placeholder"},
		{"{", "placeholder opened at position 1 is not closed"},
	} {
		got, err := Expand(tc.template)
		if err == nil || err.Error() != tc.want {
			t.Errorf("Expand(%q) = %q, %v; want error %q", tc.template, got, err, tc.want)
		}
	}
}
