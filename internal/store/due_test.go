package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/storetest"
	"github.com/providerportal/portal/internal/twostep"
)

// TestOutboxDue answers yes exactly when the dispatcher's claim, give-up or
// erase would touch a message.
func TestOutboxDue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		pending := false
		due := func(at time.Time) bool {
			t.Helper()
			d, p, err := s.OutboxDue(ctx, at)
			if err != nil {
				t.Fatal(err)
			}
			pending = p
			return d
		}
		if due(t0) || pending {
			t.Fatal("an empty outbox has something due or pending")
		}
		m := &twostep.OutboxMessage{Channel: "sms", To: "+12015550123", Body: "x", CreatedAt: t0, GiveUpAt: t0.Add(time.Hour), EraseAt: t0.Add(2 * time.Hour)}
		s.Enqueue(ctx, m)
		if due(t0.Add(-time.Second)) || !due(t0) {
			t.Fatal("a queued message is due from its first attempt time on")
		}
		s.ClaimOutbox(ctx, "w", t0, time.Minute, 10)
		if due(t0.Add(30 * time.Second)) {
			t.Fatal("a leased message is due")
		}
		s.MarkRetry(ctx, m.ID, "w", t0.Add(5*time.Minute), "busy")
		if due(t0.Add(time.Minute)) || !pending || !due(t0.Add(5*time.Minute)) {
			t.Fatal("a retry is pending, and due at its next attempt")
		}
		s.ClaimOutbox(ctx, "w", t0.Add(5*time.Minute), time.Minute, 10)
		s.MarkSent(ctx, m.ID, "w", t0.Add(5*time.Minute))
		if due(t0.Add(10*time.Hour)) || pending {
			t.Fatal("a sent message is due or pending")
		}
		// A message past its give-up time, and text past its erase time.
		late := &twostep.OutboxMessage{Channel: "sms", To: "+12015550123", Body: "x", CreatedAt: t0, GiveUpAt: t0.Add(time.Minute), EraseAt: t0.Add(time.Minute)}
		s.Enqueue(ctx, late)
		s.ClaimOutbox(ctx, "w", t0, time.Hour, 10) // leased past its give-up time
		if due(t0.Add(59*time.Minute)) || !due(t0.Add(time.Hour)) {
			t.Fatal("a message to give up is due once its lease ends")
		}
		if n, _ := s.ExpireOutbox(ctx, t0.Add(time.Hour)); n != 1 || due(t0.Add(time.Hour)) || pending {
			t.Fatalf("gave up on %d; still due or pending after expiry", n)
		}
	})
}
