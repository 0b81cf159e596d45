package web_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/providerportal/portal/internal/config"
	"github.com/providerportal/portal/internal/deliver"
	"github.com/providerportal/portal/internal/deliver/delivertest"
	"github.com/providerportal/portal/internal/store/storetest"
	"github.com/providerportal/portal/internal/twostep"
	"github.com/providerportal/portal/internal/web"
)

// No reset, invitation or trusted-browser token, nor a chosen password,
// reaches the logs or the audit log, through whole flows with real delivery.
func TestNoLinkTokensInLogs(t *testing.T) {
	s := storetest.Open(t, "sqlite")
	var logs lockedBuffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	clock := &fakeClock{t: time.Now().UTC()}
	var keys twostep.Keys
	keys.Encryption[0], keys.Code[0] = 1, 2
	svc := twostep.New(s, twostep.NewHasher(twostep.Argon2Params{MemoryKiB: 64, Passes: 1, Lanes: 1}), keys, twostep.DefaultSettings(), clock, log)
	mail := delivertest.StartSMTP(t, "", "")
	cfg, _ := config.ParseSMTPURL(mail.URL())
	d := deliver.NewDispatcher(s, map[string]deliver.Sender{"email": deliver.NewSMTP(cfg, "P <p@example.org>")}, clock, deliver.Options{}, log, nil)
	reg := prometheus.NewRegistry()
	w := web.New(svc, s, s, web.Options{SiteName: "Provider Portal"}, log, reg, reg, nil)
	p := &portal{t: t, store: s, svc: svc, clock: clock}
	p.srv = newTestServer(t, w)
	ctx := context.Background()
	p.staff, _ = svc.CreateUser(ctx, twostep.CLIActor, twostep.NewUser{Username: "am", Email: "am@vendor.test", Password: pw, Role: twostep.RoleStaff}, twostep.Client{})
	p.center, _ = svc.CreateCenter(ctx, p.staff, "Maple Clinic", twostep.Client{})
	secret := p.withTOTP("jdoe")
	p.user("boss", twostep.RoleAdmin)

	admin := p.client()
	admin.login("boss")
	admin.do("POST", "/api/v1/admin/invitations", `{"username":"nurse","email":"nurse@example.org","role":"provider"}`)
	c := p.client()
	c.page("/forgot-password")
	c.form("/forgot-password", "login", "jdoe")
	svc.HandleResetRequests(ctx)
	d.RunOnce(ctx)
	var invite, reset string
	for _, m := range mail.Messages() {
		if links := m.Links(); len(links) == 1 {
			tok := strings.SplitN(links[0], "token=", 2)[1]
			if m.To == "nurse@example.org" {
				invite = tok
			} else {
				reset = tok
			}
		}
	}
	if invite == "" || reset == "" {
		t.Fatal("the links were not emailed")
	}
	c.page("/invitation?token=" + invite)
	c.form("/invitation", "token", invite, "password", "short")
	c.form("/invitation", "token", invite, "password", newPW)
	c.page("/password-reset?token=" + reset)
	c.form("/password-reset/start", "token", reset)
	clock.Add(30 * time.Second)
	c.form("/login/verify", "method", "totp", "code", twostep.TOTPCode(secret, clock.Now()), "trust_browser", "true")
	c.form("/password-reset/new", "new_password", "jdoejdoejdoe")
	c.form("/password-reset/new", "new_password", newPW+" two")
	c.form("/password-reset/start", "token", reset)
	t2 := p.client()
	t2.do("POST", "/api/v1/login", map[string]string{"username": "jdoe", "password": newPW + " two"})
	clock.Add(30 * time.Second)
	t2.do("POST", "/api/v1/login/verify", map[string]any{"method": "totp", "code": twostep.TOTPCode(secret, clock.Now()), "trust_browser": true})
	d.RunOnce(ctx)

	if t2.trustedCookie() == "" {
		t.Fatal("the flow did not run: no trusted browser")
	}
	events, _ := svc.AuditLog(ctx, p.staff, twostep.AuditQuery{Limit: 1000})
	var audit strings.Builder
	for _, e := range events {
		audit.WriteString(e.Actor + e.Action + e.Target + e.Detail + "\n")
	}
	for _, want := range []string{"invitation_accepted", "password_reset", "trusted_browser_added"} {
		if !strings.Contains(audit.String(), want) {
			t.Fatalf("the flow did not run: no %s in\n%s", want, audit.String())
		}
	}
	for _, sec := range []string{invite, reset, t2.trustedCookie(), newPW, "jdoejdoejdoe"} {
		if strings.Contains(logs.String(), sec) || strings.Contains(audit.String(), sec) {
			t.Errorf("a secret %q in the logs or the audit log", sec)
		}
	}
}
