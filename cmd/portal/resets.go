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

// Pace of the worker: every few seconds while requests come, slowing down to
// resetIdlePoll after resetIdleStreak looks that found none (every look costs
// an idle portal CPU); Wake, for every request this instance queues, looks at
// once and restores the pace. Only a request queued by an instance that then
// died waits for another instance's slower look.
const (
	resetPoll       = 3 * time.Second
	resetIdlePoll   = 30 * time.Second
	resetIdleStreak = 10
)

// Run handles requests when woken and now and then (requests queued by
// another instance) until ctx ends.
func (w *resetWorker) Run(ctx context.Context) {
	t := time.NewTimer(resetPoll)
	defer t.Stop()
	quiet := 0
	for {
		n, err := w.svc.HandleResetRequests(ctx)
		if err != nil && ctx.Err() == nil {
			w.log.Error("reset requests", "err", err)
		} else if n > 0 {
			w.queued()
		}
		if n == 0 && err == nil {
			quiet++
		} else {
			quiet = 0
		}
		wait := resetPoll
		if quiet > resetIdleStreak {
			wait = min(resetPoll<<min(quiet-resetIdleStreak, 8), resetIdlePoll)
		}
		t.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
			quiet = 0
		case <-t.C:
		}
	}
}
