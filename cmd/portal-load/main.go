// Command portal-load measures a running Provider Portal: it creates users with
// an authenticator app through the public API, then runs full sign-ins
// (password, then TOTP) or the second step alone at a given concurrency, and
// prints throughput, latency percentiles, errors, the server's CPU time per
// sign-in and peak memory, and the ratio to this machine's raw argon2id rate.
// For apps (B20) it measures the forward-auth check (-mode forward-auth) and
// the OpenID Connect code flow (-mode oidc, against the raw RS256 signing rate).
// -mode idle measures an idle server's CPU; -fill-outbox and -fill-audit write
// years of history into a stopped portal's database.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"
)

type options struct {
	url, staffUser, staffPassword string
	users, concurrency            int
	duration                      time.Duration
	mode                          string // "full", "second", "forward-auth", "oidc" or "idle"
	pid                           int
	argon2                        string
	usersFile                     string
	center                        string
	database                      string
	fillOutbox, fillAudit         int
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "portal-load:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	var o options
	fs := flag.NewFlagSet("portal-load", flag.ContinueOnError)
	fs.StringVar(&o.url, "url", "http://127.0.0.1:8080", "portal base URL")
	fs.StringVar(&o.staffUser, "staff-user", "manager", "an account manager's username (to create the load center and users)")
	fs.StringVar(&o.staffPassword, "staff-password", os.Getenv("PORTAL_LOAD_STAFF_PASSWORD"), "its password (or PORTAL_LOAD_STAFF_PASSWORD)")
	fs.IntVar(&o.users, "users", 1000, "users with an authenticator app to create (or reuse from -users-file)")
	fs.IntVar(&o.concurrency, "c", 64, "concurrent clients")
	fs.DurationVar(&o.duration, "d", 10*time.Second, "how long to run")
	fs.StringVar(&o.mode, "mode", "full", "full (password + TOTP), second (TOTP step alone, sessions prepared first), forward-auth (the check before every request to a protected app), oidc (authorize → code → token → userinfo with a session) or idle (the server's CPU use over -d; needs -pid)")
	fs.IntVar(&o.pid, "pid", 0, "the server's pid, to report its CPU time and memory from /proc")
	fs.StringVar(&o.argon2, "argon2", "m=19456,t=2,p=1", "the server's PORTAL_ARGON2, to measure the raw hash rate here")
	fs.StringVar(&o.usersFile, "users-file", "", "keep created users in this file and reuse them next time")
	fs.StringVar(&o.center, "center", "Load Test Center", "center to create the users in")
	fs.StringVar(&o.database, "database", "", "with -fill-outbox/-fill-audit: the database of a stopped, migrated portal (sqlite:PATH or postgres://…)")
	fs.IntVar(&o.fillOutbox, "fill-outbox", 0, "write this many delivered messages of the last 6 days into -database, then exit")
	fs.IntVar(&o.fillAudit, "fill-audit", 0, "write this many audit events of the last 300 days into -database, then exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.fillOutbox > 0 || o.fillAudit > 0 {
		return fillHistory(ctx, o.database, o.fillOutbox, o.fillAudit, out)
	}
	if o.mode == "idle" {
		return idle(ctx, o, out)
	}
	if o.staffPassword == "" {
		return errors.New("-staff-password (or PORTAL_LOAD_STAFF_PASSWORD) is required")
	}
	if o.mode != "full" && o.mode != "second" && o.mode != "forward-auth" && o.mode != "oidc" {
		return fmt.Errorf("-mode must be full, second, forward-auth, oidc or idle, got %q", o.mode)
	}
	if o.concurrency < 1 || o.users < 1 || o.duration <= 0 {
		return errors.New("-c, -users and -d must be positive")
	}
	if o.mode == "forward-auth" || o.mode == "oidc" {
		c := newClient(o.url, o.concurrency)
		users, err := prepareUsers(ctx, c, o, out)
		if err != nil {
			return err
		}
		if err := runApps(ctx, c, users, o, out); err != nil {
			return err
		}
		return saveUsers(o.usersFile, users)
	}
	raw, err := rawHashRate(o.argon2, 3*time.Second)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "raw argon2id (%s) on %d cores: %.1f hashes/s\n", o.argon2, cores(), raw)
	c := newClient(o.url, o.concurrency)
	users, err := prepareUsers(ctx, c, o, out)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%d users ready; running %s sign-ins at concurrency %d for %s\n", len(users), o.mode, o.concurrency, o.duration)
	res, err := drive(ctx, c, users, o)
	if err != nil {
		return err
	}
	if err := saveUsers(o.usersFile, users); err != nil {
		return err
	}
	// The raw rate of a shared or virtual machine drifts: measure it again after
	// the run and compare with the mean of both.
	after, err := rawHashRate(o.argon2, 3*time.Second)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "raw argon2id after the run: %.1f hashes/s (before: %.1f)\n", after, raw)
	res.print(out, (raw+after)/2, o)
	return nil
}

// idle measures the CPU time the server spends over -d while nobody uses it.
func idle(ctx context.Context, o options, out io.Writer) error {
	if o.pid == 0 {
		return errors.New("-mode idle needs -pid")
	}
	before, start := cpuSeconds(o.pid), time.Now()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(o.duration):
	}
	cpu, wall := cpuSeconds(o.pid)-before, time.Since(start).Seconds()
	fmt.Fprintf(out, "idle server: %.2f s CPU in %.1f s = %.2f %% of one core\n", cpu, wall, 100*cpu/wall)
	return nil
}
