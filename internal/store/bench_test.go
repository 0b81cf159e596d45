package store_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/storetest"
	"github.com/providerportal/portal/internal/twostep"
)

func eachBench(b *testing.B, fn func(b *testing.B, s *store.Store)) {
	for _, kind := range storetest.Kinds() {
		b.Run(kind, func(b *testing.B) { fn(b, storetest.Open(b, kind)) })
	}
}

func benchUser(b *testing.B, s *store.Store) *twostep.User {
	ctx := context.Background()
	c := &twostep.Center{Name: "Bench", GraceLogins: -1, CreatedAt: t0}
	if err := s.CreateCenter(ctx, c); err != nil {
		b.Fatal(err)
	}
	u := &twostep.User{CenterID: c.ID, Username: "bench", Email: "b@example.org", Role: twostep.RoleProvider, PasswordHash: "h", CreatedAt: t0}
	if err := s.CreateUser(ctx, u); err != nil {
		b.Fatal(err)
	}
	return u
}

// BenchmarkConsumeCode: issue a code and consume it (the right code, one update).
func BenchmarkConsumeCode(b *testing.B) {
	eachBench(b, func(b *testing.B, s *store.Store) {
		ctx := context.Background()
		u := benchUser(b, s)
		at := t0
		for b.Loop() {
			at = at.Add(2 * time.Minute)
			s.IssueCode(ctx, &twostep.NewCode{UserID: u.ID, Purpose: twostep.PurposeLogin, Channel: twostep.MethodEmail, Destination: "b@example.org",
				Hash: "h", CreatedAt: at, ExpiresAt: at.Add(10 * time.Minute), Attempts: 5, ResendCutoff: at,
				Message: twostep.OutboxMessage{Channel: "email", To: "b@example.org", Body: "x", CreatedAt: at, GiveUpAt: at.Add(time.Hour), EraseAt: at.Add(time.Hour)}})
			if r, err := s.ConsumeCode(ctx, u.ID, twostep.PurposeLogin, twostep.MethodEmail, "h", at); err != nil || r.Outcome != twostep.CodeAccepted {
				b.Fatal(r, err)
			}
		}
	})
}

// BenchmarkAcceptTOTPStep: the replay-guard update of a TOTP sign-in.
func BenchmarkAcceptTOTPStep(b *testing.B) {
	eachBench(b, func(b *testing.B, s *store.Store) {
		ctx := context.Background()
		u := benchUser(b, s)
		m := &twostep.Method{UserID: u.ID, Type: twostep.MethodTOTP, Label: "bench", Secret: []byte("x"), CreatedAt: t0}
		s.StartMethod(ctx, m)
		s.CompleteMethod(ctx, m, t0, 1)
		step := int64(1)
		for b.Loop() {
			step++
			if ok, err := s.AcceptTOTPStep(ctx, u.ID, step); !ok || err != nil {
				b.Fatal(ok, err)
			}
		}
	})
}

// BenchmarkSessionLookup: find a session by its hash among 10,000.
func BenchmarkSessionLookup(b *testing.B) {
	eachBench(b, func(b *testing.B, s *store.Store) {
		ctx := context.Background()
		u := benchUser(b, s)
		var hashes [][]byte
		for i := range 10000 {
			h := sha256.Sum256([]byte(fmt.Sprint(i)))
			hashes = append(hashes, h[:])
			s.CreateSession(ctx, &twostep.Session{IDHash: h[:], UserID: u.ID, State: twostep.StateSignedIn, CreatedAt: t0, LastSeenAt: t0, AuthAt: t0})
		}
		i := 0
		for b.Loop() {
			i++
			if _, err := s.SessionByHash(ctx, hashes[i%len(hashes)]); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkOutboxClaim: claim and mark sent one message at a time.
func BenchmarkOutboxClaim(b *testing.B) {
	eachBench(b, func(b *testing.B, s *store.Store) {
		ctx := context.Background()
		for b.Loop() {
			b.StopTimer()
			s.Enqueue(ctx, &twostep.OutboxMessage{Channel: "sms", To: "+12015550123", Body: "x", CreatedAt: t0, GiveUpAt: t0.Add(time.Hour), EraseAt: t0.Add(time.Hour)})
			b.StartTimer()
			msgs, err := s.ClaimOutbox(ctx, "bench", t0, time.Minute, 1)
			if err != nil || len(msgs) != 1 {
				b.Fatal(len(msgs), err)
			}
			s.MarkSent(ctx, msgs[0].ID, "bench", t0)
		}
	})
}
