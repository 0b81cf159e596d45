package twostep

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
)

// BeginPasskeySignIn starts signing in with a passkey alone (B19): the request
// options of the browser's passkey dialog, {"publicKey":
// PublicKeyCredentialRequestOptionsJSON}, for any passkey of this portal
// (discoverable, user verification required), and a token for the caller to
// keep in a short-lived cookie: the answer counts only with it. Each start is
// counted against the client address's limit (B3) and given back when it
// signs someone in, so only failures add up.
// Errors: passkeys_not_offered, too_many_attempts.
func (s *Service) BeginPasskeySignIn(ctx context.Context, c Client) (opts json.RawMessage, token string, err error) {
	if err := s.passkeysOffered(); err != nil {
		return nil, "", err
	}
	now := s.clock.Now()
	hits, start, err := s.store.HitThrottle(ctx, passkeyAddressKey(c), now, s.set.LoginWindow)
	if err != nil {
		return nil, "", fmt.Errorf("passkey sign-in: %w", err)
	}
	if hits > s.set.LoginAddressLimit {
		wait := max(time.Second, start.Add(s.set.LoginWindow).Sub(now))
		return nil, "", &Error{Code: ETooManyAttempts, RetryAfter: wait,
			Message: fmt.Sprintf("Too many sign-in attempts. Try again in %s.", humanDuration(wait))}
	}
	assertion, session, err := s.rp.wa.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, "", fmt.Errorf("begin passkey sign-in: %w", err)
	}
	token, hash := newToken()
	ch := &PasskeyChallenge{BoundTo: hex.EncodeToString(hash), Purpose: PasskeySignIn, ChallengeHash: challengeHash(session.Challenge),
		ExpiresAt: now.Add(s.set.PasskeyTimeout)}
	if err := s.store.PutPasskeyChallenge(ctx, ch); err != nil {
		return nil, "", err
	}
	opts, err = json.Marshal(assertion)
	return opts, token, err
}

// passkeyAddressKey is the throttle key of passkey sign-in starts.
func passkeyAddressKey(c Client) string { return "passkey:" + addressKey(c.IP) }

// PasskeySignIn signs in with the browser's answer to BeginPasskeySignIn (an
// AuthenticationResponseJSON) and its token. A passkey with user verification
// is both factors: the session is signed in ("hwk user mfa"), which satisfies
// a center's requirement (R14). The person's center must have 2SV available
// and allow passkeys (R1, B17) and their second step must not be locked.
//
// Only an answer the passkey's own authenticator signed says anything about its
// owner: until the signature verifies, nothing counts against the owner (no
// lockout attempt: anyone can name a credential id) and nothing about them is
// told (an unknown and a forged credential get the same answer); failures count
// against the client address (BeginPasskeySignIn). oldToken, if any, is ended.
// Errors: invalid_passkey, locked, passkeys_not_offered.
func (s *Service) PasskeySignIn(ctx context.Context, token string, response []byte, oldToken string, c Client) (*LoginResult, error) {
	if err := s.passkeysOffered(); err != nil {
		return nil, err
	}
	notVerified := invalidPasskey("The passkey could not be verified. Try again, or sign in with your username and password.")
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		s.log.InfoContext(ctx, "passkey sign-in refused", "reason", libraryDetail(err))
		return nil, invalidPasskey("The browser's answer is not a passkey. Try again.")
	}
	challenge := parsed.Response.CollectedClientData.Challenge
	// The challenge is used once, whatever follows (of racing copies one wins).
	if _, err := s.store.TakePasskeyChallenge(ctx, hex.EncodeToString(hashToken(token)), PasskeySignIn, challengeHash(challenge), s.clock.Now()); errors.Is(err, ErrNotFound) {
		return nil, invalidPasskey("This passkey request has expired or was already answered. Try again.")
	} else if err != nil {
		return nil, err
	}
	pk, u, center, err := s.store.PasskeyOwner(ctx, parsed.RawID)
	if errors.Is(err, ErrNotFound) {
		s.audit(ctx, 0, "", "passkey_login_unknown", "", c, "")
		return nil, notVerified
	} else if err != nil {
		return nil, err
	}
	user := s.passkeyUserOf(u, []Passkey{*pk})
	session := webauthn.SessionData{Challenge: challenge, RelyingPartyID: s.rp.id, UserVerification: protocol.VerificationRequired}
	_, cred, verr := s.rp.wa.ValidatePasskeyLogin(func([]byte, []byte) (webauthn.User, error) { return user, nil }, session, parsed)
	if verr != nil {
		s.log.InfoContext(ctx, "passkey sign-in refused", "user_id", u.ID, "reason", libraryDetail(verr))
		s.audit(ctx, u.CenterID, u.Username, "passkey_login_failed", u.Username, c, "not verified")
		return nil, notVerified
	}
	// From here on the answer is the owner's authenticator's.
	center = s.policyCenter(u, center)
	a := &Auth{User: u, Center: center}
	if center == nil || !center.TwoStepAvailable || !center.Allows(MethodPasskey) {
		s.audit(ctx, u.CenterID, u.Username, "passkey_login_failed", u.Username, c, "passkeys not allowed for the center")
		return nil, invalidPasskey("Passkeys cannot be used to sign in to your center. Sign in with your username and password.")
	}
	if err := s.checkLock(ctx, u); err != nil {
		return nil, err
	}
	if err := s.checkCounter(ctx, a, pk, cred, c); err != nil {
		return nil, err
	}
	var res *LoginResult
	err = s.atomically(ctx, func(tx *Service) error {
		if err := tx.usePasskey(ctx, pk, cred); err != nil {
			return err
		}
		if err := tx.store.ResetSecondStepFailures(ctx, u.ID); err != nil {
			return err
		}
		if oldToken != "" {
			if err := tx.store.DeleteSession(ctx, hashToken(oldToken)); err != nil {
				return err
			}
		}
		signed, err := tx.newSession(ctx, u, StateSignedIn, "", AMRHardwareKey+" "+AMRUser+" "+AMRMFA, c)
		if err != nil {
			return err
		}
		signed.Center = center
		res = &LoginResult{Auth: signed, State: StateSignedIn}
		tx.audit(ctx, u.CenterID, u.Username, "passkey_login_ok", u.Username, c, pk.Name)
		return nil
	})
	if errors.Is(err, errCounterBehind) {
		return nil, s.cloneSuspected(ctx, a, pk, c)
	}
	if err != nil {
		return nil, err
	}
	s.store.UndoThrottleHit(ctx, passkeyAddressKey(c)) // a sign-in gives its start back
	return res, nil
}

// BeginPasskeyStep starts the second step with a passkey (R11, B19): the
// request options of the browser's passkey dialog for the person's passkeys,
// user verification required. Errors: no_such_method, locked, conflict (not
// signing in), passkeys_not_offered.
func (s *Service) BeginPasskeyStep(ctx context.Context, a *Auth) (json.RawMessage, error) {
	if err := s.passkeysOffered(); err != nil {
		return nil, err
	}
	if _, err := s.challengeMethod(ctx, a, MethodPasskey); err != nil {
		return nil, err
	}
	if err := s.checkLock(ctx, a.User); err != nil {
		return nil, err
	}
	list, err := s.store.Passkeys(ctx, a.User.ID)
	if err != nil {
		return nil, err
	}
	assertion, session, err := s.rp.wa.BeginLogin(s.passkeyUserOf(a.User, list), webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, fmt.Errorf("begin passkey step: %w", err)
	}
	ch := &PasskeyChallenge{BoundTo: hex.EncodeToString(a.Session.IDHash), Purpose: PasskeySecondStep, ChallengeHash: challengeHash(session.Challenge),
		UserID: a.User.ID, ExpiresAt: s.clock.Now().Add(s.set.PasskeyTimeout)}
	if err := s.store.PutPasskeyChallenge(ctx, ch); err != nil {
		return nil, err
	}
	if a.Session.Selected != MethodPasskey {
		a.Session.Selected = MethodPasskey
		if err := s.store.UpdateSession(ctx, a.Session); err != nil {
			return nil, err
		}
	}
	return json.Marshal(assertion)
}

// passkeyAnswer is a verified second-step passkey, its use not yet recorded.
type passkeyAnswer struct {
	passkey *Passkey
	cred    *webauthn.Credential
}

// matchPasskey checks the browser's answer (an AuthenticationResponseJSON) to
// BeginPasskeyStep; VerifyLogin records its use. Errors: invalid_passkey.
func (s *Service) matchPasskey(ctx context.Context, a *Auth, response string, c Client) (*passkeyAnswer, error) {
	if err := s.passkeysOffered(); err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes([]byte(response))
	if err != nil {
		s.log.InfoContext(ctx, "passkey step refused", "user_id", a.User.ID, "reason", libraryDetail(err))
		return nil, invalidPasskey("The browser's answer is not a passkey. Try again, or use another method.")
	}
	challenge := parsed.Response.CollectedClientData.Challenge
	_, list, user, err := s.takeOwnChallenge(ctx, a, PasskeySecondStep, challenge, "This passkey request has expired or was already answered. Try again.")
	if err != nil {
		return nil, err
	}
	session := webauthn.SessionData{Challenge: challenge, RelyingPartyID: s.rp.id, UserID: user.handle, UserVerification: protocol.VerificationRequired}
	cred, err := s.rp.wa.ValidateLogin(user, session, parsed)
	if err != nil {
		s.log.InfoContext(ctx, "passkey step refused", "user_id", a.User.ID, "reason", libraryDetail(err))
		return nil, invalidPasskey("The passkey could not be verified. Try again, or use another method.")
	}
	var pk *Passkey
	for i := range list {
		if string(list[i].CredentialID) == string(cred.ID) {
			pk = &list[i]
		}
	}
	if pk == nil { // the library found it among the user's: cannot happen
		return nil, invalidPasskey("This passkey is not one of yours.")
	}
	if err := s.checkCounter(ctx, a, pk, cred, c); err != nil {
		return nil, err
	}
	return &passkeyAnswer{passkey: pk, cred: cred}, nil
}

// checkCounter refuses an answer whose sign counter did not move forward: the
// passkey may have been copied (a cloned authenticator). It is audited and the
// person is told. Errors: invalid_passkey.
func (s *Service) checkCounter(ctx context.Context, a *Auth, pk *Passkey, cred *webauthn.Credential, c Client) error {
	if !cred.Authenticator.CloneWarning {
		return nil
	}
	return s.cloneSuspected(ctx, a, pk, c)
}

func (s *Service) cloneSuspected(ctx context.Context, a *Auth, pk *Passkey, c Client) error {
	s.audit(ctx, a.centerID(), a.User.Username, "passkey_counter_regressed", a.User.Username, c, pk.Name)
	s.notify(ctx, a.User, c, "passkey_refused", pk.Name)
	return invalidPasskey("This passkey was refused: its signature counter went backwards, as if it was copied. Use another method, and check your account.")
}

// errCounterBehind says that a passkey's sign counter did not move forward in
// the database: two answers raced, or a copy of the passkey was used meanwhile.
var errCounterBehind = errors.New("passkey sign counter did not move forward")

// usePasskey records the answer's sign counter, backup state and time with one
// conditional update. Errors: errCounterBehind, which the caller turns into a
// refusal after its transaction (cloneSuspected).
func (s *Service) usePasskey(ctx context.Context, pk *Passkey, cred *webauthn.Credential) error {
	ok, err := s.store.UsePasskey(ctx, pk.ID, cred.Authenticator.SignCount, cred.Flags.BackupState, s.clock.Now())
	if err != nil {
		return err
	}
	if !ok {
		return errCounterBehind
	}
	return nil
}

// passkeyMethod is a person's passkeys (as Methods lists them) as one method
// at sign-in: its label names them ("Laptop, Phone").
func passkeyMethod(list []Method) Method {
	names := make([]string, len(list))
	for i, p := range list {
		names[i] = p.Label
	}
	return Method{Type: MethodPasskey, Label: strings.Join(names, ", "), VerifiedAt: list[0].VerifiedAt}
}

// passkeyViews lists passkeys for My Account.
func passkeyViews(list []Passkey) []PasskeyView {
	out := make([]PasskeyView, len(list))
	for i, p := range list {
		out[i] = PasskeyView{ID: p.ID, Name: p.Name, CreatedAt: p.CreatedAt, LastUsedAt: p.LastUsedAt}
	}
	return out
}
