package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/storetest"
	"github.com/providerportal/portal/internal/twostep"
)

var t0 = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func seedUser(t *testing.T, s *store.Store, name string) (*twostep.Center, *twostep.User) {
	t.Helper()
	ctx := context.Background()
	c, err := s.CenterByName(ctx, "Maple Clinic")
	if errors.Is(err, twostep.ErrNotFound) {
		c = &twostep.Center{Name: "Maple Clinic", GraceLogins: -1, CreatedAt: t0}
		if err := s.CreateCenter(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	u := &twostep.User{CenterID: c.ID, Username: name, Email: name + "@example.org", Role: twostep.RoleProvider, PasswordHash: "$argon2id$x", CreatedAt: t0}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	return c, u
}

func TestMigrateTwice(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		if err := s.Migrate(context.Background()); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
	})
}

func TestCentersAndUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c, u := seedUser(t, s, "Jdoe")
		if err := s.CreateCenter(ctx, &twostep.Center{Name: "maple clinic", CreatedAt: t0}); !errors.Is(err, twostep.ErrDuplicate) {
			t.Fatalf("duplicate center name: %v", err)
		}
		if err := s.CreateUser(ctx, &twostep.User{CenterID: c.ID, Username: "JDOE", Email: "x@y.z", Role: twostep.RoleAdmin, PasswordHash: "h", CreatedAt: t0}); !errors.Is(err, twostep.ErrDuplicate) {
			t.Fatalf("duplicate username: %v", err)
		}
		got, err := s.UserByUsername(ctx, "jdoe")
		if err != nil || got.ID != u.ID || got.Username != "Jdoe" || got.CenterID != c.ID || got.Role != twostep.RoleProvider || !got.CreatedAt.Equal(t0) {
			t.Fatalf("user by name: %+v %v", got, err)
		}
		if _, err := s.UserByUsername(ctx, "nobody"); !errors.Is(err, twostep.ErrNotFound) {
			t.Fatalf("unknown user: %v", err)
		}
		staff := &twostep.User{Username: "am", Email: "am@vendor.test", Role: twostep.RoleStaff, PasswordHash: "h", CreatedAt: t0}
		if err := s.CreateUser(ctx, staff); err != nil {
			t.Fatal(err)
		}
		if list, _ := s.ListUsers(ctx, 0); len(list) != 1 || list[0].Username != "am" || list[0].CenterID != 0 {
			t.Fatalf("staff list: %+v", list)
		}
		if n, _ := s.CountUsers(ctx); n != 2 {
			t.Fatalf("count %d", n)
		}
		c.TwoStepAvailable, c.AllowedMethods, c.GraceLogins = true, []twostep.MethodType{twostep.MethodTOTP}, 0
		if err := s.UpdateCenter(ctx, c); err != nil {
			t.Fatal(err)
		}
		c2, _ := s.CenterByID(ctx, c.ID)
		if !c2.TwoStepAvailable || c2.Allows(twostep.MethodPhone) || !c2.Allows(twostep.MethodTOTP) || c2.GraceLogins != 0 {
			t.Fatalf("center update: %+v", c2)
		}
	})
}

func TestSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		_, u := seedUser(t, s, "jdoe")
		mk := func(id byte, at time.Time) *twostep.Session {
			ss := &twostep.Session{IDHash: []byte{id, 1, 2}, UserID: u.ID, State: twostep.StateTwoStep, CreatedAt: at, LastSeenAt: at, AuthAt: at, IP: "192.0.2.1", UserAgent: "UA"}
			if err := s.CreateSession(ctx, ss); err != nil {
				t.Fatal(err)
			}
			return ss
		}
		a, b := mk(1, t0), mk(2, t0.Add(time.Minute))
		mk(3, t0.Add(-13*time.Hour))
		got, err := s.SessionByHash(ctx, a.IDHash)
		if err != nil || got.State != twostep.StateTwoStep || got.IP != "192.0.2.1" {
			t.Fatalf("get: %+v %v", got, err)
		}
		a.State, a.Selected = twostep.StateSignedIn, twostep.MethodEmail
		if err := s.UpdateSession(ctx, a); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.SessionByHash(ctx, a.IDHash); got.State != twostep.StateSignedIn || got.Selected != twostep.MethodEmail {
			t.Fatalf("update: %+v", got)
		}
		purged, err := s.Purge(ctx, t0, store.Retention{SessionIdle: 30 * time.Minute, SessionAbsolute: 12 * time.Hour}, store.PurgeOptions{})
		if err != nil || purged["idle sessions"]+purged["expired sessions"] != 1 {
			t.Fatalf("expired: %v %v", purged, err)
		}
		if err := s.DeleteUserSessions(ctx, u.ID, b.IDHash); err != nil {
			t.Fatal(err)
		}
		list, _ := s.ListSessions(ctx, u.ID)
		if len(list) != 1 || string(list[0].IDHash) != string(b.IDHash) {
			t.Fatalf("after revoke others: %+v", list)
		}
		s.DeleteSession(ctx, b.IDHash)
		if _, err := s.SessionByHash(ctx, b.IDHash); !errors.Is(err, twostep.ErrNotFound) {
			t.Fatalf("deleted session: %v", err)
		}
	})
}

func TestGraceLoginsCannotBeSpentTwice(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		_, u := seedUser(t, s, "jdoe")
		var ok atomic.Int32
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				if _, spent, err := s.UseGraceLogin(ctx, u.ID, 3); err != nil {
					t.Error(err)
				} else if spent {
					ok.Add(1)
				}
			})
		}
		wg.Wait()
		if ok.Load() != 3 {
			t.Fatalf("%d grace logins spent of 3", ok.Load())
		}
	})
}

func TestThrottleWindow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		for i := 1; i <= 3; i++ {
			n, start, err := s.HitThrottle(ctx, "acct:jdoe", t0.Add(time.Duration(i)*time.Second), time.Minute)
			if err != nil || n != i || !start.Equal(t0.Add(time.Second)) {
				t.Fatalf("hit %d: %d %v %v", i, n, start, err)
			}
		}
		s.UndoThrottleHit(ctx, "acct:jdoe")
		if n, _, _ := s.HitThrottle(ctx, "acct:jdoe", t0.Add(10*time.Second), time.Minute); n != 3 {
			t.Fatalf("after undo: %d", n)
		}
		n, start, _ := s.HitThrottle(ctx, "acct:jdoe", t0.Add(2*time.Minute), time.Minute)
		if n != 1 || !start.Equal(t0.Add(2*time.Minute)) {
			t.Fatalf("new window: %d %v", n, start)
		}
		s.ResetThrottle(ctx, "acct:jdoe")
		if n, _, _ := s.HitThrottle(ctx, "acct:jdoe", t0.Add(2*time.Minute), time.Minute); n != 1 {
			t.Fatalf("after reset: %d", n)
		}
	})
}

func TestMethodsAndTOTPReplay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		_, u := seedUser(t, s, "jdoe")
		m := &twostep.Method{UserID: u.ID, Type: twostep.MethodTOTP, Label: "jdoe", Secret: []byte("enc1"), CreatedAt: t0}
		if err := s.StartMethod(ctx, m); err != nil {
			t.Fatal(err)
		}
		m.Secret = []byte("enc2")
		if err := s.StartMethod(ctx, m); err != nil {
			t.Fatalf("restart pending: %v", err)
		}
		if ok, _ := s.AcceptTOTPStep(ctx, u.ID, 100); ok {
			t.Fatal("pending method accepted a sign-in step")
		}
		stale := *m
		stale.Secret = []byte("enc1") // the setup restarted after this secret's code was checked
		if err := s.CompleteMethod(ctx, &stale, t0, 100); !errors.Is(err, twostep.ErrNotFound) {
			t.Fatalf("a restarted setup was completed: %v", err)
		}
		if err := s.CompleteMethod(ctx, m, t0, 100); err != nil {
			t.Fatal(err)
		}
		if err := s.StartMethod(ctx, m); !errors.Is(err, twostep.ErrDuplicate) {
			t.Fatalf("second totp: %v", err)
		}
		got, _ := s.Method(ctx, u.ID, twostep.MethodTOTP)
		if string(got.Secret) != "enc2" || !got.Verified() || got.LastStep != 100 {
			t.Fatalf("method: %+v", got)
		}
		if user, _ := s.UserByID(ctx, u.ID); !user.TwoStepOn {
			t.Fatal("completing a method did not turn 2SV on")
		}
		for _, tc := range []struct {
			step int64
			want bool
		}{{100, false}, {99, false}, {101, true}, {101, false}, {103, true}} {
			if ok, err := s.AcceptTOTPStep(ctx, u.ID, tc.step); ok != tc.want || err != nil {
				t.Errorf("step %d: %v %v want %v", tc.step, ok, err, tc.want)
			}
		}
		// Racing the same fresh step: exactly one wins.
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				if ok, _ := s.AcceptTOTPStep(ctx, u.ID, 200); ok {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d wins for one time step", wins.Load())
		}
		if err := s.DeleteMethod(ctx, u.ID, twostep.MethodTOTP, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteMethod(ctx, u.ID, twostep.MethodTOTP, nil); !errors.Is(err, twostep.ErrNotFound) {
			t.Fatalf("delete twice: %v", err)
		}
	})
}

func issue(t *testing.T, s *store.Store, userID int64, hash string, at time.Time, cutoff time.Time) (bool, time.Time) {
	t.Helper()
	ok, last, err := s.IssueCode(context.Background(), &twostep.NewCode{
		UserID: userID, Purpose: twostep.PurposeLogin, Channel: twostep.MethodPhone, Destination: "+12015550123",
		Hash: hash, CreatedAt: at, ExpiresAt: at.Add(10 * time.Minute), Attempts: 3, ResendCutoff: cutoff,
		Message: twostep.OutboxMessage{Channel: "sms", To: "+12015550123", Body: "code", UserID: userID, CreatedAt: at, GiveUpAt: at.Add(10 * time.Minute), EraseAt: at.Add(10 * time.Minute)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return ok, last
}

func TestCodesCooldownTriesAndSingleUse(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		_, u := seedUser(t, s, "jdoe")
		if ok, _ := issue(t, s, u.ID, "h1", t0, t0.Add(-time.Minute)); !ok {
			t.Fatal("first code refused")
		}
		if ok, last := issue(t, s, u.ID, "h2", t0.Add(30*time.Second), t0.Add(-30*time.Second)); ok || !last.Equal(t0) {
			t.Fatalf("resend inside cooldown: ok=%v last=%v", ok, last)
		}
		if c, _ := s.OutboxCounts(ctx); c["pending"] != 1 {
			t.Fatalf("refused resend left a message: %v", c)
		}
		now := t0.Add(time.Second)
		try := func(hash string) twostep.CodeResult {
			r, err := s.ConsumeCode(ctx, u.ID, twostep.PurposeLogin, twostep.MethodPhone, hash, now)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		if r := try("bad"); r.Outcome != twostep.CodeWrong || r.AttemptsLeft != 2 {
			t.Fatalf("wrong 1: %+v", r)
		}
		if r := try("h1"); r.Outcome != twostep.CodeAccepted || r.Destination != "+12015550123" {
			t.Fatalf("right: %+v", r)
		}
		if r := try("h1"); r.Outcome != twostep.CodeDead {
			t.Fatalf("reuse: %+v", r)
		}
		// A resend after the cooldown replaces the code.
		issue(t, s, u.ID, "h3", t0.Add(time.Minute), t0)
		now = t0.Add(time.Minute + time.Second)
		for i, want := range []int{2, 1, 0} {
			if r := try("bad"); r.Outcome != twostep.CodeWrong || r.AttemptsLeft != want {
				t.Fatalf("wrong %d: %+v", i, r)
			}
		}
		if r := try("h3"); r.Outcome != twostep.CodeDead {
			t.Fatalf("right code after tries ran out: %+v", r)
		}
		issue(t, s, u.ID, "h4", t0.Add(3*time.Minute), t0.Add(2*time.Minute))
		now = t0.Add(13 * time.Minute)
		if r := try("h4"); r.Outcome != twostep.CodeExpired {
			t.Fatalf("expired: %+v", r)
		}
		ci, err := s.CodeInfo(ctx, u.ID, twostep.PurposeLogin, twostep.MethodPhone)
		if err != nil || ci.Delivery != twostep.DeliveryQueued || !ci.ExpiresAt.Equal(t0.Add(13*time.Minute)) || ci.Destination != "+12015550123" {
			t.Fatalf("code info: %+v %v", ci, err)
		}
	})
}

func TestCodeRaceOneWinner(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		_, u := seedUser(t, s, "jdoe")
		issue(t, s, u.ID, "right", t0, t0)
		var wins, wrong atomic.Int32
		var wg sync.WaitGroup
		for i := range 24 {
			wg.Go(func() {
				hash := "right"
				if i%3 == 0 {
					hash = fmt.Sprintf("wrong%d", i)
				}
				r, err := s.ConsumeCode(ctx, u.ID, twostep.PurposeLogin, twostep.MethodPhone, hash, t0.Add(time.Second))
				if err != nil {
					t.Error(err)
				}
				switch r.Outcome {
				case twostep.CodeAccepted:
					wins.Add(1)
				case twostep.CodeWrong:
					wrong.Add(1)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d requests accepted one code", wins.Load())
		}
		if wrong.Load() > 3 {
			t.Fatalf("%d wrong tries counted for a 3-try code", wrong.Load())
		}
	})
}

func TestOutboxLeases(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		for i := range 5 {
			m := &twostep.OutboxMessage{Channel: "email", To: fmt.Sprintf("u%d@example.org", i), Subject: "s", Body: "b", CreatedAt: t0, GiveUpAt: t0.Add(time.Hour), EraseAt: t0.Add(time.Hour)}
			if err := s.Enqueue(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		a, _ := s.ClaimOutbox(ctx, "A", t0, time.Minute, 3)
		b, _ := s.ClaimOutbox(ctx, "B", t0, time.Minute, 10)
		if len(a) != 3 || len(b) != 2 {
			t.Fatalf("claims %d %d", len(a), len(b))
		}
		if ok, _ := s.MarkSent(ctx, a[0].ID, "B", t0); ok {
			t.Fatal("non-owner marked sent")
		}
		if ok, _ := s.MarkSent(ctx, a[0].ID, "A", t0); !ok {
			t.Fatal("owner could not mark sent")
		}
		if body, html, err := s.OutboxText(ctx, a[0].ID); err != nil || body != "" || html != "" {
			t.Fatalf("delivered text kept: %q %q %v", body, html, err)
		}
		s.MarkRetry(ctx, a[1].ID, "A", t0.Add(10*time.Second), "smtp down")
		s.MarkFailed(ctx, a[2].ID, "A", t0, "rejected")
		// B dies: its leases expire and A takes them over, plus the retried one once due.
		if c, _ := s.ClaimOutbox(ctx, "A", t0.Add(5*time.Second), time.Minute, 10); len(c) != 0 {
			t.Fatalf("claimed leased or not-yet-due rows: %d", len(c))
		}
		c, _ := s.ClaimOutbox(ctx, "A", t0.Add(61*time.Second), time.Minute, 10)
		if len(c) != 3 {
			t.Fatalf("after lease expiry: %d", len(c))
		}
		counts, _ := s.OutboxCounts(ctx)
		if counts["sent"] != 1 || counts["failed"] != 1 || counts["pending"] != 3 {
			t.Fatalf("counts %v", counts)
		}
		s.ReleaseLeases(ctx, "A")
		if n, _ := s.ExpireOutbox(ctx, t0.Add(2*time.Hour)); n != 3 {
			t.Fatalf("expired %d", n)
		}
		for _, m := range append(a, b...) {
			if body, _, _ := s.OutboxText(ctx, m.ID); body != "" {
				t.Fatalf("message %d keeps its text after expiry", m.ID)
			}
		}
	})
}

func TestLockoutAndRecoveryCodes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		_, u := seedUser(t, s, "jdoe")
		for i := 1; i <= 3; i++ {
			n, ok, err := s.ReserveSecondStepAttempt(ctx, u.ID, t0, 3)
			if err != nil || n != i || !ok {
				t.Fatalf("attempt %d: %d %v %v", i, n, ok, err)
			}
		}
		if _, ok, _ := s.ReserveSecondStepAttempt(ctx, u.ID, t0, 3); ok {
			t.Fatal("a fourth attempt was reserved at threshold 3")
		}
		s.ReleaseSecondStepAttempt(ctx, u.ID)
		if n, ok, _ := s.ReserveSecondStepAttempt(ctx, u.ID, t0, 3); !ok || n != 3 {
			t.Fatal("released attempt not given back")
		}
		until := t0.Add(15 * time.Minute)
		s.LockSecondStep(ctx, u.ID, until)
		if lu, _ := s.LockedUntil(ctx, u.ID); !lu.Equal(until) {
			t.Fatalf("locked until %v", lu)
		}
		if _, ok, _ := s.ReserveSecondStepAttempt(ctx, u.ID, t0.Add(time.Minute), 3); ok {
			t.Fatal("attempt reserved while locked")
		}
		if n, ok, _ := s.ReserveSecondStepAttempt(ctx, u.ID, until, 3); !ok || n != 1 {
			t.Fatal("lock did not end or count did not restart")
		}
		if err := s.ReplaceRecoveryCodes(ctx, u.ID, []string{"a", "b"}); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.UseRecoveryCode(ctx, u.ID, "a", t0); !ok {
			t.Fatal("recovery code refused")
		}
		if ok, _ := s.UseRecoveryCode(ctx, u.ID, "a", t0); ok {
			t.Fatal("recovery code used twice")
		}
		if n, _ := s.CountRecoveryCodes(ctx, u.ID); n != 1 {
			t.Fatalf("left %d", n)
		}
	})
}

func TestAuditNewestFirst(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		for i := range 5 {
			s.AddAudit(ctx, &twostep.AuditEvent{At: t0, CenterID: int64(i%2 + 1), Actor: "a", Action: fmt.Sprint("act", i), Target: "t", IP: "ip", UserAgent: "ua"})
		}
		s.AddAudit(ctx, &twostep.AuditEvent{At: t0, CenterID: 1, Actor: "boss", Action: "two_step_reset", Target: "jdoe", IP: "ip", UserAgent: "ua"})
		list := func(f twostep.AuditFilter) []twostep.AuditEvent {
			t.Helper()
			f.Limit = max(f.Limit, 1)
			out, err := s.ListAudit(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		all := list(twostep.AuditFilter{Limit: 10})
		one := list(twostep.AuditFilter{CenterID: 1, Limit: 10})
		page := list(twostep.AuditFilter{Limit: 2, BeforeID: all[2].ID})
		if len(all) != 6 || all[1].Action != "act4" || len(one) != 4 || len(page) != 2 || page[0].Action != "act2" {
			t.Fatalf("audit: %d %d %+v", len(all), len(one), page)
		}
		// By person (actor or target) and by action.
		if got := list(twostep.AuditFilter{CenterID: 1, Person: "jdoe", Limit: 10}); len(got) != 1 || got[0].Actor != "boss" {
			t.Fatalf("by target: %+v", got)
		}
		if got := list(twostep.AuditFilter{Person: "a", Actions: []string{"act1", "act3", "nope"}, Limit: 10}); len(got) != 2 || got[0].Action != "act3" {
			t.Fatalf("by person and actions: %+v", got)
		}
	})
}

func TestSQLitePathWithURICharacters(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	for i, name := range []string{"a#1.db", "b?x=1.db", "c%20.db"} {
		s, err := store.Open(ctx, "sqlite", dir+"/"+name)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateCenter(ctx, &twostep.Center{Name: "C", CreatedAt: t0}); err != nil {
			t.Fatalf("%d %s: %v", i, name, err)
		}
		s.Close()
	}
}

func TestCombinedReadsAndWrites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c, u := seedUser(t, s, "jdoe")
		staff := &twostep.User{Username: "am", Email: "am@vendor.test", Role: twostep.RoleStaff, PasswordHash: "h", CreatedAt: t0}
		s.CreateUser(ctx, staff)
		gu, gc, err := s.UserAndCenter(ctx, "JDOE")
		if err != nil || gu.ID != u.ID || gc == nil || gc.ID != c.ID || gc.Name != "Maple Clinic" {
			t.Fatalf("user and center: %+v %+v %v", gu, gc, err)
		}
		if su, sc, err := s.UserAndCenter(ctx, "am"); err != nil || su.Role != twostep.RoleStaff || sc != nil {
			t.Fatalf("staff: %+v %+v %v", su, sc, err)
		}
		if _, _, err := s.UserAndCenter(ctx, "ghost"); !errors.Is(err, twostep.ErrNotFound) {
			t.Fatalf("ghost: %v", err)
		}
		ss := &twostep.Session{IDHash: []byte{1}, UserID: u.ID, State: twostep.StateTwoStep, Selected: twostep.MethodTOTP, CreatedAt: t0, LastSeenAt: t0, AuthAt: t0, IP: "ip", UserAgent: "ua"}
		s.CreateSession(ctx, ss)
		got, gu, gc, err := s.SessionWithUser(ctx, []byte{1})
		if err != nil || got.State != twostep.StateTwoStep || got.Selected != twostep.MethodTOTP || gu.Username != "jdoe" || gc.ID != c.ID || !got.CreatedAt.Equal(t0) {
			t.Fatalf("session with user: %+v %+v %+v %v", got, gu, gc, err)
		}
		next := *got
		next.IDHash, next.State = []byte{2}, twostep.StateSignedIn
		if err := s.RotateSession(ctx, []byte{1}, &next); err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := s.SessionWithUser(ctx, []byte{1}); !errors.Is(err, twostep.ErrNotFound) {
			t.Fatal("old id still works after rotation")
		}
		if got, _, _, _ := s.SessionWithUser(ctx, []byte{2}); got.State != twostep.StateSignedIn || !got.CreatedAt.Equal(t0) {
			t.Fatalf("rotated: %+v", got)
		}
		if err := s.RotateSession(ctx, []byte{1}, &next); !errors.Is(err, twostep.ErrNotFound) {
			t.Fatal("rotated a missing session")
		}
		for i := 1; i <= 3; i++ {
			hits, _, err := s.HitThrottles(ctx, []string{"acct:a", "addr:x"}, t0, time.Minute)
			if err != nil || hits[0] != i || hits[1] != i {
				t.Fatalf("hits %v %v", hits, err)
			}
		}
		s.SettleThrottles(ctx, "acct:a", "addr:x")
		hits, _, _ := s.HitThrottles(ctx, []string{"acct:a", "addr:x"}, t0, time.Minute)
		if hits[0] != 1 || hits[1] != 3 {
			t.Fatalf("after settle: %v (want account cleared, address one back)", hits)
		}
	})
}

// Concurrent writes share commits on SQLite (group commit); one failing write
// must neither undo nor fail the others in its batch.
func TestConcurrentWritesKeepTheirOwnOutcome(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		var ok, dup atomic.Int32
		var wg sync.WaitGroup
		for i := range 120 {
			wg.Go(func() {
				// 40 names, each tried three times: one wins, two are duplicates.
				err := s.CreateCenter(ctx, &twostep.Center{Name: fmt.Sprintf("Center %02d", i%40), CreatedAt: t0})
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, twostep.ErrDuplicate):
					dup.Add(1)
				default:
					t.Error(err)
				}
			})
		}
		wg.Wait()
		list, _ := s.ListCenters(ctx)
		if ok.Load() != 40 || dup.Load() != 80 || len(list) != 40 {
			t.Fatalf("%d created, %d duplicates, %d stored", ok.Load(), dup.Load(), len(list))
		}
	})
}

// A first set of recovery codes is handed out once, even to requests at once;
// a person who has had a set, used up or not, never gets a "first" one again
// (that takes the password, B7), until turning off deletes the set.
func TestFirstRecoveryCodesOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		_, u := seedUser(t, s, "jdoe")
		var added atomic.Int32
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := s.AddFirstRecoveryCodes(ctx, u.ID, []string{fmt.Sprint("a", i), fmt.Sprint("b", i)})
				if err != nil {
					t.Error(err)
				}
				if ok {
					added.Add(1)
				}
			}()
		}
		wg.Wait()
		if n, _ := s.CountRecoveryCodes(ctx, u.ID); added.Load() != 1 || n != 2 {
			t.Fatalf("%d sets added, %d codes left", added.Load(), n)
		}
		for i := range 8 {
			s.UseRecoveryCode(ctx, u.ID, fmt.Sprint("a", i), t0)
		}
		if ok, _ := s.AddFirstRecoveryCodes(ctx, u.ID, []string{"c"}); ok {
			t.Fatal("a first set replaced a code still left")
		}
		for i := range 8 {
			s.UseRecoveryCode(ctx, u.ID, fmt.Sprint("b", i), t0)
		}
		if ok, _ := s.AddFirstRecoveryCodes(ctx, u.ID, []string{"c"}); ok {
			t.Fatal("a used-up set was renewed as a first one")
		}
		if n, _ := s.CountRecoveryCodes(ctx, u.ID); n != 0 {
			t.Fatalf("%d codes left", n)
		}
		s.ReplaceRecoveryCodes(ctx, u.ID, nil) // turning 2SV off deletes the set
		if ok, _ := s.AddFirstRecoveryCodes(ctx, u.ID, []string{"c"}); !ok {
			t.Fatal("no first set after the old one was deleted")
		}
	})
}
