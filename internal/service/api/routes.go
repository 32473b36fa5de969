package api

import "net/http"

// route is one entry of the API: a method and a ServeMux pattern, how the
// request is admitted, and the handler. The OpenAPI document describes
// exactly these routes (a test holds them to it).
type route struct {
	Method, Pattern string
	Auth            bool // needs an API token; its rate is limited per token
	Limited         bool // public, but its rate is limited per remote address
	Archive         bool // the body is an archive (MaxArchive), not JSON (MaxBody)
	Handle          func(s *server, w http.ResponseWriter, r *http.Request, c Caller) error
}

// routes is the route table, the one list both the ServeMux and the tests
// read.
var routes = []route{
	{Method: "GET", Pattern: "/healthz", Handle: (*server).healthz},
	{Method: "GET", Pattern: "/readyz", Handle: (*server).readyz},
	{Method: "GET", Pattern: "/metrics", Handle: (*server).metrics},
	{Method: "GET", Pattern: "/v1/openapi.json", Limited: true, Handle: (*server).openAPI},

	{Method: "GET", Pattern: "/v1/me", Auth: true, Handle: (*server).me},
	{Method: "GET", Pattern: "/v1/tokens", Auth: true, Handle: (*server).listTokens},
	{Method: "POST", Pattern: "/v1/tokens", Auth: true, Handle: (*server).createToken},
	{Method: "DELETE", Pattern: "/v1/tokens/{id}", Auth: true, Handle: (*server).revokeToken},

	{Method: "GET", Pattern: "/v1/orgs", Auth: true, Handle: (*server).listOrgs},
	{Method: "POST", Pattern: "/v1/orgs", Auth: true, Handle: (*server).createOrg},
	{Method: "GET", Pattern: "/v1/orgs/{org}", Auth: true, Handle: (*server).getOrg},
	{Method: "GET", Pattern: "/v1/orgs/{org}/members", Auth: true, Handle: (*server).listMembers},
	{Method: "PUT", Pattern: "/v1/orgs/{org}/members/{user}", Auth: true, Handle: (*server).setMember},
	{Method: "DELETE", Pattern: "/v1/orgs/{org}/members/{user}", Auth: true, Handle: (*server).removeMember},

	{Method: "GET", Pattern: "/v1/orgs/{org}/apps", Auth: true, Handle: (*server).listApps},
	{Method: "POST", Pattern: "/v1/orgs/{org}/apps", Auth: true, Handle: (*server).createApp},
	{Method: "GET", Pattern: "/v1/orgs/{org}/apps/{app}", Auth: true, Handle: (*server).getApp},
	{Method: "PATCH", Pattern: "/v1/orgs/{org}/apps/{app}", Auth: true, Handle: (*server).updateApp},
	{Method: "DELETE", Pattern: "/v1/orgs/{org}/apps/{app}", Auth: true, Handle: (*server).deleteApp},
	{Method: "PUT", Pattern: "/v1/orgs/{org}/apps/{app}/archive", Auth: true, Archive: true, Handle: (*server).putArchive},
	{Method: "POST", Pattern: "/v1/orgs/{org}/apps/{app}/scans", Auth: true, Handle: (*server).scanNow},
	{Method: "GET", Pattern: "/v1/orgs/{org}/apps/{app}/scans", Auth: true, Handle: (*server).listScans},
	{Method: "GET", Pattern: "/v1/orgs/{org}/scans/{scan}", Auth: true, Handle: (*server).getScan},
	{Method: "DELETE", Pattern: "/v1/orgs/{org}/scans/{scan}", Auth: true, Handle: (*server).cancelScan},

	{Method: "GET", Pattern: "/v1/orgs/{org}/findings", Auth: true, Handle: (*server).listFindings},
	{Method: "GET", Pattern: "/v1/orgs/{org}/tickets", Auth: true, Handle: (*server).listTickets},
	{Method: "GET", Pattern: "/v1/orgs/{org}/tickets/{id}", Auth: true, Handle: (*server).getTicket},
	{Method: "POST", Pattern: "/v1/orgs/{org}/tickets/{id}/transitions", Auth: true, Handle: (*server).transitionTicket},

	{Method: "GET", Pattern: "/v1/orgs/{org}/webhooks", Auth: true, Handle: (*server).listWebhooks},
	{Method: "POST", Pattern: "/v1/orgs/{org}/webhooks", Auth: true, Handle: (*server).createWebhook},
	{Method: "DELETE", Pattern: "/v1/orgs/{org}/webhooks/{id}", Auth: true, Handle: (*server).deleteWebhook},
}
