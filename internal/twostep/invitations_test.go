package twostep_test

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/twostep"
)

func (e *env) admin(name string) *twostep.User {
	e.t.Helper()
	u, err := e.svc.CreateUser(e.ctx, e.staff, twostep.NewUser{CenterID: e.center.ID, Username: name, Email: name + "@example.org", Password: pw, Role: twostep.RoleAdmin}, client)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

func (e *env) inviteLink(addr string) string {
	e.t.Helper()
	msgs := e.messages(addr)
	if len(msgs) == 0 {
		e.t.Fatalf("no invitation to %s", addr)
	}
	return e.linkOf(msgs[len(msgs)-1], "/invitation")
}

// B22: an invitation by username, email and role; the person chooses their
// password through a link that works once; the account exists only then.
func TestInvitation(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		boss := e.admin("boss")
		inv, err := e.svc.Invite(e.ctx, boss, twostep.NewInvitation{Username: "Nurse", Email: "nurse@Example.org", Role: twostep.RoleProvider, Language: "es"}, client)
		if err != nil {
			t.Fatal(err)
		}
		if !inv.ExpiresAt.Equal(e.clock.Now().Add(7 * 24 * time.Hour)) {
			t.Fatalf("expires %v", inv.ExpiresAt)
		}
		m := e.messages("nurse@example.org")[0]
		if !strings.Contains(m.Subject, "tiene una invitación") || !strings.Contains(m.Body, "boss le invitó") || !strings.Contains(m.Body, "Maple Clinic") {
			t.Fatalf("invitation in the inviter's language: %q %q", m.Subject, m.Body)
		}
		tok := e.inviteLink("nurse@example.org")
		if _, err := e.svc.UserByUsername(e.ctx, "nurse"); err == nil {
			t.Fatal("the account exists before the invitation is accepted")
		}
		// The username is reserved while pending.
		_, err = e.svc.CreateUser(e.ctx, e.staff, twostep.NewUser{CenterID: e.center.ID, Username: "NURSE", Email: "x@example.org", Password: pw, Role: twostep.RoleProvider}, client)
		expectCode(t, err, twostep.EConflict)
		_, err = e.svc.Invite(e.ctx, boss, twostep.NewInvitation{Username: "nurse", Email: "other@example.org", Role: twostep.RoleAdmin}, client)
		expectCode(t, err, twostep.EUsernameTaken)
		_, err = e.svc.Invite(e.ctx, boss, twostep.NewInvitation{Username: "boss", Email: "other@example.org", Role: twostep.RoleAdmin}, client)
		expectCode(t, err, twostep.EUsernameTaken)
		list, _ := e.svc.Invitations(e.ctx, boss, 0)
		if len(list) != 1 || list[0].Username != "Nurse" || list[0].Email != "nurse@example.org" || list[0].Role != twostep.RoleProvider {
			t.Fatalf("pending: %+v", list)
		}
		got, err := e.svc.InvitationFor(e.ctx, tok)
		if err != nil || got.Center != "Maple Clinic" || got.InvitedBy != "boss" {
			t.Fatalf("invitation for the page: %+v %v", got, err)
		}
		// A weak password: the usual error, the link still works.
		_, err = e.svc.AcceptInvitation(e.ctx, tok, "nurse nurse nurse", "", client)
		expectCode(t, err, twostep.EWeakPassword)
		u, err := e.svc.AcceptInvitation(e.ctx, tok, newPW, "en", client)
		if err != nil {
			t.Fatal(err)
		}
		if u.Username != "Nurse" || u.Email != "nurse@example.org" || u.Role != twostep.RoleProvider || u.CenterID != e.center.ID || u.Language != "en" {
			t.Fatalf("account: %+v", u)
		}
		_, err = e.svc.AcceptInvitation(e.ctx, tok, newPW, "en", client)
		expectCode(t, err, twostep.ELinkExpired)
		if r, err := e.svc.Login(e.ctx, "nurse", newPW, "", client); err != nil || r.State != twostep.StateSignedIn {
			t.Fatalf("sign in: %v", err)
		}
		if list, _ := e.svc.Invitations(e.ctx, boss, 0); len(list) != 0 {
			t.Fatalf("still pending: %+v", list)
		}
		events, _ := e.svc.AuditLog(e.ctx, boss, twostep.AuditQuery{})
		var actions []string
		for _, ev := range events {
			actions = append(actions, ev.Action)
		}
		if got := strings.Join(actions, " "); !strings.Contains(got, "invitation_accepted") || !strings.Contains(got, "invitation_sent") {
			t.Fatalf("audit: %s", got)
		}
	})
}

func TestInvitationResendRevokeExpire(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		boss := e.admin("boss")
		e.svc.Invite(e.ctx, boss, twostep.NewInvitation{Username: "nurse", Email: "nurse@example.org", Role: twostep.RoleAdmin}, client)
		first := e.inviteLink("nurse@example.org")
		e.clock.Add(time.Hour)
		inv, err := e.svc.ResendInvitation(e.ctx, boss, 0, "NURSE", client)
		if err != nil || !inv.ExpiresAt.Equal(e.clock.Now().Add(7*24*time.Hour)) {
			t.Fatalf("resend: %+v %v", inv, err)
		}
		second := e.inviteLink("nurse@example.org")
		if second == first {
			t.Fatal("a resend kept the token")
		}
		_, err = e.svc.InvitationFor(e.ctx, first)
		expectCode(t, err, twostep.ELinkExpired)
		// Revoked: the link dies and the username is free.
		if err := e.svc.RevokeInvitation(e.ctx, boss, 0, "nurse", client); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.AcceptInvitation(e.ctx, second, newPW, "", client)
		expectCode(t, err, twostep.ELinkExpired)
		expectCode(t, e.svc.RevokeInvitation(e.ctx, boss, 0, "nurse", client), twostep.ENotFound)
		_, err = e.svc.ResendInvitation(e.ctx, boss, 0, "nurse", client)
		expectCode(t, err, twostep.ENotFound)
		// Expired: refused, no longer listed, the username free again.
		e.svc.Invite(e.ctx, boss, twostep.NewInvitation{Username: "nurse", Email: "nurse@example.org", Role: twostep.RoleProvider}, client)
		third := e.inviteLink("nurse@example.org")
		e.clock.Add(7*24*time.Hour + time.Second)
		_, err = e.svc.AcceptInvitation(e.ctx, third, newPW, "", client)
		expectCode(t, err, twostep.ELinkExpired)
		if list, _ := e.svc.Invitations(e.ctx, boss, 0); len(list) != 0 {
			t.Fatalf("an expired invitation is listed: %+v", list)
		}
		if _, err := e.svc.Invite(e.ctx, boss, twostep.NewInvitation{Username: "nurse", Email: "n2@example.org", Role: twostep.RoleProvider}, client); err != nil {
			t.Fatalf("invite again after expiry: %v", err)
		}
		if n, err := e.svc.SweepLinks(e.ctx); err != nil || n != 0 {
			t.Fatalf("swept %d: %v (the expired invitation was replaced)", n, err)
		}
	})
}

func TestInvitationRights(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		boss := e.admin("boss")
		prov := e.user("jdoe")
		other, _ := e.svc.CreateCenter(e.ctx, e.staff, "Oak School", client)
		oakAdmin, _ := e.svc.CreateUser(e.ctx, e.staff, twostep.NewUser{CenterID: other.ID, Username: "oak", Email: "oak@example.org", Password: pw, Role: twostep.RoleAdmin}, client)
		ni := twostep.NewInvitation{Username: "nurse", Email: "nurse@example.org", Role: twostep.RoleProvider}
		_, err := e.svc.Invite(e.ctx, prov, ni, client)
		expectCode(t, err, twostep.EForbidden)
		_, err = e.svc.Invite(e.ctx, boss, twostep.NewInvitation{Username: "x", Email: "x@example.org", Role: twostep.RoleStaff}, client)
		expectCode(t, err, twostep.EInvalid)
		_, err = e.svc.Invite(e.ctx, boss, twostep.NewInvitation{Username: "x y", Email: "x@example.org", Role: twostep.RoleProvider}, client)
		expectCode(t, err, twostep.EInvalid)
		_, err = e.svc.Invite(e.ctx, boss, twostep.NewInvitation{Username: "xy", Email: "not an address", Role: twostep.RoleProvider}, client)
		expectCode(t, err, twostep.EInvalidEmail)
		if _, err := e.svc.Invite(e.ctx, boss, ni, client); err != nil {
			t.Fatal(err)
		}
		// Another center's admin neither sees nor touches it.
		if list, _ := e.svc.Invitations(e.ctx, oakAdmin, 0); len(list) != 0 {
			t.Fatal("another center's invitations are visible")
		}
		expectCode(t, e.svc.RevokeInvitation(e.ctx, oakAdmin, 0, "nurse", client), twostep.ENotFound)
		_, err = e.svc.ResendInvitation(e.ctx, oakAdmin, 0, "nurse", client)
		expectCode(t, err, twostep.ENotFound)
		// Account managers invite to any center (the CLI too).
		if _, err := e.svc.Invite(e.ctx, twostep.CLIActor, twostep.NewInvitation{CenterID: other.ID, Username: "teacher", Email: "t@example.org", Role: twostep.RoleAdmin}, client); err != nil {
			t.Fatal(err)
		}
	})
}

// A username goes to a user or to a pending invitation, never both, however
// the requests race; and an invitation link creates one account.
func TestInvitationRaces(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		boss := e.admin("boss")
		for round := range 4 {
			name := "race" + string(rune('a'+round))
			var wins atomic.Int32
			var wg sync.WaitGroup
			for i := range 6 {
				wg.Go(func() {
					var err error
					if i%2 == 0 {
						_, err = e.svc.Invite(e.ctx, boss, twostep.NewInvitation{Username: name, Email: name + "@example.org", Role: twostep.RoleProvider}, client)
					} else {
						_, err = e.svc.CreateUser(e.ctx, boss, twostep.NewUser{CenterID: e.center.ID, Username: name, Email: name + "@example.org", Password: pw, Role: twostep.RoleProvider}, client)
					}
					switch code(err) {
					case twostep.EUsernameTaken, twostep.EConflict:
					default:
						if err != nil {
							t.Errorf("%s: %v", name, err)
						}
						wins.Add(1)
					}
				})
			}
			wg.Wait()
			if wins.Load() != 1 {
				t.Fatalf("%s given out %d times", name, wins.Load())
			}
		}
		e.svc.Invite(e.ctx, boss, twostep.NewInvitation{Username: "nurse", Email: "nurse@example.org", Role: twostep.RoleProvider}, client)
		tok := e.inviteLink("nurse@example.org")
		var created atomic.Int32
		var wg sync.WaitGroup
		for range 6 {
			wg.Go(func() {
				if _, err := e.svc.AcceptInvitation(e.ctx, tok, newPW, "", client); err == nil {
					created.Add(1)
				} else if code(err) != twostep.ELinkExpired {
					t.Errorf("accept: %v", err)
				}
			})
		}
		wg.Wait()
		if created.Load() != 1 {
			t.Fatalf("one link made %d accounts", created.Load())
		}
	})
}
