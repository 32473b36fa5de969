package descriptor

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParseFixture(t *testing.T) {
	d, err := Parse(readFixture(t, "jira-app.json"))
	if err != nil {
		t.Fatal(err)
	}
	if d.Key != "com.example.eco-timesheets" || d.Name != "Eco Timesheets for Jira" {
		t.Errorf("key, name = %q, %q", d.Key, d.Name)
	}
	if got := d.BaseURL.String(); got != "https://timesheets.example.com/jira" {
		t.Errorf("BaseURL = %q", got)
	}
	if d.AuthType != "jwt" {
		t.Errorf("AuthType = %q, want jwt (from JWT)", d.AuthType)
	}
	if want := []string{"READ", "WRITE", "ACT_AS_USER"}; !reflect.DeepEqual(d.Scopes, want) {
		t.Errorf("Scopes = %q, want %q", d.Scopes, want)
	}
	if want := map[string]bool{"signed-install": true, "context-qsh": true, "gdpr": true}; !reflect.DeepEqual(d.APIMigrations, want) {
		t.Errorf("APIMigrations = %v", d.APIMigrations)
	}
	if d.Lifecycle["installed"] != "/lifecycle/installed" || len(d.Lifecycle) != 4 {
		t.Errorf("Lifecycle = %v", d.Lifecycle)
	}
	if _, ok := d.Modules["configurePage"].(map[string]any); !ok {
		t.Errorf("Modules[configurePage] = %T, want the raw object", d.Modules["configurePage"])
	}
	if n, ok := d.Modules["webItems"].([]any)[0].(map[string]any)["icon"].(map[string]any)["width"].(json.Number); !ok || n != "16" {
		t.Errorf("numbers are not kept as json.Number: %#v", n)
	}
}

func TestParseValid(t *testing.T) {
	for _, tc := range []struct {
		name, json, authType, base string
	}{
		{"auth none", `{"key":"k","name":"n","baseUrl":"https://a.example.com","authentication":{"type":"none"}}`, "none", "https://a.example.com"},
		{"auth NONE", `{"key":"k","name":"n","baseUrl":"https://a.example.com","authentication":{"type":"NONE"}}`, "none", "https://a.example.com"},
		{"auth default", `{"key":"k","name":"n","baseUrl":"https://a.example.com"}`, "jwt", "https://a.example.com"},
		{"auth without type", `{"key":"k","name":"n","baseUrl":"https://a.example.com","authentication":{}}`, "jwt", "https://a.example.com"},
		{"port and path", `{"key":"k","name":"n","baseUrl":"HTTPS://a.example.com:8443/app/","authentication":{"type":"jwt"}}`, "jwt", "https://a.example.com:8443/app/"},
		{"byte order mark", "\ufeff" + `{"key":"k","name":"n","baseUrl":"https://a.example.com"}`, "jwt", "https://a.example.com"},
		{"depth 128", `{"key":"k","name":"n","baseUrl":"https://a.example.com","x":` + strings.Repeat("[", 127) + strings.Repeat("]", 127) + `}`, "jwt", "https://a.example.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Parse([]byte(tc.json))
			if err != nil {
				t.Fatal(err)
			}
			if d.AuthType != tc.authType || d.BaseURL.String() != tc.base {
				t.Errorf("AuthType, BaseURL = %q, %q; want %q, %q", d.AuthType, d.BaseURL, tc.authType, tc.base)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	const ok = `"key":"k","name":"n","baseUrl":"https://a.example.com"`
	for _, tc := range []struct {
		name, json, want string
	}{
		{"empty", "", "descriptor is empty"},
		{"blank", " \n\t", "descriptor is empty"},
		{"trailing comma", "{\n  \"key\": \"k\",\n  \"name\": \"n\",\n}",
			"descriptor is not valid JSON: line 4, column 1: invalid character '}' looking for beginning of object key string"},
		{"missing colon", "{\n  \"key\" \"k\"\n}",
			"descriptor is not valid JSON: line 2, column 9: invalid character '\"' after object key"},
		{"bad literal", `{"key": tru}`,
			"descriptor is not valid JSON: line 1, column 12: invalid character '}' in literal true (expecting 'e')"},
		{"column counts characters", "{\"name\": \"é\" \"x\"}",
			"descriptor is not valid JSON: line 1, column 14: invalid character '\"' after object key:value pair"},
		{"truncated", "{\n  \"key\": \"k\"",
			"descriptor is not valid JSON: line 2, column 13: unexpected end of input"},
		{"truncated string", `{"key": "k`,
			"descriptor is not valid JSON: line 1, column 11: unexpected end of input"},
		{"two values", "{}\n{}",
			"descriptor is not valid JSON: line 2, column 1: invalid character '{' after top-level value"},
		{"trailing garbage", `{} x`,
			"descriptor is not valid JSON: line 1, column 4: invalid character 'x' after top-level value"},
		{"too deep", "{\"a\":\n" + strings.Repeat("[", 200),
			"descriptor is not valid JSON: line 2, column 128: nested more than 128 levels deep"},
		{"array", `[]`, "descriptor must be a JSON object, found array"},
		{"string", `"x"`, "descriptor must be a JSON object, found string"},
		{"null", `null`, "descriptor must be a JSON object, found null"},
		{"all missing", `{}`, "descriptor is invalid: missing or empty: key, baseUrl, name"},
		{"empty and blank", `{"key":"","baseUrl":"https://a.example.com","name":"  "}`, "descriptor is invalid: missing or empty: key, name"},
		{"null key", `{"key":null,"baseUrl":"https://a.example.com","name":"n"}`, "descriptor is invalid: missing or empty: key"},
		{"key not a string", `{"key":7,"baseUrl":"https://a.example.com","name":"n"}`, "descriptor is invalid: key must be a string, found number"},
		{"http baseUrl", `{"key":"k","name":"n","baseUrl":"http://a.example.com"}`, `descriptor is invalid: baseUrl "http://a.example.com" is not an absolute https URL`},
		{"relative baseUrl", `{"key":"k","name":"n","baseUrl":"/app"}`, `descriptor is invalid: baseUrl "/app" is not an absolute https URL`},
		{"opaque baseUrl", `{"key":"k","name":"n","baseUrl":"https:a.example.com"}`, `descriptor is invalid: baseUrl "https:a.example.com" is not an absolute https URL`},
		{"userinfo", `{"key":"k","name":"n","baseUrl":"https://u:p@a.example.com"}`, `descriptor is invalid: baseUrl "https://u:xxxxx@a.example.com" must not contain user information`},
		{"long", `{"key":"k","name":"n","baseUrl":"ftp://` + strings.Repeat("é", 200) + `"}`,
			`descriptor is invalid: baseUrl "ftp://` + strings.Repeat("é", 97) + `…" is not an absolute https URL`},
		{"no host", `{"key":"k","name":"n","baseUrl":"https:///app"}`, `descriptor is invalid: baseUrl "https:///app": no host`},
		{"port", `{"key":"k","name":"n","baseUrl":"https://a.example.com:99999"}`, `descriptor is invalid: baseUrl "https://a.example.com:99999": port 99999 is out of range`},
		{"unicode host", `{"key":"k","name":"n","baseUrl":"https://bücher.example"}`,
			`descriptor is invalid: baseUrl "https://bücher.example": host "bücher.example" is not in ASCII (write an international name in its xn-- form)`},
		{"query", `{"key":"k","name":"n","baseUrl":"https://a.example.com/?x=1"}`, `descriptor is invalid: baseUrl "https://a.example.com/?x=1" must not have a query or fragment`},
		{"not a URL", `{"key":"k","name":"n","baseUrl":"https://a.example.com:port"}`, `descriptor is invalid: baseUrl "https://a.example.com:port" is not a URL: invalid port ":port" after host`},
		{"auth type", `{` + ok + `,"authentication":{"type":"oauth2"}}`, `descriptor is invalid: authentication.type "oauth2" is not jwt or none`},
		{"auth type number", `{` + ok + `,"authentication":{"type":1}}`, `descriptor is invalid: authentication.type must be a string, found number`},
		{"auth not object", `{` + ok + `,"authentication":"jwt"}`, `descriptor is invalid: authentication must be an object, found string`},
		{"every reason", `{"name":"n","baseUrl":"ftp://a","authentication":{"type":"basic"}}`,
			`descriptor is invalid: missing or empty: key; baseUrl "ftp://a" is not an absolute https URL; authentication.type "basic" is not jwt or none`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Parse([]byte(tc.json))
			if err == nil {
				t.Fatalf("Parse succeeded (%+v), want error %q", d, tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("error\n got %s\nwant %s", err, tc.want)
			}
		})
	}
}

func TestParseErrorWrapsSyntaxError(t *testing.T) {
	_, err := Parse([]byte(`{"key": }`))
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("error %v does not wrap *json.SyntaxError", err)
	}
}

// TestParseDeepNesting: a descriptor nested 100,000 levels deep is refused at
// the bound, without recursion.
func TestParseDeepNesting(t *testing.T) {
	for _, open := range []string{"[", `{"a":`} {
		data := []byte(strings.Repeat(open, 100_000))
		_, err := Parse(data)
		if err == nil || !strings.Contains(err.Error(), "nested more than 128 levels deep") {
			t.Errorf("Parse(%q x 100000) = %v, want the depth error", open, err)
		}
	}
}

func TestParseProblems(t *testing.T) {
	d, err := Parse([]byte(`{"key":"k","name":"n","baseUrl":"https://a.example.com",
		"lifecycle":{"installed":7,"upgraded":"/upgraded","enabled":"/enabled"},
		"scopes":["read",3],
		"apiMigrations":{"gdpr":"yes","signed-install":false},
		"modules":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	_, problems := d.Inventory()
	want := []Problem{
		{"/lifecycle/installed", "lifecycle URL is a number, not a string"},
		{"/lifecycle/upgraded", `unknown lifecycle event "upgraded": the product never calls it`},
		{"/scopes/1", "scope is a number, not a string"},
		{"/apiMigrations/gdpr", "apiMigrations flag is a string, not a boolean"},
		{"/modules", "modules is an array, not an object: no module URLs taken"},
	}
	if !reflect.DeepEqual(problems, want) {
		t.Errorf("problems\n got %q\nwant %q", problems, want)
	}
	if want := map[string]string{"enabled": "/enabled"}; !reflect.DeepEqual(d.Lifecycle, want) {
		t.Errorf("Lifecycle = %v, want %v", d.Lifecycle, want)
	}
	if want := []string{"READ"}; !reflect.DeepEqual(d.Scopes, want) {
		t.Errorf("Scopes = %q, want %q", d.Scopes, want)
	}
	if want := map[string]bool{"signed-install": false}; !reflect.DeepEqual(d.APIMigrations, want) {
		t.Errorf("APIMigrations = %v, want %v", d.APIMigrations, want)
	}
}
