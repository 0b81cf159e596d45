package twostep_test

import (
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/twostep"
)

func (e *env) app(na twostep.NewApp) (*twostep.App, string) {
	e.t.Helper()
	app, secret, err := e.svc.CreateApp(e.ctx, e.staff, na, client)
	if err != nil {
		e.t.Fatalf("create app: %v", err)
	}
	return app, secret
}

// Registering apps: every rule of the registry, on both databases.
func TestCreateAppRules(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		e.app(twostep.NewApp{Name: "Taken", RedirectURIs: []string{"https://taken.example/cb"}})
		e.app(twostep.NewApp{Name: "Gate", Hosts: []string{"gate.example.org"}})
		f := false
		for _, tc := range []struct {
			name string
			na   twostep.NewApp
			want string // "" = accepted
		}{
			{"https", twostep.NewApp{Name: "A1", RedirectURIs: []string{"https://a.example/cb?x=1"}}, ""},
			{"http loopback", twostep.NewApp{Name: "A2", RedirectURIs: []string{"http://127.0.0.1:8000/cb", "http://localhost/cb", "http://[::1]:9/cb"}}, ""},
			{"http elsewhere", twostep.NewApp{Name: "A3", RedirectURIs: []string{"http://a.example/cb"}}, twostep.EInvalid},
			{"private scheme, public", twostep.NewApp{Name: "A4", Public: true, RedirectURIs: []string{"com.example.app:/cb"}}, ""},
			{"private scheme, confidential", twostep.NewApp{Name: "A5", RedirectURIs: []string{"com.example.app:/cb"}}, twostep.EInvalid},
			{"javascript scheme", twostep.NewApp{Name: "A6", Public: true, RedirectURIs: []string{"javascript:alert(1)"}}, twostep.EInvalid},
			{"fragment", twostep.NewApp{Name: "A7", RedirectURIs: []string{"https://a.example/cb#x"}}, twostep.EInvalid},
			{"user info", twostep.NewApp{Name: "A8", RedirectURIs: []string{"https://u:p@a.example/cb"}}, twostep.EInvalid},
			{"relative", twostep.NewApp{Name: "A9", RedirectURIs: []string{"/cb"}}, twostep.EInvalid},
			{"space", twostep.NewApp{Name: "A10", RedirectURIs: []string{"https://a.example/c b"}}, twostep.EInvalid},
			{"too long", twostep.NewApp{Name: "A11", RedirectURIs: []string{"https://a.example/" + strings.Repeat("x", 2000)}}, twostep.EInvalid},
			{"too many", twostep.NewApp{Name: "A12", RedirectURIs: strings.Split(strings.Repeat("https://a.example/cb,", 11), ",")[:11]}, twostep.EInvalid},
			{"both kinds", twostep.NewApp{Name: "A13", RedirectURIs: []string{"https://a.example/cb"}, Hosts: []string{"a.example"}}, twostep.EInvalid},
			{"neither", twostep.NewApp{Name: "A14"}, twostep.EInvalid},
			{"no name", twostep.NewApp{RedirectURIs: []string{"https://a.example/cb"}}, twostep.EInvalid},
			{"name taken (any case)", twostep.NewApp{Name: "taken", RedirectURIs: []string{"https://b.example/cb"}}, twostep.EConflict},
			{"host", twostep.NewApp{Name: "H1", Hosts: []string{"Docs.Example.ORG", "docs.example.org:8443", "[::1]:8080"}}, ""},
			{"host taken", twostep.NewApp{Name: "H2", Hosts: []string{"GATE.example.org"}}, twostep.EConflict},
			{"host with scheme", twostep.NewApp{Name: "H3", Hosts: []string{"https://x.example"}}, twostep.EInvalid},
			{"host with path", twostep.NewApp{Name: "H4", Hosts: []string{"x.example/app"}}, twostep.EInvalid},
			{"host underscore", twostep.NewApp{Name: "H5", Hosts: []string{"a_b.example"}}, twostep.EInvalid},
			{"host bad port", twostep.NewApp{Name: "H6", Hosts: []string{"x.example:99999"}}, twostep.EInvalid},
			{"public forward auth", twostep.NewApp{Name: "H7", Hosts: []string{"y.example"}, Public: true}, twostep.EInvalid},
			{"unknown center", twostep.NewApp{Name: "C1", Hosts: []string{"c1.example"}, Centers: []string{"Nowhere"}}, twostep.ENotFound},
			{"unknown role", twostep.NewApp{Name: "R1", Hosts: []string{"r1.example"}, Roles: []twostep.Role{"root"}}, twostep.EInvalid},
			{"no role", twostep.NewApp{Name: "R2", Hosts: []string{"r2.example"}, Roles: []twostep.Role{}}, twostep.EInvalid},
			{"optional 2SV", twostep.NewApp{Name: "T1", Hosts: []string{"t1.example"}, RequireTwoStep: &f}, ""},
		} {
			_, _, err := e.svc.CreateApp(e.ctx, e.staff, tc.na, client)
			if got := twostep.ErrorCode(err); (tc.want == "" && err != nil) || (tc.want != "" && got != tc.want) {
				t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
			}
		}
		if _, _, err := e.svc.CreateApp(e.ctx, e.user("prov"), twostep.NewApp{Name: "X", Hosts: []string{"x.example"}}, client); code(err) != twostep.EForbidden {
			t.Fatalf("a provider registered an app: %v", err)
		}
		apps, _ := e.svc.ListApps(e.ctx, e.staff)
		byName := map[string]twostep.App{}
		for _, a := range apps {
			byName[a.Name] = a
		}
		if h := byName["H1"].Hosts; strings.Join(h, " ") != "[::1]:8080 docs.example.org docs.example.org:8443" {
			t.Fatalf("hosts %v", h)
		}
		if a := byName["A1"]; !a.RequireTwoStep || len(a.Roles) != 3 || len(a.Centers) != 0 || a.ClientID == "" {
			t.Fatalf("defaults %+v", a)
		}
		if byName["T1"].RequireTwoStep {
			t.Fatal("--require-two-step=false ignored")
		}
	})
}

// A secret is shown once, stored hashed, and checked in constant time; a
// public client has none.
func TestAppSecrets(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		app, secret := e.app(twostep.NewApp{Name: "Conf", RedirectURIs: []string{"https://a.example/cb"}})
		if len(secret) < 43 || strings.Contains(app.SecretHash, secret) || !app.CheckSecret(secret) || app.CheckSecret(secret+"x") || app.CheckSecret("") {
			t.Fatalf("secret %q hash %q", secret, app.SecretHash)
		}
		stored, err := e.svc.AppByClientID(e.ctx, app.ClientID)
		if err != nil || !stored.CheckSecret(secret) {
			t.Fatalf("stored app: %v", err)
		}
		pub, none := e.app(twostep.NewApp{Name: "Pub", Public: true, RedirectURIs: []string{"https://b.example/cb"}})
		if none != "" || pub.CheckSecret("") || pub.CheckSecret("anything") {
			t.Fatal("a public client has no secret")
		}
		events, _ := e.svc.AuditLog(e.ctx, e.staff, twostep.AuditQuery{Limit: 50})
		for _, ev := range events {
			if strings.Contains(ev.Detail, secret) || strings.Contains(ev.Target, secret) {
				t.Fatal("the secret is in the audit log")
			}
		}
	})
}

// Who may use an app: its roles, its centers; account managers by role.
func TestAppAdmits(t *testing.T) {
	provider := &twostep.User{Role: twostep.RoleProvider, CenterID: 1}
	admin2 := &twostep.User{Role: twostep.RoleAdmin, CenterID: 2}
	staff := &twostep.User{Role: twostep.RoleStaff}
	for _, tc := range []struct {
		app  twostep.App
		u    *twostep.User
		want bool
	}{
		{twostep.App{Roles: twostep.AllRoles}, provider, true},
		{twostep.App{Roles: twostep.AllRoles, Centers: []int64{2}}, provider, false},
		{twostep.App{Roles: twostep.AllRoles, Centers: []int64{2}}, admin2, true},
		{twostep.App{Roles: twostep.AllRoles, Centers: []int64{2}}, staff, true},
		{twostep.App{Roles: []twostep.Role{twostep.RoleAdmin}}, provider, false},
		{twostep.App{Roles: []twostep.Role{twostep.RoleProvider, twostep.RoleAdmin}}, staff, false},
		{twostep.App{Roles: twostep.AllRoles}, nil, false},
	} {
		if got := tc.app.Admits(tc.u); got != tc.want {
			t.Errorf("%+v admits %+v: %v", tc.app, tc.u, got)
		}
	}
}

// What an app asks of a session (table over states, methods and the beta).
func TestJudgeApp(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		strict, _ := e.app(twostep.NewApp{Name: "Strict", Hosts: []string{"strict.example"}})
		f := false
		lax, _ := e.app(twostep.NewApp{Name: "Lax", Hosts: []string{"lax.example"}, RequireTwoStep: &f})
		verdict := func(a *twostep.Auth, app *twostep.App, fresh time.Time) twostep.AppDecision {
			t.Helper()
			d, err := e.svc.JudgeApp(e.ctx, a, app, fresh)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		if d := verdict(nil, strict, time.Time{}); d.Verdict != twostep.AppSignIn {
			t.Fatalf("nobody: %v", d)
		}
		e.user("plain")
		a := e.auth(e.login("plain").Token)
		if d := verdict(a, strict, time.Time{}); d.Verdict != twostep.AppRefused || d.Reason != twostep.RefusedTwoStepNotOffered {
			t.Fatalf("no beta: %+v", d)
		}
		if d := verdict(a, lax, time.Time{}); d.Verdict != twostep.AppAllowed {
			t.Fatalf("lax: %+v", d)
		}
		if d := verdict(a, lax, e.clock.Now().Add(time.Second)); d.Verdict != twostep.AppSignIn {
			t.Fatalf("too old a sign-in: %+v", d)
		}
		e.setBeta(true)
		a = e.auth(a.Token)
		if d := verdict(a, strict, time.Time{}); d.Verdict != twostep.AppSetup {
			t.Fatalf("no method: %+v", d)
		}
		if err := e.svc.StartAppTwoStep(e.ctx, a, strict, client); err != nil {
			t.Fatal(err)
		}
		if a = e.auth(a.Token); a.Session.State != twostep.StateSetupRequired {
			t.Fatalf("state %s", a.Session.State)
		}
		if d := verdict(a, strict, time.Time{}); d.Verdict != twostep.AppSignIn {
			t.Fatalf("mid-setup: %+v", d)
		}
		// An app that refuses gives no way to start the second step.
		other, _ := e.app(twostep.NewApp{Name: "Admins", Hosts: []string{"admins.example"}, Roles: []twostep.Role{twostep.RoleAdmin}})
		b := e.withTwoStepOn("b")
		if err := e.svc.StartAppTwoStep(e.ctx, b, other, client); code(err) != twostep.EAccessDenied {
			t.Fatalf("refused app: %v", err)
		}
	})
}

// sub is stable, differs per person, and does not show the id.
func TestAppSubject(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		u1, u2 := e.user("one"), e.user("two")
		s1 := e.svc.AppSubject(u1.ID)
		if s1 != e.svc.AppSubject(u1.ID) || s1 == e.svc.AppSubject(u2.ID) || s1 == strconv.FormatInt(u1.ID, 10) || len(s1) < 20 {
			t.Fatalf("subjects %q %q", s1, e.svc.AppSubject(u2.ID))
		}
	})
}

// completedRequest makes an authorization request with a code, as the
// provider does after the sign-in.
func (e *env) completedRequest(app *twostep.App, a *twostep.Auth, code string) *twostep.AppAuthRequest {
	e.t.Helper()
	r, err := e.svc.NewAuthRequest(e.ctx, app, []byte(`{}`))
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.svc.CompleteAuthRequest(e.ctx, r, a, app, client); err != nil {
		e.t.Fatal(err)
	}
	if err := e.svc.SetAuthCode(e.ctx, r.ID, code); err != nil {
		e.t.Fatal(err)
	}
	if err := e.svc.SetAuthCode(e.ctx, r.ID, code+"2"); code2(err) != twostep.ENotFound {
		e.t.Fatalf("a second code for one request: %v", err)
	}
	got, err := e.svc.AuthRequestByCode(e.ctx, code)
	if err != nil {
		e.t.Fatal(err)
	}
	return got
}

func code2(err error) string { return twostep.ErrorCode(err) }

// Codes and refresh tokens are used once under concurrency, on both databases
// (the database decides: one conditional write).
func TestAppTokensSingleUse(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		app, _ := e.app(twostep.NewApp{Name: "App", RedirectURIs: []string{"https://a.example/cb"}})
		e.user("jdoe")
		a := e.auth(e.login("jdoe").Token)
		r := e.completedRequest(app, a, "the-code")
		var wins, losses int
		var mu sync.Mutex
		var wg sync.WaitGroup
		var first *twostep.AppTokens
		for range 16 {
			wg.Go(func() {
				toks, err := e.svc.RedeemCode(e.ctx, r, []string{"openid"}, true)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					wins++
					first = toks
				case code(err) == twostep.EInvalidGrant:
					losses++
				default:
					t.Errorf("redeem: %v", err)
				}
			})
		}
		wg.Wait()
		if wins != 1 || losses != 15 {
			t.Fatalf("redeemed %d times (%d refused)", wins, losses)
		}
		// A replayed code revokes what the first use gave.
		if _, err := e.svc.AuthRequestByCode(e.ctx, "the-code"); code(err) != twostep.EInvalidGrant {
			t.Fatalf("replay: %v", err)
		}
		if _, err := e.svc.AccessSignIn(e.ctx, first.AccessID); code(err) != twostep.EInvalidGrant {
			t.Fatalf("access token after a replay: %v", err)
		}

		// Refresh: of racing rotations one wins; the family is then revoked.
		r2 := e.completedRequest(app, a, "code-two")
		toks, err := e.svc.RedeemCode(e.ctx, r2, []string{"openid"}, true)
		if err != nil {
			t.Fatal(err)
		}
		in, err := e.svc.RefreshGrant(e.ctx, toks.Refresh)
		if err != nil {
			t.Fatal(err)
		}
		wins = 0
		for range 16 {
			wg.Go(func() {
				_, err := e.svc.RotateRefresh(e.ctx, in.Grant, toks.Refresh)
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					wins++
				} else if code(err) != twostep.EInvalidGrant {
					t.Errorf("rotate: %v", err)
				}
			})
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("a refresh token rotated %d times", wins)
		}
		if _, err := e.svc.RefreshGrant(e.ctx, toks.Refresh); code(err) != twostep.EInvalidGrant {
			t.Fatalf("reuse: %v", err)
		}
	})
}

// Whatever ends a person's other sessions (B15) ends their apps' tokens too;
// removing an app ends its tokens; a person the app stops admitting cannot refresh.
func TestAppTokensEnd(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		app, _ := e.app(twostep.NewApp{Name: "App", RedirectURIs: []string{"https://a.example/cb"}})
		e.user("jdoe")
		a := e.auth(e.login("jdoe").Token)
		issue := func(c string) *twostep.AppTokens {
			t.Helper()
			toks, err := e.svc.RedeemCode(e.ctx, e.completedRequest(app, a, c), []string{"openid"}, true)
			if err != nil {
				t.Fatal(err)
			}
			return toks
		}
		toks := issue("c1")
		if err := e.svc.RevokeOtherSessions(e.ctx, a, client); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.RefreshGrant(e.ctx, toks.Refresh); code(err) != twostep.EInvalidGrant {
			t.Fatalf("after signing out the other sessions: %v", err)
		}
		toks = issue("c2")
		if err := e.svc.DeleteApp(e.ctx, e.staff, "app", client); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.AccessSignIn(e.ctx, toks.AccessID); code(err) != twostep.EInvalidGrant {
			t.Fatalf("after removing the app: %v", err)
		}
		// Expiry: refresh tokens end with their grant.
		app2, _ := e.app(twostep.NewApp{Name: "App2", RedirectURIs: []string{"https://b.example/cb"}})
		app = app2
		toks = issue("c3")
		e.clock.Add(e.svc.Settings().AppRefreshTTL + time.Minute)
		if _, err := e.svc.RefreshGrant(e.ctx, toks.Refresh); code(err) != twostep.EInvalidGrant {
			t.Fatalf("after the refresh lifetime: %v", err)
		}
		if n, err := e.svc.SweepApps(e.ctx); err != nil || n == 0 {
			t.Fatalf("sweep: %d %v", n, err)
		}
	})
}

// Signing keys: one active at a time, even when instances start together; a
// rotated key stays published until its tokens expired, then is swept.
func TestSigningKeys(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				if err := e.svc.EnsureSigningKey(e.ctx); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		pub, err := e.svc.PublishedKeys(e.ctx)
		if err != nil || len(pub) != 1 {
			t.Fatalf("after starting together: %d keys, %v", len(pub), err)
		}
		old := pub[0].ID
		if _, err := e.svc.RotateSigningKey(e.ctx, e.user("prov"), client); code(err) != twostep.EForbidden {
			t.Fatalf("a provider rotated keys: %v", err)
		}
		k, err := e.svc.RotateSigningKey(e.ctx, e.staff, client)
		if err != nil {
			t.Fatal(err)
		}
		active, _, err := e.svc.ActiveSigningKey(e.ctx)
		if err != nil || active.ID != k.ID {
			t.Fatalf("active %v, want %s", active, k.ID)
		}
		pub, _ = e.svc.PublishedKeys(e.ctx)
		if len(pub) != 2 {
			t.Fatalf("published %d keys after a rotation", len(pub))
		}
		e.clock.Add(e.svc.Settings().AppTokenTTL + 6*time.Minute)
		pub, _ = e.svc.PublishedKeys(e.ctx)
		if len(pub) != 1 || pub[0].ID != k.ID {
			t.Fatalf("still published: %v (old %s)", pub, old)
		}
		if _, err := e.svc.SweepApps(e.ctx); err != nil {
			t.Fatal(err)
		}
		all, _ := e.store.SigningKeys(e.ctx)
		if len(all) != 1 {
			t.Fatalf("%d keys stored after the sweep", len(all))
		}
		if strings.Contains(string(all[0].Private), "PRIVATE") || len(all[0].Private) < 100 {
			t.Fatal("the private key is not sealed")
		}
	})
}

// Review (issue 11), finding 5: rd, which comes from whoever made the link,
// goes only to a registered host exactly as registered, over https when the
// portal is served over https.
func TestReturnTargetIsExact(t *testing.T) {
	each(t, func(s *twostep.Settings) { s.PublicURL = "https://auth.example.org" }, func(t *testing.T, e *env) {
		if _, _, err := e.svc.CreateApp(e.ctx, e.staff, twostep.NewApp{Name: "Docs", Hosts: []string{"docs.example.org", "wiki.example.org:8443"}}, client); err != nil {
			t.Fatal(err)
		}
		for rd, ok := range map[string]bool{
			"https://docs.example.org/a?b=1":      true,
			"https://DOCS.example.org:443/a":      true,
			"https://wiki.example.org:8443/":      true,
			"https://auth.example.org/account":    true,
			"http://docs.example.org/a":           false, // plain http while the portal is https
			"https://docs.example.org:9999/a":     false,
			"https://wiki.example.org/":           false, // registered with its port only
			"https://docs.example.org.evil.test/": false,
			"http://auth.example.org/account":     false,
		} {
			_, _, err := e.svc.ReturnTarget(e.ctx, rd)
			if (err == nil) != ok {
				t.Errorf("ReturnTarget(%s): %v, want accepted=%v", rd, err, ok)
			}
		}
	})
}
