package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/storetest"
	"github.com/providerportal/portal/internal/twostep"
)

const day = 24 * time.Hour

var keep = store.Retention{Outbox: 7 * day, Audit: 400 * day, SessionIdle: 30 * time.Minute, SessionAbsolute: 12 * time.Hour,
	Counters: day, Expired: day}

// TestPurgeDeletesOnlyWhatIsPastRetention fills every purged table with rows
// just past and just within their retention and checks which ones go.
func TestPurgeDeletesOnlyWhatIsPastRetention(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		_, u := seedUser(t, s, "jdoe")
		now := t0.Add(500 * day)

		// Outbox: sent 8 days ago and yesterday, given up 8 days ago, one pending.
		msg := func(created time.Time) *twostep.OutboxMessage {
			m := &twostep.OutboxMessage{Channel: "email", To: "j@example.org", Body: "x", CreatedAt: created, GiveUpAt: created.Add(time.Hour), EraseAt: created.Add(time.Hour)}
			if err := s.Enqueue(ctx, m); err != nil {
				t.Fatal(err)
			}
			return m
		}
		send := func(m *twostep.OutboxMessage, at time.Time) {
			if got, err := s.ClaimOutbox(ctx, "w", at, time.Minute, 10); err != nil || len(got) != 1 {
				t.Fatalf("claim: %v %v", got, err)
			}
			if ok, err := s.MarkSent(ctx, m.ID, "w", at); !ok || err != nil {
				t.Fatal(ok, err)
			}
		}
		oldSent, newSent := msg(now.Add(-8*day)), msg(now.Add(-day))
		send(oldSent, now.Add(-8*day))
		send(newSent, now.Add(-day))
		gaveUp := msg(now.Add(-9 * day))
		if n, err := s.ExpireOutbox(ctx, now.Add(-8*day)); err != nil || n != 1 {
			t.Fatalf("give up: %d %v", n, err)
		}
		pending := msg(now.Add(-30 * day)) // its give-up time passed, but nobody gave up yet: kept
		s.KeepDevMessage(ctx, store.DevMessage{At: now.Add(-8 * day), Channel: "email", To: "a", Body: "old"})
		s.KeepDevMessage(ctx, store.DevMessage{At: now.Add(-day), Channel: "email", To: "a", Body: "new"})

		// Audit: 401 days and 399 days old.
		for _, age := range []time.Duration{401 * day, 399 * day} {
			if err := s.AddAudit(ctx, &twostep.AuditEvent{At: now.Add(-age), Actor: "a", Action: fmt.Sprint(int(age / day)), Target: "t"}); err != nil {
				t.Fatal(err)
			}
		}
		// Sessions: idle too long, started too long ago, alive.
		sess := func(id byte, created, seen time.Time) []byte {
			h := []byte{id, 9, 9}
			if err := s.CreateSession(ctx, &twostep.Session{IDHash: h, UserID: u.ID, State: twostep.StateSignedIn, CreatedAt: created, LastSeenAt: seen, AuthAt: created}); err != nil {
				t.Fatal(err)
			}
			return h
		}
		sess(1, now.Add(-time.Hour), now.Add(-31*time.Minute))
		sess(2, now.Add(-13*time.Hour), now.Add(-time.Minute))
		alive := sess(3, now.Add(-11*time.Hour), now.Add(-29*time.Minute))

		// Codes: expired two days ago (login) and still valid (setup).
		for _, c := range []struct {
			p       twostep.CodePurpose
			created time.Time
		}{{twostep.PurposeLogin, now.Add(-2*day - 10*time.Minute)}, {twostep.PurposeSetup, now.Add(-time.Minute)}} {
			if ok, _, err := s.IssueCode(ctx, &twostep.NewCode{UserID: u.ID, Purpose: c.p, Channel: twostep.MethodEmail, Destination: "j@example.org", Hash: "h",
				CreatedAt: c.created, ExpiresAt: c.created.Add(10 * time.Minute), Attempts: 5, ResendCutoff: c.created,
				Message: twostep.OutboxMessage{Channel: "email", To: "j@example.org", Body: "x", CreatedAt: c.created, GiveUpAt: c.created.Add(time.Hour), EraseAt: c.created.Add(time.Hour)}}); !ok || err != nil {
				t.Fatal(ok, err)
			}
		}
		// Throttle counters: a window that started two days ago and one from now.
		s.HitThrottle(ctx, "send:global:d", now.Add(-2*day), day)
		s.HitThrottle(ctx, "acct:jdoe", now, 15*time.Minute)
		// Recovery codes are never purged: used ones keep a code from being reused.
		s.ReplaceRecoveryCodes(ctx, u.ID, []string{"r1", "r2"})
		s.UseRecoveryCode(ctx, u.ID, "r1", now.Add(-300*day))

		got, err := s.Purge(ctx, now, keep, store.PurgeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int64{"outbox messages": 2, "dev outbox messages": 1, "audit events": 1, "idle sessions": 1,
			"expired sessions": 1, "codes": 1, "throttle counters": 1}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("purged %v, want %v", got, want)
		}
		for _, m := range []*twostep.OutboxMessage{oldSent, gaveUp} {
			if _, _, err := s.OutboxText(ctx, m.ID); !errors.Is(err, twostep.ErrNotFound) {
				t.Errorf("message %d kept: %v", m.ID, err)
			}
		}
		for _, m := range []*twostep.OutboxMessage{newSent, pending} {
			if _, _, err := s.OutboxText(ctx, m.ID); err != nil {
				t.Errorf("message %d purged: %v", m.ID, err)
			}
		}
		if dev, _ := s.DevMessages(ctx, 10); len(dev) != 1 || dev[0].Body != "new" {
			t.Errorf("dev messages: %+v", dev)
		}
		if ev, _ := s.ListAudit(ctx, twostep.AuditFilter{Limit: 10}); len(ev) != 1 || ev[0].Action != "399" {
			t.Errorf("audit: %+v", ev)
		}
		if list, _ := s.ListSessions(ctx, u.ID); len(list) != 1 || string(list[0].IDHash) != string(alive) {
			t.Errorf("sessions: %+v", list)
		}
		if _, err := s.CodeInfo(ctx, u.ID, twostep.PurposeLogin, twostep.MethodEmail); !errors.Is(err, twostep.ErrNotFound) {
			t.Errorf("expired code kept: %v", err)
		}
		if _, err := s.CodeInfo(ctx, u.ID, twostep.PurposeSetup, twostep.MethodEmail); err != nil {
			t.Errorf("valid code purged: %v", err)
		}
		if n, _, _ := s.HitThrottle(ctx, "acct:jdoe", now, 15*time.Minute); n != 2 {
			t.Errorf("live counter purged: %d hits", n)
		}
		if n, _ := s.CountRecoveryCodes(ctx, u.ID); n != 1 {
			t.Errorf("recovery codes: %d unused", n)
		}
		if ok, _ := s.UseRecoveryCode(ctx, u.ID, "r1", now); ok {
			t.Error("a used recovery code was usable again")
		}

		// A second sweep finds nothing; zero retention keeps rows forever.
		if again, err := s.Purge(ctx, now, keep, store.PurgeOptions{}); err != nil || len(again) != 0 {
			t.Fatalf("second sweep: %v %v", again, err)
		}
		if never, err := s.Purge(ctx, now.Add(10000*day), store.Retention{}, store.PurgeOptions{}); err != nil || len(never) != 0 {
			t.Fatalf("zero retention purged %v %v", never, err)
		}
	})
}

// TestPurgeWorksInBatches clears a backlog larger than a batch, and other
// writes go through while it runs.
func TestPurgeWorksInBatches(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		old := t0.Add(-500 * day)
		const n = 1234
		err := s.Atomically(ctx, func(tx twostep.Store) error {
			for i := range n {
				if err := tx.AddAudit(ctx, &twostep.AuditEvent{At: old.Add(time.Duration(i) * time.Second), Actor: "a", Action: "x", Target: "t"}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		writes := make(chan error, 1)
		go func() {
			var err error
			for i := 0; i < 20 && err == nil; i++ {
				err = s.AddAudit(ctx, &twostep.AuditEvent{At: t0, Actor: "b", Action: "during", Target: "t"})
			}
			writes <- err
		}()
		got, err := s.Purge(ctx, t0, store.Retention{Audit: 400 * day}, store.PurgeOptions{Batch: 100, Pause: time.Millisecond})
		if err != nil || got["audit events"] != n {
			t.Fatalf("purged %v %v, want %d", got, err, n)
		}
		if err := <-writes; err != nil {
			t.Fatal(err)
		}
		if ev, _ := s.ListAudit(ctx, twostep.AuditFilter{Limit: 100}); len(ev) != 20 {
			t.Fatalf("%d events left, want the 20 new ones", len(ev))
		}
	})
}
