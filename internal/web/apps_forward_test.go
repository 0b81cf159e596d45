package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/twostep"
)

// check asks the forward-auth endpoint about a request to rawURL, as a proxy
// does with the browser's cookies.
func (c *client) check(rawURL string, hdr ...string) answer {
	c.p.t.Helper()
	u, _ := url.Parse(rawURL)
	h := append([]string{"X-Forwarded-Method", "GET", "X-Forwarded-Proto", u.Scheme, "X-Forwarded-Host", u.Host, "X-Forwarded-Uri", u.RequestURI()}, hdr...)
	return c.do("GET", "/api/v1/forward-auth", nil, h...)
}

func (p *portal) forwardApp(na twostep.NewApp) {
	p.t.Helper()
	if _, _, err := p.svc.CreateApp(context.Background(), p.staff, na, twostep.Client{}); err != nil {
		p.t.Fatal(err)
	}
}

// The forward-auth check (CONTRACT.md): 200 with the person's headers, a
// redirect (or 401) to the portal's sign-in with rd, 403 for people the app
// does not admit, for hosts no app protects.
func TestForwardAuth(t *testing.T) {
	each(t, opts{apps: true}, func(t *testing.T, p *portal) {
		p.beta(true)
		key := p.totpUser("jdoe", twostep.RoleProvider)
		p.otherCenter("Birch Clinic", "stranger")
		p.forwardApp(twostep.NewApp{Name: "Docs", Hosts: []string{"docs.example.org"}, Centers: []string{"Maple Clinic"}})
		public := p.svc.Settings().PublicURL
		orig := "https://docs.example.org/reports/42?view=full&x=%2F"

		c := p.client()
		a := c.check(orig)
		want := public + "/login?rd=" + url.QueryEscape(orig)
		if a.status != 302 || a.header.Get("Location") != want {
			t.Fatalf("not signed in: %d %s, want 302 %s", a.status, a.header.Get("Location"), want)
		}
		for _, h := range [][]string{{"Accept", "application/json"}} {
			if a := c.check(orig, h...); a.status != 401 || a.header.Get("Location") != want || a.errCode() != "unauthenticated" {
				t.Fatalf("json: %d %s", a.status, a.raw)
			}
		}
		if a := c.do("GET", "/api/v1/forward-auth?mode=401", nil, "X-Original-URL", orig); a.status != 401 || a.header.Get("Location") != want {
			t.Fatalf("nginx mode: %d %s", a.status, a.header.Get("Location"))
		}

		// Half-way through signing in is not signed in.
		c.login("jdoe")
		if a := c.check(orig); a.status != 302 {
			t.Fatalf("two_step session: %d", a.status)
		}
		c = p.client()
		c.signIn2SV("jdoe", key)
		a = c.check(orig)
		if a.status != 200 || a.header.Get("Remote-User") != "jdoe" || a.header.Get("Remote-Email") != "jdoe@example.org" ||
			a.header.Get("Remote-Role") != "provider" || a.header.Get("Remote-Center") != "Maple Clinic" {
			t.Fatalf("allowed: %d %v", a.status, a.header)
		}
		if a := c.do("GET", "/api/v1/forward-auth", nil, "X-Original-URL", orig); a.status != 200 || a.header.Get("Remote-User") != "jdoe" {
			t.Fatalf("X-Original-URL: %d", a.status)
		}
		// Port in the host: the registered host without a port matches.
		if a := c.check("https://docs.example.org:8443/"); a.status != 200 {
			t.Fatalf("with a port: %d", a.status)
		}
		// A host no app protects: refused.
		if a := c.check("https://other.example.org/"); a.status != 403 || a.errCode() != "access_denied" {
			t.Fatalf("unknown host: %d %s", a.status, a.raw)
		}
		// Another center's person: 403.
		s := p.client()
		s.login("stranger")
		if a := s.check(orig); a.status != 403 {
			t.Fatalf("other center: %d", a.status)
		}
		// Signed in with the password alone where the app needs 2SV: back to
		// the portal, which asks for what is missing.
		p.user("nob", twostep.RoleProvider)
		n := p.client()
		n.login("nob")
		if a := n.check(orig); a.status != 302 {
			t.Fatalf("no 2SV: %d", a.status)
		}
		// Malformed requests: 400, never 500.
		for _, h := range [][]string{nil, {"X-Original-URL", "::not a url"}, {"X-Original-URL", "ftp://docs.example.org/"},
			{"X-Forwarded-Host", "docs.example.org/evil", "X-Forwarded-Uri", "/"}, {"X-Forwarded-Host", "docs.example.org", "X-Forwarded-Uri", "no-slash"},
			{"X-Forwarded-Host", "docs.example.org", "X-Forwarded-Proto", "gopher"}} {
			if a := c.do("GET", "/api/v1/forward-auth", nil, h...); a.status != 400 {
				t.Errorf("headers %v: %d", h, a.status)
			}
		}
		// Review (issue 11), finding 1: proxies pass the client's own headers on
		// (Caddy and Traefik keep a client's X-Original-URL, nginx a client's
		// X-Forwarded-Host), so the two must agree, and neither may come twice.
		p.forwardApp(twostep.NewApp{Name: "Open", Hosts: []string{"open.example.org"}, RequireTwoStep: new(bool)})
		if a := n.check("https://open.example.org/"); a.status != 200 {
			t.Fatalf("open app, password only: %d", a.status)
		}
		for _, h := range [][]string{
			{"X-Original-URL", "https://open.example.org/"}, // a client's header through Caddy: the proxy set docs.example.org
			{"X-Original-URL", "https://OPEN.example.org/x"},
		} {
			if a := n.check(orig, h...); a.status != 400 {
				t.Errorf("client-sent %v beside the proxy's host: %d", h, a.status)
			}
		}
		if a := n.do("GET", "/api/v1/forward-auth", nil, "X-Original-URL", orig, "X-Forwarded-Host", "open.example.org"); a.status != 400 {
			t.Errorf("client-sent X-Forwarded-Host beside nginx's X-Original-URL: %d", a.status)
		}
		req, _ := http.NewRequest("GET", p.srv.URL+"/api/v1/forward-auth", nil)
		req.Header.Add("X-Original-URL", "https://open.example.org/")
		req.Header.Add("X-Original-URL", orig)
		if resp, err := n.http.Do(req); err != nil || resp.StatusCode != 400 {
			t.Errorf("two X-Original-URL headers: %v %v", resp, err)
		} else {
			resp.Body.Close()
		}
		// Both naming the same host is what a well-configured proxy sends.
		if a := c.check(orig, "X-Original-URL", orig); a.status != 200 {
			t.Errorf("agreeing headers: %d", a.status)
		}
	})
}

// rd is honoured only for registered hosts and the portal itself: after the
// sign-in the person goes back to the app, and a foreign rd is ignored.
func TestForwardAuthReturnAddress(t *testing.T) {
	each(t, opts{apps: true}, func(t *testing.T, p *portal) {
		p.beta(true)
		key := p.totpUser("jdoe", twostep.RoleProvider)
		p.forwardApp(twostep.NewApp{Name: "Docs", Hosts: []string{"docs.example.org"}})
		orig := "https://docs.example.org/reports?id=7"
		c := p.client()
		c.page("/login?rd=" + url.QueryEscape(orig))
		redirectsTo(t, c.form("/login", "username", "jdoe", "password", pw), "/login/verify")
		redirectsTo(t, c.form("/login/verify", "method", "totp", "code", twostep.TOTPCode(key, p.clock.Now())), "/login/continue")
		p.clock.Add(30 * time.Second)
		if a := c.follow(c.page("/login/continue")); a.status != 302 || a.header.Get("Location") != orig {
			t.Fatalf("back to the app: %d %s", a.status, a.header.Get("Location"))
		}
		// Already signed in: /login?rd goes straight on.
		a := c.page("/login?rd=" + url.QueryEscape(orig))
		if a.status != 303 || !strings.HasPrefix(a.header.Get("Location"), "/login/forward?rd=") {
			t.Fatalf("signed in: %d %s", a.status, a.header.Get("Location"))
		}
		if a := c.page(a.header.Get("Location")); a.status != 302 || a.header.Get("Location") != orig {
			t.Fatalf("forward: %d %s", a.status, a.header.Get("Location"))
		}
		// Foreign addresses: never followed.
		for _, rd := range []string{"https://evil.example/", "//evil.example/", "https://docs.example.org.evil.example/", "javascript:alert(1)",
			"https://user@docs.example.org/", "https://evil.example\\@docs.example.org/", "http://docs.example.org%2F@evil.example/",
			"https://docs.example.org:9999/x"} { // review (issue 11), finding 5: a port the app was not registered with
			d := p.client()
			d.signIn2SV("jdoe", key)
			a := d.page("/login?rd=" + url.QueryEscape(rd))
			if a.status != 200 || a.header.Get("Location") != "" {
				t.Fatalf("rd %s: %d %s", rd, a.status, a.header.Get("Location"))
			}
			if a := d.page("/login/forward?rd=" + url.QueryEscape(rd)); a.status != 400 {
				t.Fatalf("/login/forward rd %s: %d %s", rd, a.status, a.header.Get("Location"))
			}
		}
		// The portal itself is a good place to go back to.
		self := p.svc.Settings().PublicURL + "/account"
		if a := c.page("/login/forward?rd=" + url.QueryEscape(self)); a.status != 302 || a.header.Get("Location") != self {
			t.Fatalf("portal: %d %s", a.status, a.header.Get("Location"))
		}
	})
}

// PORTAL_COOKIE_DOMAIN: over https the session cookie is __Secure- prefixed
// and set for the parent domain, so sibling hosts send it to the check.
func TestCookieDomain(t *testing.T) {
	each(t, opts{apps: true, secure: true, cookieDomain: "example.org", publicURL: "https://portal.example.org"}, func(t *testing.T, p *portal) {
		p.user("jdoe", twostep.RoleProvider)
		c := p.client()
		a := c.login("jdoe")
		var ck *http.Cookie
		for _, k := range (&http.Response{Header: a.header}).Cookies() {
			if strings.HasSuffix(k.Name, "portal_session") {
				ck = k
			}
		}
		if ck == nil || ck.Name != "__Secure-portal_session" || ck.Domain != "example.org" || !ck.Secure || !ck.HttpOnly {
			t.Fatalf("session cookie %+v", ck)
		}
		p.forwardApp(twostep.NewApp{Name: "Docs", Hosts: []string{"docs.example.org"}, RequireTwoStep: new(false)})
		a = p.client().do("GET", "/api/v1/forward-auth", nil, "X-Original-URL", "https://docs.example.org/", "Cookie", ck.Name+"="+ck.Value)
		if a.status != 200 || a.header.Get("Remote-User") != "jdoe" {
			t.Fatalf("check with the parent-domain cookie: %d", a.status)
		}
	})
}
