package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/storetest"
	"github.com/providerportal/portal/internal/twostep"
)

// TestTransactionsAreAllOrNothing covers the ways a transaction can end, with
// writes that PostgreSQL sends late (with the next statement or with COMMIT):
// each commits whole or not at all, reads see the writes before them, the
// caller's error comes back as it was returned, and the connection is fit for
// the next transaction.
func TestTransactionsAreAllOrNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		_, u := seedUser(t, s, "jdoe")
		session := func(id byte) *twostep.Session {
			return &twostep.Session{IDHash: []byte{id}, UserID: u.ID, State: twostep.StateSignedIn, CreatedAt: t0, LastSeenAt: t0, AuthAt: t0}
		}
		exists := func(id byte) bool {
			_, err := s.SessionByHash(ctx, []byte{id})
			return err == nil
		}
		audits := func() int { return len(mustAudit(t, s)) }

		// Only queued writes: they commit together, and RETURNING values arrive.
		e := &twostep.AuditEvent{At: t0, Actor: "a", Action: "only queued", Target: "t"}
		err := s.Atomically(ctx, func(tx twostep.Store) error {
			if err := tx.CreateSession(ctx, session(1)); err != nil {
				return err
			}
			return tx.AddAudit(ctx, e)
		})
		if err != nil || !exists(1) || e.ID == 0 || audits() != 1 {
			t.Fatalf("queued writes: %v, session %v, audit id %d, %d events", err, exists(1), e.ID, audits())
		}

		// A read sees the queued writes before it.
		err = s.Atomically(ctx, func(tx twostep.Store) error {
			if err := tx.CreateSession(ctx, session(2)); err != nil {
				return err
			}
			if _, err := tx.SessionByHash(ctx, []byte{2}); err != nil {
				return errors.New("the transaction's own write is not visible to its read")
			}
			return nil
		})
		if err != nil || !exists(2) {
			t.Fatalf("read your writes: %v", err)
		}

		// The caller's error, as it was, and nothing written (before or after a read).
		for _, readFirst := range []bool{false, true} {
			mine := &twostep.Error{Code: twostep.EInvalidCode, Message: "no"}
			err = s.Atomically(ctx, func(tx twostep.Store) error {
				if readFirst {
					if _, err := tx.CountRecoveryCodes(ctx, u.ID); err != nil {
						return err
					}
				}
				tx.CreateSession(ctx, session(3))
				tx.AddAudit(ctx, &twostep.AuditEvent{At: t0, Actor: "a", Action: "rolled back", Target: "t"})
				tx.ResetSecondStepFailures(ctx, u.ID)
				return mine
			})
			if err != mine || exists(3) || audits() != 1 {
				t.Fatalf("rollback (read first %v): %v, session %v, %d events", readFirst, err, exists(3), audits())
			}
		}

		// A queued write that fails (a duplicate session) fails the whole
		// transaction, whether or not it had begun with a read.
		for _, readFirst := range []bool{false, true} {
			err = s.Atomically(ctx, func(tx twostep.Store) error {
				if readFirst {
					if _, err := tx.LockedUntil(ctx, u.ID); err != nil {
						return err
					}
				}
				tx.AddAudit(ctx, &twostep.AuditEvent{At: t0, Actor: "a", Action: "before the failure", Target: "t"})
				return tx.CreateSession(ctx, session(1))
			})
			if err == nil || audits() != 1 {
				t.Fatalf("failing queued write (read first %v): %v, %d events", readFirst, err, audits())
			}
		}

		// Every connection of the pool is fit afterwards.
		var wg sync.WaitGroup
		for i := range 40 {
			wg.Go(func() {
				err := s.Atomically(ctx, func(tx twostep.Store) error {
					if _, err := tx.LockedUntil(ctx, u.ID); err != nil {
						return err
					}
					return tx.CreateSession(ctx, session(byte(10+i)))
				})
				if err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if list, _ := s.ListSessions(ctx, u.ID); len(list) != 42 {
			t.Fatalf("%d sessions, want 42", len(list))
		}
	})
}
