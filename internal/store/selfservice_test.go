package store_test

import (
	"context"
	"crypto/sha256"
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

func hashOf(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

// Queued reset requests are handed out once each, however many workers (and,
// on PostgreSQL, instances) take them at once.
func TestTakeResetRequestsOnce(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			dsn := storetest.DSN(t, kind)
			var stores []*store.Store
			for range 2 {
				s, err := store.Open(context.Background(), kind, dsn)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				if err := s.Migrate(context.Background()); err != nil {
					t.Fatal(err)
				}
				stores = append(stores, s)
			}
			ctx := context.Background()
			for i := range 200 {
				if err := stores[0].QueueResetRequest(ctx, &twostep.ResetRequest{Login: fmt.Sprint("u", i), Language: "en", IP: "192.0.2.1", CreatedAt: t0}); err != nil {
					t.Fatal(err)
				}
			}
			var seen sync.Map
			var total atomic.Int32
			var wg sync.WaitGroup
			for w := range 6 {
				wg.Go(func() {
					for {
						got, err := stores[w%2].TakeResetRequests(ctx, 7)
						if err != nil {
							t.Error(err)
							return
						}
						if len(got) == 0 {
							return
						}
						for _, r := range got {
							if _, dup := seen.LoadOrStore(r.ID, true); dup {
								t.Errorf("request %d taken twice", r.ID)
							}
							total.Add(1)
						}
					}
				})
			}
			wg.Wait()
			if total.Load() != 200 {
				t.Fatalf("%d of 200 requests taken", total.Load())
			}
		})
	}
}

func TestResetLinks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		_, u := seedUser(t, s, "jdoe")
		if err := s.PutReset(ctx, u.ID, hashOf("a"), t0, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.PutReset(ctx, u.ID, hashOf("b"), t0, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ResetUser(ctx, hashOf("a"), t0); !errors.Is(err, twostep.ErrNotFound) {
			t.Fatalf("replaced link: %v", err)
		}
		if id, err := s.ResetUser(ctx, hashOf("b"), t0); err != nil || id != u.ID {
			t.Fatalf("live link: %d %v", id, err)
		}
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				if ok, err := s.UseReset(ctx, u.ID, hashOf("b"), t0); err != nil {
					t.Error(err)
				} else if ok {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("used %d times", wins.Load())
		}
		if _, err := s.ResetUser(ctx, hashOf("b"), t0); !errors.Is(err, twostep.ErrNotFound) {
			t.Fatalf("used link: %v", err)
		}
		s.PutReset(ctx, u.ID, hashOf("c"), t0, t0.Add(time.Hour))
		if ok, _ := s.UseReset(ctx, u.ID, hashOf("c"), t0.Add(time.Hour)); ok {
			t.Fatal("expired link used")
		}
		if n, err := s.DeleteExpiredResets(ctx, t0.Add(time.Hour)); err != nil || n != 1 {
			t.Fatalf("purged %d: %v", n, err)
		}
		list, err := s.UsersByLogin(ctx, "JDOE@EXAMPLE.ORG", 5)
		if err != nil || len(list) != 1 || list[0].ID != u.ID {
			t.Fatalf("by email: %+v %v", list, err)
		}
	})
}

func TestUserLanguageAndCenterDays(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c, u := seedUser(t, s, "jdoe")
		if err := s.SetLanguage(ctx, u.ID, "es"); err != nil {
			t.Fatal(err)
		}
		c.TrustedBrowserDays = 7
		s.UpdateCenter(ctx, c)
		got, ctr, err := s.UserAndCenter(ctx, "jdoe")
		if err != nil || got.Language != "es" || ctr.TrustedBrowserDays != 7 {
			t.Fatalf("%+v %+v %v", got, ctr, err)
		}
	})
}
