package web

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/providerportal/portal/internal/twostep"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// staticHandler serves the embedded styles and scripts: files only, never a
// listing of what is there.
func staticHandler(notFound http.HandlerFunc) http.Handler {
	sub, _ := fs.Sub(staticFiles, "static")
	fsrv := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/")
		if info, err := fs.Stat(sub, name); err != nil || info.IsDir() {
			notFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fsrv.ServeHTTP(w, r)
	})
}

// pageData is what every page template gets.
type pageData struct {
	Lang      string         // "en" or "es"
	here      string         // this page's path, for the language switch
	loc       *time.Location // times are shown in the viewer's center's time zone
	Title     string
	Site      string
	Auth      *twostep.Auth
	Error     *twostep.Error   // the first error, or one not tied to a field
	Errors    []*twostep.Error // every field error, for the summary at the top of a form
	Flash     string
	Form      map[string]string // values to refill (never passwords or codes)
	DevOutbox bool
	// Refresh, when set, is where the page moves on to by itself (meta refresh):
	// only a local path or a registered app address, so it is marked safe (a
	// native app's own scheme would be filtered out otherwise).
	Refresh template.URL
	// PasskeysOffered says whether passkeys work at the public URL (B19).
	PasskeysOffered bool
	D               any
}

type fieldError struct{ ID, Message string }

var funcs = template.FuncMap{
	"fieldErr": func(p pageData, field string) *fieldError {
		for _, e := range p.Errors {
			if e.Field == field {
				return &fieldError{ID: field, Message: e.Message}
			}
		}
		if p.Error != nil && p.Error.Field == field {
			return &fieldError{ID: field, Message: p.Error.Message}
		}
		return nil
	},
	"icon": func(name string) template.HTML { return icons[name] },
	// pathSeg escapes a value for use as one segment of a URL path.
	"pathSeg": url.PathEscape,
	"label": func(m twostep.MethodView) string {
		if m.Type == twostep.MethodPhone {
			return displayPhone(m.Label)
		}
		return m.Label
	},
	"seconds": func(d time.Duration) int { return int((d + time.Second - 1) / time.Second) },
	"wbr":     wbr,
	"codesOf": codesOf,
}

// parsePages parses each page with the layout.
func parsePages() map[string]*template.Template {
	names, _ := fs.Glob(templateFiles, "templates/*.html")
	pages := map[string]*template.Template{}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" || strings.HasPrefix(name, "partials") {
			continue
		}
		pages[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/partials*.html", n))
	}
	return pages
}

// render writes a page; rendering into a buffer first means a template error
// never leaves half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page string, d pageData) {
	if d.Lang == "" {
		d.Lang = pickLanguage(r)
	}
	if d.here == "" {
		d.here = "/"
		if r.Method == http.MethodGet {
			d.here = r.URL.RequestURI()
		}
	}
	d.Site = s.opts.SiteName
	d.DevOutbox = s.opts.DevOutbox
	if d.loc == nil && d.Auth != nil {
		d.loc = s.svc.Location(d.Auth.Center)
	}
	if err := s.svc.RememberLanguage(r.Context(), d.Auth, d.Lang); err != nil { // B25: their messages follow
		s.log.WarnContext(r.Context(), "language not remembered", "err", err, "request_id", requestID(r))
	}
	d.PasskeysOffered, _ = s.svc.PasskeysOffered()
	var buf bytes.Buffer
	if err := s.pages[page].ExecuteTemplate(&buf, "layout", d); err != nil {
		s.log.ErrorContext(r.Context(), "render", "page", page, "err", err, "request_id", requestID(r))
		http.Error(w, "Something went wrong on our side.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	buf.WriteTo(w)
}

// formError renders page again with err tied to its field when err is a user
// error; anything else fails as usual.
func (s *Server) formError(w http.ResponseWriter, r *http.Request, page string, d pageData, err error) {
	de, status := s.asDomainError(r, err)
	if de.Code == twostep.EInternal || de.Code == twostep.EUnauthenticated {
		s.fail(w, r, err)
		return
	}
	s.metrics.errors.WithLabelValues(de.Code).Inc()
	if d.Lang == "" {
		d.Lang = pickLanguage(r)
	}
	d.Error = localError(d.Lang, de)
	for _, e := range twostep.AllErrors(err) {
		if e.Field != "" {
			d.Errors = append(d.Errors, localError(d.Lang, e))
		}
	}
	s.render(w, r, status, page, d)
}

// page starts a page's data: its language, translated title and session.
func (s *Server) page(r *http.Request, a *twostep.Auth, titleKey string, args ...any) pageData {
	d := pageData{Lang: pickLanguage(r), Auth: a}
	d.Title = d.T(titleKey, args...)
	return d
}

// redirectForState sends a session to the page its state calls for: the second
// step, the grace notice, or My Account (which is all a setup_required session sees).
func (s *Server) redirectForState(w http.ResponseWriter, r *http.Request, a *twostep.Auth) {
	to := "/account"
	switch a.Session.State {
	case twostep.StateTwoStep:
		to = "/login/verify"
	case twostep.StateChoosePassword:
		to = "/password-reset/new"
	case twostep.StateSetupSuggested:
		if r.Method == http.MethodPost && r.URL.Path == "/login" {
			to = "/login/notice" // shown once, right after the password
		}
	case twostep.StateSignedIn:
		if r.Method == http.MethodPost {
			to = s.signedInPath(r) // on to an app the sign-in was for, if any
		}
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}
