package main

import (
	"regexp"
	"strings"
	"testing"
)

// portal app create|list|delete and portal keys rotate (CONTRACT.md), on both databases.
func TestAppCLI(t *testing.T) {
	eachDB(t, func(t *testing.T, dir, db string) {
		run := func(want int, args ...string) result {
			t.Helper()
			r := portalCmd(t, dir, db, "", args...)
			if r.code != want {
				t.Fatalf("%v: exit %d (want %d): %s %s", args, r.code, want, r.stdout, r.stderr)
			}
			if want != 0 && len(strings.Split(strings.TrimSpace(r.stderr), "\n")) != 1 {
				t.Fatalf("%v: want one line on stderr, got %q", args, r.stderr)
			}
			return r
		}
		run(0, "center", "create", "Maple Clinic")
		run(0, "center", "create", "Birch Clinic")
		r := run(0, "app", "create", "--name", "Attendance", "--redirect-uri", "https://attendance.example.org/callback",
			"--redirect-uri", "http://localhost:8000/callback", "--centers", "Maple Clinic,Birch Clinic", "--roles", "provider,admin")
		id := regexp.MustCompile(`(?m)^client_id: (\S+)$`).FindStringSubmatch(r.stdout)
		secret := regexp.MustCompile(`(?m)^client_secret: (\S{43,})$`).FindStringSubmatch(r.stdout)
		if id == nil || secret == nil || !strings.Contains(r.stdout, "issuer: ") {
			t.Fatalf("create printed %q", r.stdout)
		}
		r = run(0, "app", "create", "--name", "Mobile", "--redirect-uri", "com.example.attendance:/cb", "--public", "--require-two-step=false")
		if strings.Contains(r.stdout, "client_secret") || !strings.Contains(r.stdout, "client_id: ") {
			t.Fatalf("public create printed %q", r.stdout)
		}
		run(0, "app", "create", "--name", "Docs", "--forward-auth-host", "docs.example.org", "--roles", "staff")
		run(1, "app", "create", "--name", "docs", "--forward-auth-host", "other.example.org")
		run(1, "app", "create", "--name", "Dup host", "--forward-auth-host", "DOCS.example.org")
		run(1, "app", "create", "--name", "Both", "--forward-auth-host", "b.example.org", "--redirect-uri", "https://b.example.org/cb")
		run(1, "app", "create", "--name", "Far", "--redirect-uri", "http://far.example.org/cb")
		run(1, "app", "create", "--name", "Lost", "--forward-auth-host", "l.example.org", "--centers", "Nowhere")
		run(1, "app", "create", "--name", "King", "--forward-auth-host", "k.example.org", "--roles", "king")
		run(2, "app", "create", "--name", "Nothing")
		run(2, "app", "create", "--name", "X", "--forward-auth-host", "x.example.org", "--require-two-step=maybe")
		r = run(0, "app", "list")
		for _, want := range []*regexp.Regexp{
			regexp.MustCompile(`Attendance\s+oidc\s+` + regexp.QuoteMeta(id[1]) + `\s+provider,admin\s+Maple Clinic,Birch Clinic\s+true`),
			regexp.MustCompile(`Docs\s+forward-auth\s+docs.example.org\s+staff\s+all\s+true`),
			regexp.MustCompile(`Mobile\s+oidc-public\s+\S+\s+provider,admin,staff\s+all\s+false`),
		} {
			if !want.MatchString(r.stdout) {
				t.Fatalf("list lacks %s:\n%s", want, r.stdout)
			}
		}
		if strings.Contains(r.stdout, secret[1]) {
			t.Fatal("list shows the secret")
		}
		run(0, "app", "delete", "docs")
		run(1, "app", "delete", "Docs")
		run(2, "app", "delete")
		run(2, "app", "frob")
		r = run(0, "keys", "rotate")
		if !strings.Contains(r.stdout, "new signing key") {
			t.Fatalf("rotate printed %q", r.stdout)
		}
		run(2, "keys")
	})
}
