package tickets

import (
	"encoding/json"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/ecoscan/ecoscan/internal/finding"
	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// ticketPlaces is where a ticket's finding is, for matching a report's
// errors against it: the structured location of the ticket's evidence when
// it reads, else every shape its Location text could have. Guessing wide is
// the safe side: a wrong match only keeps a ticket open one more scan.
func ticketPlaces(t platform.Ticket) []finding.Location {
	if len(t.Detail) > 0 {
		var f struct {
			Location finding.Location `json:"location"`
		}
		if json.Unmarshal(t.Detail, &f) == nil && f.Location.Validate() == nil {
			return []finding.Location{f.Location}
		}
	}
	return parsePlace(t.Location)
}

// parsePlace reads the text finding.Location.String gives back into the
// locations it may have been made from: "METHOD URL", "host:port", or
// "file", "file:line", "file:line:column". A "name:number" text is both a
// host and a file position.
func parsePlace(s string) []finding.Location {
	if method, u, ok := strings.Cut(s, " "); ok && strings.Contains(u, "://") {
		return []finding.Location{finding.Endpoint(method, u)}
	}
	var places []finding.Location
	if host, port, err := net.SplitHostPort(s); err == nil {
		if p, err := strconv.Atoi(port); err == nil && p > 0 && host != "" {
			places = append(places, finding.Host(host, p))
		}
	}
	file := s
	for range 2 {
		i := strings.LastIndexByte(file, ':')
		if i < 0 {
			break
		}
		if _, err := strconv.Atoi(file[i+1:]); err != nil {
			break
		}
		file = file[:i]
	}
	return append(places, finding.Location{File: file})
}

// errorCovers reports whether a report error with this scope may have kept
// the scan from seeing a problem at loc. target is the report's target
// reference (the scanned directory of a source scan), against which
// absolute file scopes are resolved.
//
// An error with no scope covers everything. Otherwise:
//   - an endpoint is covered by an error on the same URL (scheme and host
//     in any case, default ports, query and fragment ignored) and by an
//     error on its host:port;
//   - a host is covered by an error on the same host:port, or on the bare
//     host;
//   - a file is covered by an error on the file, on a position in it
//     ("file:line:col"), on a directory that holds it, or on the whole
//     scanned tree.
func errorCovers(scope string, loc finding.Location, target string) bool {
	if strings.TrimSpace(scope) == "" {
		return true
	}
	switch {
	case loc.URL != "":
		return endpointCovered(scope, loc.URL)
	case loc.Host != "":
		return hostCovered(scope, loc.Host, loc.Port)
	default:
		return fileCovered(scope, loc.File, target)
	}
}

func endpointCovered(scope, raw string) bool {
	loc, ok := endpointKey(raw)
	if !ok {
		// An endpoint ticket whose URL does not parse cannot be told
		// apart from any other: keep it open.
		return true
	}
	if strings.Contains(scope, "://") {
		s, ok := endpointKey(scope)
		return ok && s == loc
	}
	host, port, ok := splitHostPort(scope)
	return ok && strings.EqualFold(host, loc.host) && port == loc.port
}

func hostCovered(scope, host string, port int) bool {
	if h, p, ok := splitHostPort(scope); ok {
		return strings.EqualFold(h, host) && p == port
	}
	return !strings.ContainsAny(scope, "/:") && strings.EqualFold(scope, host)
}

func fileCovered(scope, file, target string) bool {
	if file == "" {
		return true
	}
	if target != "" {
		root := strings.TrimSuffix(target, "/")
		if scope == root || scope == root+"/" {
			return true
		}
		if rest, ok := strings.CutPrefix(scope, root+"/"); ok {
			scope = rest
		}
	}
	if scope == "." || scope == "./" {
		return true
	}
	scope = strings.TrimPrefix(scope, "./")
	file = strings.TrimPrefix(file, "./")
	if scope == file || strings.HasPrefix(scope, file+":") {
		return true
	}
	dir := strings.TrimSuffix(scope, "/")
	return dir != "" && strings.HasPrefix(file, dir+"/")
}

// endpoint is a URL reduced to what names an endpoint.
type endpoint struct {
	scheme, host, path string
	port               int
}

func endpointKey(raw string) (endpoint, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return endpoint{}, false
	}
	scheme := strings.ToLower(u.Scheme)
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		switch scheme {
		case "https":
			port = 443
		case "http":
			port = 80
		}
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	return endpoint{scheme: scheme, host: strings.ToLower(u.Hostname()), port: port, path: path}, true
}

// splitHostPort reads "host:port" with a numeric port.
func splitHostPort(s string) (host string, port int, ok bool) {
	if strings.Contains(s, "/") {
		return "", 0, false
	}
	h, p, err := net.SplitHostPort(s)
	if err != nil || h == "" {
		return "", 0, false
	}
	n, err := strconv.Atoi(p)
	if err != nil || n <= 0 || n > 65535 {
		return "", 0, false
	}
	return h, n, true
}
