// Package storetest opens fresh, migrated databases for tests: SQLite always, and
// PostgreSQL when PORTAL_TEST_POSTGRES is set (each test gets its own schema).
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store"
)

var sixDigits = regexp.MustCompile(`\b\d{6}\b`)

// LastCode reads the 6-digit code of the newest queued message to dest, leaving
// the outbox as it was. It fails the test when there is none.
func LastCode(t testing.TB, s *store.Store, now time.Time, dest string) string {
	t.Helper()
	msgs, err := s.ClaimOutbox(context.Background(), "storetest", now, time.Millisecond, 1000)
	if err != nil {
		t.Fatal(err)
	}
	s.ReleaseLeases(context.Background(), "storetest")
	code := ""
	for _, m := range msgs {
		if m.To == dest {
			if c := sixDigits.FindString(m.Body); c != "" {
				code = c
			}
		}
	}
	if code == "" {
		t.Fatalf("no code was sent to %s", dest)
	}
	return code
}

// Kinds lists the database kinds tests run on here.
func Kinds() []string {
	if os.Getenv("PORTAL_TEST_POSTGRES") != "" {
		return []string{"sqlite", "postgres"}
	}
	return []string{"sqlite"}
}

// Each runs fn as a subtest once per database kind, with a fresh store.
func Each(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	for _, kind := range Kinds() {
		t.Run(kind, func(t *testing.T) {
			fn(t, Open(t, kind))
		})
	}
}

// Open returns a fresh migrated store of kind, closed when the test ends.
func Open(t testing.TB, kind string) *store.Store {
	t.Helper()
	dsn := DSN(t, kind)
	s, err := store.Open(context.Background(), kind, dsn)
	if err != nil {
		t.Fatalf("open %s: %v", kind, err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate %s: %v", kind, err)
	}
	return s
}

// DSN returns a fresh, empty database of kind: a file in a temporary directory,
// or a new PostgreSQL schema (dropped when the test ends) in the DSN's search_path.
func DSN(t testing.TB, kind string) string {
	t.Helper()
	if kind == "sqlite" {
		return filepath.Join(t.TempDir(), "portal.db")
	}
	base := os.Getenv("PORTAL_TEST_POSTGRES")
	if base == "" {
		t.Skip("PORTAL_TEST_POSTGRES not set")
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		admin.Close()
		t.Fatalf("postgres: create schema: %v", err)
	}
	t.Cleanup(func() {
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("PORTAL_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
