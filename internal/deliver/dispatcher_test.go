package deliver_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/config"
	"github.com/providerportal/portal/internal/deliver"
	"github.com/providerportal/portal/internal/deliver/delivertest"
	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/storetest"
	"github.com/providerportal/portal/internal/twostep"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

var quiet = slog.New(slog.DiscardHandler)

func enqueue(t *testing.T, s *store.Store, now time.Time, channel, to, body string) {
	t.Helper()
	m := &twostep.OutboxMessage{Channel: channel, To: to, Subject: "Provider Portal verification code", Body: body, HTML: "<p>" + body + "</p>",
		CreatedAt: now, GiveUpAt: now.Add(10 * time.Minute), EraseAt: now.Add(10 * time.Minute)}
	if err := s.Enqueue(context.Background(), m); err != nil {
		t.Fatal(err)
	}
}

func smtpSender(t *testing.T, srv *delivertest.SMTPServer) deliver.Sender {
	cfg, err := config.ParseSMTPURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	return deliver.NewSMTP(cfg, "Provider Portal <no-reply@portal.test>")
}

func TestEmailThroughRealSMTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		srv := delivertest.StartSMTP(t, "portal", "s3cret")
		c := &clock{t: time.Now()}
		d := deliver.NewDispatcher(s, map[string]deliver.Sender{"email": smtpSender(t, srv)}, c, deliver.Options{}, quiet, nil)
		enqueue(t, s, c.Now(), "email", "ann@example.org", "Your code is 482913.")
		if n := d.RunOnce(context.Background()); n != 1 {
			t.Fatalf("claimed %d", n)
		}
		m := srv.Last(t, "ann@example.org")
		for _, want := range []string{"Subject: Provider Portal verification code", "text/plain", "text/html", "482913", "From: \"Provider Portal\" <no-reply@portal.test>"} {
			if !strings.Contains(m.Body, want) {
				t.Errorf("message lacks %q:\n%s", want, m.Body)
			}
		}
		counts, _ := s.OutboxCounts(context.Background())
		if counts["sent"] != 1 {
			t.Fatalf("counts %v", counts)
		}
		// Delivered text is erased from the outbox.
		if left, _ := s.ClaimOutbox(context.Background(), "x", c.Now().Add(time.Hour), time.Minute, 10); len(left) != 0 {
			t.Fatal("sent message claimable again")
		}
	})
}

func TestTwilioAndWebhook(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		tw := delivertest.StartTwilio(t, "AC123", "tok")
		cfg, err := config.ParseSMSURL(tw.TwilioURL("AC123", "tok", "+15550001111"))
		if err != nil {
			t.Fatal(err)
		}
		c := &clock{t: time.Now()}
		d := deliver.NewDispatcher(s, map[string]deliver.Sender{"sms": deliver.NewSMS(cfg, "")}, c, deliver.Options{}, quiet, nil)
		enqueue(t, s, c.Now(), "sms", "+12015550123", "Provider Portal verification code: 123456.")
		d.RunOnce(context.Background())
		if m := tw.Last(t, "+12015550123"); m.Code() != "123456" || m.Header.Get("From") != "+15550001111" {
			t.Fatalf("twilio got %+v", m)
		}

		wh := delivertest.StartWebhook(t)
		wcfg, _ := config.ParseSMSURL("webhook+" + wh.URL + "/sms")
		d = deliver.NewDispatcher(s, map[string]deliver.Sender{"sms": deliver.NewSMS(wcfg, "hook-key")}, c, deliver.Options{}, quiet, nil)
		enqueue(t, s, c.Now(), "sms", "+12015550199", "code 654321")
		d.RunOnce(context.Background())
		m := wh.Last(t, "+12015550199")
		mac := hmac.New(sha256.New, []byte("hook-key"))
		mac.Write([]byte(m.Body))
		if m.Header.Get("X-Portal-Signature") != "sha256="+hex.EncodeToString(mac.Sum(nil)) || m.Body != `{"to":"+12015550199","body":"code 654321"}` {
			t.Fatalf("webhook got %q sig %q", m.Body, m.Header.Get("X-Portal-Signature"))
		}
	})
}

// A dead provider loses nothing: the message waits, is retried with backoff and
// goes out once when the provider returns.
func TestOutageThenRecovery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		srv := delivertest.StartSMTP(t, "", "")
		tw := delivertest.StartTwilio(t, "AC1", "tok")
		smsCfg, _ := config.ParseSMSURL(tw.TwilioURL("AC1", "tok", "+15550001111"))
		c := &clock{t: time.Now()}
		d := deliver.NewDispatcher(s, map[string]deliver.Sender{"email": smtpSender(t, srv), "sms": deliver.NewSMS(smsCfg, "")}, c,
			deliver.Options{BackoffBase: time.Second}, quiet, nil)
		srv.SetDown(true)
		tw.SetDown(true)
		enqueue(t, s, c.Now(), "email", "ann@example.org", "code 111111")
		enqueue(t, s, c.Now(), "sms", "+12015550123", "code 222222")
		for range 3 {
			d.RunOnce(ctx)
			c.Add(5 * time.Second)
		}
		if len(srv.Messages())+len(tw.Messages()) != 0 {
			t.Fatal("delivered while down")
		}
		if counts, _ := s.OutboxCounts(ctx); counts["pending"] != 2 {
			t.Fatalf("lost messages while down: %v", counts)
		}
		srv.SetDown(false)
		tw.SetDown(false)
		c.Add(time.Minute)
		d.RunOnce(ctx)
		for range 3 {
			c.Add(time.Minute)
			d.RunOnce(ctx)
		}
		if len(srv.Messages()) != 1 || len(tw.Messages()) != 1 {
			t.Fatalf("after recovery: %d emails, %d sms", len(srv.Messages()), len(tw.Messages()))
		}
	})
}

func TestGivesUpWhenTooLate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		tw := delivertest.StartTwilio(t, "AC1", "tok")
		tw.SetDown(true)
		cfg, _ := config.ParseSMSURL(tw.TwilioURL("AC1", "tok", "+15550001111"))
		c := &clock{t: time.Now()}
		d := deliver.NewDispatcher(s, map[string]deliver.Sender{"sms": deliver.NewSMS(cfg, "")}, c, deliver.Options{BackoffBase: 30 * time.Second}, quiet, nil)
		enqueue(t, s, c.Now(), "sms", "+12015550123", "code 222222")
		for range 20 {
			d.RunOnce(ctx)
			c.Add(time.Minute)
		}
		if counts, _ := s.OutboxCounts(ctx); counts["failed"] != 1 {
			t.Fatalf("counts %v", counts)
		}
		// A provider that refuses the request outright (4xx) is not retried.
		bad, _ := config.ParseSMSURL(tw.TwilioURL("AC1", "wrong-token", "+15550001111"))
		tw.SetDown(false)
		d = deliver.NewDispatcher(s, map[string]deliver.Sender{"sms": deliver.NewSMS(bad, "")}, c, deliver.Options{}, quiet, nil)
		enqueue(t, s, c.Now(), "sms", "+12015550124", "code 333333")
		before := tw.Requests.Load()
		d.RunOnce(ctx)
		c.Add(time.Hour)
		d.RunOnce(ctx)
		if tw.Requests.Load()-before != 1 {
			t.Fatalf("a refused message was retried")
		}
	})
}

// Two dispatchers on one database send each of 200 messages exactly once.
func TestTwoDispatchersExactlyOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		wh := delivertest.StartWebhook(t)
		cfg, _ := config.ParseSMSURL("webhook+" + wh.URL)
		c := &clock{t: time.Now()}
		for i := range 200 {
			enqueue(t, s, c.Now(), "sms", fmt.Sprintf("+1201555%04d", i), fmt.Sprintf("code %06d", i))
		}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for range 2 {
			d := deliver.NewDispatcher(s, map[string]deliver.Sender{"sms": deliver.NewSMS(cfg, "")}, c, deliver.Options{Poll: 5 * time.Millisecond, Batch: 10}, quiet, nil)
			wg.Go(func() { d.Run(ctx) })
		}
		wh.WaitFor(200, 20*time.Second)
		cancel()
		wg.Wait()
		seen := wh.Recipients()
		if len(seen) != 200 || len(wh.Messages()) != 200 {
			t.Fatalf("%d distinct of %d deliveries", len(seen), len(wh.Messages()))
		}
	})
}

// A dispatcher that dies holding a lease delays its messages only until the lease ends.
func TestLeaseExpiryLosesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		wh := delivertest.StartWebhook(t)
		cfg, _ := config.ParseSMSURL("webhook+" + wh.URL)
		c := &clock{t: time.Now()}
		enqueue(t, s, c.Now(), "sms", "+12015550123", "code 123456")
		if got, _ := s.ClaimOutbox(ctx, "dead-instance", c.Now(), time.Minute, 10); len(got) != 1 {
			t.Fatal("claim")
		}
		d := deliver.NewDispatcher(s, map[string]deliver.Sender{"sms": deliver.NewSMS(cfg, "")}, c, deliver.Options{}, quiet, nil)
		if d.RunOnce(ctx) != 0 {
			t.Fatal("took a leased message")
		}
		c.Add(61 * time.Second)
		d.RunOnce(ctx)
		if len(wh.Messages()) != 1 {
			t.Fatalf("%d deliveries", len(wh.Messages()))
		}
	})
}

// countingOutbox counts how often the dispatcher looks at the outbox.
type countingOutbox struct {
	*store.Store
	mu    sync.Mutex
	looks int
}

func (c *countingOutbox) OutboxDue(ctx context.Context, now time.Time) (bool, bool, error) {
	c.mu.Lock()
	c.looks++
	c.mu.Unlock()
	return c.Store.OutboxDue(ctx, now)
}

func (c *countingOutbox) count() int { c.mu.Lock(); defer c.mu.Unlock(); return c.looks }

// An idle dispatcher looks ever less often, up to IdlePoll, yet a message
// queued through the store is sent at once (the store wakes it).
func TestIdleDispatcherSlowsDownButWakes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		wh := delivertest.StartWebhook(t)
		cfg, _ := config.ParseSMSURL("webhook+" + wh.URL)
		ob := &countingOutbox{Store: s}
		d := deliver.NewDispatcher(ob, map[string]deliver.Sender{"sms": deliver.NewSMS(cfg, "")}, twostep.SystemClock{},
			deliver.Options{Poll: 2 * time.Millisecond, IdlePoll: 3 * time.Second}, quiet, nil)
		s.OnQueued(d.Wake)
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Go(func() { d.Run(ctx) })
		defer func() { cancel(); wg.Wait() }()
		time.Sleep(500 * time.Millisecond)
		before := ob.count()
		time.Sleep(time.Second)
		if n := ob.count() - before; n > 3 {
			t.Fatalf("an idle dispatcher looked %d times in a second (every 2 ms at first)", n)
		}
		start := time.Now()
		enqueue(t, s, time.Now(), "sms", "+12015550123", "code 123456")
		wh.WaitFor(1, 2*time.Second)
		if took := time.Since(start); len(wh.Messages()) != 1 || took > time.Second {
			t.Fatalf("%d deliveries after %s", len(wh.Messages()), took)
		}
	})
}
