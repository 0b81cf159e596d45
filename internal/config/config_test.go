package config

import (
	"strings"

	"github.com/providerportal/portal/internal/twostep"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestDefaults(t *testing.T) {
	c, _, err := Load("serve", nil, env(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name string
		got  any
		want any
	}{
		{"addr", c.Addr, "127.0.0.1:8080"},
		{"database", c.Database, "sqlite:portal.db"},
		{"public url", c.PublicURL, "http://localhost:8080"}, // a loopback address is called localhost, for passkeys
		{"passkey timeout", c.PasskeyTimeout, 5 * time.Minute},
		{"key file", c.KeyFile, "portal.key"},
		{"code ttl", c.CodeTTL, 10 * time.Minute},
		{"resend setup", c.ResendSetup, time.Minute},
		{"resend login phone", c.ResendLoginPhone, time.Minute},
		{"resend login email", c.ResendLoginEmail, 5 * time.Minute},
		{"code attempts", c.CodeAttempts, 5},
		{"lockout failures", c.LockoutFailures, 10},
		{"lockout", c.Lockout, 15 * time.Minute},
		{"grace", c.GraceLogins, 3},
		{"argon2", c.Argon2.String(), "m=19456,t=2,p=1"},
		{"dev outbox", c.DevOutbox, true},
		{"countries", len(c.SMSCountries) == 1 && c.SMSCountries[0] == 1, true},
		{"secure", c.Secure(), false},
		{"site", c.SiteName, "Provider Portal"},
		{"send caps", c.SendCaps, twostep.DefaultSendCaps()},
		{"reset ttl", c.ResetTTL, 30 * time.Minute},
		{"invite ttl", c.InviteTTL, 7 * 24 * time.Hour},
		{"outbox retention", c.OutboxRetention, 7 * 24 * time.Hour},
		{"audit retention", c.AuditRetention, 400 * 24 * time.Hour},
	}
	for _, tc := range checks {
		if tc.got != tc.want {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}

func TestLinkLifetimes(t *testing.T) {
	c, _, err := Load("serve", []string{"--invite-ttl", "48h"}, env(map[string]string{"PORTAL_RESET_TTL": "15m", "PORTAL_INVITE_TTL": "1h"}), nil)
	if err != nil || c.ResetTTL != 15*time.Minute || c.InviteTTL != 48*time.Hour {
		t.Fatalf("reset %v invite %v: %v", c.ResetTTL, c.InviteTTL, err)
	}
	if _, _, err := Load("serve", nil, env(map[string]string{"PORTAL_RESET_TTL": "soon"}), nil); err == nil || !strings.HasPrefix(err.Error(), "PORTAL_RESET_TTL:") {
		t.Fatalf("a bad lifetime must name its setting: %v", err)
	}
}

func TestFlagWinsOverEnv(t *testing.T) {
	c, _, err := Load("serve", []string{"--code-ttl", "30s"}, env(map[string]string{"PORTAL_CODE_TTL": "20s", "PORTAL_GRACE_LOGINS": "0"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.CodeTTL != 30*time.Second || c.GraceLogins != 0 {
		t.Fatalf("got ttl %v grace %d", c.CodeTTL, c.GraceLogins)
	}
}

func TestDerived(t *testing.T) {
	c, _, err := Load("serve", nil, env(map[string]string{
		"PORTAL_DATABASE":   "sqlite:/var/lib/portal/p.db",
		"PORTAL_PUBLIC_URL": "https://portal.example.org/",
		"PORTAL_SMTP_URL":   "smtp://u:p@localhost:2525?tls=none",
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.KeyFile != "/var/lib/portal/portal.key" || !c.Secure() || c.PublicURL != "https://portal.example.org" || c.DevOutbox {
		t.Fatalf("derived: %+v", c)
	}
}

func TestInvalidSettingsNameTheSetting(t *testing.T) {
	cases := []struct{ env, val string }{
		{"PORTAL_CODE_TTL", "ten minutes"},
		{"PORTAL_CODE_TTL", "-1s"},
		{"PORTAL_CODE_ATTEMPTS", "0"},
		{"PORTAL_GRACE_LOGINS", "-1"},
		{"PORTAL_ARGON2", "m=19456,t=2"},
		{"PORTAL_ARGON2", "m=1,t=1,p=1"},
		{"PORTAL_ARGON2", "x=1,t=1,p=1"},
		{"PORTAL_TRUSTED_PROXIES", "10.0.0.0/99"},
		{"PORTAL_SMS_COUNTRIES", "one"},
		{"PORTAL_DATABASE", "mysql://x"},
		{"PORTAL_ADDR", "8080"},
		{"PORTAL_PUBLIC_URL", "ftp://x"},
		{"PORTAL_SMTP_URL", "smtp://h?tls=maybe"},
		{"PORTAL_SMS_URL", "twilio://sid:tok@api.example?from=1555"},
		{"PORTAL_SMS_URL", "carrier-pigeon://x"},
		{"PORTAL_DEV_OUTBOX", "perhaps"},
		{"PORTAL_SEND_LIMIT_USER", "ten per hour"},
		{"PORTAL_SEND_LIMIT_GLOBAL", "5/w"},
		{"PORTAL_MAIL_FROM", "not an address"},
		{"PORTAL_ADDR", ":99999"},
		{"PORTAL_METRICS_ADDR", "9090"},
		{"PORTAL_STAFF_TWO_STEP", "sometimes"},
		{"PORTAL_OUTBOX_RETENTION", "a week"},
		{"PORTAL_OUTBOX_RETENTION", "-7d"},
		{"PORTAL_AUDIT_RETENTION", "-1h"},
		{"PORTAL_AUDIT_RETENTION", "1.5d"},
	}
	for _, tc := range cases {
		_, _, err := Load("serve", nil, env(map[string]string{tc.env: tc.val}), nil)
		if err == nil || !strings.Contains(err.Error(), tc.env) {
			t.Errorf("%s=%q: error %v should name the setting", tc.env, tc.val, err)
		}
	}
	// A mistake in a flag names the flag, also for settings checked together
	// (issue 10: "--addr 8080" said "PORTAL_ADDR").
	for _, args := range [][]string{{"--lockout", "soon"}, {"--addr", "8080"}, {"--addr", ":99999"}, {"--public-url", "ftp://x"},
		{"--database", "mysql://x"}, {"--smtp-url", "smtp://h?tls=maybe"}, {"--site-name", " "}} {
		_, _, err := Load("serve", args, env(nil), nil)
		if err == nil || !strings.HasPrefix(err.Error(), args[0]+":") {
			t.Errorf("%v: error %v should name the flag", args, err)
		}
	}
}

func TestRetention(t *testing.T) {
	for in, want := range map[string]time.Duration{"7d": 7 * 24 * time.Hour, "168h": 168 * time.Hour, "0": 0, "400d": 9600 * time.Hour, "90m": 90 * time.Minute} {
		if got, err := ParseRetention(in); err != nil || got != want {
			t.Errorf("%q: %v %v, want %v", in, got, err, want)
		}
	}
	c, _, err := Load("serve", []string{"--audit-retention", "0"}, env(map[string]string{"PORTAL_OUTBOX_RETENTION": "36h", "PORTAL_AUDIT_RETENTION": "30d"}), nil)
	if err != nil || c.OutboxRetention != 36*time.Hour || c.AuditRetention != 0 {
		t.Fatalf("got %v %v %v", c.OutboxRetention, c.AuditRetention, err)
	}
}

func TestCheapArgon2Accepted(t *testing.T) {
	a, err := ParseArgon2("m=8,t=1,p=1")
	if err != nil || !a.Weak() {
		t.Fatalf("m=8,t=1,p=1: %v weak=%v", err, a.Weak())
	}
}

func TestSMSURLs(t *testing.T) {
	s, err := ParseSMSURL("twilio://AC1:tok@127.0.0.1:9999?from=%2B15550001111&insecure=1")
	if err != nil || s.BaseURL != "http://127.0.0.1:9999" || s.From != "+15550001111" || s.AuthToken != "tok" {
		t.Fatalf("twilio: %+v %v", s, err)
	}
	s, err = ParseSMSURL("webhook+https://sms.example.org/hook?x=1")
	if err != nil || s.BaseURL != "https://sms.example.org/hook?x=1" {
		t.Fatalf("webhook: %+v %v", s, err)
	}
	m, err := ParseSMTPURL("smtp://a%40b:p%3Ass@mail:2525?tls=tls")
	if err != nil || m.Username != "a@b" || m.Password != "p:ss" || m.Port != 2525 || m.TLS != "tls" {
		t.Fatalf("smtp: %+v %v", m, err)
	}
}

// The default public URL names a loopback address localhost (passkeys need a
// name); any other address stays as it is.
func TestDefaultPublicURL(t *testing.T) {
	for addr, want := range map[string]string{"127.0.0.1:8080": "http://localhost:8080", "[::1]:9000": "http://localhost:9000",
		"localhost:80": "http://localhost:80", "127.0.0.1:0": "http://localhost:0", "0.0.0.0:8080": "http://0.0.0.0:8080",
		"192.0.2.7:8080": "http://192.0.2.7:8080", "portal.internal:8080": "http://portal.internal:8080"} {
		c, _, err := Load("serve", []string{"--addr", addr}, env(nil), nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.PublicURL != want || !c.PublicURLDerived {
			t.Errorf("%s: %s, want %s", addr, c.PublicURL, want)
		}
	}
	c, _, _ := Load("serve", []string{"--public-url", "https://portal.example.org/"}, env(nil), nil)
	if c.PublicURL != "https://portal.example.org" || c.PublicURLDerived {
		t.Errorf("given: %s %v", c.PublicURL, c.PublicURLDerived)
	}
}
