package web

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ecoscan/ecoscan/internal/service/api"
	"github.com/ecoscan/ecoscan/internal/service/platform"
)

//go:embed templates
var templateFS embed.FS

// parseTemplates parses every page of templates/ into its own set with the
// layout and the shared partials, named by the page's file name without
// .tmpl.
func parseTemplates(funcs template.FuncMap) (map[string]*template.Template, error) {
	base, err := template.New("layout.tmpl").Funcs(funcs).ParseFS(templateFS, "templates/layout.tmpl", "templates/partials.tmpl")
	if err != nil {
		return nil, fmt.Errorf("parse layout: %w", err)
	}
	pages, err := fs.Glob(templateFS, "templates/page_*.tmpl")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, p := range pages {
		t, err := template.Must(base.Clone()).ParseFS(templateFS, p)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", p, err)
		}
		name := strings.TrimSuffix(strings.TrimPrefix(path.Base(p), "page_"), ".tmpl")
		out[name] = t
	}
	// The fragments htmx swaps in are the partials alone.
	out["partials"] = base
	return out, nil
}

// page is what the layout shows around a page's content.
type page struct {
	Title  string
	User   *platform.User // nil on the sign-in page
	CSRF   string         // the session's token, or the sign-in form's
	Org    *orgView       // the organization the page is about, for its navigation
	Nav    string         // the navigation entry to mark current
	Notice string         // a line of good news at the top ("Scan queued.")
	Error  string         // a line of bad news at the top
	Chart  bool           // the page draws the uPlot chart
	Body   any
}

// errorView is the body of the error page.
type errorView struct {
	Message string
}

// render writes the page with status; a template error is logged and
// answered with a plain 500, since the page cannot be shown.
func (s *server) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	t, ok := s.templates[name]
	if !ok {
		s.log.Error("render: no template", "page", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.tmpl", p); err != nil {
		s.log.Error("render page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// renderFragment writes one partial for htmx.
func (s *server) renderFragment(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := s.templates["partials"].ExecuteTemplate(&buf, name, data); err != nil {
		s.log.Error("render fragment", "fragment", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// layoutPage starts the page of a signed-in user.
func layoutPage(c *signedIn, title, nav string) *page {
	return &page{Title: title, User: &c.user, CSRF: c.session.CSRF, Nav: nav}
}

// errorPage answers with a page that says what went wrong; htmx requests
// get the message alone, which app.js shows.
func (s *server) errorPage(w http.ResponseWriter, r *http.Request, c *signedIn, status int, message string) {
	if isHTMX(r) {
		// Put the message before the element the request would have
		// replaced, which stays for another try.
		w.Header().Set("HX-Reswap", "beforebegin")
		s.renderFragment(w, status, "alert", message)
		return
	}
	p := &page{Title: statusTitle(status)}
	if c != nil {
		p = layoutPage(c, statusTitle(status), "")
	}
	p.Body = errorView{Message: message}
	s.render(w, r, status, "error", p)
}

// statusTitle is the heading of the error page of a status.
func statusTitle(status int) string {
	switch status {
	case http.StatusNotFound:
		return "Not found"
	case http.StatusForbidden:
		return "Not allowed"
	case http.StatusConflict:
		return "Conflict"
	case http.StatusBadRequest, http.StatusUnprocessableEntity, http.StatusUnsupportedMediaType:
		return "Not accepted"
	case http.StatusRequestEntityTooLarge:
		return "Too large"
	case http.StatusGone:
		return "Deleted"
	case http.StatusTooManyRequests:
		return "Too many requests"
	}
	if status >= 500 {
		return "Something went wrong"
	}
	return http.StatusText(status)
}

// notFound answers every address the dashboard does not have, and every
// one the user may not see: the two are not told apart.
func (s *server) notFound(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	c, _ := s.session(r)
	s.errorPage(w, r, c, http.StatusNotFound, "There is nothing here, or you do not have access to it.")
}

// serverError logs err and answers 500 without its text.
func (s *server) serverError(w http.ResponseWriter, r *http.Request, c *signedIn, err error) {
	s.log.Error("dashboard request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	s.errorPage(w, r, c, http.StatusInternalServerError, "Something went wrong on our side. Try again in a moment.")
}

// fail answers a failed read or operation: not found as 404, an operation
// the API refuses with its status and message, anything else as 500.
func (s *server) fail(w http.ResponseWriter, r *http.Request, c *signedIn, err error) {
	if errors.Is(err, platform.ErrNotFound) {
		s.errorPage(w, r, c, http.StatusNotFound, "There is nothing here, or you do not have access to it.")
		return
	}
	status := api.Status(err)
	if status >= 500 {
		s.serverError(w, r, c, err)
		return
	}
	if status == http.StatusNotFound {
		s.errorPage(w, r, c, status, "There is nothing here, or you do not have access to it.")
		return
	}
	s.errorPage(w, r, c, status, clean(err.Error()))
}

func (s *server) funcs() template.FuncMap {
	return template.FuncMap{
		"asset":     s.assets.url,
		"integrity": s.assets.integrity,
		"when":      formatTime,
		"date":      formatDate,
		"unix":      func(sec int64) string { return formatTime(time.Unix(sec, 0)) },
		"dueIn":     func(t time.Time) string { return dueIn(t, s.now()) },
		"ago":       func(t any) string { return ago(timeOf(t), s.now()) },
		"expired": func(t *time.Time) bool {
			return t != nil && !s.now().Before(*t)
		},
		"severities":     func() []string { return severityNames },
		"stateLabel":     stateLabel,
		"clean":          clean,
		"intervalSelect": intervalSelect,
		"every":          every,
		"count": func(m map[string]int, key string) int {
			return m[key]
		},
	}
}

// severityNames are the severities, worst first, as the store names them.
var severityNames = []string{"critical", "high", "medium", "low"}

// timeOf reads a time.Time or *time.Time of a template; zero for nil.
func timeOf(t any) time.Time {
	switch v := t.(type) {
	case time.Time:
		return v
	case *time.Time:
		if v != nil {
			return *v
		}
	}
	return time.Time{}
}

// formatTime shows an instant to the minute, in UTC; "" for none.
func formatTime(t any) string {
	v := timeOf(t)
	if v.IsZero() {
		return ""
	}
	return v.UTC().Format("2006-01-02 15:04 UTC")
}

// formatDate shows the UTC day of an instant.
func formatDate(t any) string {
	v := timeOf(t)
	if v.IsZero() {
		return ""
	}
	return v.UTC().Format(time.DateOnly)
}

// dueIn says how far a due date is: "in 3 days", "due today", "5 days
// overdue".
func dueIn(due, now time.Time) string {
	if due.IsZero() {
		return ""
	}
	if due.Before(now) {
		days := int(now.Sub(due).Hours() / 24)
		if days == 0 {
			return "overdue"
		}
		return strconv.Itoa(days) + " day" + pluralS(days) + " overdue"
	}
	days := int(due.Sub(now).Hours() / 24)
	if days == 0 {
		return "due today"
	}
	return "in " + strconv.Itoa(days) + " day" + pluralS(days)
}

// ago says how long ago an instant was, coarsely.
func ago(t, now time.Time) string {
	if t.IsZero() {
		return ""
	}
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		m := int(d.Minutes())
		return strconv.Itoa(m) + " minute" + pluralS(m) + " ago"
	case d < 48*time.Hour:
		h := int(d.Hours())
		return strconv.Itoa(h) + " hour" + pluralS(h) + " ago"
	}
	return strconv.Itoa(int(d.Hours()/24)) + " days ago"
}

// every says how often something recurs: "every hour", "every 6 hours",
// "every day", "every 7 days", or the duration itself when it is not a
// whole number of hours.
func every(d time.Duration) string {
	switch {
	case d <= 0:
		return "never"
	case d%(24*time.Hour) == 0:
		days := int(d / (24 * time.Hour))
		if days == 1 {
			return "every day"
		}
		return "every " + strconv.Itoa(days) + " days"
	case d%time.Hour == 0:
		hours := int(d / time.Hour)
		if hours == 1 {
			return "every hour"
		}
		return "every " + strconv.Itoa(hours) + " hours"
	}
	return "every " + d.String()
}

// stateLabel is a ticket state as people read it.
func stateLabel(s platform.TicketState) string {
	switch s {
	case platform.NeedsPatch:
		return "Needs patch"
	case platform.NeedsSecurityReview:
		return "Needs security review"
	case platform.WaitingForRelease:
		return "Waiting for release"
	case platform.ExtensionRequested:
		return "Extension requested"
	case platform.Patched:
		return "Patched"
	case platform.AcceptedRisk:
		return "Accepted risk"
	case platform.FalsePositive:
		return "False positive"
	}
	return clean(string(s))
}

// clean makes text from a scan (an app's answers, file names, messages)
// safe to read: control characters and the Unicode bidirectional controls,
// which could make text read differently from what it is, are shown as
// \u escapes, and bytes that are not UTF-8 as U+FFFD. Line breaks and tabs
// stay. html/template does the HTML escaping.
func clean(s string) string {
	if strings.IndexFunc(s, needsEscape) < 0 && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if needsEscape(r) {
			fmt.Fprintf(&b, `\u%04x`, r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func needsEscape(r rune) bool {
	if r == '\n' || r == '\t' {
		return false
	}
	if r == unicode.ReplacementChar {
		return false
	}
	if unicode.IsControl(r) {
		return true
	}
	switch {
	case r == 0x061c, r == 0x200e, r == 0x200f, // Arabic letter mark, LRM, RLM
		r >= 0x202a && r <= 0x202e, // LRE RLE PDF LRO RLO
		r >= 0x2066 && r <= 0x2069, // LRI RLI FSI PDI
		r == 0xfeff:                // zero-width no-break space
		return true
	}
	return false
}

// urlQueryEscape escapes a value for a URL query.
func urlQueryEscape(s string) string { return url.QueryEscape(s) }
