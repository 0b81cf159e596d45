package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/providerportal/portal/internal/config"
	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/twostep"
)

// sweepEvery is how often the sweeper looks for rows past their retention.
const sweepEvery = 5 * time.Minute

// retentionOf derives how long rows are kept from the settings.
func retentionOf(c *config.Config) store.Retention {
	return store.Retention{
		Outbox:          c.OutboxRetention,
		Audit:           c.AuditRetention,
		SessionIdle:     c.SessionIdle,
		SessionAbsolute: c.SessionAbsolute,
		// The longest window a counter counts in: a day for the send caps.
		Counters: max(24*time.Hour, c.LoginWindow),
		// A code row's creation time is also its resend wait's start.
		Expired: max(24*time.Hour, c.ResendSetup, c.ResendLoginPhone, c.ResendLoginEmail),
	}
}

// sweeper deletes rows past their retention (store.Purge) and runs the
// domain's own sweeps (expired self-service links, what apps no longer need)
// now and every sweepEvery until ctx ends, counting the rows in
// portal_purged_rows_total.
type sweeper struct {
	store  *store.Store
	svc    *twostep.Service
	keep   store.Retention
	clock  twostep.Clock
	log    *slog.Logger
	purged *prometheus.CounterVec
}

func newSweeper(st *store.Store, svc *twostep.Service, keep store.Retention, clock twostep.Clock, log *slog.Logger, reg prometheus.Registerer) *sweeper {
	purged := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "portal_purged_rows_total", Help: "Rows deleted past their retention, by kind.",
	}, []string{"kind"})
	if reg != nil {
		reg.MustRegister(purged)
	}
	return &sweeper{store: st, svc: svc, keep: keep, clock: clock, log: log, purged: purged}
}

func (w *sweeper) run(ctx context.Context) {
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		w.once(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (w *sweeper) once(ctx context.Context) {
	done, err := w.store.Purge(ctx, w.clock.Now(), w.keep, store.PurgeOptions{})
	for kind, n := range done {
		w.purged.WithLabelValues(kind).Add(float64(n))
		w.log.Info("rows past their retention deleted", "kind", kind, "count", n)
	}
	if err != nil && ctx.Err() == nil {
		w.log.Error("sweep", "err", err)
	}
	for _, d := range []struct {
		kind  string
		sweep func(context.Context) (int64, error)
	}{
		{"expired links and trusted browsers", w.svc.SweepLinks},
		{"expired app requests, tokens, grants and keys", w.svc.SweepApps},
		{"expired passkey challenges", w.svc.SweepPasskeyChallenges},
	} {
		n, err := d.sweep(ctx)
		if n > 0 {
			w.purged.WithLabelValues(d.kind).Add(float64(n))
			w.log.Info("rows past their retention deleted", "kind", d.kind, "count", n)
		}
		if err != nil && ctx.Err() == nil {
			w.log.Error("sweep", "kind", d.kind, "err", err)
		}
	}
}
