package web

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/providerportal/portal/internal/twostep"
)

func levelFor(status int) slog.Level {
	if status >= 500 {
		return slog.LevelError
	}
	return slog.LevelInfo
}

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
