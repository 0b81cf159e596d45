package store_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/storetest"
	"github.com/providerportal/portal/internal/twostep"
)

func TestPasskeysStoredCountedAndDeleted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c, u := seedUser(t, s, "jdoe")
		_, other := seedUser(t, s, "ann")
		p := &twostep.Passkey{UserID: u.ID, CredentialID: []byte{1, 2, 3, 250}, PublicKey: []byte{0xa5, 1, 2}, Name: "Laptop", SignCount: 7,
			BackupEligible: true, BackupState: true, AAGUID: make([]byte, 16), Transports: []string{"internal", "hybrid"}, AttestationFormat: "none", CreatedAt: t0}
		if err := s.AddPasskey(ctx, p, 2); err != nil || p.ID == 0 {
			t.Fatalf("add: %v", err)
		}
		if got, _ := s.UserByID(ctx, u.ID); !got.TwoStepOn {
			t.Fatal("adding a passkey did not turn 2SV on")
		}
		dup := *p
		dup.UserID = other.ID
		if err := s.AddPasskey(ctx, &dup, 2); !errors.Is(err, twostep.ErrDuplicate) {
			t.Fatalf("same credential for another person: %v", err)
		}
		second := &twostep.Passkey{UserID: u.ID, CredentialID: []byte{9}, PublicKey: []byte{1}, Name: "Phone", CreatedAt: t0.Add(time.Second)}
		if err := s.AddPasskey(ctx, second, 2); err != nil {
			t.Fatal(err)
		}
		third := &twostep.Passkey{UserID: u.ID, CredentialID: []byte{10}, PublicKey: []byte{1}, Name: "Key", CreatedAt: t0}
		if err := s.AddPasskey(ctx, third, 2); !errors.Is(err, twostep.ErrLimit) {
			t.Fatalf("over the limit: %v", err)
		}
		list, err := s.Passkeys(ctx, u.ID)
		if err != nil || len(list) != 2 {
			t.Fatalf("list: %d %v", len(list), err)
		}
		// Methods lists them too, as verified methods, after the others, in one read.
		if ms, err := s.Methods(ctx, u.ID); err != nil || len(ms) != 2 || ms[0].Type != twostep.MethodPasskey || ms[0].Label != "Laptop" ||
			ms[1].Label != "Phone" || !ms[1].Verified() || !ms[0].VerifiedAt.Equal(t0) {
			t.Fatalf("methods: %+v %v", ms, err)
		}
		got := list[0]
		if string(got.CredentialID) != string(p.CredentialID) || string(got.PublicKey) != string(p.PublicKey) || got.SignCount != 7 || !got.BackupEligible ||
			!got.BackupState || len(got.Transports) != 2 || got.Transports[1] != "hybrid" || !got.CreatedAt.Equal(t0) || !got.LastUsedAt.IsZero() {
			t.Fatalf("read back: %+v", got)
		}
		pk, owner, center, err := s.PasskeyOwner(ctx, p.CredentialID)
		if err != nil || pk.ID != p.ID || owner.ID != u.ID || center.ID != c.ID {
			t.Fatalf("owner: %+v %+v %v", pk, owner, err)
		}
		if _, _, _, err := s.PasskeyOwner(ctx, []byte("nope")); !errors.Is(err, twostep.ErrNotFound) {
			t.Fatalf("unknown: %v", err)
		}
		types, _ := s.MethodTypesByCenter(ctx, c.ID)
		if len(types[u.ID]) != 1 || types[u.ID][0] != twostep.MethodPasskey {
			t.Fatalf("center methods: %v", types)
		}
		// The counter only moves forward; an authenticator without one stays at 0.
		for _, tc := range []struct {
			count uint32
			ok    bool
		}{{8, true}, {8, false}, {5, false}, {9, true}} {
			if ok, err := s.UsePasskey(ctx, p.ID, tc.count, false, t0.Add(time.Hour)); err != nil || ok != tc.ok {
				t.Fatalf("count %d: %v %v", tc.count, ok, err)
			}
		}
		for range 2 {
			if ok, _ := s.UsePasskey(ctx, second.ID, 0, false, t0); !ok {
				t.Fatal("a counter-less passkey refused")
			}
		}
		list, _ = s.Passkeys(ctx, u.ID)
		if list[0].SignCount != 9 || list[0].BackupState || !list[0].LastUsedAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("after use: %+v", list[0])
		}
		if err := s.DeletePasskey(ctx, other.ID, p.ID, nil); !errors.Is(err, twostep.ErrNotFound) {
			t.Fatalf("another person's passkey deleted: %v", err)
		}
		if err := s.DeletePasskey(ctx, u.ID, p.ID, twostep.AllMethodTypes); err != nil {
			t.Fatal(err)
		}
		// The last verified method stays where one must (B7); a method of another kind counts.
		if err := s.DeletePasskey(ctx, u.ID, second.ID, twostep.AllMethodTypes); !errors.Is(err, twostep.ErrLastMethod) {
			t.Fatalf("last method deleted: %v", err)
		}
		email := &twostep.Method{UserID: u.ID, Type: twostep.MethodEmail, Label: "j@example.org", CreatedAt: t0}
		if err := s.StartMethod(ctx, email); err != nil {
			t.Fatal(err)
		}
		if err := s.CompleteMethod(ctx, email, t0, 0); err != nil {
			t.Fatal(err)
		}
		// Where passkeys do not count (the center does not allow them), the
		// email is the last method; where they do, it may go.
		if err := s.DeleteMethod(ctx, u.ID, twostep.MethodEmail, []twostep.MethodType{twostep.MethodEmail}); !errors.Is(err, twostep.ErrLastMethod) {
			t.Fatalf("last counted method deleted: %v", err)
		}
		if err := s.DeletePasskey(ctx, u.ID, second.ID, []twostep.MethodType{twostep.MethodEmail, twostep.MethodPasskey}); err != nil {
			t.Fatalf("passkey with an email left: %v", err)
		}
		if err := s.DeleteMethod(ctx, u.ID, twostep.MethodEmail, twostep.AllMethodTypes); !errors.Is(err, twostep.ErrLastMethod) {
			t.Fatalf("last method deleted: %v", err)
		}
		if err := s.TurnTwoStepOff(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		if list, _ := s.Passkeys(ctx, u.ID); len(list) != 0 {
			t.Fatalf("%d passkeys after turning off", len(list))
		}
	})
}

func TestPasskeyChallengeTakenOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		put := func(bound, hash string, expires time.Time) {
			t.Helper()
			if err := s.PutPasskeyChallenge(ctx, &twostep.PasskeyChallenge{BoundTo: bound, Purpose: twostep.PasskeyRegister, ChallengeHash: hash,
				UserID: 4, Name: "Laptop", ExpiresAt: expires}); err != nil {
				t.Fatal(err)
			}
		}
		put("s1", "old", t0.Add(time.Minute))
		put("s1", "new", t0.Add(time.Minute)) // replaces the old one
		if _, err := s.TakePasskeyChallenge(ctx, "s1", twostep.PasskeyRegister, "old", t0); !errors.Is(err, twostep.ErrNotFound) {
			t.Fatalf("replaced challenge taken: %v", err)
		}
		if _, err := s.TakePasskeyChallenge(ctx, "s1", twostep.PasskeySecondStep, "new", t0); !errors.Is(err, twostep.ErrNotFound) {
			t.Fatalf("other purpose: %v", err)
		}
		if _, err := s.TakePasskeyChallenge(ctx, "s2", twostep.PasskeyRegister, "new", t0); !errors.Is(err, twostep.ErrNotFound) {
			t.Fatalf("other binding: %v", err)
		}
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				c, err := s.TakePasskeyChallenge(ctx, "s1", twostep.PasskeyRegister, "new", t0)
				if err == nil && c.UserID == 4 && c.Name == "Laptop" {
					wins.Add(1)
				} else if err != nil && !errors.Is(err, twostep.ErrNotFound) {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("taken %d times", wins.Load())
		}
		put("s3", "x", t0.Add(time.Minute))
		if _, err := s.TakePasskeyChallenge(ctx, "s3", twostep.PasskeyRegister, "x", t0.Add(time.Minute)); !errors.Is(err, twostep.ErrNotFound) {
			t.Fatalf("expired challenge taken: %v", err)
		}
		put("s4", "y", t0.Add(2*time.Minute))
		if n, err := s.DeleteExpiredPasskeyChallenges(ctx, t0.Add(time.Minute)); err != nil || n != 1 {
			t.Fatalf("purged %d: %v", n, err)
		}
	})
}
