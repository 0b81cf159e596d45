package web

import (
	"net/http"

	"github.com/providerportal/portal/internal/twostep"
)

// withOwnErrors answers addresses no route serves with the portal's own 404 or
// 405 (a page with the header and a way back, or JSON in the API's error shape)
// instead of the mux's bare text. Redirects the mux makes (a missing trailing
// slash) pass through.
func (s *Server) withOwnErrors(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		probe := &statusProbe{header: http.Header{}}
		h.ServeHTTP(probe, r)
		switch probe.status {
		case http.StatusNotFound:
			s.notFound(w, r)
		case http.StatusMethodNotAllowed:
			w.Header().Set("Allow", probe.header.Get("Allow"))
			s.fail(w, r, twostep.Errorf(twostep.EHTTPMethod, "This address does not take %s requests.", r.Method))
		default:
			for k, v := range probe.header {
				w.Header()[k] = v
			}
			w.WriteHeader(probe.status)
			w.Write(probe.body)
		}
	})
}

// statusProbe records what the mux's own handlers answer.
type statusProbe struct {
	header http.Header
	status int
	body   []byte
}

func (p *statusProbe) Header() http.Header { return p.header }

func (p *statusProbe) WriteHeader(status int) {
	if p.status == 0 {
		p.status = status
	}
}

func (p *statusProbe) Write(b []byte) (int, error) {
	if p.status == 0 {
		p.status = http.StatusOK
	}
	p.body = append(p.body, b...)
	return len(b), nil
}
