package store_test

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/storetest"
	"github.com/providerportal/portal/internal/twostep"
)

// TestSignInRoundTrips counts what one full sign-in (password, then the
// authenticator app) sends to PostgreSQL, with the statement caches warm, and
// keeps it from growing back (docs/PERFORMANCE.md has the counts before and
// after the leaner path).
func TestSignInRoundTrips(t *testing.T) {
	ctx := context.Background()
	tr := &store.RoundTrips{}
	s, err := store.OpenTraced(ctx, "postgres", storetest.DSN(t, "postgres"), tr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	login, second := countSignIn(t, s, tr)
	t.Logf("password step: %d statements, %d round trips\n%s", login.statements, login.trips, strings.Join(login.sql, "\n"))
	t.Logf("second step (authenticate + verify): %d statements, %d round trips\n%s", second.statements, second.trips, strings.Join(second.sql, "\n"))
	t.Logf("full sign-in: %d statements, %d round trips", login.statements+second.statements, login.trips+second.trips)
	const maxLogin, maxSecond = 6, 6
	if login.trips > maxLogin || second.trips > maxSecond {
		t.Errorf("round trips: password step %d (at most %d), second step %d (at most %d)", login.trips, maxLogin, second.trips, maxSecond)
	}
	if login.prepares+second.prepares != 0 {
		t.Errorf("%d statements prepared again with warm caches", login.prepares+second.prepares)
	}
	// Every statement of the sign-in is one TestStatementsUseIndexes checks.
	registered := map[string]bool{"BEGIN": true, "COMMIT": true}
	for _, st := range store.HotStatements("postgres") {
		registered[s.Rebind(st.SQL)] = true
	}
	for _, q := range append(login.sql, second.sql...) {
		if !registered[q] {
			t.Errorf("the sign-in ran a statement missing from hotStatements:\n%s", q)
		}
	}
}

// TestPeriodicStatementsAreRegistered: what the outbox dispatcher and the
// sweeper run is all in hotStatements, so its plans are checked.
func TestPeriodicStatementsAreRegistered(t *testing.T) {
	ctx := context.Background()
	tr := &store.RoundTrips{}
	s, err := store.OpenTraced(ctx, "postgres", storetest.DSN(t, "postgres"), tr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for range 3 {
		s.Enqueue(ctx, &twostep.OutboxMessage{Channel: "sms", To: "+12015550123", Body: "x", CreatedAt: now, GiveUpAt: now.Add(time.Hour), EraseAt: now.Add(time.Hour)})
	}
	tr.Reset()
	s.OutboxDue(ctx, now)
	s.ExpireOutbox(ctx, now)
	msgs, err := s.ClaimOutbox(ctx, "w", now, time.Minute, 10)
	if err != nil || len(msgs) != 3 {
		t.Fatalf("claim: %d %v", len(msgs), err)
	}
	s.MarkSent(ctx, msgs[0].ID, "w", now)
	s.MarkRetry(ctx, msgs[1].ID, "w", now.Add(time.Minute), "busy")
	s.MarkFailed(ctx, msgs[2].ID, "w", now, "rejected")
	s.ReleaseLeases(ctx, "w")
	if _, err := s.Purge(ctx, now.Add(30*24*time.Hour), keep, store.PurgeOptions{}); err != nil {
		t.Fatal(err)
	}
	registered := map[string]bool{}
	for _, st := range store.HotStatements("postgres") {
		registered[s.Rebind(st.SQL)] = true
	}
	if len(tr.SQL) < 12 {
		t.Fatalf("only %d statements seen", len(tr.SQL))
	}
	for _, q := range tr.SQL {
		if !registered[q] {
			t.Errorf("a periodic statement is missing from hotStatements:\n%s", q)
		}
	}
}

type tripCount struct {
	statements, trips, prepares int
	sql                         []string
}

// countSignIn sets up a user with an authenticator app, signs in once to warm
// the statement caches, then counts a second sign-in's two steps.
func countSignIn(t *testing.T, s *store.Store, tr *store.RoundTrips) (login, second tripCount) {
	t.Helper()
	ctx := context.Background()
	hasher := twostep.NewHasher(twostep.Argon2Params{MemoryKiB: 8, Passes: 1, Lanes: 1})
	var keys twostep.Keys
	rand.Read(keys.Encryption[:])
	rand.Read(keys.Code[:])
	clock := &stepClock{now: time.Now()}
	svc := twostep.New(s, hasher, keys, twostep.DefaultSettings(), clock, nil)
	c := &twostep.Center{Name: "Maple Clinic", TwoStepAvailable: true, GraceLogins: -1, CreatedAt: clock.now}
	if err := s.CreateCenter(ctx, c); err != nil {
		t.Fatal(err)
	}
	const pw = "correct horse battery staple"
	hash, _ := hasher.Hash(ctx, pw)
	if err := s.CreateUser(ctx, &twostep.User{CenterID: c.ID, Username: "jdoe", Email: "j@example.org", Role: twostep.RoleProvider, PasswordHash: hash, CreatedAt: clock.now}); err != nil {
		t.Fatal(err)
	}
	client := twostep.Client{IP: "192.0.2.1", UserAgent: "test"}
	r, err := svc.Login(ctx, "jdoe", pw, "", client)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := svc.Authenticate(ctx, r.Token)
	if err := svc.TurnOn(ctx, a, client); err != nil {
		t.Fatal(err)
	}
	setup, err := svc.StartTOTP(ctx, a, "", client)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.VerifySetup(ctx, a, twostep.MethodTOTP, twostep.TOTPCode(setup.Secret, clock.now), client); err != nil {
		t.Fatal(err)
	}
	counts := func() tripCount {
		st, trips, prep := tr.Counts()
		return tripCount{st, trips, prep, tr.SQL}
	}
	for range 2 {
		clock.now = clock.now.Add(30 * time.Second) // a fresh time step
		tr.Reset()
		r, err := svc.Login(ctx, "jdoe", pw, "", client)
		if err != nil || r.State != twostep.StateTwoStep {
			t.Fatalf("login: %+v %v", r, err)
		}
		login = counts()
		tr.Reset()
		a, err := svc.Authenticate(ctx, r.Token)
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.VerifyLogin(ctx, a, twostep.MethodTOTP, twostep.TOTPCode(setup.Secret, clock.now), client); err != nil {
			t.Fatal(err)
		}
		second = counts()
	}
	return login, second
}

type stepClock struct{ now time.Time }

func (c *stepClock) Now() time.Time { return c.now }
