package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/providerportal/portal/internal/twostep"
)

// freePort returns a loopback port nobody listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// nginxPath finds Debian's nginx (with auth_request). Without it the test
// skips locally and fails in CI, which installs it.
func nginxPath(t *testing.T) string {
	for _, p := range []string{"/usr/sbin/nginx", "nginx"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("nginx is not installed; CI must install it")
	}
	t.Skip("nginx not installed")
	return ""
}

// api is a JSON client of a running portal with its own cookies.
type api struct {
	t    *testing.T
	base string
	http *http.Client
}

func newAPI(t *testing.T, base string) *api {
	jar, _ := cookiejar.New(nil)
	// Every host is this machine (like Chromium's host-resolver-rules below).
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		_, port, _ := net.SplitHostPort(addr)
		return (&net.Dialer{}).DialContext(ctx, network, "127.0.0.1:"+port)
	}}
	return &api{t: t, base: base, http: &http.Client{Jar: jar, Timeout: 10 * time.Second, Transport: tr}}
}

func (a *api) call(method, path string, body any, want int) map[string]any {
	a.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, a.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.http.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		a.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	out := map[string]any{}
	json.Unmarshal(raw, &out)
	return out
}

// totpSeq hands out codes of an authenticator app, each from a later time
// step than the last (a step is accepted once): the next step is accepted
// early (±1 step), so it waits only when two steps ahead.
type totpSeq struct {
	key  string
	last time.Time
}

func (s *totpSeq) code() string {
	t := s.last.Add(30 * time.Second)
	if now := time.Now(); t.Before(now) {
		t = now
	}
	if ahead := time.Until(t); ahead > 25*time.Second {
		time.Sleep(ahead - 25*time.Second)
	}
	s.last = t
	return twostep.TOTPCode(s.key, t)
}

// addTOTP gives user an authenticator app through the API.
func addTOTP(t *testing.T, base, user, password string) *totpSeq {
	a := newAPI(t, base)
	a.call("POST", "/api/v1/login", map[string]string{"username": user, "password": password}, 200)
	a.call("POST", "/api/v1/account/two-step/on", nil, 200)
	key := a.call("POST", "/api/v1/account/methods/totp", nil, 200)["secret"].(string)
	s := &totpSeq{key: key, last: time.Now()}
	a.call("POST", "/api/v1/account/methods/totp/verify", map[string]string{"code": twostep.TOTPCode(key, s.last)}, 201)
	return s
}

const nginxConf = `daemon off;
master_process off;
worker_processes 1;
error_log %[1]s/error.log info;
pid %[1]s/nginx.pid;
events { worker_connections 64; }
http {
  access_log %[1]s/access.log;
  client_body_temp_path %[1]s/body;
  proxy_temp_path %[1]s/proxy;
  fastcgi_temp_path %[1]s/fastcgi;
  uwsgi_temp_path %[1]s/uwsgi;
  scgi_temp_path %[1]s/scgi;
  server {
    listen 127.0.0.1:%[2]d default_server;
    server_name _;
    return 444;
  }
  server {
    listen 127.0.0.1:%[2]d;
    server_name app.portal.test;
    location / {
      auth_request /_portal_auth;
      auth_request_set $portal_user $upstream_http_remote_user;
      auth_request_set $portal_email $upstream_http_remote_email;
      auth_request_set $portal_role $upstream_http_remote_role;
      auth_request_set $portal_center $upstream_http_remote_center;
      auth_request_set $portal_login $upstream_http_location;
      error_page 401 =302 $portal_login;
      proxy_set_header Remote-User $portal_user;
      proxy_set_header Remote-Email $portal_email;
      proxy_set_header Remote-Role $portal_role;
      proxy_set_header Remote-Center $portal_center;
      proxy_pass http://127.0.0.1:%[3]d;
    }
    location = /_portal_auth {
      internal;
      proxy_pass http://127.0.0.1:%[4]d/api/v1/forward-auth?mode=401;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-URL http://app.portal.test:%[2]d$request_uri;
      proxy_set_header X-Forwarded-Host "";
      proxy_set_header X-Forwarded-Method $request_method;
    }
  }
}
`

// startNginx runs nginx with a generated configuration on loopback: the app
// host app.portal.test on port, checked with the portal's forward auth.
func startNginx(t *testing.T, port, appPort, portalPort int) {
	bin := nginxPath(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "nginx.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf(nginxConf, dir, port, appPort, portalPort)), 0o644)
	cmd := exec.Command(bin, "-p", dir, "-c", conf)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("nginx: %s\n%s", out.String(), log)
		}
	})
	for range 100 {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("nginx did not start: %s", out.String())
}

// A tiny app behind a real nginx that asks the portal (auth_request) before
// every request: someone not signed in is sent to the portal's sign-in, passes
// the second step, comes back to the very address they asked for, and the app
// sees Remote-User; a person of a center the app does not admit gets 403. The
// session cookie is set for the parent domain (PORTAL_COOKIE_DOMAIN), so the
// app's host sends it to the check.
func TestBrowserForwardAuthBehindNginx(t *testing.T) {
	nginxPath(t)
	chromiumPath(t)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html lang="en"><head><title>Reports</title></head><body><main><h1>Reports</h1><p id="who">Hello %s (%s, %s, %s) at %s</p></main></body></html>`,
			html.EscapeString(r.Header.Get("Remote-User")), html.EscapeString(r.Header.Get("Remote-Role")),
			html.EscapeString(r.Header.Get("Remote-Center")), html.EscapeString(r.Header.Get("Remote-Email")), html.EscapeString(r.URL.RequestURI()))
	}))
	t.Cleanup(app.Close)
	portalPort, nginxPort := freePort(t), freePort(t)
	public := fmt.Sprintf("http://auth.portal.test:%d", portalPort)
	srv := startServer(t, fmt.Sprintf("PORTAL_ADDR=127.0.0.1:%d", portalPort), "PORTAL_PUBLIC_URL="+public, "PORTAL_COOKIE_DOMAIN=portal.test",
		"PORTAL_STAFF_TWO_STEP=optional")
	startNginx(t, nginxPort, app.Listener.Addr().(*net.TCPAddr).Port, portalPort)

	// The account manager registers the app, for the demo center only, and a
	// second center with someone in it.
	staff := newAPI(t, public)
	staff.call("POST", "/api/v1/login", map[string]string{"username": "manager", "password": srv.passwords["manager"]}, 200)
	staff.call("POST", "/api/v1/staff/apps", map[string]any{"name": "Reports", "forward_auth_hosts": []string{fmt.Sprintf("app.portal.test:%d", nginxPort)},
		"centers": []string{"Demo Center"}}, 201)
	other := staff.call("POST", "/api/v1/staff/centers", map[string]string{"name": "Birch Clinic"}, 201)
	staff.call("POST", fmt.Sprintf("/api/v1/staff/centers/%v/users", other["id"]), map[string]string{"username": "birch-nurse",
		"email": "nurse@birch.example.org", "password": "violet kettle marsh tuba", "role": "provider"}, 201)
	key := addTOTP(t, public, "demo-provider", srv.passwords["demo-provider"])

	b := newBrowser(t, public, 1280, true, chromedp.Flag("host-resolver-rules", "MAP *.portal.test 127.0.0.1"))
	target := fmt.Sprintf("http://app.portal.test:%d/reports/week?id=7&sort=name", nginxPort)
	b.do(chromedp.Navigate(target))
	b.see("Sign in")
	if u := b.eval(`location.href`); !strings.HasPrefix(u, public+"/login?rd=") {
		t.Fatalf("sent to %s, want the portal's sign-in", u)
	}
	b.shot("forward-auth-sign-in")
	b.fill("username", "demo-provider")
	b.fill("password", srv.passwords["demo-provider"])
	b.click(`form[action="/login"] button[type=submit]`)
	b.see("authenticator app")
	b.fill("code", key.code())
	b.click(`form[action="/login/verify"] button[type=submit]`)
	b.see("Hello demo-provider (provider, Demo Center, demo-provider@demo.example.org)")
	if u := b.eval(`location.href`); u != target {
		t.Fatalf("ended at %s, want %s", u, target)
	}
	b.see("at /reports/week?id=7&sort=name")
	// Every request is checked; the session keeps working.
	b.do(chromedp.Navigate(fmt.Sprintf("http://app.portal.test:%d/other", nginxPort)))
	b.see("Hello demo-provider")

	// Someone of another center: the portal refuses them, and so does nginx.
	c := newBrowser(t, public, 375, true, chromedp.Flag("host-resolver-rules", "MAP *.portal.test 127.0.0.1"))
	c.do(chromedp.Navigate(target))
	c.see("Sign in")
	c.fill("username", "birch-nurse")
	c.fill("password", "violet kettle marsh tuba")
	c.click(`form[action="/login"] button[type=submit]`)
	c.see("You cannot use Reports")
	c.shot("forward-auth-refused")
	c.do(chromedp.Navigate(target))
	c.see("403 Forbidden")
	// A request for any other name never reaches the check: the README's
	// default server closes it (so a client's Host header cannot pick an app).
	if resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/x", nginxPort)); err == nil {
		resp.Body.Close()
		t.Fatalf("nginx without the app's host answered %d", resp.StatusCode)
	}
	// A client's own X-Forwarded-Host naming another host is dropped by nginx,
	// and the check judges the app's own name.
	req, _ := http.NewRequest("GET", fmt.Sprintf("http://127.0.0.1:%d/x", nginxPort), nil)
	req.Host = "app.portal.test"
	req.Header.Set("X-Forwarded-Host", "auth.portal.test")
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 302 {
		t.Fatalf("not signed in, with a client-sent X-Forwarded-Host: %d, want 302 to the sign-in", resp.StatusCode)
	}
}

// A whole OpenID Connect sign-in in Chromium: the app sends the person to the
// portal, which signs them in with its own pages (password, second step) and
// sends them back with a code; the app verifies the ID token (go-oidc), then
// signs out through the portal and comes back.
func TestBrowserOpenIDConnect(t *testing.T) {
	chromiumPath(t)
	rp := newTestRP(t)
	portalPort := freePort(t)
	public := fmt.Sprintf("http://localhost:%d", portalPort)
	srv := startServer(t, fmt.Sprintf("PORTAL_ADDR=127.0.0.1:%d", portalPort), "PORTAL_PUBLIC_URL="+public, "PORTAL_STAFF_TWO_STEP=optional")
	staff := newAPI(t, public)
	staff.call("POST", "/api/v1/login", map[string]string{"username": "manager", "password": srv.passwords["manager"]}, 200)
	created := staff.call("POST", "/api/v1/staff/apps", map[string]any{"name": "Attendance", "redirect_uris": []string{rp.srv.URL + "/callback"},
		"post_logout_redirect_uris": []string{rp.srv.URL + "/bye"}}, 201)
	rp.connect(public, created["client_id"].(string), created["client_secret"].(string))
	key := addTOTP(t, public, "demo-provider", srv.passwords["demo-provider"])

	for _, width := range []int64{1280, 375} {
		b := newBrowser(t, public, width, true)
		b.do(chromedp.Navigate(rp.srv.URL + "/start"))
		b.see("Sign in")
		b.fill("username", "demo-provider")
		b.fill("password", srv.passwords["demo-provider"])
		b.click(`form[action="/login"] button[type=submit]`)
		b.see("authenticator app")
		b.shot("oidc-second-step")
		b.fill("code", key.code())
		b.click(`form[action="/login/verify"] button[type=submit]`)
		b.see("Signed in as demo-provider of Demo Center (provider), acr 2sv, amr pwd otp mfa")
		if u := b.eval(`location.href`); !strings.HasPrefix(u, rp.srv.URL+"/callback?") {
			t.Fatalf("ended at %s", u)
		}
		// Signing out through the portal, back to the app.
		b.click(`#logout`)
		b.see("Signed out of Attendance (state s1)")
		b.do(chromedp.Navigate(public + "/account"))
		b.see("Sign in")
	}

	// Someone without 2-Step Verification is taken through setting it up.
	n := newBrowser(t, public, 375, true)
	n.do(chromedp.Navigate(rp.srv.URL + "/start"))
	n.fill("username", "demo-nurse")
	n.fill("password", srv.passwords["demo-nurse"])
	n.click(`form[action="/login"] button[type=submit]`)
	n.see("Attendance needs 2-Step Verification")
	n.shot("oidc-needs-two-step")
	n.click(`form[action="/apps/two-step"] button[type=submit]`)
	n.see("Set up at least one verified method")

	// The account manager's page of apps: register one, see its secret once, remove it.
	for _, width := range []int64{1280, 375} {
		m := newBrowser(t, public, width, true)
		m.signIn("manager", srv.passwords["manager"])
		m.open("/staff/apps")
		m.see("Registered apps")
		m.see("Attendance")
		m.shot("apps")
		name := fmt.Sprintf("Rota %d", width)
		m.fill("name", name)
		m.fill("redirect_uris", "https://rota.example.org/callback")
		m.click(`form[action="/staff/apps"] button[type=submit]`)
		m.see(name + " is registered")
		secret := m.text("#client-secret")
		if len(secret) < 43 {
			t.Fatalf("secret %q", secret)
		}
		m.shot("app-created")
		m.click(`a.button[href="/staff/apps"]`)
		m.see("Registered apps")
		if strings.Contains(m.bodyText(), secret) {
			t.Fatal("the list shows the secret again")
		}
		m.click(fmt.Sprintf(`form[action="/staff/apps/delete"] input[value=%q] ~ button`, name))
		m.see("The app was removed")
	}
}
