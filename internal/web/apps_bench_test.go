package web_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/providerportal/portal/internal/store/storetest"
	"github.com/providerportal/portal/internal/twostep"
	"github.com/providerportal/portal/internal/web"
)

// BenchmarkForwardAuth is the forward-auth check through the whole handler
// (middleware, routing, one session read), without the network, with many
// goroutines at once: go test -run '^$' -bench ForwardAuth ./internal/web/
// (PORTAL_TEST_POSTGRES set for PostgreSQL too).
func BenchmarkForwardAuth(b *testing.B) {
	for _, kind := range storetest.Kinds() {
		b.Run(kind, func(b *testing.B) {
			s := storetest.Open(b, kind)
			ctx := context.Background()
			var keys twostep.Keys
			keys.Encryption[0], keys.Code[0] = 1, 2
			svc := twostep.New(s, twostep.NewHasher(twostep.Argon2Params{MemoryKiB: 64, Passes: 1, Lanes: 1}), keys, twostep.DefaultSettings(), nil, nil)
			staff, err := svc.CreateUser(ctx, twostep.CLIActor, twostep.NewUser{Username: "am", Email: "am@vendor.test", Password: pw, Role: twostep.RoleStaff}, twostep.Client{})
			if err != nil {
				b.Fatal(err)
			}
			ctr, _ := svc.CreateCenter(ctx, staff, "Maple Clinic", twostep.Client{})
			off := false
			if _, _, err := svc.CreateApp(ctx, staff, twostep.NewApp{Name: "Docs", Hosts: []string{"docs.example.org"}, RequireTwoStep: &off}, twostep.Client{}); err != nil {
				b.Fatal(err)
			}
			var tokens []string
			for i := range 64 {
				name := "user" + string(rune('a'+i%26)) + string(rune('a'+i/26))
				if _, err := svc.CreateUser(ctx, staff, twostep.NewUser{CenterID: ctr.ID, Username: name, Email: name + "@example.org", Password: pw, Role: twostep.RoleProvider}, twostep.Client{}); err != nil {
					b.Fatal(err)
				}
				res, err := svc.Login(ctx, name, pw, "", twostep.Client{IP: "192.0.2.1"})
				if err != nil {
					b.Fatal(err)
				}
				tokens = append(tokens, res.Token)
			}
			reg := prometheus.NewRegistry()
			h := web.New(svc, s, s, web.Options{SiteName: "Provider Portal"}, slog.New(slog.DiscardHandler), reg, reg, nil).Handler()
			b.ResetTimer()
			start, cpu0 := time.Now(), cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					i++
					req := httptest.NewRequest("GET", "/api/v1/forward-auth", nil)
					req.Header.Set("Cookie", "portal_session="+tokens[i%len(tokens)])
					req.Header.Set("X-Forwarded-Proto", "https")
					req.Header.Set("X-Forwarded-Host", "docs.example.org")
					req.Header.Set("X-Forwarded-Uri", "/reports")
					w := httptest.NewRecorder()
					h.ServeHTTP(w, req)
					if w.Code != http.StatusOK {
						b.Errorf("check: %d", w.Code)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "checks/s")
			// CPU time per check: on a shared machine wall time says little.
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/check")
		})
	}
}

// cpuTime is this process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
