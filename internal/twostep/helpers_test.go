package twostep_test

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/storetest"
	"github.com/providerportal/portal/internal/twostep"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

const pw = "violet kettle marsh tuba"

var client = twostep.Client{IP: "192.0.2.10", UserAgent: "TestBrowser/1.0"}

// env is one test's portal: a service over a real store with a fake clock.
type env struct {
	t      testing.TB
	ctx    context.Context
	store  *store.Store
	svc    *twostep.Service
	clock  *fakeClock
	center *twostep.Center
	staff  *twostep.User
	secret string // an authenticator app's key, for tests that need it later
}

func newEnv(t testing.TB, s *store.Store, mod func(*twostep.Settings)) *env {
	set := twostep.DefaultSettings()
	if mod != nil {
		mod(&set)
	}
	clock := &fakeClock{t: time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)}
	var keys twostep.Keys
	keys.Encryption[0], keys.Code[0] = 1, 2
	svc := twostep.New(s, twostep.NewHasher(twostep.Argon2Params{MemoryKiB: 64, Passes: 1, Lanes: 1}), keys, set, clock, nil)
	e := &env{t: t, ctx: context.Background(), store: s, svc: svc, clock: clock}
	var err error
	e.center, err = svc.CreateCenter(e.ctx, twostep.CLIActor, "Maple Clinic", client)
	if err != nil {
		t.Fatal(err)
	}
	e.staff, err = svc.CreateUser(e.ctx, twostep.CLIActor, twostep.NewUser{Username: "am", Email: "am@vendor.test", Password: pw, Role: twostep.RoleStaff}, client)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func each(t *testing.T, mod func(*twostep.Settings), fn func(t *testing.T, e *env)) {
	storetest.Each(t, func(t *testing.T, s *store.Store) { fn(t, newEnv(t, s, mod)) })
}

func (e *env) setBeta(on bool) {
	e.t.Helper()
	c, err := e.svc.SetTwoStepAvailable(e.ctx, e.staff, e.center.ID, on, client)
	if err != nil {
		e.t.Fatal(err)
	}
	e.center = c
}

func (e *env) updateCenter(fn func(c *twostep.Center)) {
	e.t.Helper()
	c, _ := e.store.CenterByID(e.ctx, e.center.ID)
	fn(c)
	if err := e.store.UpdateCenter(e.ctx, c); err != nil {
		e.t.Fatal(err)
	}
	e.center = c
}

func (e *env) user(name string) *twostep.User {
	e.t.Helper()
	u, err := e.svc.CreateUser(e.ctx, e.staff, twostep.NewUser{CenterID: e.center.ID, Username: name, Email: name + "@example.org", Password: pw, Role: twostep.RoleProvider}, client)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// withTwoStepOn turns the beta on, creates name, signs in and turns 2SV on.
func (e *env) withTwoStepOn(name string) *twostep.Auth {
	e.t.Helper()
	e.setBeta(true)
	e.user(name)
	a := e.auth(e.login(name).Token)
	if err := e.svc.TurnOn(e.ctx, a, client); err != nil {
		e.t.Fatal(err)
	}
	return a
}

func (e *env) login(name string) *twostep.LoginResult {
	e.t.Helper()
	r, err := e.svc.Login(e.ctx, name, pw, "", client)
	if err != nil {
		e.t.Fatalf("login %s: %v", name, err)
	}
	return r
}

func (e *env) auth(token string) *twostep.Auth {
	e.t.Helper()
	a, err := e.svc.Authenticate(e.ctx, token)
	if err != nil {
		e.t.Fatalf("authenticate: %v", err)
	}
	return a
}

// lastCode reads the code from the newest queued message to dest.
func (e *env) lastCode(dest string) string {
	e.t.Helper()
	return storetest.LastCode(e.t, e.store, e.clock.Now(), dest)
}

// noticed reports whether a security notice whose subject contains about was
// queued for addr, and that it carries no 6-digit number.
func (e *env) noticed(addr, about string) bool {
	e.t.Helper()
	msgs, err := e.store.ClaimOutbox(e.ctx, "notices", e.clock.Now(), time.Millisecond, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	e.store.ReleaseLeases(e.ctx, "notices")
	for _, m := range msgs {
		if m.To == addr && strings.Contains(m.Subject, about) {
			if regexp.MustCompile(`\b\d{6}\b`).MatchString(m.Body) {
				e.t.Fatalf("notice %q carries a 6-digit number", m.Subject)
			}
			return true
		}
	}
	return false
}

func code(err error) string { return twostep.ErrorCode(err) }

func expectCode(t *testing.T, err error, want string) {
	t.Helper()
	if got := code(err); got != want {
		t.Fatalf("error %v: code %s, want %s", err, got, want)
	}
}
