package tickets

import (
	"testing"

	"github.com/ecoscan/ecoscan/internal/finding"
	"github.com/ecoscan/ecoscan/internal/service/platform"
)

func TestErrorCovers(t *testing.T) {
	const target = "/tmp/scan-77"
	tests := []struct {
		scope string
		loc   finding.Location
		want  bool
	}{
		// Endpoints.
		{"https://app.example.com/panel", locPanel, true},
		{"https://APP.Example.com:443/panel", locPanel, true},
		{"https://app.example.com/panel?jwt=x#frag", locPanel, true},
		{"https://app.example.com/other", locPanel, false},
		{"https://app.example.com/panel/sub", locPanel, false},
		{"http://app.example.com/panel", locPanel, false},
		{"https://app.example.com:8443/panel", locPanel, false},
		{"app.example.com:443", locPanel, true},
		{"app.example.com:80", locPanel, false},
		{"other.example.com:443", locPanel, false},
		{"https://app.example.com/atlassian-connect.json#modules.generalPages[0]", finding.Endpoint("GET", "https://app.example.com/atlassian-connect.json"), true},
		{"", locPanel, true},
		{"   ", locPanel, true},
		// Hosts.
		{"app.example.com:443", locHost, true},
		{"APP.EXAMPLE.COM:443", locHost, true},
		{"app.example.com", locHost, true},
		{"app.example.com:8443", locHost, false},
		{"https://app.example.com/panel", locHost, false},
		{"[::1]:443", finding.Host("::1", 443), true},
		{"[::1]:443", locHost, false},
		// Source files.
		{"src/index.ts", locSrc, true},
		{"./src/index.ts", locSrc, true},
		{"src/index.ts:40:2", locSrc, true},
		{"src/index.tsx", locSrc, false},
		{"src/index.tsx:1:1", locSrc, false},
		{"src", locSrc, true},
		{"src/", locSrc, true},
		{"sr", locSrc, false},
		{"lib/index.ts", locSrc, false},
		{".", locSrc, true},
		{target, locSrc, true},
		{target + "/", locSrc, true},
		{target + "/src/index.ts", locSrc, true},
		{target + "/lib", locSrc, false},
		{"/elsewhere/src/index.ts", locSrc, false},
		{"manifest.yml:3:4", locSrc, false},
	}
	for _, tc := range tests {
		if got := errorCovers(tc.scope, tc.loc, target); got != tc.want {
			t.Errorf("errorCovers(%q, %s) = %v, want %v", tc.scope, tc.loc, got, tc.want)
		}
	}
}

func TestTicketPlaces(t *testing.T) {
	tests := []struct {
		location string
		want     []finding.Location
	}{
		{"GET https://app.example.com/panel", []finding.Location{locPanel}},
		{"app.example.com:443", []finding.Location{locHost, {File: "app.example.com"}}},
		{"[::1]:8443", []finding.Location{finding.Host("::1", 8443), {File: "[::1]"}}},
		{"src/index.ts:12:5", []finding.Location{{File: "src/index.ts"}}},
		{"src/index.ts:12", []finding.Location{finding.Host("src/index.ts", 12), {File: "src/index.ts"}}},
		{"package-lock.json", []finding.Location{{File: "package-lock.json"}}},
	}
	for _, tc := range tests {
		got := ticketPlaces(platform.Ticket{Location: tc.location})
		if len(got) != len(tc.want) {
			t.Errorf("ticketPlaces(%q) = %v, want %v", tc.location, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("ticketPlaces(%q)[%d] = %+v, want %+v", tc.location, i, got[i], tc.want[i])
			}
		}
	}

	// The evidence, when it reads, wins over the text.
	tk := existingTicket(1, ruleTLS.New(locHost, "TLS 1.0"), platform.NeedsPatch)
	tk.Location = "something else"
	if got := ticketPlaces(tk); len(got) != 1 || got[0] != locHost {
		t.Errorf("ticketPlaces with evidence = %v, want [%v]", got, locHost)
	}
	// Evidence whose location is not one shape falls back to the text.
	tk.Detail = []byte(`{"location":{"url":"https://a.example/x","host":"a.example","port":443}}`)
	tk.Location = "GET https://app.example.com/panel"
	if got := ticketPlaces(tk); len(got) != 1 || got[0] != locPanel {
		t.Errorf("ticketPlaces with invalid evidence = %v, want [%v]", got, locPanel)
	}
}

// FuzzErrorCovers feeds report error scopes and ticket location texts, both
// from outside the service, to the matcher: it must not panic, an empty
// scope must cover everything, and the exact text of a file location must
// cover it.
func FuzzErrorCovers(f *testing.F) {
	seeds := [][2]string{
		{"https://app.example.com/panel", "GET https://app.example.com/panel"},
		{"app.example.com:443", "app.example.com:443"},
		{"src/index.ts:40:2", "src/index.ts:12:5"},
		{"[::1]:99999", "[::1]:443"},
		{"%zz://", "GET %zz://"},
		{"/tmp/scan", "::::"},
		{"", ""},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, scope, location string) {
		for _, place := range ticketPlaces(platform.Ticket{Location: location}) {
			errorCovers(scope, place, "/tmp/scan")
			if !errorCovers("", place, "/tmp/scan") {
				t.Fatalf("an unscoped error does not cover %+v", place)
			}
			if place.File != "" && !errorCovers(place.File, place, "") {
				t.Fatalf("file scope %q does not cover its own file", place.File)
			}
		}
	})
}
