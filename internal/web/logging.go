package web

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/providerportal/portal/internal/twostep"
)

// levelFor is a request log line's level. The forward-auth check runs before
// every request to a protected app: its answers are logged at debug level
// (the proxy logs the requests), its failures as errors.
func levelFor(route string, status int) slog.Level {
	switch {
	case status >= 500:
		return slog.LevelError
	case route == forwardAuthRoute:
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

const forwardAuthRoute = "GET /api/v1/forward-auth"

// attrs are a request's log fields: never a cookie, body, code or password.
func attrs(id string, r *http.Request, route string, status int, start time.Time, c twostep.Client) []slog.Attr {
	return []slog.Attr{
		slog.String("request_id", id),
		slog.String("method", r.Method),
		slog.String("route", route),
		slog.Int("status", status),
		slog.Duration("duration", time.Since(start)),
		slog.String("ip", c.IP),
	}
}
