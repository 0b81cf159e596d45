package web_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/cookiejar"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/config"
	"github.com/providerportal/portal/internal/deliver"
	"github.com/providerportal/portal/internal/deliver/delivertest"
	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/storetest"
	"github.com/providerportal/portal/internal/twostep"
)

// twoInstances starts A and B: two servers, each with its own connection pool,
// on one PostgreSQL database (B10).
func twoInstances(t *testing.T, o opts) (a, b *portal) {
	dsn := storetest.DSN(t, "postgres")
	open := func() *store.Store {
		s, err := store.Open(context.Background(), "postgres", dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if err := s.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		return s
	}
	a = startPortal(t, open(), o)
	b = instance(t, open(), o, a.clock) // one clock: they are "the same moment"
	b.center, b.staff = a.center, a.staff
	return a, b
}

// on returns a client whose cookies also go to the other instance, as behind a
// load balancer.
func (c *client) on(p *portal) *client {
	jar := c.http.Jar
	u, _ := url.Parse(c.p.srv.URL)
	v, _ := url.Parse(p.srv.URL)
	shared, _ := cookiejar.New(nil)
	shared.SetCookies(v, jar.Cookies(u))
	other := p.client()
	other.http.Jar = shared
	return other
}

func TestTwoInstancesShareEverything(t *testing.T) {
	a, b := twoInstances(t, opts{})
	a.beta(true)
	a.user("jdoe", twostep.RoleProvider)
	ca := a.client()
	ca.login("jdoe")
	ca.do("POST", "/api/v1/account/two-step/on", nil)
	ca.do("POST", "/api/v1/account/methods/email", `{"email":"j@example.net","confirm_email":"j@example.net"}`)

	// A session made on A works on B, and a cooldown started on A holds on B.
	cb := ca.on(b)
	if r := cb.do("GET", "/api/v1/account", nil); r.status != 200 {
		t.Fatalf("session on B: %d", r.status)
	}
	expect(t, cb.do("POST", "/api/v1/account/methods/email/resend", nil), 429, "resend_too_soon")
	code := a.lastCode("j@example.net")
	if r := cb.do("POST", "/api/v1/account/methods/email/verify", `{"code":"`+code+`"}`); r.status != 201 {
		t.Fatalf("verify on B: %s", r.raw)
	}

	// One code verified concurrently through A and B wins once.
	var pending []*client
	for i := range 20 {
		c := a.client()
		if i%2 == 1 {
			c = b.client()
		}
		c.login("jdoe")
		pending = append(pending, c)
	}
	a.clock.Add(6 * time.Minute)
	pending[0].do("POST", "/api/v1/login/send-code", `{"method":"email"}`)
	expect(t, pending[1].do("POST", "/api/v1/login/send-code", `{"method":"email"}`), 429, "resend_too_soon")
	code = a.lastCode("j@example.net")
	var wins atomic.Int32
	var wg sync.WaitGroup
	for _, c := range pending {
		wg.Go(func() {
			if r := c.do("POST", "/api/v1/login/verify", `{"method":"email","code":"`+code+`"}`); r.status == 200 {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d winners across two instances", wins.Load())
	}
}

// 200 codes sent while both instances' dispatchers run reach the provider once
// each; an instance killed mid-dispatch loses nothing (its leases expire).
func TestTwoDispatchersDeliverEachCodeOnce(t *testing.T) {
	a, b := twoInstances(t, opts{set: func(s *twostep.Settings) { s.SendCaps = twostep.SendCaps{} }})
	a.beta(true)
	hook := delivertest.StartWebhook(t)
	cfg, _ := config.ParseSMSURL("webhook+" + hook.URL)
	mk := func(p *portal) *deliver.Dispatcher {
		return deliver.NewDispatcher(p.store, map[string]deliver.Sender{"sms": deliver.NewSMS(cfg, "")}, a.clock,
			deliver.Options{Poll: 5 * time.Millisecond, Batch: 8}, slog.New(slog.DiscardHandler), nil)
	}
	// A message claimed by an instance that then dies.
	a.user("dead", twostep.RoleProvider)
	dc := a.client()
	dc.login("dead")
	dc.do("POST", "/api/v1/account/two-step/on", nil)
	dc.do("POST", "/api/v1/account/methods/phone", `{"phone":"2015559999","confirm_phone":"2015559999"}`)
	if got, _ := a.store.ClaimOutbox(context.Background(), "instance-that-dies", a.clock.Now(), time.Minute, 10); len(got) != 1 {
		t.Fatalf("claim: %d", len(got))
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, d := range []*deliver.Dispatcher{mk(a), mk(b)} {
		wg.Go(func() { d.Run(ctx) })
	}
	// 200 users each add a phone through A or B: 200 codes queued while both run.
	var sends sync.WaitGroup
	for i := range 200 {
		name := fmt.Sprintf("user%03d", i)
		a.user(name, twostep.RoleProvider)
		p := a
		if i%2 == 1 {
			p = b
		}
		sends.Go(func() {
			c := p.client()
			c.login(name)
			c.do("POST", "/api/v1/account/two-step/on", nil)
			num := fmt.Sprintf("201555%04d", i)
			if r := c.do("POST", "/api/v1/account/methods/phone", `{"phone":"`+num+`","confirm_phone":"`+num+`"}`); r.status != 202 {
				t.Errorf("%s: %d %s", name, r.status, r.raw)
			}
		})
	}
	sends.Wait()
	// Only once the live instances have sent theirs does the dead instance's
	// lease run out: moving the clock while a send is in flight would expire
	// that send's lease too (in real time a send never takes the 60 s lease).
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if n, _ := a.store.OutboxCounts(context.Background()); n["sent"] >= 200 {
			break
		}
	}
	a.clock.Add(61 * time.Second)
	hook.WaitFor(201, 30*time.Second)
	cancel()
	wg.Wait()
	seen := hook.Recipients()
	if len(seen) != 201 || len(hook.Messages()) != 201 {
		t.Fatalf("%d messages to %d numbers (want 201 each once)", len(hook.Messages()), len(seen))
	}
}
