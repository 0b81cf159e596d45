// Package config reads the portal's settings from flags and PORTAL_* environment
// variables (a flag wins over the environment) and validates them.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/providerportal/portal/internal/twostep"
)

// Argon2 holds argon2id cost parameters.
type Argon2 struct {
	MemoryKiB uint32
	Passes    uint32
	Lanes     uint8
}

// String renders the parameters in the PORTAL_ARGON2 syntax.
func (a Argon2) String() string {
	return fmt.Sprintf("m=%d,t=%d,p=%d", a.MemoryKiB, a.Passes, a.Lanes)
}

// Weak reports whether the parameters are below OWASP's minimum and fit only for load tests.
func (a Argon2) Weak() bool { return a.MemoryKiB < 19456 || a.Passes < 2 }

// Config is every setting of the portal. The zero value is not useful; use Load.
type Config struct {
	Addr      string
	Database  string
	PublicURL string
	// PublicURLDerived says PublicURL was not set but derived from Addr; when
	// Addr's port is 0, serve puts the port it listens on in it.
	PublicURLDerived bool
	SiteName         string
	KeyFile          string
	SMTPURL          string
	MailFrom         string
	SMSURL           string
	SMSWebhookSecret string
	DevOutbox        bool

	CodeTTL          time.Duration
	ResendSetup      time.Duration
	ResendLoginPhone time.Duration
	ResendLoginEmail time.Duration
	CodeAttempts     int
	LockoutFailures  int
	Lockout          time.Duration
	GraceLogins      int
	Argon2           Argon2
	TrustedProxies   []netip.Prefix
	SMSCountries     []int

	SessionIdle     time.Duration
	SessionAbsolute time.Duration
	RecentAuth      time.Duration
	PasskeyTimeout  time.Duration

	LoginAccountLimit int
	LoginAddressLimit int
	LoginWindow       time.Duration

	SendCaps twostep.SendCaps

	// TimeZone is the default IANA time zone for times shown to people.
	TimeZone string

	// StaffTwoStepRequired puts account managers under R14 (PORTAL_STAFF_TWO_STEP=required).
	StaffTwoStepRequired bool

	// ResetTTL and InviteTTL are how long a password-reset link and an invitation link work.
	ResetTTL  time.Duration
	InviteTTL time.Duration
	// CookieDomain is the parent domain the session cookie is set for, so
	// forward-auth apps on sibling hosts see it (PORTAL_COOKIE_DOMAIN).
	CookieDomain string

	// AppTokenTTL is the lifetime of apps' access and ID tokens; AppRefreshTTL
	// how long an app may refresh them after the sign-in (B20).
	AppTokenTTL   time.Duration
	AppRefreshTTL time.Duration

	// DebugAddr, when set, serves net/http/pprof there (keep it on loopback).
	DebugAddr string
	// MetricsAddr, when set, serves /metrics on its own listener (and not on Addr).
	MetricsAddr string

	// OutboxRetention keeps sent and given-up messages this long (0: forever).
	OutboxRetention time.Duration
	// AuditRetention keeps audit events this long (0: forever).
	AuditRetention time.Duration

	Demo bool
}

// Secure reports whether the portal is served over https (cookies get __Host- and Secure).
func (c *Config) Secure() bool { return strings.HasPrefix(c.PublicURL, "https://") }

// setting describes one flag/environment pair.
type setting struct {
	env, flag, def, usage string
	apply                 func(c *Config, v string) error
}

func settings() []setting {
	dur := func(dst func(*Config) *time.Duration) func(*Config, string) error {
		return func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return fmt.Errorf("want a positive duration such as 90s or 10m, got %q", v)
			}
			*dst(c) = d
			return nil
		}
	}
	count := func(min int, dst func(*Config) *int) func(*Config, string) error {
		return func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < min {
				return fmt.Errorf("want a whole number ≥ %d, got %q", min, v)
			}
			*dst(c) = n
			return nil
		}
	}
	str := func(dst func(*Config) *string) func(*Config, string) error {
		return func(c *Config, v string) error { *dst(c) = v; return nil }
	}
	return []setting{
		{"PORTAL_ADDR", "addr", "127.0.0.1:8080", "listen address", str(func(c *Config) *string { return &c.Addr })},
		{"PORTAL_DATABASE", "database", "sqlite:portal.db", "sqlite:PATH or postgres://…", str(func(c *Config) *string { return &c.Database })},
		{"PORTAL_PUBLIC_URL", "public-url", "", "public URL (default http://ADDR, or http://localhost:PORT when ADDR is a loopback address)", str(func(c *Config) *string { return &c.PublicURL })},
		{"PORTAL_SITE_NAME", "site-name", "Provider Portal", "name on pages, in messages and in authenticator apps", str(func(c *Config) *string { return &c.SiteName })},
		{"PORTAL_KEY_FILE", "key-file", "", "secret key file (default beside the database)", str(func(c *Config) *string { return &c.KeyFile })},
		{"PORTAL_SMTP_URL", "smtp-url", "", "smtp://user:pass@host:port?tls=starttls|tls|none", str(func(c *Config) *string { return &c.SMTPURL })},
		{"PORTAL_MAIL_FROM", "mail-from", "Provider Portal <no-reply@localhost>", "sender of emails", str(func(c *Config) *string { return &c.MailFrom })},
		{"PORTAL_SMS_URL", "sms-url", "", "twilio://SID:TOKEN@HOST?from=%2B1… or webhook+http(s)://HOST/PATH", str(func(c *Config) *string { return &c.SMSURL })},
		{"PORTAL_SMS_WEBHOOK_SECRET", "sms-webhook-secret", "", "HMAC-SHA256 key for the SMS webhook signature", str(func(c *Config) *string { return &c.SMSWebhookSecret })},
		{"PORTAL_DEV_OUTBOX", "dev-outbox", "", "keep messages readable at /dev/outbox (default: on when no SMTP/SMS is set)", func(c *Config, v string) error {
			if v == "" {
				c.DevOutbox = c.SMTPURL == "" && c.SMSURL == ""
				return nil
			}
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("want true or false, got %q", v)
			}
			c.DevOutbox = b
			return nil
		}},
		{"PORTAL_CODE_TTL", "code-ttl", "10m", "emailed/SMS code lifetime", dur(func(c *Config) *time.Duration { return &c.CodeTTL })},
		{"PORTAL_RESEND_SETUP", "resend-setup", "1m", "resend wait while adding a phone or email", dur(func(c *Config) *time.Duration { return &c.ResendSetup })},
		{"PORTAL_RESEND_LOGIN_PHONE", "resend-login-phone", "1m", "resend wait at sign-in, phone", dur(func(c *Config) *time.Duration { return &c.ResendLoginPhone })},
		{"PORTAL_RESEND_LOGIN_EMAIL", "resend-login-email", "5m", "resend wait at sign-in, email", dur(func(c *Config) *time.Duration { return &c.ResendLoginEmail })},
		{"PORTAL_CODE_ATTEMPTS", "code-attempts", "5", "wrong tries per code", count(1, func(c *Config) *int { return &c.CodeAttempts })},
		{"PORTAL_LOCKOUT_FAILURES", "lockout-failures", "10", "consecutive second-step failures before lockout", count(1, func(c *Config) *int { return &c.LockoutFailures })},
		{"PORTAL_LOCKOUT", "lockout", "15m", "lockout length", dur(func(c *Config) *time.Duration { return &c.Lockout })},
		{"PORTAL_GRACE_LOGINS", "grace-logins", "3", "dismissible notices before setup is forced", count(0, func(c *Config) *int { return &c.GraceLogins })},
		{"PORTAL_ARGON2", "argon2", "m=19456,t=2,p=1", "password hash parameters (KiB, passes, lanes)", func(c *Config, v string) error {
			a, err := ParseArgon2(v)
			c.Argon2 = a
			return err
		}},
		{"PORTAL_TRUSTED_PROXIES", "trusted-proxies", "", "CIDRs whose X-Forwarded-For is believed", func(c *Config, v string) error {
			p, err := parsePrefixes(v)
			c.TrustedProxies = p
			return err
		}},
		{"PORTAL_SMS_COUNTRIES", "sms-countries", "1", "allowed country calling codes, comma-separated", func(c *Config, v string) error {
			cc, err := parseCountries(v)
			c.SMSCountries = cc
			return err
		}},
		{"PORTAL_SESSION_IDLE", "session-idle", "30m", "session idle timeout", dur(func(c *Config) *time.Duration { return &c.SessionIdle })},
		{"PORTAL_SESSION_ABSOLUTE", "session-absolute", "12h", "session absolute lifetime", dur(func(c *Config) *time.Duration { return &c.SessionAbsolute })},
		{"PORTAL_PASSKEY_TIMEOUT", "passkey-timeout", "5m", "how long the browser's passkey dialog may take (a passkey challenge works this long, once)", dur(func(c *Config) *time.Duration { return &c.PasskeyTimeout })},
		{"PORTAL_RECENT_AUTH", "recent-auth", "15m", "how recent a sign-in must be to start adding a method without the password", dur(func(c *Config) *time.Duration { return &c.RecentAuth })},
		{"PORTAL_LOGIN_ACCOUNT_LIMIT", "login-account-limit", "10", "password attempts per account per login window", count(1, func(c *Config) *int { return &c.LoginAccountLimit })},
		{"PORTAL_LOGIN_ADDRESS_LIMIT", "login-address-limit", "100", "password attempts per client address per login window", count(1, func(c *Config) *int { return &c.LoginAddressLimit })},
		{"PORTAL_SEND_LIMIT_USER", "send-limit-user", "10/h,30/d", "codes sent per user (N/h,M/d; 0 = no limit)", capSetting(func(c *Config) *twostep.Cap { return &c.SendCaps.User })},
		{"PORTAL_SEND_LIMIT_DESTINATION", "send-limit-destination", "10/h,30/d", "codes sent per phone number or email address", capSetting(func(c *Config) *twostep.Cap { return &c.SendCaps.Destination })},
		{"PORTAL_SEND_LIMIT_ADDRESS", "send-limit-address", "30/h,200/d", "codes sent per client address", capSetting(func(c *Config) *twostep.Cap { return &c.SendCaps.Address })},
		{"PORTAL_SEND_LIMIT_CENTER", "send-limit-center", "1000/h,10000/d", "codes sent per center", capSetting(func(c *Config) *twostep.Cap { return &c.SendCaps.Center })},
		{"PORTAL_SEND_LIMIT_GLOBAL", "send-limit-global", "5000/h,50000/d", "codes sent by the whole portal", capSetting(func(c *Config) *twostep.Cap { return &c.SendCaps.Global })},
		{"PORTAL_STAFF_TWO_STEP", "staff-two-step", "required", "required or optional: account managers under R14 like a center that requires 2SV", func(c *Config, v string) error {
			switch v {
			case "required", "optional":
				c.StaffTwoStepRequired = v == "required"
				return nil
			}
			return fmt.Errorf("want required or optional, got %q", v)
		}},
		{"PORTAL_TIME_ZONE", "time-zone", "UTC", "default time zone for times shown to people (IANA name; centers may set their own)", func(c *Config, v string) error {
			if _, err := twostep.ParseTimeZone(v); err != nil {
				return fmt.Errorf("want a time zone name such as America/Chicago, got %q", v)
			}
			c.TimeZone = v
			return nil
		}},
		{"PORTAL_METRICS_ADDR", "metrics-addr", "", "serve /metrics only on this address (e.g. 127.0.0.1:9090) instead of the public one", str(func(c *Config) *string { return &c.MetricsAddr })},
		{"PORTAL_RESET_TTL", "reset-ttl", "30m", "password-reset link lifetime", dur(func(c *Config) *time.Duration { return &c.ResetTTL })},
		{"PORTAL_INVITE_TTL", "invite-ttl", "168h", "invitation link lifetime", dur(func(c *Config) *time.Duration { return &c.InviteTTL })},
		{"PORTAL_DEBUG_ADDR", "debug-addr", "", "serve Go's pprof profiles on this address (loopback only; for profiling)", str(func(c *Config) *string { return &c.DebugAddr })},
		{"PORTAL_LOGIN_WINDOW", "login-window", "15m", "window of the password attempt limits", dur(func(c *Config) *time.Duration { return &c.LoginWindow })},
		{"PORTAL_COOKIE_DOMAIN", "cookie-domain", "", "parent domain for the session cookie, so forward-auth apps on sibling hosts see it", func(c *Config, v string) error {
			c.CookieDomain = strings.ToLower(strings.TrimPrefix(v, "."))
			return nil
		}},
		{"PORTAL_APP_TOKEN_TTL", "app-token-ttl", "15m", "lifetime of apps' access and ID tokens", dur(func(c *Config) *time.Duration { return &c.AppTokenTTL })},
		{"PORTAL_APP_REFRESH_TTL", "app-refresh-ttl", "12h", "how long apps may refresh their tokens after a sign-in", dur(func(c *Config) *time.Duration { return &c.AppRefreshTTL })},
		{"PORTAL_OUTBOX_RETENTION", "outbox-retention", "7d", "keep sent and given-up messages this long (0: forever)", retention(func(c *Config) *time.Duration { return &c.OutboxRetention })},
		{"PORTAL_AUDIT_RETENTION", "audit-retention", "400d", "keep audit events this long (0: forever; export them to keep more)", retention(func(c *Config) *time.Duration { return &c.AuditRetention })},
	}
}

func capSetting(dst func(*Config) *twostep.Cap) func(*Config, string) error {
	return func(c *Config, v string) error {
		cp, err := twostep.ParseCap(v)
		*dst(c) = cp
		return err
	}
}

// Load parses args (without the program and subcommand names) and the environment
// given by getenv. Each setting's flag wins over its environment variable.
// Errors name the setting at fault.
func Load(name string, args []string, getenv func(string) string, extra func(fs *flag.FlagSet)) (*Config, *flag.FlagSet, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	all := settings()
	vals := make([]*string, len(all))
	for i, s := range all {
		vals[i] = fs.String(s.flag, "", s.usage+" (env "+s.env+", default "+quoteDefault(s.def)+")")
	}
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return nil, fs, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	c := &Config{}
	// typed names each setting as the person gave it: --flag, or the
	// environment variable (also for defaults), so errors say what to fix.
	typed := map[string]string{}
	for i, s := range all {
		v := s.def
		typed[s.env] = s.env
		if e := getenv(s.env); e != "" {
			v = e
		}
		if set[s.flag] {
			v, typed[s.env] = *vals[i], "--"+s.flag
		}
		if err := s.apply(c, strings.TrimSpace(v)); err != nil {
			return nil, fs, fmt.Errorf("%s: %w", typed[s.env], err)
		}
	}
	if err := c.finish(func(env string) string { return typed[env] }); err != nil {
		return nil, fs, err
	}
	return c, fs, nil
}

// Usage writes the flag help.
func Usage(w io.Writer, fs *flag.FlagSet) {
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

func quoteDefault(d string) string {
	if d == "" {
		return "none"
	}
	return d
}

// finish fills derived defaults and checks settings that depend on each other.
// name tells how the person gave a setting (its flag or environment variable).
func (c *Config) finish(name func(env string) string) error {
	if err := checkAddr(c.Addr); err != nil {
		return fmt.Errorf("%s: %w", name("PORTAL_ADDR"), err)
	}
	if c.MetricsAddr != "" {
		if err := checkAddr(c.MetricsAddr); err != nil {
			return fmt.Errorf("%s: %w", name("PORTAL_METRICS_ADDR"), err)
		}
	}
	if _, _, err := SplitDatabase(c.Database); err != nil {
		return fmt.Errorf("%s: %w", name("PORTAL_DATABASE"), err)
	}
	if c.PublicURL == "" {
		c.PublicURL, c.PublicURLDerived = DefaultPublicURL(c.Addr), true
	}
	u, err := url.Parse(c.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s: want http(s)://host[:port], got %q", name("PORTAL_PUBLIC_URL"), c.PublicURL)
	}
	c.PublicURL = strings.TrimSuffix(c.PublicURL, "/")
	if strings.TrimSpace(c.SiteName) == "" {
		return fmt.Errorf("%s: must not be empty", name("PORTAL_SITE_NAME"))
	}
	if c.KeyFile == "" {
		kind, path, _ := SplitDatabase(c.Database)
		if kind == "sqlite" && path != ":memory:" {
			c.KeyFile = filepath.Join(filepath.Dir(path), "portal.key")
		} else {
			c.KeyFile = "portal.key"
		}
	}
	if c.SMTPURL != "" {
		if _, err := ParseSMTPURL(c.SMTPURL); err != nil {
			return fmt.Errorf("%s: %w", name("PORTAL_SMTP_URL"), err)
		}
	}
	if c.SMSURL != "" {
		if _, err := ParseSMSURL(c.SMSURL); err != nil {
			return fmt.Errorf("%s: %w", name("PORTAL_SMS_URL"), err)
		}
	}
	if _, err := parseMailFrom(c.MailFrom); err != nil {
		return fmt.Errorf("%s: %w", name("PORTAL_MAIL_FROM"), err)
	}
	if c.CookieDomain != "" {
		host := strings.ToLower(u.Hostname())
		if _, err := twostep.NormalizeHost(c.CookieDomain); err != nil || strings.Contains(c.CookieDomain, ":") || net.ParseIP(c.CookieDomain) != nil || net.ParseIP(host) != nil ||
			!strings.Contains(c.CookieDomain, ".") || (host != c.CookieDomain && !strings.HasSuffix(host, "."+c.CookieDomain)) {
			return fmt.Errorf("%s: want a parent domain of the public URL's host %q (such as example.org), got %q", name("PORTAL_COOKIE_DOMAIN"), host, c.CookieDomain)
		}
	}
	return nil
}

// checkAddr checks a listen address: host:port with a port from 0 to 65535.
func checkAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("want host:port such as 127.0.0.1:8080, got %q", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("want a port from 0 to 65535, got %q", port)
	}
	return nil
}

// DefaultPublicURL is the public URL of a portal listening on addr that was
// given none: http://ADDR, except that a loopback address is called localhost,
// because passkeys need a name rather than an IP address (CONTRACT.md).
func DefaultPublicURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if ip, err := netip.ParseAddr(host); (err == nil && ip.IsLoopback()) || strings.EqualFold(host, "localhost") {
		return "http://localhost:" + port
	}
	return "http://" + addr
}

// SplitDatabase returns the kind ("sqlite" or "postgres") and the path or DSN.
func SplitDatabase(db string) (kind, dsn string, err error) {
	switch {
	case strings.HasPrefix(db, "sqlite:"):
		p := strings.TrimPrefix(db, "sqlite:")
		if p == "" {
			return "", "", errors.New("sqlite: needs a path, as in sqlite:portal.db")
		}
		return "sqlite", p, nil
	case strings.HasPrefix(db, "postgres://"), strings.HasPrefix(db, "postgresql://"):
		if _, err := url.Parse(db); err != nil {
			return "", "", fmt.Errorf("malformed PostgreSQL URL")
		}
		return "postgres", db, nil
	}
	return "", "", fmt.Errorf("want sqlite:PATH or postgres://…, got %q", db)
}

// ParseArgon2 reads "m=KiB,t=passes,p=lanes".
func ParseArgon2(v string) (Argon2, error) {
	var a Argon2
	seen := map[string]bool{}
	for _, part := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		n, err := strconv.ParseUint(val, 10, 32)
		if !ok || err != nil || n == 0 {
			return a, fmt.Errorf("want m=KiB,t=passes,p=lanes with positive numbers, got %q", v)
		}
		switch k {
		case "m":
			a.MemoryKiB = uint32(n)
		case "t":
			a.Passes = uint32(n)
		case "p":
			if n > 255 {
				return a, fmt.Errorf("p must be at most 255, got %d", n)
			}
			a.Lanes = uint8(n)
		default:
			return a, fmt.Errorf("unknown parameter %q (want m, t and p)", k)
		}
		seen[k] = true
	}
	if len(seen) != 3 {
		return a, fmt.Errorf("want all of m, t and p, got %q", v)
	}
	if a.MemoryKiB < 8*uint32(a.Lanes) {
		return a, fmt.Errorf("m must be at least 8×p KiB")
	}
	if a.MemoryKiB > 4<<20 {
		return a, fmt.Errorf("m above 4 GiB is not accepted")
	}
	return a, nil
}

func parsePrefixes(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range strings.Split(v, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, fmt.Errorf("not an address or CIDR: %q", s)
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("not a CIDR: %q", s)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

func parseCountries(v string) ([]int, error) {
	var out []int
	for _, s := range strings.Split(v, ",") {
		s = strings.TrimPrefix(strings.TrimSpace(s), "+")
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 999 {
			return nil, fmt.Errorf("want country calling codes such as 1,44, got %q", v)
		}
		out = append(out, n)
	}
	return out, nil
}
