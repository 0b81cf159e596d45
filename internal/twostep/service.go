package twostep

import (
	"context"
	"log/slog"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Settings are the rule numbers of PRODUCT.md, all configurable.
type Settings struct {
	SiteName          string
	PublicURL         string
	CodeTTL           time.Duration
	ResendSetup       time.Duration
	ResendLoginPhone  time.Duration
	ResendLoginEmail  time.Duration
	CodeAttempts      int
	LockoutFailures   int
	Lockout           time.Duration
	GraceLogins       int
	SessionIdle       time.Duration
	SessionAbsolute   time.Duration
	RecentAuth        time.Duration
	LoginAccountLimit int
	LoginAddressLimit int
	LoginWindow       time.Duration
	SMSCountries      []int
	SendCaps          SendCaps
	// StaffTwoStepRequired puts account managers under R14 like a center that
	// requires 2SV (B24).
	StaffTwoStepRequired bool
	// TimeZone is the IANA name of the default time zone for times shown to
	// people (centers may choose their own); "" is UTC.
	TimeZone string
	// NoticeGiveUp bounds how long the outbox retries a message without a code.
	NoticeGiveUp time.Duration
	// ResetTTL is how long a password-reset link works (B21).
	ResetTTL time.Duration
	// InviteTTL is how long an invitation link works (B22).
	InviteTTL time.Duration
	// Apps (B20): how long an authorization request waits for the sign-in, a
	// code lives, an access or ID token lives, refresh tokens live (from the
	// code), and how long forward-auth hosts are cached in memory.
	AppRequestTTL time.Duration
	AppCodeTTL    time.Duration
	AppTokenTTL   time.Duration
	AppRefreshTTL time.Duration
	AppsCacheTTL  time.Duration
	// PasskeyTimeout is how long the browser's passkey dialog may take: a
	// passkey ceremony's challenge works this long, once.
	PasskeyTimeout time.Duration
}

// DefaultSettings returns PRODUCT.md's defaults.
func DefaultSettings() Settings {
	return Settings{
		SiteName: "Provider Portal", PublicURL: "http://localhost:8080", PasskeyTimeout: 5 * time.Minute,
		CodeTTL: 10 * time.Minute, ResendSetup: time.Minute, ResendLoginPhone: time.Minute, ResendLoginEmail: 5 * time.Minute,
		CodeAttempts: 5, LockoutFailures: 10, Lockout: 15 * time.Minute, GraceLogins: 3,
		SessionIdle: 30 * time.Minute, SessionAbsolute: 12 * time.Hour, RecentAuth: 15 * time.Minute,
		LoginAccountLimit: 10, LoginAddressLimit: 100, LoginWindow: 15 * time.Minute,
		SMSCountries: []int{1}, SendCaps: DefaultSendCaps(), NoticeGiveUp: 24 * time.Hour, StaffTwoStepRequired: true,
		ResetTTL: 30 * time.Minute, InviteTTL: 7 * 24 * time.Hour,
		AppRequestTTL: 30 * time.Minute, AppCodeTTL: time.Minute, AppTokenTTL: 15 * time.Minute, AppRefreshTTL: 12 * time.Hour,
		AppsCacheTTL: 5 * time.Second,
	}
}

// Service carries out every rule of the portal. The web pages, the JSON API and
// the CLI are thin skins over its methods.
type Service struct {
	store  Store
	hasher *Hasher
	keys   Keys
	set    Settings
	clock  Clock
	log    *slog.Logger
	apps   *appCache // forward-auth hosts (apps_cache.go)
	// rp is the portal as a passkey relying party; nil when passkeys cannot be
	// offered at the public URL, and rpWhy says why.
	rp    *relyingParty
	rpWhy string
}

// New returns a Service.
func New(store Store, hasher *Hasher, keys Keys, set Settings, clock Clock, log *slog.Logger) *Service {
	if clock == nil {
		clock = SystemClock{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rp, why := newRelyingParty(set)
	return &Service{store: store, hasher: hasher, keys: keys, set: set, clock: clock, log: log, apps: newAppCache(), rp: rp, rpWhy: why}
}

// atomically runs fn with a service whose store writes in one transaction.
func (s *Service) atomically(ctx context.Context, fn func(tx *Service) error) error {
	return s.store.Atomically(ctx, func(st Store) error {
		tx := *s
		tx.store = st
		return fn(&tx)
	})
}

// Settings returns the service's settings.
func (s *Service) Settings() Settings { return s.set }

// Now returns the service clock's time.
func (s *Service) Now() time.Time { return s.clock.Now() }

// audit appends an event; a failure is logged, never shown, and never blocks the
// user's action (the action itself already happened).
func (s *Service) audit(ctx context.Context, centerID int64, actor, action, target string, c Client, detail string) {
	e := &AuditEvent{At: s.clock.Now(), CenterID: centerID, Actor: cleanText(actor, 64), Action: action, Target: cleanText(target, 128),
		IP: cleanText(c.IP, 64), UserAgent: cleanText(c.UserAgent, 256), Detail: cleanText(detail, 256)}
	if err := s.store.AddAudit(ctx, e); err != nil {
		s.log.ErrorContext(ctx, "audit event lost", "action", action, "err", err)
	}
}

// notify emails a security notice to the user's account address (B5), in
// their language (B25): kind picks the notice's subject and sentence from the
// catalogue ("msg.notice.KIND.subject", "….body"), filled with args.
func (s *Service) notify(ctx context.Context, u *User, c Client, kind string, args ...any) {
	if u.Email == "" {
		return
	}
	now := s.clock.Now()
	lang := langOf(u)
	unknown := text(lang, "msg.unknown")
	body := text(lang, "msg.notice.body", u.Username, text(lang, "msg.notice."+kind+".body", args...),
		now.In(s.userLocation(ctx, u)).Format(text(lang, "msg.time")), orDefault(cleanText(c.IP, 64), unknown), orDefault(describeBrowser(lang, c.UserAgent), unknown), s.set.SiteName)
	m := emailMessage(u.Email, text(lang, "msg.notice.subject", s.set.SiteName, text(lang, "msg.notice."+kind+".subject")), body, "", "")
	m.UserID, m.CreatedAt, m.GiveUpAt, m.EraseAt = u.ID, now, now.Add(s.set.NoticeGiveUp), now.Add(s.set.NoticeGiveUp)
	if err := s.store.Enqueue(ctx, &m); err != nil {
		s.log.ErrorContext(ctx, "security notice not queued", "user_id", u.ID, "err", err)
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// cleanText makes request-derived text safe to store and show: valid UTF-8
// (bad bytes become U+FFFD, which PostgreSQL would refuse otherwise), no control
// characters (NUL, newlines, escapes), at most n characters.
func cleanText(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// isCleanText reports whether s is valid UTF-8 without control characters:
// text people type as a name never has them, so anything else is refused or
// simply not found.
func isCleanText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	return !strings.ContainsFunc(s, unicode.IsControl)
}
