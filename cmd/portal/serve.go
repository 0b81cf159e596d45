package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/providerportal/portal/internal/config"
	"github.com/providerportal/portal/internal/deliver"
	"github.com/providerportal/portal/internal/oidc"
	"github.com/providerportal/portal/internal/twostep"
	"github.com/providerportal/portal/internal/web"
)

// serve runs the portal until ctx ends, then shuts down gracefully: it stops
// accepting, drains requests, hands back outbox leases and closes the database.
func (e *env) serve(ctx context.Context, args []string) error {
	var demo bool
	cfg, pos, err := e.loadConfig("serve", args, func(fs *flag.FlagSet) {
		fs.BoolVar(&demo, "demo", false, "create a demo center with 2SV available and a few users")
	})
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError("serve takes no arguments, got %q", pos[0])
	}
	log := slog.New(slog.NewJSONHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if cfg.Argon2.Weak() {
		log.Warn("WARNING: PORTAL_ARGON2 is below OWASP's minimum (m=19456,t=2,p=1). Passwords are weakly protected. Use this only for load tests.", "argon2", cfg.Argon2.String())
	}
	if e.getenv("GOMEMLIMIT") == "" && e.getenv("GOGC") == "" {
		// argon2id allocates its memory anew for every hash, and hashing is
		// bounded to GOMAXPROCS at once. Collecting only when the heap nears a
		// limit sized for that (rather than every time it doubles) keeps memory
		// bounded and spends the CPU on hashing: measured 0.94 of the raw argon2id
		// rate and 177 MB with 500 concurrent sign-ins (docs/PERFORMANCE.md). The
		// runtime caps collection at half the CPU should the live heap ever
		// approach the limit.
		hashing := 2 * int64(cfg.Argon2.MemoryKiB) * 1024 * int64(runtime.GOMAXPROCS(0))
		debug.SetMemoryLimit(64<<20 + hashing)
		if hashing >= 32<<20 {
			// Only where hash buffers dominate: with tiny hashes (load tests) the
			// limit would sit close to the live heap and collection would thrash.
			debug.SetGCPercent(-1)
		}
	}
	// Listen before anything is written: a busy port must not leave a new
	// database, key file or printed passwords behind (B26).
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s (--addr, PORTAL_ADDR): %w", cfg.Addr, err)
	}
	defer ln.Close()
	var metricsLn net.Listener
	if cfg.MetricsAddr != "" {
		if metricsLn, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			return fmt.Errorf("listen on %s (--metrics-addr, PORTAL_METRICS_ADDR): %w", cfg.MetricsAddr, err)
		}
		defer metricsLn.Close()
	}
	if cfg.DebugAddr != "" {
		if err := startDebug(cfg.DebugAddr, log); err != nil {
			return err
		}
	}
	// The public URL of a portal started on port 0 takes the port it got.
	if _, port, _ := net.SplitHostPort(cfg.Addr); cfg.PublicURLDerived && port == "0" {
		cfg.PublicURL = config.DefaultPublicURL(ln.Addr().String())
	}
	a, err := e.open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := e.bootstrap(ctx, a, demo); err != nil {
		return err
	}

	instance, _ := os.Hostname()
	instance += "/" + ln.Addr().String()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	labelled := prometheus.WrapRegistererWith(prometheus.Labels{"instance": instance}, reg)

	// The OpenID library logs through the default logger only: make it ours.
	slog.SetDefault(log)
	provider, err := oidc.New(a.svc, cfg.PublicURL)
	if err != nil {
		ln.Close()
		return fmt.Errorf("OpenID provider: %w", err)
	}
	if err := provider.Prepare(ctx); err != nil {
		ln.Close()
		return fmt.Errorf("OpenID provider: %w", err)
	}
	dispatcher := deliver.NewDispatcher(a.store, e.senders(cfg, a, log), twostep.SystemClock{}, deliver.Options{}, log, labelled)
	resets := newResetWorker(a.svc, log, dispatcher.Wake)
	queued := func() { resets.Wake(); dispatcher.Wake() }
	a.store.OnQueued(dispatcher.Wake)
	srv := web.New(a.svc, a.store, a.store, web.Options{SiteName: cfg.SiteName, Secure: cfg.Secure(), TrustedProxies: cfg.TrustedProxies,
		DevOutbox: cfg.DevOutbox, MetricsElsewhere: metricsLn != nil, CookieDomain: cfg.CookieDomain, OIDC: provider}, log, labelled, reg, queued)
	httpSrv := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	if metricsLn != nil {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", srv.MetricsHandler())
		metricsSrv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go metricsSrv.Serve(metricsLn)
		defer metricsSrv.Close()
		log.Info("metrics served", "addr", metricsLn.Addr().String())
	}
	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() { dispatcher.Run(bg) })
	wg.Go(func() { resets.Run(bg) })
	sweep := newSweeper(a.store, a.svc, retentionOf(cfg), twostep.SystemClock{}, log, labelled)
	wg.Go(func() { sweep.run(bg) })

	serveErr := make(chan error, 1)
	go func() { serveErr <- httpSrv.Serve(ln) }()
	fmt.Fprintf(e.stdout, "Provider Portal listening on http://%s (public URL %s, database %s)\n", ln.Addr(), cfg.PublicURL, redact(cfg.Database))
	log.Info("serving", "addr", ln.Addr().String(), "public_url", cfg.PublicURL, "instance", instance, "dev_outbox", cfg.DevOutbox)
	if ok, why := a.svc.PasskeysOffered(); !ok {
		log.Warn(why + " People whose 2-Step Verification is a passkey are asked for another method or a recovery code until passkeys work here.")
	}

	select {
	case err = <-serveErr:
	case <-ctx.Done():
		log.Info("shutting down")
		shut, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err = httpSrv.Shutdown(shut)
		cancel()
	}
	stopBG()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	log.Info("stopped")
	return err
}

// senders picks each channel's sender: the configured provider, else the dev outbox.
func (e *env) senders(cfg *config.Config, a *app, log *slog.Logger) map[string]deliver.Sender {
	senders := map[string]deliver.Sender{}
	dev := deliver.NewDev(a.store, twostep.SystemClock{}, log)
	if cfg.SMTPURL != "" {
		smtpCfg, _ := config.ParseSMTPURL(cfg.SMTPURL)
		senders["email"] = deliver.NewSMTP(smtpCfg, cfg.MailFrom)
	} else if cfg.DevOutbox {
		senders["email"] = dev
	}
	if cfg.SMSURL != "" {
		smsCfg, _ := config.ParseSMSURL(cfg.SMSURL)
		senders["sms"] = deliver.NewSMS(smsCfg, cfg.SMSWebhookSecret)
	} else if cfg.DevOutbox {
		senders["sms"] = dev
	}
	return senders
}
