package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/providerportal/portal/internal/twostep"
)

var cli = twostep.Client{IP: "cli", UserAgent: "portal command line"}

// domainErr makes a domain error one readable line.
func domainErr(err error) error {
	var de *twostep.Error
	if errors.As(err, &de) {
		return errors.New(strings.TrimSuffix(de.Message, "."))
	}
	return err
}

func (e *env) center(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usageError("center needs create, list or set")
	}
	var available, required string
	cfg, pos, err := e.loadConfig("center "+args[0], args[1:], func(fs *flag.FlagSet) {
		fs.StringVar(&available, "two-step-available", "", "true or false")
		fs.StringVar(&required, "two-step-required", "", "true or false")
	})
	if err != nil {
		return err
	}
	a, err := e.open(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer a.Close()
	switch args[0] {
	case "create":
		if len(pos) != 1 {
			return usageError("usage: portal center create NAME")
		}
		c, err := a.svc.CreateCenter(ctx, twostep.CLIActor, pos[0], cli)
		if err != nil {
			return domainErr(err)
		}
		fmt.Fprintln(e.stdout, c.ID)
	case "list":
		list, err := a.svc.ListCenters(ctx, twostep.CLIActor)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\t2SV AVAILABLE\t2SV REQUIRED")
		for _, c := range list {
			fmt.Fprintf(tw, "%d\t%s\t%v\t%v\n", c.ID, c.Name, c.TwoStepAvailable, c.TwoStepRequired)
		}
		tw.Flush()
	case "set":
		if len(pos) != 1 || (available == "" && required == "") {
			return usageError("usage: portal center set NAME --two-step-available=true|false | --two-step-required=true|false")
		}
		c, err := a.svc.CenterByName(ctx, pos[0])
		if err != nil {
			return domainErr(err)
		}
		if available != "" {
			on, err := strconv.ParseBool(available)
			if err != nil {
				return usageError("--two-step-available wants true or false, got %q", available)
			}
			if c, err = a.svc.SetTwoStepAvailable(ctx, twostep.CLIActor, c.ID, on, cli); err != nil {
				return domainErr(err)
			}
		}
		if required != "" {
			on, err := strconv.ParseBool(required)
			if err != nil {
				return usageError("--two-step-required wants true or false, got %q", required)
			}
			if c, err = a.svc.SetPolicy(ctx, twostep.CLIActor, c.ID, twostep.Policy{TwoStepRequired: &on}, cli); err != nil {
				return domainErr(err)
			}
		}
		fmt.Fprintf(e.stdout, "%s: two_step_available=%v two_step_required=%v\n", c.Name, c.TwoStepAvailable, c.TwoStepRequired)
	default:
		return usageError("center needs create, list or set, not %q", args[0])
	}
	return nil
}

func (e *env) user(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usageError("user needs create, invite, list or reset-two-step")
	}
	var centerName, username, email, role, lang string
	var staff bool
	cfg, pos, err := e.loadConfig("user "+args[0], args[1:], func(fs *flag.FlagSet) {
		fs.StringVar(&centerName, "center", "", "center name")
		fs.StringVar(&username, "username", "", "username")
		fs.StringVar(&email, "email", "", "email address")
		fs.StringVar(&role, "role", "", "provider or admin")
		fs.BoolVar(&staff, "staff", false, "create an account manager")
		fs.StringVar(&lang, "language", "en", "language of the invitation email (en or es)")
	})
	if err != nil {
		return err
	}
	if args[0] != "create" && args[0] != "invite" && args[0] != "list" && args[0] != "reset-two-step" {
		return usageError("user needs create, invite, list or reset-two-step, not %q", args[0])
	}
	a, err := e.open(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer a.Close()
	switch args[0] {
	case "create":
		return e.userCreate(ctx, a, centerName, username, email, role, staff)
	case "invite":
		return e.userInvite(ctx, a, centerName, username, email, role, lang)
	case "reset-two-step":
		if len(pos) != 1 {
			return usageError("usage: portal user reset-two-step USERNAME")
		}
		if err := a.svc.ResetTwoStep(ctx, twostep.CLIActor, pos[0], cli); err != nil {
			if twostep.ErrorCode(err) == twostep.ENotFound {
				return fmt.Errorf("No such user %q", pos[0])
			}
			return domainErr(err)
		}
		fmt.Fprintf(e.stdout, "2-Step Verification reset for %s\n", pos[0])
	case "list":
		if centerName == "" {
			return usageError("usage: portal user list --center NAME")
		}
		c, err := a.svc.CenterByName(ctx, centerName)
		if err != nil {
			return domainErr(err)
		}
		_, users, err := a.svc.CenterUsers(ctx, twostep.CLIActor, c.ID)
		if err != nil {
			return domainErr(err)
		}
		tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "USERNAME\tEMAIL\tROLE\t2SV ON\tMETHODS\tGRACE LOGINS LEFT")
		for _, u := range users {
			ms := make([]string, len(u.Methods))
			for i, m := range u.Methods {
				ms[i] = string(m)
			}
			methods := strings.Join(ms, ",")
			if methods == "" {
				methods = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%s\t%d\n", u.Username, u.Email, u.Role, u.TwoStepOn, methods, u.GraceLoginsLeft)
		}
		tw.Flush()
	}
	return nil
}

func (e *env) userCreate(ctx context.Context, a *app, centerName, username, email, role string, staff bool) error {
	nu := twostep.NewUser{Username: username, Email: email, Role: twostep.Role(role)}
	switch {
	case staff && (centerName != "" || (role != "" && role != "staff")):
		return usageError("--staff takes no --center or --role")
	case staff:
		nu.Role = twostep.RoleStaff
	case centerName == "" || role == "":
		return usageError("usage: portal user create --center NAME --username U --email E --role provider|admin (or --staff)")
	case role != "provider" && role != "admin":
		return usageError("--role must be provider or admin, got %q", role)
	default:
		c, err := a.svc.CenterByName(ctx, centerName)
		if err != nil {
			return domainErr(err)
		}
		nu.CenterID = c.ID
	}
	if username == "" || email == "" {
		return usageError("--username and --email are required")
	}
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && line == "" {
		return errors.New(`no password on standard input; give it on one line, for example: printf '%s\n' "$PW" | portal user create …`)
	}
	nu.Password = strings.TrimRight(line, "\r\n")
	u, err := a.svc.CreateUser(ctx, twostep.CLIActor, nu, cli)
	if err != nil {
		return domainErr(err)
	}
	fmt.Fprintf(e.stdout, "created %s (%s)\n", u.Username, u.Role)
	return nil
}

// userInvite invites a person to a center (B22): they get an email with a link
// to choose their password. Nothing secret is printed; the link goes by email,
// through the outbox that a running portal delivers.
func (e *env) userInvite(ctx context.Context, a *app, centerName, username, email, role, lang string) error {
	if centerName == "" || username == "" || email == "" || role == "" {
		return usageError("usage: portal user invite --center NAME --username U --email E --role provider|admin")
	}
	if role != "provider" && role != "admin" {
		return usageError("--role must be provider or admin, got %q", role)
	}
	if !twostep.KnownLanguage(lang) {
		return usageError("--language must be one of %s, got %q", strings.Join(twostep.Languages, ", "), lang)
	}
	c, err := a.svc.CenterByName(ctx, centerName)
	if err != nil {
		return domainErr(err)
	}
	inv, err := a.svc.Invite(ctx, twostep.CLIActor, twostep.NewInvitation{CenterID: c.ID, Username: username, Email: email,
		Role: twostep.Role(role), Language: lang}, cli)
	if err != nil {
		return domainErr(err)
	}
	fmt.Fprintf(e.stdout, "invited %s (%s) to %s; the link goes by email to %s and works until %s\n",
		inv.Username, inv.Role, c.Name, inv.Email, inv.ExpiresAt.UTC().Format("2006-01-02 15:04 MST"))
	return nil
}
