package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/storetest"
	"github.com/providerportal/portal/internal/twostep"
)

// TestBackupWhileWriting copies a SQLite database while writers keep writing:
// the copy passes integrity_check, holds every row committed before the
// backup began, and serves a sign-in. A second backup to the same file is
// refused and leaves the first alone.
func TestBackupWhileWriting(t *testing.T) {
	ctx := context.Background()
	s := storetest.Open(t, "sqlite")
	hasher := twostep.NewHasher(twostep.Argon2Params{MemoryKiB: 8, Passes: 1, Lanes: 1})
	hash, _ := hasher.Hash(ctx, "correct horse battery staple")
	c := &twostep.Center{Name: "Maple Clinic", GraceLogins: -1, CreatedAt: t0}
	if err := s.CreateCenter(ctx, c); err != nil {
		t.Fatal(err)
	}
	u := &twostep.User{CenterID: c.ID, Username: "jdoe", Email: "j@example.org", Role: twostep.RoleProvider, PasswordHash: hash, CreatedAt: t0}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	// Enough rows that the copy takes a while.
	for range 10 {
		err := s.Atomically(ctx, func(tx twostep.Store) error {
			for range 1000 {
				if err := tx.AddAudit(ctx, &twostep.AuditEvent{At: t0, Actor: "a", Action: "filler", Target: "t", Detail: "some detail text of an event"}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	before := len(mustAudit(t, s))

	stop := make(chan struct{})
	var wrote atomic.Int64
	var wg sync.WaitGroup
	var writeErr atomic.Value
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				err := s.CreateSession(ctx, &twostep.Session{IDHash: fmt.Appendf(nil, "%d-%d", w, i), UserID: u.ID, State: twostep.StateSignedIn, CreatedAt: t0, LastSeenAt: t0, AuthAt: t0})
				if err == nil {
					err = s.AddAudit(ctx, &twostep.AuditEvent{At: t0, Actor: "w", Action: "during", Target: "t"})
				}
				if err != nil {
					writeErr.Store(err)
					return
				}
				wrote.Add(1)
			}
		})
	}
	for wrote.Load() < 50 {
		time.Sleep(time.Millisecond)
	}
	path := filepath.Join(t.TempDir(), "copy.db")
	began, start := wrote.Load(), time.Now()
	err := s.Backup(ctx, path)
	took, during := time.Since(start), wrote.Load()-began
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if err, _ := writeErr.Load().(error); err != nil {
		t.Fatalf("a write failed during the backup: %v", err)
	}
	if took > 200*time.Millisecond && during == 0 {
		t.Fatalf("no write went through during the %s backup", took)
	}
	t.Logf("backup took %s; %d writes went through meanwhile", took, during)
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("copy: %v %v", fi.Mode(), err)
	}
	if files, _ := filepath.Glob(path + "*"); len(files) != 1 {
		t.Fatalf("the copy is not one file: %v", files)
	}
	if err := store.CheckCopy(ctx, path, false); err != nil {
		t.Fatal(err)
	}

	cp, err := store.Open(ctx, "sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if err := cp.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(mustAudit(t, cp)); n < before || n > len(mustAudit(t, s)) {
		t.Fatalf("copy has %d audit events; %d before the backup, %d after", n, before, len(mustAudit(t, s)))
	}
	svc := twostep.New(cp, hasher, twostep.Keys{}, twostep.DefaultSettings(), fixedClock(t0.Add(time.Hour)), nil)
	res, err := svc.Login(ctx, "jdoe", "correct horse battery staple", "", twostep.Client{IP: "192.0.2.1"})
	if err != nil || res.State != twostep.StateSignedIn {
		t.Fatalf("sign-in on the copy: %+v %v", res, err)
	}
	if _, err := svc.Authenticate(ctx, res.Token); err != nil {
		t.Fatalf("session on the copy: %v", err)
	}

	size := fi.Size()
	if err := s.Backup(ctx, path); err == nil || !errors.Is(err, os.ErrExist) {
		t.Fatalf("backup over an existing file: %v", err)
	}
	if fi, _ := os.Stat(path); fi.Size() != size {
		t.Fatal("the refused backup changed the existing file")
	}
}

// TestBackupOnPostgresPointsToPgDump: PostgreSQL has its own tools.
func TestBackupOnPostgresPointsToPgDump(t *testing.T) {
	s := storetest.Open(t, "postgres")
	path := filepath.Join(t.TempDir(), "copy.db")
	if err := s.Backup(context.Background(), path); !errors.Is(err, store.ErrBackupPostgres) {
		t.Fatalf("got %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a file was left behind")
	}
}

func mustAudit(t *testing.T, s *store.Store) []twostep.AuditEvent {
	t.Helper()
	ev, err := s.ListAudit(context.Background(), twostep.AuditFilter{Limit: 1_000_000})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }
