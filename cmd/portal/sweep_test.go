package main

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/providerportal/portal/internal/config"
	"github.com/providerportal/portal/internal/store/storetest"
	"github.com/providerportal/portal/internal/twostep"
)

func TestRetentionFollowsTheSettings(t *testing.T) {
	cfg, _, err := config.Load("serve", []string{"--session-idle", "20m", "--resend-login-email", "36h"}, func(string) string { return "" }, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := retentionOf(cfg)
	day := 24 * time.Hour
	if r.Outbox != 7*day || r.Audit != 400*day || r.SessionIdle != 20*time.Minute || r.SessionAbsolute != 12*time.Hour ||
		r.Counters != day || r.Expired != 36*time.Hour {
		t.Fatalf("%+v", r)
	}
	cfg.LoginWindow = 48 * time.Hour
	if r := retentionOf(cfg); r.Counters != 48*time.Hour {
		t.Fatalf("a counter is purged before its window ends: %v", r.Counters)
	}
}

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

func TestSweeperCountsWhatItDeletes(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			st := storetest.Open(t, kind)
			now := time.Now()
			for i := range 3 {
				st.AddAudit(ctx, &twostep.AuditEvent{At: now.Add(-time.Duration(401+i) * 24 * time.Hour), Actor: "a", Action: "old", Target: "t"})
			}
			st.AddAudit(ctx, &twostep.AuditEvent{At: now, Actor: "a", Action: "new", Target: "t"})
			cfg, _, _ := config.Load("serve", nil, func(string) string { return "" }, nil)
			reg := prometheus.NewRegistry()
			svc := twostep.New(st, twostep.NewHasher(twostep.Argon2Params{MemoryKiB: 8, Passes: 1, Lanes: 1}), twostep.Keys{}, settingsOf(cfg), fixedClock(now), nil)
			w := newSweeper(st, svc, retentionOf(cfg), fixedClock(now), slog.New(slog.DiscardHandler), reg)
			w.once(ctx)
			mfs, err := reg.Gather()
			if err != nil {
				t.Fatal(err)
			}
			counted := map[string]float64{}
			for _, mf := range mfs {
				for _, m := range mf.GetMetric() {
					counted[mf.GetName()+" "+m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
				}
			}
			if n := counted["portal_purged_rows_total audit events"]; n != 3 || len(counted) != 1 {
				t.Fatalf("counted %v, want 3 deleted audit events", counted)
			}
			if ev, _ := st.ListAudit(ctx, twostep.AuditFilter{Limit: 10}); len(ev) != 1 || ev[0].Action != "new" {
				t.Fatalf("left %+v", ev)
			}
		})
	}
}
