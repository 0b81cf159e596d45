package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/providerportal/portal/internal/twostep"
)

// randomPassword returns 20 characters from an unambiguous alphabet (~100 bits).
func randomPassword() string {
	const alphabet = "23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
	b := make([]byte, 20)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// bootstrap creates the first account manager on an empty database and, with
// --demo, a demo center with 2SV available and a few users. Passwords are printed
// once, to standard output (never to the log).
func (e *env) bootstrap(ctx context.Context, a *app, demo bool) error {
	n, err := a.svc.CountUsers(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		pw := randomPassword()
		if _, err := a.svc.CreateUser(ctx, twostep.CLIActor, twostep.NewUser{Username: "manager", Email: "manager@localhost.localdomain", Password: pw, Role: twostep.RoleStaff}, cli); err != nil {
			return fmt.Errorf("create the first account manager: %w", err)
		}
		fmt.Fprintf(e.stdout, "Created the first account manager.\n  username: manager\n  password: %s\nThis password is shown once. Sign in and change it.\n", pw)
		if a.cfg.StaffTwoStepRequired {
			fmt.Fprintf(e.stdout, "Account managers must set up 2-Step Verification: %d sign-ins with a reminder, then before anything else.\n", a.cfg.GraceLogins)
		}
	}
	if !demo {
		return nil
	}
	if _, err := a.svc.CenterByName(ctx, "Demo Center"); err == nil {
		fmt.Fprintln(e.stdout, "The demo center exists already; its passwords were printed when it was created.")
		return nil
	}
	c, err := a.svc.CreateCenter(ctx, twostep.CLIActor, "Demo Center", cli)
	if err != nil {
		return fmt.Errorf("demo center: %w", err)
	}
	if _, err := a.svc.SetTwoStepAvailable(ctx, twostep.CLIActor, c.ID, true, cli); err != nil {
		return fmt.Errorf("demo center: %w", err)
	}
	fmt.Fprintln(e.stdout, "Created \"Demo Center\" with 2-Step Verification available:")
	for _, u := range []struct {
		name string
		role twostep.Role
	}{{"demo-admin", twostep.RoleAdmin}, {"demo-provider", twostep.RoleProvider}, {"demo-nurse", twostep.RoleProvider}} {
		pw := randomPassword()
		_, err := a.svc.CreateUser(ctx, twostep.CLIActor, twostep.NewUser{CenterID: c.ID, Username: u.name, Email: u.name + "@demo.example.org", Password: pw, Role: u.role}, cli)
		var de *twostep.Error
		if errors.As(err, &de) && de.Code == twostep.EConflict {
			continue
		}
		if err != nil {
			return fmt.Errorf("demo user %s: %w", u.name, err)
		}
		fmt.Fprintf(e.stdout, "  %-14s %-9s password: %s\n", u.name, u.role, pw)
	}
	return nil
}
