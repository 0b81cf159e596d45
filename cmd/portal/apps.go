package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/providerportal/portal/internal/twostep"
)

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// app runs "portal app create|list|delete" (CONTRACT.md).
func (e *env) app(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usageError("app needs create, list or delete")
	}
	var name, centers, roles string
	var redirects, logouts, hosts stringList
	var public, twoStep bool
	cfg, pos, err := e.loadConfig("app "+args[0], args[1:], func(fs *flag.FlagSet) {
		fs.StringVar(&name, "name", "", "the app's name")
		fs.Var(&redirects, "redirect-uri", "an OpenID Connect redirect URI (repeat for more)")
		fs.Var(&logouts, "post-logout-uri", "a URI the app may return to after signing out (repeat for more)")
		fs.BoolVar(&public, "public", false, "a public client: no secret, PKCE required")
		fs.Var(&hosts, "forward-auth-host", "a host protected by forward auth (repeat for more)")
		fs.StringVar(&centers, "centers", "", "centers whose people may use it, comma-separated (default: every center)")
		fs.StringVar(&roles, "roles", "", "roles that may use it: provider,admin,staff (default: all)")
		fs.BoolVar(&twoStep, "require-two-step", true, "people need 2-Step Verification at every sign-in to the app")
	})
	if err != nil {
		return err
	}
	if args[0] != "create" && args[0] != "list" && args[0] != "delete" {
		return usageError("app needs create, list or delete, not %q", args[0])
	}
	a, err := e.open(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer a.Close()
	switch args[0] {
	case "create":
		if name == "" || (len(redirects) == 0 && len(hosts) == 0) || len(pos) > 0 {
			return usageError("usage: portal app create --name NAME (--redirect-uri URI… [--public] | --forward-auth-host HOST) [--centers A,B] [--roles R,…] [--require-two-step=true|false]")
		}
		na := twostep.NewApp{Name: name, RedirectURIs: redirects, PostLogoutURIs: logouts, Public: public, Hosts: hosts,
			Centers: splitList(centers), RequireTwoStep: &twoStep}
		if roles != "" {
			na.Roles = []twostep.Role{}
			for _, r := range splitList(roles) {
				na.Roles = append(na.Roles, twostep.Role(r))
			}
		}
		app, secret, err := a.svc.CreateApp(ctx, twostep.CLIActor, na, cli)
		if err != nil {
			return domainErr(err)
		}
		if app.IsOIDC() {
			fmt.Fprintf(e.stdout, "issuer: %s\nclient_id: %s\n", cfg.PublicURL, app.ClientID)
			if secret != "" {
				fmt.Fprintf(e.stdout, "client_secret: %s\nThe client secret is shown this once; it is stored only as a hash.\n", secret)
			}
		} else {
			fmt.Fprintf(e.stdout, "forward auth for %s: %s/api/v1/forward-auth\n", strings.Join(app.Hosts, ", "), cfg.PublicURL)
		}
	case "list":
		list, err := a.svc.ListApps(ctx, twostep.CLIActor)
		if err != nil {
			return domainErr(err)
		}
		names, err := a.svc.CenterNames(ctx, twostep.CLIActor)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tKIND\tCLIENT ID / HOSTS\tROLES\tCENTERS\t2SV")
		for _, ap := range list {
			kind, what := "forward-auth", strings.Join(ap.Hosts, ",")
			if ap.IsOIDC() {
				kind, what = "oidc", ap.ClientID
				if ap.Public {
					kind = "oidc-public"
				}
			}
			rs := make([]string, len(ap.Roles))
			for i, r := range ap.Roles {
				rs[i] = string(r)
			}
			cs := "all"
			if len(ap.Centers) > 0 {
				var n []string
				for _, id := range ap.Centers {
					n = append(n, names[id])
				}
				cs = strings.Join(n, ",")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%v\n", ap.Name, kind, what, strings.Join(rs, ","), cs, ap.RequireTwoStep)
		}
		tw.Flush()
	case "delete":
		if len(pos) != 1 {
			return usageError("usage: portal app delete NAME")
		}
		if err := a.svc.DeleteApp(ctx, twostep.CLIActor, pos[0], cli); err != nil {
			return domainErr(err)
		}
		fmt.Fprintf(e.stdout, "removed %s\n", pos[0])
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// keys runs "portal keys rotate": a new signing key for apps' ID tokens; the
// old one stays published until the tokens it signed have expired.
func (e *env) keys(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "rotate" {
		return usageError("keys needs rotate")
	}
	cfg, pos, err := e.loadConfig("keys rotate", args[1:], nil)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError("usage: portal keys rotate")
	}
	a, err := e.open(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer a.Close()
	k, err := a.svc.RotateSigningKey(ctx, twostep.CLIActor, cli)
	if err != nil {
		return domainErr(err)
	}
	fmt.Fprintf(e.stdout, "new signing key %s is active; the previous key stays published for %s so tokens it signed still verify\n",
		k.ID, cfg.AppTokenTTL+5*time.Minute)
	return nil
}
