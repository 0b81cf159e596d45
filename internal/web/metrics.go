package web

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	logins   *prometheus.CounterVec
	errors   *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "portal_http_requests_total", Help: "HTTP requests by route, method and status."},
			[]string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "portal_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}}, []string{"route"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "portal_signins_total", Help: "Sign-in steps by step and result."},
			[]string{"step", "result"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "portal_errors_total", Help: "Answers with an error, by error code (send_limit_reached counts refused sends)."},
			[]string{"code"}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.latency, m.logins, m.errors)
	}
	return m
}

func (m *metrics) observe(route, method string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route).Observe(d.Seconds())
}

// signIn counts a sign-in step's result: the state reached or the error code.
func (m *metrics) signIn(step, result string) { m.logins.WithLabelValues(step, result).Inc() }
