package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// oneLineFailure checks a failed command: the exit code and one line on stderr
// containing every want.
func oneLineFailure(t *testing.T, r result, code int, want ...string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if r.code != code || len(lines) != 1 {
		t.Fatalf("exit %d (want %d), stderr %q (want one line)", r.code, code, r.stderr)
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			t.Fatalf("stderr %q lacks %q", r.stderr, w)
		}
	}
}

// nothingWritten fails when dir holds a database, a key file or anything else.
func nothingWritten(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		t.Errorf("%s was written although the portal did not start", e.Name())
	}
}

// B26: serve checks that it can listen before it writes anything, so a busy
// port leaves no database, key file or printed passwords behind.
func TestBusyPortWritesNothing(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "portal.db")
	r := portalCmd(t, dir, db, "", "serve", "--demo", "--addr", busy.Addr().String(), "--argon2", "m=19456,t=2,p=1")
	oneLineFailure(t, r, 1, "listen on "+busy.Addr().String(), "PORTAL_ADDR")
	if strings.Contains(r.stdout, "password") {
		t.Fatalf("passwords printed for a portal that did not start: %q", r.stdout)
	}
	nothingWritten(t, dir)

	r = portalCmd(t, dir, db, "", "serve", "--addr", ":99999")
	oneLineFailure(t, r, 1, "--addr:", "65535")
	nothingWritten(t, dir)
	r = portalCmd(t, dir, db, "", "serve", "--addr", "8080")
	oneLineFailure(t, r, 1, "--addr:")
	nothingWritten(t, dir)
}

// B26: a database remembers the key file it was written with; another key file,
// or a missing one, is refused with one line naming both paths, and no key is
// ever created for a database that holds data.
func TestKeyFileMustMatchTheDatabase(t *testing.T) {
	eachDB(t, func(t *testing.T, dir, db string) {
		key := filepath.Join(dir, "portal.key")
		r := portalCmd(t, dir, db, "violet kettle marsh tuba\n", "user", "create", "--staff", "--username", "am", "--email", "am@vendor.test", "--key-file", key)
		if r.code != 0 {
			t.Fatalf("create: %s", r.stderr)
		}
		typo := filepath.Join(dir, "portal.kye")
		r = portalCmd(t, dir, db, "", "center", "list", "--key-file", typo)
		oneLineFailure(t, r, 1, typo, "does not exist", "already holds data")
		if _, err := os.Stat(typo); err == nil {
			t.Fatal("a key file was created for a database that holds data")
		}
		// Another real key file (made for another database) does not match.
		other := t.TempDir()
		otherKey := filepath.Join(other, "portal.key")
		if r := portalCmd(t, other, "sqlite:"+filepath.Join(other, "p.db"), "", "migrate", "--key-file", otherKey); r.code != 0 {
			t.Fatal(r.stderr)
		}
		r = portalCmd(t, dir, db, "", "center", "list", "--key-file", otherKey)
		oneLineFailure(t, r, 1, otherKey, "does not match", "another key file")
		if strings.HasPrefix(db, "sqlite:") && !strings.Contains(r.stderr, strings.TrimPrefix(db, "sqlite:")) {
			t.Fatalf("the database is not named: %q", r.stderr)
		}
		if r := portalCmd(t, dir, db, "", "center", "list", "--key-file", key); r.code != 0 {
			t.Fatalf("the right key file: %s", r.stderr)
		}
	})
}

// B26: the SQLite file holds password hashes and is created 0600.
func TestSQLiteFileIsCreatedPrivate(t *testing.T) {
	dir := t.TempDir()
	if r := portalCmd(t, dir, "sqlite:"+filepath.Join(dir, "portal.db"), "", "migrate"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	for _, name := range []string{"portal.db", "portal.key"} {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %04o, want 0600", name, info.Mode().Perm())
		}
	}
}

// CLI messages name the thing and say how to do it right.
func TestCLIMessagesNameTheThing(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "portal.db")
	portalCmd(t, dir, db, "", "center", "create", "Maple Clinic")
	oneLineFailure(t, portalCmd(t, dir, db, "", "user", "reset-two-step", "bob"), 1, `No such user "bob"`)
	oneLineFailure(t, portalCmd(t, dir, db, "", "user", "create", "--center", "Maple Clinic", "--username", "x", "--email", "x@example.org", "--role", "admin"),
		1, "no password on standard input", `printf '%s\n' "$PW" | portal user create`)
}
