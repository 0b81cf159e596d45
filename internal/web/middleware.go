package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/providerportal/portal/internal/twostep"
)

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyClient
	keyAuth // the request's *twostep.Auth once authenticated, so error pages keep the header
)

// maxBody caps request bodies (64 KiB).
const maxBody = 64 << 10

// statusRecorder remembers the status for logs and metrics.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// withBasics adds the request id, client address, security headers, body cap,
// panic recovery, logging and metrics around h.
func (s *Server) withBasics(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 64 {
			b := make([]byte, 8)
			rand.Read(b)
			id = hex.EncodeToString(b)
		}
		c := twostep.Client{IP: s.clientIP(r), UserAgent: r.UserAgent(), Trusted: s.trustedTokens(r)}
		ctx := context.WithValue(context.WithValue(r.Context(), keyRequestID, id), keyClient, c)
		r = r.WithContext(ctx)
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		}
		rec := &statusRecorder{ResponseWriter: w}
		h2 := rec.Header()
		h2.Set("X-Request-Id", id)
		h2.Set("X-Content-Type-Options", "nosniff")
		h2.Set("X-Frame-Options", "DENY")
		h2.Set("Referrer-Policy", "same-origin")
		h2.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
		h2.Set("Cross-Origin-Opener-Policy", "same-origin")
		h2.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if s.opts.Secure {
			h2.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		defer func() {
			if p := recover(); p != nil {
				s.log.ErrorContext(ctx, "panic", "panic", p, "request_id", id)
				if rec.status == 0 {
					s.fail(rec, r, errInternal)
				}
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			s.metrics.observe(route, r.Method, status, time.Since(start))
			if level := levelFor(route, status); s.log.Enabled(ctx, level) {
				s.log.LogAttrs(ctx, level, "request", attrs(id, r, route, status, start, c)...)
			}
		}()
		h.ServeHTTP(rec, r)
	})
}

// clientIP is the socket's address, or the X-Forwarded-For entry nearest to us
// that is not a trusted proxy when the socket is a trusted proxy (B18).
func (s *Server) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	addr = addr.Unmap()
	if !s.trusted(addr) {
		return addr.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a malformed entry: stop believing what lies beyond it
		}
		hop = hop.Unmap()
		if !s.trusted(hop) {
			return hop.String()
		}
		addr = hop
	}
	return addr.String()
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.opts.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func clientOf(r *http.Request) twostep.Client {
	c, _ := r.Context().Value(keyClient).(twostep.Client)
	return c
}

func requestID(r *http.Request) string {
	id, _ := r.Context().Value(keyRequestID).(string)
	return id
}

// wantsJSON reports whether the caller is the API (or asked for JSON).
func wantsJSON(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/") || strings.Contains(r.Header.Get("Accept"), "application/json")
}
