package web_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
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

// lockedBuffer is a log sink safe for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// No code, password, TOTP secret or session id reaches the logs, through a
// whole enrolment and sign-in with real delivery.
func TestNoSecretsInLogs(t *testing.T) {
	s := storetest.Open(t, "sqlite")
	var logs lockedBuffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	clock := &fakeClock{t: time.Now().UTC()}
	var keys twostep.Keys
	keys.Encryption[0], keys.Code[0] = 1, 2
	svc := twostep.New(s, twostep.NewHasher(twostep.Argon2Params{MemoryKiB: 64, Passes: 1, Lanes: 1}), keys, twostep.DefaultSettings(), clock, log)
	mail := delivertest.StartSMTP(t, "", "")
	cfg, _ := config.ParseSMTPURL(mail.URL())
	d := deliver.NewDispatcher(s, map[string]deliver.Sender{"email": deliver.NewSMTP(cfg, "P <p@example.org>"), "sms": deliver.NewDev(s, clock, log)}, clock, deliver.Options{}, log, nil)
	reg := prometheus.NewRegistry()
	w := web.New(svc, s, s, web.Options{SiteName: "Provider Portal", DevOutbox: true}, log, reg, reg, nil)
	p := &portal{t: t, store: s, svc: svc, clock: clock}
	p.srv = newTestServer(t, w)
	ctx := context.Background()
	p.staff, _ = svc.CreateUser(ctx, twostep.CLIActor, twostep.NewUser{Username: "am", Email: "am@vendor.test", Password: pw, Role: twostep.RoleStaff}, twostep.Client{})
	p.center, _ = svc.CreateCenter(ctx, p.staff, "Maple Clinic", twostep.Client{})
	p.beta(true)
	p.user("jdoe", twostep.RoleProvider)

	c := p.client()
	login := c.login("jdoe")
	c.do("POST", "/api/v1/account/two-step/on", nil)
	setup := c.do("POST", "/api/v1/account/methods/totp", nil)
	secret := setup.body["secret"].(string)
	totp := twostep.TOTPCode(secret, clock.Now())
	c.do("POST", "/api/v1/account/methods/totp/verify", `{"code":"`+totp+`"}`)
	c.do("POST", "/api/v1/account/methods/email", `{"email":"j@example.net","confirm_email":"j@example.net"}`)
	d.RunOnce(ctx)
	emailCode := mail.Last(t, "j@example.net").Code()
	c.do("POST", "/api/v1/account/methods/email/verify", `{"code":"`+emailCode+`"}`)
	c.do("POST", "/api/v1/account/methods/phone", `{"phone":"2015550123","confirm_phone":"2015550123"}`)
	d.RunOnce(ctx)
	codes := c.do("POST", "/api/v1/account/recovery-codes", `{"password":"`+pw+`"}`)
	c.do("POST", "/api/v1/login", `{"username":"jdoe","password":"a wrong password"}`)
	c.do("POST", "/api/v1/login/verify", `{"method":"email","code":"000000"}`)
	d.RunOnce(ctx)

	text := logs.String()
	if !strings.Contains(text, `"msg":"request"`) || !strings.Contains(text, "message delivered") {
		t.Fatalf("the logs are not being written: %s", text)
	}
	secrets := []string{pw, "a wrong password", secret, totp, emailCode, c.cookieValue()}
	for _, raw := range codes.body["codes"].([]any) {
		secrets = append(secrets, raw.(string))
	}
	for _, m := range mail.Messages() {
		if code := m.Code(); code != "" {
			secrets = append(secrets, code)
		}
	}
	if login.status != 200 || c.cookieValue() == "" || len(secrets) < 10 {
		t.Fatalf("the flow did not run: %d, %d secrets", login.status, len(secrets))
	}
	for _, sec := range secrets {
		if sec != "" && strings.Contains(text, sec) {
			t.Errorf("the logs contain a secret %q", sec)
		}
	}
}
