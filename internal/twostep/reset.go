package twostep

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// ResetRequest is someone asking for a password-reset link (B21). Requests are
// kept and handled in the background, so the answer takes the same time
// whether or not the account exists.
type ResetRequest struct {
	ID        int64
	Login     string // the username or email address typed
	Language  string // the page language of the request
	IP        string
	UserAgent string
	CreatedAt time.Time
}

// ResetStore keeps the requests for reset links and the links themselves: one
// live link per user, stored as the SHA-256 hash of its token.
type ResetStore interface {
	QueueResetRequest(ctx context.Context, r *ResetRequest) error
	// TakeResetRequests removes and returns up to limit requests, oldest first;
	// of concurrent callers (on any instance) only one gets each request.
	TakeResetRequests(ctx context.Context, limit int) ([]ResetRequest, error)
	// UsersByLogin returns up to limit users whose username is login or whose
	// email address is login, both case-insensitively.
	UsersByLogin(ctx context.Context, login string, limit int) ([]User, error)
	// PutReset stores the user's reset link, replacing (and so killing) any earlier one.
	PutReset(ctx context.Context, userID int64, hash []byte, created, expires time.Time) error
	// ResetUser returns the user of the link with hash if it is unused and
	// unexpired at now; ErrNotFound otherwise.
	ResetUser(ctx context.Context, hash []byte, now time.Time) (int64, error)
	// UseReset marks the user's link with hash used, with one conditional
	// write; false when it was used, replaced or expired meanwhile.
	UseReset(ctx context.Context, userID int64, hash []byte, now time.Time) (bool, error)
	DeleteExpiredResets(ctx context.Context, before time.Time) (int64, error)
}

// maxAccountsPerLogin bounds the links sent for one email address that
// several accounts share.
const maxAccountsPerLogin = 5

// RequestPasswordReset asks for a link to choose a new password (B21). It
// answers the same, in the same time, whether or not login names an account:
// it only counts the request against the caps of the client address and of
// the typed login, and queues it; HandleResetRequests does the rest.
// Errors: invalid_request, send_limit_reached.
func (s *Service) RequestPasswordReset(ctx context.Context, login, lang string, c Client) error {
	login = cleanText(strings.TrimSpace(login), 254) // no account has bad bytes in its name, so none matches them
	if login == "" {
		return FieldError(EInvalid, "login", "Enter your username or email address.")
	}
	if !KnownLanguage(lang) {
		lang = Languages[0]
	}
	undo, err := s.countSends(ctx, 0, []sendCap{{capAddr(c.IP), s.set.SendCaps.Address}, {capLogin(login), s.set.SendCaps.User}})
	if err != nil {
		if e, ok := err.(*Error); ok {
			e.Message = fmt.Sprintf("Too many reset links were asked for. Try again in %s.", humanDuration(e.RetryAfter))
		}
		return err
	}
	r := &ResetRequest{Login: login, Language: lang, IP: cleanText(c.IP, 64), UserAgent: cleanText(c.UserAgent, 256), CreatedAt: s.clock.Now()}
	if err := s.store.QueueResetRequest(ctx, r); err != nil {
		undo()
		return fmt.Errorf("queue reset request: %w", err)
	}
	return nil
}

// HandleResetRequests sends the links that queued requests ask for: one email
// per account the login names, through the outbox, counted against the caps of
// the account and its address (a request past them is dropped unanswered, as
// one for an unknown account). It returns how many requests it handled; run it
// when woken and now and then.
func (s *Service) HandleResetRequests(ctx context.Context) (int, error) {
	done := 0
	for {
		reqs, err := s.store.TakeResetRequests(ctx, 50)
		if err != nil {
			return done, fmt.Errorf("take reset requests: %w", err)
		}
		for _, r := range reqs {
			if err := s.handleResetRequest(ctx, r); err != nil {
				s.log.ErrorContext(ctx, "reset request lost", "request_id", r.ID, "err", err)
			}
		}
		done += len(reqs)
		if len(reqs) < 50 {
			return done, nil
		}
	}
}

func (s *Service) handleResetRequest(ctx context.Context, r ResetRequest) error {
	if s.clock.Now().Sub(r.CreatedAt) > s.set.ResetTTL {
		return nil // too late to be useful
	}
	users, err := s.store.UsersByLogin(ctx, r.Login, maxAccountsPerLogin)
	if err != nil {
		return err
	}
	c := Client{IP: r.IP, UserAgent: r.UserAgent}
	for i := range users {
		if err := s.sendResetLink(ctx, &users[i], r.Language, c); err != nil && ErrorCode(err) != ESendLimit {
			return err
		}
	}
	return nil
}

// sendResetLink makes a new link for u, which kills any earlier one, and queues
// its email in the same transaction.
func (s *Service) sendResetLink(ctx context.Context, u *User, lang string, c Client) error {
	if u.Email == "" {
		return nil
	}
	if _, err := s.countSends(ctx, u.ID, []sendCap{
		{capUser(u.ID), s.set.SendCaps.User}, {capDest(u.Email), s.set.SendCaps.Destination},
		{capCenter(u.CenterID), s.set.SendCaps.Center}, {capGlobal, s.set.SendCaps.Global},
	}); err != nil {
		return err
	}
	if KnownLanguage(u.Language) {
		lang = u.Language // the language they last used on the pages, when known
	}
	token, hash := newToken()
	now := s.clock.Now()
	link := s.link("/password-reset", token)
	m := emailMessage(u.Email, text(lang, "msg.reset.subject", s.set.SiteName),
		text(lang, "msg.reset.body", u.Username, s.set.SiteName, link, Duration(lang, s.set.ResetTTL)), link, text(lang, "msg.reset.button"))
	m.UserID, m.CreatedAt, m.GiveUpAt, m.EraseAt = u.ID, now, now.Add(s.set.ResetTTL), now.Add(s.set.ResetTTL)
	return s.atomically(ctx, func(tx *Service) error {
		if err := tx.store.PutReset(ctx, u.ID, hash, now, now.Add(s.set.ResetTTL)); err != nil {
			return err
		}
		if err := tx.store.Enqueue(ctx, &m); err != nil {
			return err
		}
		tx.audit(ctx, u.CenterID, u.Username, "password_reset_requested", u.Username, c, "")
		return nil
	})
}

// link is the public URL of path with the token as its only query parameter.
func (s *Service) link(path, token string) string {
	return strings.TrimSuffix(s.set.PublicURL, "/") + path + "?token=" + url.QueryEscape(token)
}

// linkExpired is the one answer for a used, expired, replaced, unknown or
// malformed link: it never says which, nor whether an account exists.
func linkExpired() error {
	return Errorf(ELinkExpired, "This link has expired or was already used. Ask for a new one.")
}

// tokenHash checks a token's shape and returns its hash; false for anything
// that cannot be one of ours.
func tokenHash(token string) ([]byte, bool) {
	token = strings.TrimSpace(token)
	if len(token) != base64.RawURLEncoding.EncodedLen(tokenBytes) {
		return nil, false
	}
	if _, err := base64.RawURLEncoding.DecodeString(token); err != nil {
		return nil, false
	}
	return hashToken(token), true
}

// CheckResetLink tells whether a reset link still works, changing nothing (the
// page a link opens; mail scanners that fetch it start nothing). Errors: link_expired.
func (s *Service) CheckResetLink(ctx context.Context, token string) error {
	hash, ok := tokenHash(token)
	if !ok {
		return linkExpired()
	}
	if _, err := s.store.ResetUser(ctx, hash, s.clock.Now()); errors.Is(err, ErrNotFound) {
		return linkExpired()
	} else if err != nil {
		return fmt.Errorf("reset link: %w", err)
	}
	return nil
}

// StartPasswordReset opens a reset link: it starts a reset session (oldToken,
// if any, ends) in state two_step when the person's second step applies, as at
// sign-in, else choose_password. The link itself is used only when the new
// password is set, so a weak password can be retried while the link lives.
// Errors: link_expired.
func (s *Service) StartPasswordReset(ctx context.Context, token, oldToken string, c Client) (*LoginResult, error) {
	hash, ok := tokenHash(token)
	if !ok {
		return nil, linkExpired()
	}
	userID, err := s.store.ResetUser(ctx, hash, s.clock.Now())
	if errors.Is(err, ErrNotFound) {
		return nil, linkExpired()
	} else if err != nil {
		return nil, fmt.Errorf("reset link: %w", err)
	}
	u, err := s.store.UserByID(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("reset link: %w", err)
	}
	center, err := s.centerOf(ctx, u)
	if err != nil {
		return nil, err
	}
	res := &LoginResult{State: StateChoosePassword}
	usable, err := s.usableMethods(ctx, u, center)
	if err != nil {
		return nil, err
	}
	if center != nil && center.TwoStepAvailable && u.TwoStepOn && len(usable) > 0 { // as R4 at sign-in
		res.State = StateTwoStep
		// Not a code to the mailbox the link came to (see secondStepMethods).
		usable = slices.DeleteFunc(usable, func(m Method) bool { return sameMailbox(m, u) })
		for _, m := range usable {
			res.Methods = append(res.Methods, MethodView{Type: m.Type, Label: maskLabel(m), VerifiedAt: m.VerifiedAt})
		}
		switch n, err := s.store.CountRecoveryCodes(ctx, u.ID); {
		case err != nil:
			return nil, err
		case len(usable) == 1:
			res.Selected = usable[0].Type
		case len(usable) == 0 && n > 0:
			res.Selected, res.RecoveryCodes = MethodRecovery, true
		case len(usable) == 0:
			s.audit(ctx, u.CenterID, u.Username, "password_reset_refused", u.Username, c, "second step only by the same mailbox")
			return nil, Errorf(ESecondStepUnavailable, "Your only second step is a code sent to the same mailbox as this link, so the link alone cannot prove it is you. "+
				"Ask your center's administrator to reset your 2-Step Verification, then ask for a new link.")
		}
	}
	newTok, newHash := newToken()
	now := s.clock.Now()
	ss := &Session{IDHash: newHash, UserID: u.ID, State: res.State, Selected: res.Selected, CreatedAt: now, LastSeenAt: now,
		IP: cleanText(c.IP, 64), UserAgent: cleanText(c.UserAgent, 256), ResetHash: hash}
	err = s.atomically(ctx, func(tx *Service) error {
		if oldToken != "" {
			if err := tx.store.DeleteSession(ctx, hashToken(oldToken)); err != nil {
				return err
			}
		}
		return tx.store.CreateSession(ctx, ss)
	})
	if err != nil {
		return nil, fmt.Errorf("reset session: %w", err)
	}
	res.Auth = &Auth{Token: newTok, Session: ss, User: u, Center: center}
	s.audit(ctx, u.CenterID, u.Username, "password_reset_started", u.Username, c, string(res.State))
	return res, nil
}

// centerOf returns the center whose rules apply to u (the staff policy for account managers).
func (s *Service) centerOf(ctx context.Context, u *User) (*Center, error) {
	if u.CenterID == 0 {
		return s.policyCenter(u, nil), nil
	}
	c, err := s.store.CenterByID(ctx, u.CenterID)
	if err != nil {
		return nil, fmt.Errorf("center of user: %w", err)
	}
	return c, nil
}

// FinishPasswordReset sets the new password of a reset session that passed
// its second step (or needed none), B14's rules applying. The link is used
// then, once (of two racing finishes one wins); every session and trusted
// browser of the person ends, they are emailed, and it is audited. Under a
// center's requirement without a method they then meet R14 at sign-in.
// Errors: forbidden (not a reset session), two_step_pending, weak_password, link_expired.
func (s *Service) FinishPasswordReset(ctx context.Context, a *Auth, password string, c Client) error {
	if !a.Session.Resetting() {
		return Errorf(EForbidden, "This session is not resetting a password.")
	}
	if a.Session.State != StateChoosePassword {
		return Errorf(ETwoStepPending, "Confirm it is you with your second step first.")
	}
	if err := CheckPasswordRules(password, a.User.Username, a.User.Email); err != nil {
		return withField(err, "new_password")
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return err
	}
	u := a.User
	err = s.atomically(ctx, func(tx *Service) error {
		ok, err := tx.store.UseReset(ctx, u.ID, a.Session.ResetHash, tx.clock.Now())
		if err != nil {
			return err
		}
		if !ok {
			return linkExpired()
		}
		if err := tx.store.SetPasswordHash(ctx, u.ID, hash); err != nil {
			return err
		}
		if err := tx.store.DeleteUserSessions(ctx, u.ID, nil); err != nil {
			return err
		}
		if err := tx.store.DeleteTrustedBrowsers(ctx, u.ID); err != nil {
			return err
		}
		// Someone who forgot their password has often spent the account's tries.
		return tx.store.ResetThrottle(ctx, "acct:"+strings.ToLower(u.Username))
	})
	if err != nil {
		return err
	}
	u.PasswordHash = hash
	s.audit(ctx, u.CenterID, u.Username, "password_reset", u.Username, c, "")
	s.notify(ctx, u, c, "password_reset")
	return nil
}
