// Package deliver sends the messages of the durable outbox (B9): a dispatcher
// claims due rows with a lease, hands each to the sender of its channel (SMTP,
// Twilio, a signed webhook or the dev outbox), marks it sent, and retries
// failures with exponential backoff until the message is no longer useful.
package deliver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/providerportal/portal/internal/twostep"
)

// Sender hands a message to a provider. A nil error means the provider accepted it.
type Sender interface {
	Send(ctx context.Context, m twostep.OutboxMessage) error
}

// permanentError marks a failure that retrying cannot fix (a rejected recipient).
type permanentError struct{ err error }

func (p permanentError) Error() string { return p.err.Error() }
func (p permanentError) Unwrap() error { return p.err }

// Permanent wraps err so the dispatcher gives up at once.
func Permanent(err error) error { return permanentError{err} }

// Outbox is what the dispatcher needs of the store.
type Outbox interface {
	// OutboxDue reports, with one read, whether any message is due to be
	// sent, given up or erased at now (an idle poll writes nothing), and
	// whether any message is pending at all.
	OutboxDue(ctx context.Context, now time.Time) (due, pending bool, err error)
	ClaimOutbox(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]twostep.OutboxMessage, error)
	MarkSent(ctx context.Context, id int64, owner string, at time.Time) (bool, error)
	MarkRetry(ctx context.Context, id int64, owner string, next time.Time, reason string) error
	MarkFailed(ctx context.Context, id int64, owner string, at time.Time, reason string) error
	ExpireOutbox(ctx context.Context, now time.Time) (int64, error)
	ReleaseLeases(ctx context.Context, owner string) error
}

// Options tune the dispatcher; zero values take the defaults.
type Options struct {
	Poll time.Duration // how often to look for due messages (default 500 ms)
	// IdlePoll is how often, at most, an outbox with nothing pending is
	// looked at once it has been so for a while (default 30 s): every look
	// costs an idle portal CPU, and Wake (every message this instance
	// queues) brings the pace back to Poll at once. Only a message queued by
	// an instance that then died waits for another instance's slower look.
	IdlePoll    time.Duration
	Lease       time.Duration // how long a claim holds (default 60 s; must exceed SendTimeout)
	SendTimeout time.Duration // per message (default 15 s)
	BackoffBase time.Duration // first retry delay (default 2 s), doubled each attempt
	BackoffMax  time.Duration // longest retry delay (default 5 min)
	Batch       int           // messages claimed at once (default 32)
	Workers     int           // messages sent at once (default 8)
}

func (o *Options) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.Poll, 500*time.Millisecond)
	def(&o.IdlePoll, 30*time.Second)
	o.IdlePoll = max(o.IdlePoll, o.Poll)
	def(&o.Lease, time.Minute)
	def(&o.SendTimeout, 15*time.Second)
	def(&o.BackoffBase, 2*time.Second)
	def(&o.BackoffMax, 5*time.Minute)
	if o.Batch <= 0 {
		o.Batch = 32
	}
	if o.Workers <= 0 {
		o.Workers = 8
	}
}

// Dispatcher delivers outbox messages. Any number of dispatchers, in one process
// or many, may run on one database: leases keep them from sending a message twice.
type Dispatcher struct {
	outbox  Outbox
	senders map[string]Sender // by channel: "email", "sms"
	clock   twostep.Clock
	opts    Options
	owner   string
	log     *slog.Logger
	wake    chan struct{}
	metrics *metrics
}

type metrics struct {
	results *prometheus.CounterVec
}

// NewDispatcher returns a dispatcher; senders maps a channel to its sender.
// reg may be nil.
func NewDispatcher(outbox Outbox, senders map[string]Sender, clock twostep.Clock, opts Options, log *slog.Logger, reg prometheus.Registerer) *Dispatcher {
	opts.defaults()
	b := make([]byte, 8)
	rand.Read(b)
	m := &metrics{results: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "portal_outbox_deliveries_total", Help: "Outbox delivery attempts by channel and result (sent, retry, failed).",
	}, []string{"channel", "result"})}
	if reg != nil {
		reg.MustRegister(m.results)
	}
	return &Dispatcher{outbox: outbox, senders: senders, clock: clock, opts: opts, owner: hex.EncodeToString(b), log: log,
		wake: make(chan struct{}, 1), metrics: m}
}

// Wake asks the dispatcher to look for messages now (after a code is queued).
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// idleStreak is how many polls in a row must find nothing pending before
// the dispatcher slows down: a message queued in a transaction that commits
// a little after its Wake is still found at once.
const idleStreak = 10

// Run delivers until ctx ends, then hands back its leases. It looks every
// Poll while anything is pending, then, after idleStreak polls that found
// nothing, ever less often up to IdlePoll; Wake restores the pace.
func (d *Dispatcher) Run(ctx context.Context) {
	t := time.NewTimer(d.opts.Poll)
	defer t.Stop()
	quiet := 0
	for {
		n, idle := d.poll(ctx)
		for n == d.opts.Batch && ctx.Err() == nil {
			n, idle = d.poll(ctx)
		}
		if idle {
			quiet++
		} else {
			quiet = 0
		}
		wait := d.opts.Poll
		if quiet > idleStreak {
			wait = min(d.opts.Poll<<min(quiet-idleStreak, 16), d.opts.IdlePoll)
		}
		t.Reset(wait)
		select {
		case <-ctx.Done():
			rel, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := d.outbox.ReleaseLeases(rel, d.owner); err != nil {
				d.log.Error("release outbox leases", "err", err)
			}
			cancel()
			return
		case <-t.C:
		case <-d.wake:
			quiet = 0
		}
	}
}

// RunOnce claims one batch and sends it; it returns how many it claimed.
func (d *Dispatcher) RunOnce(ctx context.Context) int {
	n, _ := d.poll(ctx)
	return n
}

// poll is RunOnce, also reporting whether nothing at all was pending.
func (d *Dispatcher) poll(ctx context.Context) (claimed int, idle bool) {
	now := d.clock.Now()
	if due, pending, err := d.outbox.OutboxDue(ctx, now); err == nil && !due {
		return 0, !pending
	}
	if _, err := d.outbox.ExpireOutbox(ctx, now); err != nil && ctx.Err() == nil {
		d.log.Error("expire outbox", "err", err)
	}
	msgs, err := d.outbox.ClaimOutbox(ctx, d.owner, now, d.opts.Lease, d.opts.Batch)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Error("claim outbox", "err", err)
		}
		return 0, false
	}
	sem := make(chan struct{}, d.opts.Workers)
	var wg sync.WaitGroup
	for _, m := range msgs {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			d.deliver(ctx, m)
		})
	}
	wg.Wait()
	return len(msgs), false
}

// deliver sends one claimed message and records the outcome. The outcome is
// written even when ctx is ending, so an accepted message is never sent again.
func (d *Dispatcher) deliver(ctx context.Context, m twostep.OutboxMessage) {
	record := context.WithoutCancel(ctx)
	sender := d.senders[m.Channel]
	var err error
	if sender == nil {
		err = Permanent(fmt.Errorf("no %s sender is configured", m.Channel))
	} else {
		sctx, cancel := context.WithTimeout(ctx, d.opts.SendTimeout)
		err = sender.Send(sctx, m)
		cancel()
	}
	now := d.clock.Now()
	log := d.log.With("message_id", m.ID, "channel", m.Channel, "attempt", m.Attempts+1)
	if err == nil {
		if ok, merr := d.outbox.MarkSent(record, m.ID, d.owner, now); merr != nil || !ok {
			log.Error("message sent but not marked sent", "err", merr, "lease_held", ok)
		}
		d.metrics.results.WithLabelValues(m.Channel, "sent").Inc()
		log.Info("message delivered")
		return
	}
	reason := truncateReason(err.Error())
	next := now.Add(d.backoff(m.Attempts))
	if errors.As(err, new(permanentError)) || !next.Before(m.GiveUpAt) {
		if merr := d.outbox.MarkFailed(record, m.ID, d.owner, now, reason); merr != nil {
			log.Error("mark failed", "err", merr)
		}
		d.metrics.results.WithLabelValues(m.Channel, "failed").Inc()
		log.Warn("message given up", "reason", reason)
		return
	}
	if merr := d.outbox.MarkRetry(record, m.ID, d.owner, next, reason); merr != nil {
		log.Error("mark retry", "err", merr)
	}
	d.metrics.results.WithLabelValues(m.Channel, "retry").Inc()
	log.Warn("message delivery failed; will retry", "reason", reason, "next_attempt", next)
}

// backoff is base·2^attempts, capped, with ±20 % jitter.
func (d *Dispatcher) backoff(attempts int) time.Duration {
	b := float64(d.opts.BackoffBase) * math.Pow(2, float64(min(attempts, 30)))
	b = min(b, float64(d.opts.BackoffMax))
	return time.Duration(b * (0.8 + 0.4*mrand.Float64()))
}

func truncateReason(s string) string {
	if len(s) > 300 {
		return s[:300]
	}
	return s
}
