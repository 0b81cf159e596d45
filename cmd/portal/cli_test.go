package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/storetest"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "portal-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "portal")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
}

// portalCmd runs the built binary with PORTAL_DATABASE=db in dir.
func portalCmd(t *testing.T, dir, db, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PORTAL_DATABASE="+db, "PORTAL_ARGON2=m=64,t=1,p=1")
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, out.String(), errb.String()}
}

func eachDB(t *testing.T, fn func(t *testing.T, dir, db string)) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			dir := t.TempDir()
			db := "sqlite:" + filepath.Join(dir, "portal.db")
			if kind == "postgres" {
				db = storetest.DSN(t, kind)
			}
			fn(t, dir, db)
		})
	}
}

func TestCLI(t *testing.T) {
	eachDB(t, func(t *testing.T, dir, db string) {
		ok := func(r result) result {
			t.Helper()
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			return r
		}
		fails := func(r result, code int, want string) {
			t.Helper()
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			if r.code != code || len(lines) != 1 || !strings.Contains(r.stderr, want) {
				t.Fatalf("exit %d (want %d), stderr %q (want one line with %q)", r.code, code, r.stderr, want)
			}
		}
		ok(portalCmd(t, dir, db, "", "migrate"))
		r := ok(portalCmd(t, dir, db, "", "center", "create", "Maple Clinic"))
		if strings.TrimSpace(r.stdout) != "1" {
			t.Fatalf("center id %q", r.stdout)
		}
		fails(portalCmd(t, dir, db, "", "center", "create", "maple clinic"), 1, "exists")
		fails(portalCmd(t, dir, db, "", "center", "set", "Maple Clinic", "--two-step-required=true"), 1, "not available")
		ok(portalCmd(t, dir, db, "", "center", "set", "Maple Clinic", "--two-step-available=true"))
		ok(portalCmd(t, dir, db, "", "center", "set", "Maple Clinic", "--two-step-required=true"))
		fails(portalCmd(t, dir, db, "", "center", "set", "Nowhere", "--two-step-available=true"), 1, "No center named")
		fails(portalCmd(t, dir, db, "", "center", "set", "Maple Clinic", "--two-step-available=maybe"), 2, "true or false")
		r = ok(portalCmd(t, dir, db, "", "center", "list"))
		if !strings.Contains(r.stdout, "Maple Clinic") || !strings.Contains(r.stdout, "true") {
			t.Fatalf("list: %s", r.stdout)
		}
		ok(portalCmd(t, dir, db, "violet kettle marsh tuba\n", "user", "create", "--center", "Maple Clinic", "--username", "jdoe", "--email", "jdoe@example.org", "--role", "provider"))
		ok(portalCmd(t, dir, db, "violet kettle marsh tuba\n", "user", "create", "--staff", "--username", "am", "--email", "am@vendor.test"))
		fails(portalCmd(t, dir, db, "violet kettle marsh tuba\n", "user", "create", "--center", "Maple Clinic", "--username", "JDOE", "--email", "j@example.org", "--role", "admin"), 1, "taken")
		fails(portalCmd(t, dir, db, "password1234\n", "user", "create", "--center", "Maple Clinic", "--username", "weak", "--email", "w@example.org", "--role", "admin"), 1, "too common")
		fails(portalCmd(t, dir, db, "violet kettle marsh tuba\n", "user", "create", "--center", "Maple Clinic", "--username", "x", "--email", "x@example.org", "--role", "king"), 2, "provider or admin")
		fails(portalCmd(t, dir, db, "", "user", "create", "--center", "Maple Clinic", "--username", "x", "--email", "x@example.org", "--role", "admin"), 1, "password")
		fails(portalCmd(t, dir, db, "", "user", "reset-two-step", "ghost"), 1, "No such user")
		ok(portalCmd(t, dir, db, "", "user", "reset-two-step", "jdoe"))
		r = ok(portalCmd(t, dir, db, "", "user", "list", "--center", "Maple Clinic"))
		if !regexp.MustCompile(`jdoe\s+jdoe@example.org\s+provider\s+false\s+-\s+0`).MatchString(r.stdout) {
			t.Fatalf("user list: %s", r.stdout)
		}
		fails(portalCmd(t, dir, db, "", "user", "list", "--center", "Nowhere"), 1, "No center named")
		fails(portalCmd(t, dir, db, "", "frobnicate"), 2, "unknown command")
		fails(portalCmd(t, dir, db, "", "center", "list", "--bogus"), 2, "bogus")
	})
}

// backup copies the SQLite database to a new 0600 file that opens and answers;
// it never overwrites a file; on PostgreSQL it points to pg_dump.
func TestBackupCommand(t *testing.T) {
	eachDB(t, func(t *testing.T, dir, db string) {
		copyPath := filepath.Join(dir, "copy.db")
		if !strings.HasPrefix(db, "sqlite:") {
			r := portalCmd(t, dir, db, "", "backup", copyPath)
			if r.code != 1 || len(strings.Split(strings.TrimSpace(r.stderr), "\n")) != 1 || !strings.Contains(r.stderr, "pg_dump") {
				t.Fatalf("backup on PostgreSQL: exit %d, %q", r.code, r.stderr)
			}
			if _, err := os.Stat(copyPath); err == nil {
				t.Fatal("a file was written")
			}
			return
		}
		if r := portalCmd(t, dir, db, "", "backup", copyPath); r.code != 1 || !strings.Contains(r.stderr, "no database") {
			t.Fatalf("backup of no database: exit %d %q", r.code, r.stderr)
		}
		portalCmd(t, dir, db, "", "center", "create", "Maple Clinic")
		portalCmd(t, dir, db, "violet kettle marsh tuba\n", "user", "create", "--center", "Maple Clinic", "--username", "jdoe", "--email", "jdoe@example.org", "--role", "provider")
		if r := portalCmd(t, dir, db, "", "backup"); r.code != 2 {
			t.Fatalf("backup without a file: exit %d %q", r.code, r.stderr)
		}
		r := portalCmd(t, dir, db, "", "backup", copyPath)
		if r.code != 0 || !strings.Contains(r.stdout, "backed up") || !strings.Contains(r.stdout, filepath.Join(dir, "portal.key")) {
			t.Fatalf("backup: exit %d %q %q", r.code, r.stdout, r.stderr)
		}
		if fi, err := os.Stat(copyPath); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("copy: %v %v", fi, err)
		}
		r = portalCmd(t, dir, "sqlite:"+copyPath, "", "user", "list", "--center", "Maple Clinic")
		if r.code != 0 || !strings.Contains(r.stdout, "jdoe") {
			t.Fatalf("the copy does not answer: %d %q %q", r.code, r.stdout, r.stderr)
		}
		r = portalCmd(t, dir, db, "", "backup", copyPath)
		if r.code != 1 || len(strings.Split(strings.TrimSpace(r.stderr), "\n")) != 1 || !strings.Contains(r.stderr, "exists") {
			t.Fatalf("backup over a file: exit %d %q", r.code, r.stderr)
		}
	})
}

func TestBadConfigAndUnreachableDatabase(t *testing.T) {
	dir := t.TempDir()
	r := portalCmd(t, dir, "sqlite:"+filepath.Join(dir, "p.db"), "", "migrate", "--code-ttl", "soon")
	if r.code == 0 || !strings.Contains(r.stderr, "--code-ttl") {
		t.Fatalf("bad flag: %d %q", r.code, r.stderr)
	}
	r = portalCmd(t, dir, "mysql://nope", "", "migrate")
	if r.code == 0 || !strings.Contains(r.stderr, "PORTAL_DATABASE") {
		t.Fatalf("bad database: %d %q", r.code, r.stderr)
	}
	r = portalCmd(t, dir, "postgres://postgres:hunter2secret@127.0.0.1:1/none?sslmode=disable&connect_timeout=2", "", "serve", "--argon2", "m=19456,t=2,p=1")
	if r.code != 1 || len(strings.Split(strings.TrimSpace(r.stderr), "\n")) != 1 || !strings.Contains(r.stderr, "unreachable") || strings.Contains(r.stderr, "hunter2secret") {
		t.Fatalf("unreachable: %d %q", r.code, r.stderr)
	}
	os.WriteFile(filepath.Join(dir, "portal.key"), []byte("{}"), 0o644)
	r = portalCmd(t, dir, "sqlite:"+filepath.Join(dir, "p.db"), "", "migrate")
	if r.code != 1 || !strings.Contains(r.stderr, "chmod 600") {
		t.Fatalf("world-readable key: %d %q", r.code, r.stderr)
	}
}

// serve creates the first account manager once, serves, and stops cleanly on SIGTERM.
func TestServeStartsAndStops(t *testing.T) {
	eachDB(t, func(t *testing.T, dir, db string) {
		start := func(args ...string) (*exec.Cmd, string, string) {
			cmd := exec.Command(binary, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "PORTAL_DATABASE="+db, "PORTAL_ARGON2=m=64,t=1,p=1")
			out, _ := cmd.StdoutPipe()
			var errb bytes.Buffer
			cmd.Stderr = &errb
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var printed strings.Builder
			sc := bufio.NewScanner(out)
			url := ""
			for sc.Scan() {
				printed.WriteString(sc.Text() + "\n")
				if m := regexp.MustCompile(`listening on (http://\S+)`).FindStringSubmatch(sc.Text()); m != nil {
					url = m[1]
					break
				}
			}
			go func() {
				for sc.Scan() {
				}
			}()
			if url == "" {
				t.Fatalf("no listen line: %s %s", printed.String(), errb.String())
			}
			return cmd, url, printed.String()
		}
		cmd, url, printed := start("--demo")
		if !strings.Contains(printed, "username: manager") || !strings.Contains(printed, "demo-provider") {
			t.Fatalf("first start printed %q", printed)
		}
		resp, err := http.Get(url + "/readyz")
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("readyz: %v %v", resp, err)
		}
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("exit after SIGTERM: %v", err)
			}
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			t.Fatal("did not stop on SIGTERM")
		}
		cmd, _, printed = start()
		if strings.Contains(printed, "password") {
			t.Fatalf("second start printed a password: %q", printed)
		}
		cmd.Process.Signal(syscall.SIGINT)
		cmd.Wait()
	})
}

// portal user invite queues the invitation email (a running portal sends it)
// and prints nothing secret.
func TestCLIInvite(t *testing.T) {
	eachDB(t, func(t *testing.T, dir, db string) {
		portalCmd(t, dir, db, "", "center", "create", "Maple Clinic")
		r := portalCmd(t, dir, db, "", "user", "invite", "--center", "Maple Clinic", "--username", "nurse", "--email", "nurse@example.org", "--role", "provider", "--language", "es")
		if r.code != 0 || !strings.Contains(r.stdout, "invited nurse (provider) to Maple Clinic") || !strings.Contains(r.stdout, "nurse@example.org") {
			t.Fatalf("invite: %d %q %q", r.code, r.stdout, r.stderr)
		}
		kind, dsn, _ := strings.Cut(db, ":")
		if kind != "sqlite" {
			kind, dsn = "postgres", db
		}
		s, err := store.Open(context.Background(), kind, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		msgs, _ := s.ClaimOutbox(context.Background(), "cli-test", time.Now(), time.Minute, 10)
		if len(msgs) != 1 || msgs[0].To != "nurse@example.org" || !strings.Contains(msgs[0].Subject, "invitación") {
			t.Fatalf("outbox: %+v", msgs)
		}
		tok := regexp.MustCompile(`token=([A-Za-z0-9_-]{43})`).FindStringSubmatch(msgs[0].Body)
		if tok == nil || strings.Contains(r.stdout+r.stderr, tok[1]) {
			t.Fatalf("the link is missing or was printed: %q", r.stdout)
		}
		for _, c := range []struct {
			code int
			want string
			args []string
		}{
			{1, "taken", []string{"--center", "Maple Clinic", "--username", "NURSE", "--email", "n@example.org", "--role", "admin"}},
			{2, "provider or admin", []string{"--center", "Maple Clinic", "--username", "x", "--email", "x@example.org", "--role", "staff"}},
			{2, "usage", []string{"--center", "Maple Clinic", "--username", "x", "--role", "admin"}},
			{2, "--language", []string{"--center", "Maple Clinic", "--username", "x", "--email", "x@example.org", "--role", "admin", "--language", "fr"}},
			{1, "No center named", []string{"--center", "Nowhere", "--username", "x", "--email", "x@example.org", "--role", "admin"}},
		} {
			r := portalCmd(t, dir, db, "", append([]string{"user", "invite"}, c.args...)...)
			if r.code != c.code || !strings.Contains(r.stderr, c.want) || len(strings.Split(strings.TrimSpace(r.stderr), "\n")) != 1 {
				t.Errorf("%v: exit %d %q (want %d, %q)", c.args, r.code, r.stderr, c.code, c.want)
			}
		}
		r = portalCmd(t, dir, db, "violet kettle marsh tuba\n", "user", "create", "--center", "Maple Clinic", "--username", "nurse", "--email", "n@example.org", "--role", "provider")
		if r.code != 1 || !strings.Contains(r.stderr, "taken") {
			t.Fatalf("a pending invitation's username: %d %q", r.code, r.stderr)
		}
	})
}
