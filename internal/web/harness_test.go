package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/providerportal/portal/internal/oidc"
	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/storetest"
	"github.com/providerportal/portal/internal/twostep"
	"github.com/providerportal/portal/internal/web"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

const pw = "violet kettle marsh tuba"

// portal is a running server over a real store, reached through real HTTP.
type portal struct {
	t      *testing.T
	srv    *httptest.Server
	store  *store.Store
	svc    *twostep.Service
	clock  *fakeClock
	center *twostep.Center
	staff  *twostep.User
	web    *web.Server
	// provider is the OpenID provider when started with opts.apps.
	provider *oidc.Provider
}

type opts struct {
	secure bool
	// metricsElsewhere serves /metrics only on its own listener.
	metricsElsewhere bool
	proxies          []netip.Prefix
	set              func(*twostep.Settings)
	// apps makes the portal an OpenID provider (issuer: its own URL, or
	// publicURL) with PublicURL set to it; cookieDomain is PORTAL_COOKIE_DOMAIN.
	apps         bool
	publicURL    string
	cookieDomain string
}

// instance starts one portal server over s (one of possibly several on one database).
func instance(t *testing.T, s *store.Store, o opts, clock *fakeClock) *portal {
	srv := httptest.NewUnstartedServer(nil)
	set := twostep.DefaultSettings()
	if o.apps {
		set.PublicURL = "http://" + srv.Listener.Addr().String()
		if o.publicURL != "" {
			set.PublicURL = o.publicURL
		}
	}
	if o.set != nil {
		o.set(&set)
	}
	var keys twostep.Keys
	keys.Encryption[0], keys.Code[0] = 1, 2
	svc := twostep.New(s, twostep.NewHasher(twostep.Argon2Params{MemoryKiB: 64, Passes: 1, Lanes: 1}), keys, set, clock, nil)
	var provider *oidc.Provider
	if o.apps {
		var err error
		if provider, err = oidc.New(svc, set.PublicURL); err != nil {
			t.Fatal(err)
		}
		if err := provider.Prepare(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	reg := prometheus.NewRegistry()
	w := web.New(svc, s, s, web.Options{SiteName: "Provider Portal", Secure: o.secure, TrustedProxies: o.proxies, DevOutbox: true,
		MetricsElsewhere: o.metricsElsewhere, OIDC: provider, CookieDomain: o.cookieDomain}, slog.New(slog.DiscardHandler), reg, reg, nil)
	srv.Config.Handler = w.Handler()
	srv.Start()
	p := &portal{t: t, srv: srv, store: s, svc: svc, clock: clock, web: w, provider: provider}
	t.Cleanup(p.srv.Close)
	return p
}

func startPortal(t *testing.T, s *store.Store, o opts) *portal {
	p := instance(t, s, o, &fakeClock{t: time.Now().UTC()})
	svc := p.svc
	ctx := context.Background()
	var err error
	if p.center, err = svc.CreateCenter(ctx, twostep.CLIActor, "Maple Clinic", twostep.Client{}); err != nil {
		t.Fatal(err)
	}
	if p.staff, err = svc.CreateUser(ctx, twostep.CLIActor, twostep.NewUser{Username: "am", Email: "am@vendor.test", Password: pw, Role: twostep.RoleStaff}, twostep.Client{}); err != nil {
		t.Fatal(err)
	}
	return p
}

func each(t *testing.T, o opts, fn func(t *testing.T, p *portal)) {
	storetest.Each(t, func(t *testing.T, s *store.Store) { fn(t, startPortal(t, s, o)) })
}

func (p *portal) beta(on bool) {
	if _, err := p.svc.SetTwoStepAvailable(context.Background(), p.staff, p.center.ID, on, twostep.Client{}); err != nil {
		p.t.Fatal(err)
	}
}

func (p *portal) require(on bool) {
	if _, err := p.svc.SetPolicy(context.Background(), p.staff, p.center.ID, twostep.Policy{TwoStepRequired: &on}, twostep.Client{}); err != nil {
		p.t.Fatal(err)
	}
}

func (p *portal) user(name string, role twostep.Role) {
	if _, err := p.svc.CreateUser(context.Background(), p.staff, twostep.NewUser{CenterID: p.center.ID, Username: name, Email: name + "@example.org", Password: pw, Role: role}, twostep.Client{}); err != nil {
		p.t.Fatal(err)
	}
}

func newTestServer(t *testing.T, w *web.Server) *httptest.Server {
	srv := httptest.NewServer(w.Handler())
	t.Cleanup(srv.Close)
	return srv
}

// cookieValue is the client's session id.
func (c *client) cookieValue() string {
	u, _ := url.Parse(c.p.srv.URL)
	for _, ck := range c.http.Jar.Cookies(u) {
		if strings.HasSuffix(ck.Name, "portal_session") {
			return ck.Value
		}
	}
	return ""
}

// client is one browser or API client with its own cookies.
type client struct {
	p    *portal
	http *http.Client
}

func (p *portal) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{p: p, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type answer struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
	list   []any
}

func (a answer) errCode() string {
	if e, ok := a.body["error"].(map[string]any); ok {
		code, _ := e["code"].(string)
		return code
	}
	return ""
}

func (a answer) errField(k string) any {
	e, _ := a.body["error"].(map[string]any)
	return e[k]
}

func (c *client) do(method, path string, body any, hdr ...string) answer {
	c.p.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, c.p.srv.URL+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.p.t.Fatal(err)
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode, header: resp.Header}
	a.raw, _ = io.ReadAll(resp.Body)
	json.Unmarshal(a.raw, &a.body)
	json.Unmarshal(a.raw, &a.list)
	return a
}

func (c *client) login(user string) answer {
	c.p.t.Helper()
	return c.do("POST", "/api/v1/login", map[string]string{"username": user, "password": pw})
}

func expect(t *testing.T, a answer, status int, code string) {
	t.Helper()
	if a.status != status || a.errCode() != code {
		t.Fatalf("got %d %q (%s), want %d %q", a.status, a.errCode(), a.raw, status, code)
	}
}

// lastCode reads the code of the newest queued message to dest.
func (p *portal) lastCode(dest string) string {
	p.t.Helper()
	return storetest.LastCode(p.t, p.store, p.clock.Now(), dest)
}
