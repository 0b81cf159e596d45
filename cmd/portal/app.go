package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"strings"

	"github.com/providerportal/portal/internal/config"
	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/twostep"
)

// app is the wired portal: configuration, store and domain service.
type app struct {
	cfg   *config.Config
	store *store.Store
	svc   *twostep.Service
	log   *slog.Logger
}

// loadConfig parses the settings plus a command's own flags, allowing flags
// before and after positional arguments; it returns the positional arguments.
func (e *env) loadConfig(name string, args []string, extra func(*flag.FlagSet)) (*config.Config, []string, error) {
	var positional []string
	var flags []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			positional = append(positional, args[i+1:]...)
			i = len(args)
		case strings.HasPrefix(a, "-"):
			flags = append(flags, a)
			if !strings.Contains(a, "=") && i+1 < len(args) && !isBoolFlag(a, extra) {
				flags = append(flags, args[i+1])
				i++
			}
		default:
			positional = append(positional, a)
		}
	}
	cfg, fs, err := config.Load(name, flags, e.getenv, extra)
	if err != nil {
		if err == flag.ErrHelp {
			fmt.Fprintf(e.stdout, "Usage of portal %s:\n", name)
			config.Usage(e.stdout, fs)
			return nil, nil, err
		}
		if strings.HasPrefix(err.Error(), "flag provided but not defined") || strings.Contains(err.Error(), "invalid value") ||
			strings.Contains(err.Error(), "invalid boolean") {
			return nil, nil, usageError("%s: %v", name, err)
		}
		return nil, nil, err
	}
	return cfg, positional, nil
}

// isBoolFlag reports whether a flag takes no separate value.
func isBoolFlag(arg string, extra func(*flag.FlagSet)) bool {
	name := strings.TrimLeft(arg, "-")
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	if extra != nil {
		extra(fs)
	}
	f := fs.Lookup(name)
	if f == nil {
		return name == "h" || name == "help"
	}
	bf, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && bf.IsBoolFlag()
}

// open connects to the database, applies migrations and builds the service.
func (e *env) open(ctx context.Context, cfg *config.Config, log *slog.Logger) (*app, error) {
	kind, dsn, err := config.SplitDatabase(cfg.Database)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, kind, dsn)
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", redact(cfg.Database), err)
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	keys, err := e.keysFor(ctx, cfg, st, log)
	if err != nil {
		st.Close()
		return nil, err
	}
	hasher := twostep.NewHasher(twostep.Argon2Params{MemoryKiB: cfg.Argon2.MemoryKiB, Passes: cfg.Argon2.Passes, Lanes: cfg.Argon2.Lanes})
	svc := twostep.New(st, hasher, twostep.Keys{Encryption: keys.Encryption, Code: keys.Code}, settingsOf(cfg), twostep.SystemClock{}, log)
	return &app{cfg: cfg, store: st, svc: svc, log: log}, nil
}

// keysFor loads the key file and checks that it is the one the database was
// written with (B26): its fingerprint is recorded in the database at first
// start, and a portal given another key file refuses to run rather than fail
// every authenticator sign-in later. A key file is created only for a database
// that holds nothing yet.
func (e *env) keysFor(ctx context.Context, cfg *config.Config, st *store.Store, log *slog.Logger) (config.Keys, error) {
	db := redact(cfg.Database)
	recorded, err := st.Meta(ctx, "key_fingerprint")
	if err != nil {
		return config.Keys{}, err
	}
	if !config.KeyFileExists(cfg.KeyFile) {
		n, err := st.CountUsers(ctx)
		if err != nil {
			return config.Keys{}, err
		}
		if recorded != "" || n > 0 {
			return config.Keys{}, fmt.Errorf("key file %s does not exist, but database %s already holds data written with a key file; "+
				"point PORTAL_KEY_FILE (--key-file) at that file. A new key would make the stored authenticator secrets unreadable", cfg.KeyFile, db)
		}
	}
	keys, created, err := config.LoadKeys(cfg.KeyFile)
	if err != nil {
		return config.Keys{}, err
	}
	kept, err := st.SetMetaOnce(ctx, "key_fingerprint", keys.Fingerprint())
	if err != nil {
		return config.Keys{}, err
	}
	if kept != keys.Fingerprint() {
		return config.Keys{}, fmt.Errorf("key file %s does not match database %s: the database was written with another key file; "+
			"point PORTAL_KEY_FILE (--key-file) at the key file it was created with", cfg.KeyFile, db)
	}
	if created {
		log.Info("created a new key file; keep it safe, back it up with the database, and give every instance the same one", "path", cfg.KeyFile)
	}
	return keys, nil
}

func settingsOf(c *config.Config) twostep.Settings {
	s := twostep.DefaultSettings()
	s.SiteName, s.PublicURL = c.SiteName, c.PublicURL
	s.CodeTTL, s.ResendSetup, s.ResendLoginPhone, s.ResendLoginEmail = c.CodeTTL, c.ResendSetup, c.ResendLoginPhone, c.ResendLoginEmail
	s.CodeAttempts, s.LockoutFailures, s.Lockout, s.GraceLogins = c.CodeAttempts, c.LockoutFailures, c.Lockout, c.GraceLogins
	s.SessionIdle, s.SessionAbsolute, s.RecentAuth = c.SessionIdle, c.SessionAbsolute, c.RecentAuth
	s.PasskeyTimeout = c.PasskeyTimeout
	s.LoginAccountLimit, s.LoginAddressLimit, s.LoginWindow = c.LoginAccountLimit, c.LoginAddressLimit, c.LoginWindow
	s.SMSCountries = c.SMSCountries
	s.SendCaps = c.SendCaps
	s.StaffTwoStepRequired = c.StaffTwoStepRequired
	s.TimeZone = c.TimeZone
	s.ResetTTL, s.InviteTTL = c.ResetTTL, c.InviteTTL
	s.AppTokenTTL, s.AppRefreshTTL = c.AppTokenTTL, c.AppRefreshTTL
	return s
}

// redact hides passwords in a database URL: the user:password part and
// password-like query parameters (password, sslpassword, …).
func redact(db string) string {
	if i := strings.Index(db, "://"); i >= 0 {
		if at := strings.LastIndex(db, "@"); at > i {
			if colon := strings.Index(db[i+3:at], ":"); colon >= 0 {
				db = db[:i+3+colon] + ":***" + db[at:]
			}
		}
	}
	base, query, ok := strings.Cut(db, "?")
	if !ok {
		return db
	}
	parts := strings.Split(query, "&")
	for i, p := range parts {
		if k, _, _ := strings.Cut(p, "="); strings.Contains(strings.ToLower(k), "password") {
			parts[i] = k + "=***"
		}
	}
	return base + "?" + strings.Join(parts, "&")
}

func (a *app) Close() { a.store.Close() }

func (e *env) migrate(ctx context.Context, args []string) error {
	cfg, pos, err := e.loadConfig("migrate", args, nil)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError("migrate takes no arguments")
	}
	a, err := e.open(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer a.Close()
	fmt.Fprintln(e.stdout, "migrations applied")
	return nil
}
