// Package web serves the portal's pages and JSON API over the domain service.
// Handlers parse, call one domain method and render; rules live in twostep.
package web

import (
	"context"
	"html/template"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/providerportal/portal/internal/oidc"
	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/twostep"
)

// Options configure the web server.
type Options struct {
	SiteName       string
	Secure         bool // served over https: __Host- cookie, Secure, HSTS
	TrustedProxies []netip.Prefix
	DevOutbox      bool
	// MetricsElsewhere keeps /metrics off the public handler: it is served by
	// MetricsHandler on its own listener (PORTAL_METRICS_ADDR).
	MetricsElsewhere bool
	// CookieDomain, when set, is the parent domain of the session cookie so
	// that forward-auth apps on sibling hosts see it (PORTAL_COOKIE_DOMAIN).
	CookieDomain string
	// OIDC, when set, makes the portal an OpenID Connect provider for apps.
	OIDC *oidc.Provider
}

// Pinger reports database health for /readyz.
type Pinger interface {
	Ping(ctx context.Context) error
}

// DevOutbox lists what the dev outbox kept.
type DevOutbox interface {
	DevMessages(ctx context.Context, limit int) ([]store.DevMessage, error)
}

// Server is the portal's HTTP side.
type Server struct {
	svc      *twostep.Service
	db       Pinger
	dev      DevOutbox
	opts     Options
	log      *slog.Logger
	pages    map[string]*template.Template
	metrics  *metrics
	gatherer prometheus.Gatherer
	queued   func() // wakes the outbox dispatcher after a message is queued
}

// New returns a Server. reg receives the HTTP metrics; gatherer serves /metrics.
func New(svc *twostep.Service, db Pinger, dev DevOutbox, opts Options, log *slog.Logger, reg prometheus.Registerer, gatherer prometheus.Gatherer, queued func()) *Server {
	if queued == nil {
		queued = func() {}
	}
	return &Server{svc: svc, db: db, dev: dev, opts: opts, log: log, pages: parsePages(), metrics: newMetrics(reg),
		gatherer: gatherer, queued: queued}
}

// MetricsHandler serves the Prometheus metrics.
func (s *Server) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(s.gatherer, promhttp.HandlerOpts{})
}

// cookieName is the session cookie's name: __Host- prefixed over https, or
// __Secure- when it is set for a parent domain (a __Host- cookie cannot be).
func (s *Server) cookieName() string {
	switch {
	case s.opts.Secure && s.opts.CookieDomain != "":
		return "__Secure-portal_session"
	case s.opts.Secure:
		return "__Host-portal_session"
	}
	return "portal_session"
}

func (s *Server) setSessionCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: token, Path: "/", Domain: s.opts.CookieDomain, HttpOnly: true, Secure: s.opts.Secure,
		SameSite: http.SameSiteLaxMode})
}

func (s *Server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: "", Path: "/", Domain: s.opts.CookieDomain, HttpOnly: true, Secure: s.opts.Secure,
		SameSite: http.SameSiteLaxMode, MaxAge: -1, Expires: time.Unix(0, 0)})
}

func (s *Server) sessionToken(r *http.Request) string {
	c, err := r.Cookie(s.cookieName())
	if err != nil {
		return ""
	}
	return c.Value
}
