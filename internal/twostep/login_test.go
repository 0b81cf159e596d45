package twostep_test

import (
	"testing"
	"time"

	"github.com/providerportal/portal/internal/twostep"
)

func TestLoginAnswers(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		e.user("jdoe")
		cases := []struct {
			user, pass, want string
		}{
			{"jdoe", pw, ""},
			{"JDOE", pw, ""},
			{"jdoe", "wrong password here", twostep.EInvalidCredentials},
			{"nobody", pw, twostep.EInvalidCredentials},
			{"", pw, twostep.EInvalid},
			{"jdoe", "", twostep.EInvalid},
		}
		for _, tc := range cases {
			r, err := e.svc.Login(e.ctx, tc.user, tc.pass, "", client)
			if code(err) != tc.want && !(tc.want == "" && err == nil) {
				t.Errorf("%s/%s: %v, want %s", tc.user, tc.pass, err, tc.want)
			}
			if err == nil && r.State != twostep.StateSignedIn {
				t.Errorf("state %s", r.State)
			}
		}
	})
}

func TestPasswordThrottle(t *testing.T) {
	each(t, func(s *twostep.Settings) { s.LoginAccountLimit, s.LoginAddressLimit = 3, 5 }, func(t *testing.T, e *env) {
		e.user("jdoe")
		for range 3 {
			e.svc.Login(e.ctx, "jdoe", "wrong password here", "", client)
		}
		_, err := e.svc.Login(e.ctx, "jdoe", pw, "", client)
		expectCode(t, err, twostep.ETooManyAttempts)
		if err.(*twostep.Error).RetryAfter <= 0 {
			t.Fatal("no retry-after")
		}
		// Unknown usernames throttle the same way (no enumeration).
		for range 3 {
			e.svc.Login(e.ctx, "ghost", "wrong password here", "", twostep.Client{IP: "198.51.100.1"})
		}
		_, err = e.svc.Login(e.ctx, "ghost", "wrong password here", "", twostep.Client{IP: "198.51.100.1"})
		expectCode(t, err, twostep.ETooManyAttempts)
		// Per address: many usernames from one address.
		for _, n := range []string{"a1", "a2", "a3", "a4", "a5"} {
			e.svc.Login(e.ctx, n, "wrong password here", "", twostep.Client{IP: "203.0.113.9"})
		}
		_, err = e.svc.Login(e.ctx, "a6", "wrong password here", "", twostep.Client{IP: "203.0.113.9"})
		expectCode(t, err, twostep.ETooManyAttempts)
		// The window passes.
		e.clock.Add(16 * time.Minute)
		if _, err := e.svc.Login(e.ctx, "jdoe", pw, "", client); err != nil {
			t.Fatalf("after the window: %v", err)
		}
	})
}

func TestSessionTimeoutsAndRotation(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		e.user("jdoe")
		r := e.login("jdoe")
		first := r.Token
		e.clock.Add(29 * time.Minute)
		e.auth(first)
		e.clock.Add(29 * time.Minute) // active: idle timer restarted
		e.auth(first)
		e.clock.Add(31 * time.Minute)
		if _, err := e.svc.Authenticate(e.ctx, first); code(err) != twostep.EUnauthenticated {
			t.Fatalf("idle session still valid: %v", err)
		}
		// Absolute limit even when active.
		r = e.login("jdoe")
		for range 25 {
			e.clock.Add(29 * time.Minute)
			if _, err := e.svc.Authenticate(e.ctx, r.Token); err != nil {
				if e.clock.Now().Sub(r.Session.CreatedAt) <= 12*time.Hour {
					t.Fatalf("ended early: %v", err)
				}
				break
			}
			if e.clock.Now().Sub(r.Session.CreatedAt) > 12*time.Hour {
				t.Fatal("session outlived the absolute limit")
			}
		}
		// A new sign-in gets a new id and ends the old one passed in.
		a := e.login("jdoe")
		b, err := e.svc.Login(e.ctx, "jdoe", pw, a.Token, client)
		if err != nil || b.Token == a.Token {
			t.Fatalf("new login: %v", err)
		}
		if _, err := e.svc.Authenticate(e.ctx, a.Token); err == nil {
			t.Fatal("old session survived a new sign-in")
		}
		if _, err := e.svc.Authenticate(e.ctx, "garbage"); code(err) != twostep.EUnauthenticated {
			t.Fatal("garbage token accepted")
		}
	})
}

func TestRolesCreateUsers(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		other, _ := e.svc.CreateCenter(e.ctx, e.staff, "Oak School", client)
		admin, err := e.svc.CreateUser(e.ctx, e.staff, twostep.NewUser{CenterID: e.center.ID, Username: "boss", Email: "boss@example.org", Password: pw, Role: twostep.RoleAdmin}, client)
		if err != nil {
			t.Fatal(err)
		}
		prov := e.user("jdoe")
		nu := func(center int64, role twostep.Role) twostep.NewUser {
			return twostep.NewUser{CenterID: center, Username: "new" + string(role), Email: "n@example.org", Password: pw, Role: role}
		}
		cases := []struct {
			name  string
			actor *twostep.User
			nu    twostep.NewUser
			want  string
		}{
			{"admin own center", admin, nu(e.center.ID, twostep.RoleProvider), ""},
			{"admin other center", admin, nu(other.ID, twostep.RoleAdmin), twostep.EForbidden},
			{"admin makes staff", admin, nu(0, twostep.RoleStaff), twostep.EForbidden},
			{"provider", prov, nu(e.center.ID, twostep.RoleProvider), twostep.EForbidden},
			{"duplicate", e.staff, twostep.NewUser{CenterID: e.center.ID, Username: "JDOE", Email: "j@example.org", Password: pw, Role: twostep.RoleProvider}, twostep.EConflict},
			{"weak", e.staff, twostep.NewUser{CenterID: e.center.ID, Username: "w", Email: "w@example.org", Password: "password1234", Role: twostep.RoleProvider}, twostep.EWeakPassword},
			{"bad email", e.staff, twostep.NewUser{CenterID: e.center.ID, Username: "w", Email: "W <w@x.org>", Password: pw, Role: twostep.RoleProvider}, twostep.EInvalidEmail},
			{"bad role", e.staff, nu(e.center.ID, "king"), twostep.EInvalid},
			{"staff in center", e.staff, nu(e.center.ID, twostep.RoleStaff), twostep.EInvalid},
			{"no center", e.staff, nu(999, twostep.RoleProvider), twostep.ENotFound},
			{"bad username", e.staff, twostep.NewUser{CenterID: e.center.ID, Username: "a b", Email: "a@example.org", Password: pw, Role: twostep.RoleProvider}, twostep.EInvalid},
		}
		for _, tc := range cases {
			_, err := e.svc.CreateUser(e.ctx, tc.actor, tc.nu, client)
			if code(err) != tc.want && !(tc.want == "" && err == nil) {
				t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
			}
		}
		if _, err := e.svc.CreateCenter(e.ctx, admin, "Mine", client); code(err) != twostep.EForbidden {
			t.Errorf("admin created a center: %v", err)
		}
		if _, err := e.svc.CreateCenter(e.ctx, e.staff, "oak school", client); code(err) != twostep.EConflict {
			t.Errorf("duplicate center: %v", err)
		}
	})
}

func TestChangePassword(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		e.user("jdoe")
		a, b := e.login("jdoe"), e.login("jdoe")
		auth := e.auth(a.Token)
		expectCode(t, e.svc.ChangePassword(e.ctx, auth, "wrong password here", "new lantern harbor quilt", client), twostep.EInvalidCredentials)
		expectCode(t, e.svc.ChangePassword(e.ctx, auth, pw, "password1234", client), twostep.EWeakPassword)
		if err := e.svc.ChangePassword(e.ctx, auth, pw, "new lantern harbor quilt", client); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Authenticate(e.ctx, b.Token); err == nil {
			t.Fatal("other session survived a password change")
		}
		e.auth(auth.Token)
		if _, err := e.svc.Login(e.ctx, "jdoe", "new lantern harbor quilt", "", client); err != nil {
			t.Fatal(err)
		}
	})
}
