package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/providerportal/portal/internal/twostep"
)

// catalog maps a text's key to its words in one language; %s and %d take values.
type catalog map[string]string

var catalogs = map[string]catalog{"en": catalogEN, "es": catalogES}

// languages lists the page languages, the first being the default.
var languages = []string{"en", "es"}

var matcher = language.NewMatcher([]language.Tag{language.English, language.Spanish})

const langCookie = "portal_lang"

// pickLanguage chooses the page language: the switch's cookie, else the
// browser's Accept-Language, else English.
func pickLanguage(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil {
		if _, ok := catalogs[c.Value]; ok {
			return c.Value
		}
	}
	tags, _, _ := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	_, i, conf := matcher.Match(tags...)
	if conf == language.No {
		return languages[0]
	}
	return languages[i]
}

// pageLanguage serves the language switch: it remembers the choice and goes back.
func (s *Server) pageLanguage(w http.ResponseWriter, r *http.Request) {
	lang := r.URL.Query().Get("to")
	if _, ok := catalogs[lang]; !ok {
		lang = languages[0]
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true, Secure: s.opts.Secure, SameSite: http.SameSiteLaxMode})
	next := localPath(r.URL.Query().Get("next"))
	if next == "" {
		next = "/"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// T returns the text of key in the page's language, filled with args. Keys the
// pages do not have come from the domain's catalogue of messages (B25), so
// pages, emails and text messages use the same words.
func (p pageData) T(key string, args ...any) string {
	text, ok := catalogs[p.Lang][key]
	if !ok {
		if t, found := twostep.Text(p.Lang, key, args...); found {
			return t
		}
		text = catalogEN[key]
	}
	if len(args) == 0 {
		return text
	}
	return fmt.Sprintf(text, args...)
}

// N picks the singular (key.one) or plural (key.many) text for n.
func (p pageData) N(key string, n int) string {
	if n == 1 {
		return p.T(key+".one", n)
	}
	return p.T(key+".many", n)
}

// Dur says a duration in words in the page's language.
func (p pageData) Dur(d time.Duration) string { return twostep.Duration(p.Lang, d) }

// Method names a method type.
func (p pageData) Method(t twostep.MethodType) string { return p.T("method." + string(t)) }

// Role names a role.
func (p pageData) Role(r twostep.Role) string { return p.T("role." + string(r)) }

// When formats a time in the viewer's time zone (their center's, B-issue 13).
func (p pageData) When(t time.Time) string {
	loc := p.loc
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format(p.T("time.format"))
}

// Clock is the time of day of t in the viewer's time zone ("17:16").
func (p pageData) Clock(t time.Time) string {
	loc := p.loc
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("15:04")
}

// Browser summarises a user agent.
func (p pageData) Browser(ua string) string {
	b, os := twostep.BrowserParts(ua)
	if b == "" {
		b = p.T("unknown.browser")
	}
	if os == "" {
		return b
	}
	return p.T("browser.on", b, os)
}

// Languages lists the other languages for the switch, with links back here.
func (p pageData) Languages() []langLink {
	var out []langLink
	for _, l := range languages {
		if l != p.Lang {
			out = append(out, langLink{Code: l, Name: catalogs[l]["lang.name"], Href: "/lang?to=" + l + "&next=" + url.QueryEscape(p.here)})
		}
	}
	return out
}

type langLink struct{ Code, Name, Href string }

// localError puts a domain error into the page's language: English keeps the
// domain's own words; another language uses its catalogue's text for the code.
func localError(lang string, de *twostep.Error) *twostep.Error {
	counted := de.Code == twostep.EInvalidCode || de.Code == twostep.EInvalidPasskey
	// One counter on the pages: the tries before signing in pauses when the
	// second step counts them, else (setting up a method) this code's tries.
	tries := de.AttemptsLeft
	if de.TriesBeforeLock != nil {
		tries = de.TriesBeforeLock
	}
	if lang == languages[0] {
		if !counted || tries == nil || *tries == 0 {
			return de
		}
		out := *de
		out.Message += " " + pageData{Lang: lang}.N(triesKey(de), *tries)
		return &out
	}
	p := pageData{Lang: lang}
	text, ok := catalogs[lang]["err."+de.Code+"."+de.Variant]
	if ok && de.Variant != "" {
		text = fmt.Sprintf(text, de.Arg)
	} else if text, ok = catalogs[lang]["err."+de.Code]; !ok {
		return de
	} else if strings.Contains(text, "%s") {
		text = fmt.Sprintf(text, p.Dur(de.RetryAfter))
	}
	out := *de
	out.Message = text
	if counted && tries != nil && *tries > 0 {
		out.Message += " " + p.N(triesKey(de), *tries)
	}
	return &out
}

// triesKey names the sentence for the tries left: before the pause, or with this code.
func triesKey(de *twostep.Error) string {
	if de.TriesBeforeLock != nil {
		return "tries.lock"
	}
	return "tries"
}
