package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/providerportal/portal/internal/twostep"
)

// resetWorker handles the requests for password-reset links in the
// background (B21), so that answering one takes the same time whether or not
// the account exists. Every instance runs one; each request is handled once.
type resetWorker struct {
	svc    *twostep.Service
	log    *slog.Logger
	wake   chan struct{}
	queued func() // wakes the outbox dispatcher once links are queued
}

func newResetWorker(svc *twostep.Service, log *slog.Logger, queued func()) *resetWorker {
	return &resetWorker{svc: svc, log: log, wake: make(chan struct{}, 1), queued: queued}
}

// Wake makes the worker look for requests now (a request was just queued).
func (w *resetWorker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run handles requests when woken and every few seconds (requests queued by
// another instance) until ctx ends.
func (w *resetWorker) Run(ctx context.Context) {
	t := time.NewTicker(3 * time.Second)
	defer t.Stop()
	for {
		if n, err := w.svc.HandleResetRequests(ctx); err != nil && ctx.Err() == nil {
			w.log.Error("reset requests", "err", err)
		} else if n > 0 {
			w.queued()
		}
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		case <-t.C:
		}
	}
}
