package twostep

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Invitation is a person a center admin added who has not chosen a password
// yet (B22). Their username is reserved while it is pending; the account
// exists only once they accept.
type Invitation struct {
	ID        int64
	CenterID  int64
	Username  string
	Email     string
	Role      Role
	Language  string // the inviter's page language: the email's, and the account's first
	InvitedBy string
	Center    string // the center's name, when read with it
	CreatedAt time.Time
	ExpiresAt time.Time
}

// InvitationStore keeps pending invitations by the SHA-256 hash of their token.
// A username is either a user's or a pending invitation's, never both: the
// store enforces it for CreateUser and CreateInvitation alike.
type InvitationStore interface {
	// CreateInvitation stores inv, replacing an expired invitation of its
	// username; ErrDuplicate when a user or a pending invitation has it.
	CreateInvitation(ctx context.Context, inv *Invitation, hash []byte) error
	// RenewInvitation gives the center's pending invitation of username a new
	// hash (the old link dies) and times; ErrNotFound when none is pending.
	RenewInvitation(ctx context.Context, centerID int64, username string, hash []byte, created, expires time.Time) (*Invitation, error)
	// DeleteInvitation revokes the center's pending invitation of username; ErrNotFound when none is.
	DeleteInvitation(ctx context.Context, centerID int64, username string, now time.Time) error
	// Invitations lists the center's pending invitations by username.
	Invitations(ctx context.Context, centerID int64, now time.Time) ([]Invitation, error)
	// InvitationByHash returns the pending invitation with hash, with its
	// center's name; ErrNotFound otherwise.
	InvitationByHash(ctx context.Context, hash []byte, now time.Time) (*Invitation, error)
	// AcceptInvitation removes the pending invitation with hash and creates u
	// from it, in one transaction with one conditional delete (so a link works
	// once); ErrNotFound when it is no longer pending.
	AcceptInvitation(ctx context.Context, hash []byte, now time.Time, u *User) error
	DeleteExpiredInvitations(ctx context.Context, before time.Time) (int64, error)
}

// NewInvitation is what an admin gives to invite a person.
type NewInvitation struct {
	CenterID int64 // 0: the admin's own center
	Username string
	Email    string
	Role     Role
	Language string // the email's language; unknown means English
}

// Invite adds a person to a center by username, email address and role: they
// get an email with a link, valid InviteTTL and once, where they choose their
// password (B22). Center admins invite to their own center, account managers
// to any. Errors: invalid_request, invalid_email, username_taken,
// send_limit_reached, forbidden, not_found.
func (s *Service) Invite(ctx context.Context, actor *User, ni NewInvitation, c Client) (*Invitation, error) {
	ctr, err := s.adminCenter(ctx, actor, ni.CenterID)
	if err != nil {
		return nil, err
	}
	var v checks // every field at fault at once, in the form's order
	if ni.Role != RoleProvider && ni.Role != RoleAdmin {
		v.add(FieldError(EInvalid, "role", "The role must be provider or admin."))
	}
	v.add(ValidateUsername(ni.Username))
	email, ok := ParseEmail(ni.Email)
	if !ok {
		v.add(FieldError(EInvalidEmail, "email", "Enter one email address, such as name@example.org."))
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if !KnownLanguage(ni.Language) {
		ni.Language = Languages[0]
	}
	now := s.clock.Now()
	inv := &Invitation{CenterID: ctr.ID, Username: ni.Username, Email: email, Role: ni.Role, Language: ni.Language,
		InvitedBy: actor.Username, CreatedAt: now, ExpiresAt: now.Add(s.set.InviteTTL)}
	undo, err := s.countInvitation(ctx, email, ctr)
	if err != nil {
		return nil, err
	}
	token, hash := newToken()
	m := s.invitationMessage(inv, ctr, token)
	err = s.atomically(ctx, func(tx *Service) error {
		if err := tx.store.CreateInvitation(ctx, inv, hash); err != nil {
			return err
		}
		return tx.store.Enqueue(ctx, &m)
	})
	if errors.Is(err, ErrDuplicate) {
		undo()
		return nil, FieldError(EUsernameTaken, "username", "That username is taken.")
	} else if err != nil {
		undo()
		return nil, fmt.Errorf("invite: %w", err)
	}
	s.audit(ctx, ctr.ID, actor.Username, "invitation_sent", inv.Username, c, string(inv.Role))
	return inv, nil
}

// countInvitation counts an invitation email against the caps of its address,
// the center and the portal (B8); an administrator's own client address is not
// capped, so onboarding a team from a shared office connection works.
func (s *Service) countInvitation(ctx context.Context, email string, ctr *Center) (undo func(), err error) {
	undo, err = s.countSends(ctx, 0, []sendCap{{capDest(email), s.set.SendCaps.Destination},
		{capCenter(ctr.ID), s.set.SendCaps.Center}, {capGlobal, s.set.SendCaps.Global}})
	if e, ok := err.(*Error); ok {
		e.Message = fmt.Sprintf("Too many emails were sent to this address. Try again in %s.", humanDuration(e.RetryAfter))
	}
	return undo, err
}

// invitationMessage is the invitation email with its one link, in the invitation's language.
func (s *Service) invitationMessage(inv *Invitation, ctr *Center, token string) OutboxMessage {
	lang := inv.Language
	link := s.link("/invitation", token)
	m := emailMessage(inv.Email, text(lang, "msg.invite.subject", s.set.SiteName),
		text(lang, "msg.invite.body", inv.Username, inv.InvitedBy, s.set.SiteName, text(lang, "msg.role."+string(inv.Role)), ctr.Name,
			link, Duration(lang, s.set.InviteTTL)), link, text(lang, "msg.invite.button"))
	m.CreatedAt, m.GiveUpAt, m.EraseAt = inv.CreatedAt, inv.ExpiresAt, inv.ExpiresAt
	return m
}

// ResendInvitation sends a pending invitation again with a new link, valid
// InviteTTL from now; the earlier link stops working. Errors: not_found,
// send_limit_reached, forbidden.
func (s *Service) ResendInvitation(ctx context.Context, actor *User, centerID int64, username string, c Client) (*Invitation, error) {
	ctr, err := s.adminCenter(ctx, actor, centerID)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	token, hash := newToken()
	var inv *Invitation
	err = s.atomically(ctx, func(tx *Service) error {
		if inv, err = tx.store.RenewInvitation(ctx, ctr.ID, username, hash, now, now.Add(s.set.InviteTTL)); err != nil {
			return err
		}
		if _, err := tx.countInvitation(ctx, inv.Email, ctr); err != nil {
			return err
		}
		inv.InvitedBy = actor.Username
		m := tx.invitationMessage(inv, ctr, token)
		return tx.store.Enqueue(ctx, &m)
	})
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(ENotFound, "No pending invitation for %q.", username)
	} else if err != nil {
		return nil, err
	}
	s.audit(ctx, ctr.ID, actor.Username, "invitation_resent", inv.Username, c, "")
	return inv, nil
}

// RevokeInvitation withdraws a pending invitation: its link stops working and
// the username is free again. Errors: not_found, forbidden.
func (s *Service) RevokeInvitation(ctx context.Context, actor *User, centerID int64, username string, c Client) error {
	ctr, err := s.adminCenter(ctx, actor, centerID)
	if err != nil {
		return err
	}
	if err := s.store.DeleteInvitation(ctx, ctr.ID, username, s.clock.Now()); errors.Is(err, ErrNotFound) {
		return Errorf(ENotFound, "No pending invitation for %q.", username)
	} else if err != nil {
		return err
	}
	s.audit(ctx, ctr.ID, actor.Username, "invitation_revoked", username, c, "")
	return nil
}

// Invitations lists a center's pending invitations. Errors: forbidden, not_found.
func (s *Service) Invitations(ctx context.Context, actor *User, centerID int64) ([]Invitation, error) {
	ctr, err := s.adminCenter(ctx, actor, centerID)
	if err != nil {
		return nil, err
	}
	return s.store.Invitations(ctx, ctr.ID, s.clock.Now())
}

// InvitationFor shows the invitation of a link before it is accepted (the
// page greets the person by username). Errors: link_expired.
func (s *Service) InvitationFor(ctx context.Context, token string) (*Invitation, error) {
	hash, ok := tokenHash(token)
	if !ok {
		return nil, linkExpired()
	}
	inv, err := s.store.InvitationByHash(ctx, hash, s.clock.Now())
	if errors.Is(err, ErrNotFound) {
		return nil, linkExpired()
	}
	return inv, err
}

// AcceptInvitation creates the invited account with the password the person
// chose (B14's rules) and lang, the page language they use, for their
// messages. The link works once; they then sign in as anyone does.
// Errors: link_expired, weak_password (the link still works).
func (s *Service) AcceptInvitation(ctx context.Context, token, password, lang string, c Client) (*User, error) {
	inv, err := s.InvitationFor(ctx, token)
	if err != nil {
		return nil, err
	}
	if err := CheckPasswordRules(password, inv.Username, inv.Email); err != nil {
		return nil, withField(err, "password")
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return nil, err
	}
	if !KnownLanguage(lang) {
		lang = inv.Language
	}
	h, _ := tokenHash(token)
	u := &User{Username: inv.Username, PasswordHash: hash, Language: lang, CreatedAt: s.clock.Now()}
	if err := s.store.AcceptInvitation(ctx, h, s.clock.Now(), u); errors.Is(err, ErrNotFound) {
		return nil, linkExpired()
	} else if err != nil {
		return nil, fmt.Errorf("accept invitation: %w", err)
	}
	s.audit(ctx, u.CenterID, u.Username, "invitation_accepted", u.Username, c, string(u.Role))
	return u, nil
}
