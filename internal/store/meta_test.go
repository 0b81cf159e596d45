package store_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/storetest"
	"github.com/providerportal/portal/internal/twostep"
)

// B26: the SQLite file holds password hashes: it and its -wal and -shm files
// are readable by their owner only, whatever the umask.
func TestSQLiteFilesArePrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "portal.db")
	ctx := context.Background()
	s, err := store.Open(ctx, "sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateCenter(ctx, &twostep.Center{Name: "C", CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		info, err := os.Stat(path + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if perm := info.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("portal.db%s has mode %04o, want 0600", suffix, perm)
		}
	}
}

// The first value recorded under a key is kept, also when two write at once.
func TestMetaFirstWriterWins(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if v, err := s.Meta(ctx, "key_fingerprint"); err != nil || v != "" {
			t.Fatalf("empty meta: %q %v", v, err)
		}
		kept := make([]string, 8)
		var wg sync.WaitGroup
		for i := range kept {
			wg.Go(func() {
				v, err := s.SetMetaOnce(ctx, "key_fingerprint", string(rune('a'+i)))
				if err != nil {
					t.Error(err)
				}
				kept[i] = v
			})
		}
		wg.Wait()
		for _, v := range kept {
			if v != kept[0] {
				t.Fatalf("writers saw different kept values: %q", kept)
			}
		}
		if v, _ := s.Meta(ctx, "key_fingerprint"); v != kept[0] {
			t.Fatalf("meta %q, kept %q", v, kept[0])
		}
	})
}
