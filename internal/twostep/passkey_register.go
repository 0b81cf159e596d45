package twostep

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"unicode"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
	"github.com/go-webauthn/webauthn/webauthn"
)

// maxPasskeyName bounds a passkey's name, in characters.
const maxPasskeyName = 64

// registrationExtensions asks the browser whether the new credential is
// discoverable (credProps), so a key that cannot be a passkey is refused.
var registrationExtensions = protocol.AuthenticationExtensions{CredProps: true}

// passkeyName checks the name a person gives a passkey; an empty one becomes
// "Passkey", "Passkey 2"… Errors: invalid_request.
func passkeyName(name string, have int) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		if have == 0 {
			return "Passkey", nil
		}
		return fmt.Sprintf("Passkey %d", have+1), nil
	}
	if len([]rune(name)) > maxPasskeyName {
		return "", FieldError(EInvalid, "name", fmt.Sprintf("A passkey's name has at most %d characters.", maxPasskeyName))
	}
	for _, r := range name {
		// Control and format characters (bidi overrides, zero-width) would
		// make a name read as something else in pages, emails and the log.
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return "", FieldError(EInvalid, "name", "A passkey's name can only hold letters, digits, spaces and punctuation.")
		}
	}
	return name, nil
}

// StartPasskey begins adding a passkey (B19): it returns the options of the
// browser's passkey dialog, {"publicKey": PublicKeyCredentialCreationOptionsJSON},
// asking for a discoverable credential with user verification. The rules are
// those of every method (canAdd), and at most MaxPasskeys per person.
// Errors: passkeys_not_offered, invalid_request (name), method_exists (the
// limit), and as canAdd.
func (s *Service) StartPasskey(ctx context.Context, a *Auth, name, password string, c Client) (json.RawMessage, error) {
	if err := s.passkeysOffered(); err != nil {
		return nil, err
	}
	if err := s.canAdd(ctx, a, MethodPasskey, password, c); err != nil {
		return nil, err
	}
	list, err := s.store.Passkeys(ctx, a.User.ID)
	if err != nil {
		return nil, err
	}
	if len(list) >= MaxPasskeys {
		return nil, Errorf(EMethodExists, "You have %d passkeys, the most allowed. Delete one to add another.", MaxPasskeys)
	}
	if name, err = passkeyName(name, len(list)); err != nil {
		return nil, err
	}
	user := s.passkeyUserOf(a.User, list)
	creation, session, err := s.rp.wa.BeginRegistration(user,
		webauthn.WithExclusions(webauthn.Credentials(user.creds).CredentialDescriptors()),
		webauthn.WithExtensions(webauthn.WithExtensionInputs(registrationExtensions)))
	if err != nil {
		return nil, fmt.Errorf("begin passkey registration: %w", err)
	}
	ch := &PasskeyChallenge{BoundTo: hex.EncodeToString(a.Session.IDHash), Purpose: PasskeyRegister, ChallengeHash: challengeHash(session.Challenge),
		UserID: a.User.ID, Name: name, ExpiresAt: s.clock.Now().Add(s.set.PasskeyTimeout)}
	if err := s.store.PutPasskeyChallenge(ctx, ch); err != nil {
		return nil, err
	}
	return json.Marshal(creation)
}

// FinishPasskey completes adding a passkey with the browser's answer, a
// RegistrationResponseJSON: the credential must answer this session's open
// challenge, from the portal's origin and relying party id, with the user
// verified; attestation "none" is accepted. 2SV is on from then, other
// sessions end (B15) and the user is notified (B5); in setup_required the
// sign-in completes (R14). Errors: invalid_passkey, method_exists,
// passkeys_not_offered, two_step_not_available, method_not_allowed.
func (s *Service) FinishPasskey(ctx context.Context, a *Auth, response []byte, c Client) (*PasskeyView, error) {
	if err := s.passkeysOffered(); err != nil {
		return nil, err
	}
	if err := s.requireAvailable(a); err != nil {
		return nil, err
	}
	if !a.Center.Allows(MethodPasskey) {
		return nil, Errorf(EMethodNotAllowed, "Your center does not allow passkeys.")
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		s.log.InfoContext(ctx, "passkey registration refused", "user_id", a.User.ID, "reason", libraryDetail(err))
		return nil, invalidPasskey("The browser's answer is not a passkey. Try adding it again.")
	}
	challenge := parsed.Response.CollectedClientData.Challenge
	ch, _, user, err := s.takeOwnChallenge(ctx, a, PasskeyRegister, challenge,
		"This passkey request has expired or was already answered. Start adding the passkey again.")
	if err != nil {
		return nil, err
	}
	session := webauthn.SessionData{Challenge: challenge, RelyingPartyID: s.rp.id, UserID: user.handle, UserVerification: protocol.VerificationRequired,
		CredParams: webauthn.CredentialParametersDefault(), Extensions: registrationExtensions.Session()}
	cred, err := s.rp.wa.CreateCredential(user, session, parsed)
	if err != nil {
		s.log.InfoContext(ctx, "passkey registration refused", "user_id", a.User.ID, "reason", libraryDetail(err))
		return nil, invalidPasskey("The passkey could not be verified. Try again, from this portal's own address.")
	}
	if err := checkPublicKey(cred.PublicKey); err != nil {
		s.log.InfoContext(ctx, "passkey registration refused", "user_id", a.User.ID, "reason", err.Error())
		return nil, invalidPasskey("This passkey's key cannot be used. Use another device or key.")
	}
	if rk := cred.Extensions.RK; rk != nil && !*rk {
		return nil, invalidPasskey("This security key cannot keep a passkey (it made a key that needs your username). Use another device or key.")
	}
	now := s.clock.Now()
	p := &Passkey{UserID: a.User.ID, CredentialID: cred.ID, PublicKey: cred.PublicKey, Name: ch.Name, SignCount: cred.Authenticator.SignCount,
		BackupEligible: cred.Flags.BackupEligible, BackupState: cred.Flags.BackupState, AAGUID: cred.Authenticator.AAGUID,
		AttestationFormat: cred.AttestationFormat, CreatedAt: now}
	for _, t := range cred.Transport {
		p.Transports = append(p.Transports, string(t))
	}
	switch err := s.store.AddPasskey(ctx, p, MaxPasskeys); {
	case errors.Is(err, ErrDuplicate):
		return nil, invalidPasskey("This passkey is registered already.")
	case errors.Is(err, ErrLimit):
		return nil, Errorf(EMethodExists, "You have %d passkeys, the most allowed. Delete one to add another.", MaxPasskeys)
	case err != nil:
		return nil, err
	}
	a.User.TwoStepOn = true
	if a.Session.State == StateSetupRequired {
		// The first method, verified now, completes the sign-in with both
		// factors (R14), as VerifySetup does for the other kinds.
		a.Session.AMR = AMRPassword + " " + AMRHardwareKey + " " + AMRMFA
	}
	if err := s.rotate(ctx, a, StateSignedIn, c); err != nil { // privilege change; ends setup_required
		return nil, err
	}
	if err := s.store.DeleteUserSessions(ctx, a.User.ID, a.Session.IDHash); err != nil {
		return nil, err
	}
	s.audit(ctx, a.centerID(), a.User.Username, "passkey_added", a.User.Username, c, p.Name)
	s.notify(ctx, a.User, c, "passkey_added", p.Name)
	return &PasskeyView{ID: p.ID, Name: p.Name, CreatedAt: now}, nil
}

// DeletePasskey deletes one passkey after the password (R10, B7); the last
// verified method cannot go while the center requires 2SV. Other sessions end
// (B15) and the user is notified (B5). Errors: no_such_method,
// last_method_required, invalid_credentials, two_step_not_available.
func (s *Service) DeletePasskey(ctx context.Context, a *Auth, id int64, password string, c Client) error {
	if err := s.requireAvailable(a); err != nil {
		return err
	}
	list, err := s.store.Passkeys(ctx, a.User.ID)
	if err != nil {
		return err
	}
	var target *Passkey
	for i := range list {
		if list[i].ID == id {
			target = &list[i]
		}
	}
	if target == nil {
		return Errorf(ENoSuchMethod, "You have no such passkey.")
	}
	var mustKeep []MethodType
	if a.Center.TwoStepRequired {
		mustKeep = s.signInTypes(a.Center)
		usable, err := s.usableCount(ctx, a)
		if err != nil {
			return err
		}
		if slices.Contains(mustKeep, MethodPasskey) && usable == 1 {
			return lastMethodError()
		}
	}
	if err := s.checkPassword(ctx, a, password, c, "passkey_delete"); err != nil {
		return err
	}
	// The check above answers early; the one in the delete itself holds when
	// two deletes race.
	switch err := s.store.DeletePasskey(ctx, a.User.ID, id, mustKeep); {
	case errors.Is(err, ErrNotFound):
		return Errorf(ENoSuchMethod, "You have no such passkey.")
	case errors.Is(err, ErrLastMethod):
		return lastMethodError()
	case err != nil:
		return err
	}
	if err := s.store.DeleteUserSessions(ctx, a.User.ID, a.Session.IDHash); err != nil {
		return err
	}
	if err := s.forgetBrowsers(ctx, a.User.ID); err != nil { // B23, as for every deleted method
		return err
	}
	s.audit(ctx, a.centerID(), a.User.Username, "passkey_deleted", a.User.Username, c, target.Name)
	s.notify(ctx, a.User, c, "passkey_deleted", target.Name)
	return nil
}

// usableCount counts a user's verified methods that sign in at their center
// (B17), each passkey as one.
func (s *Service) usableCount(ctx context.Context, a *Auth) (int, error) {
	all, err := s.store.Methods(ctx, a.User.ID)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range all {
		if s.signsIn(a.Center, m) {
			n++
		}
	}
	return n, nil
}

// checkPublicKey refuses a new passkey whose public key could never verify a
// sign-in (an attestation "none" is not checked against the key): the library
// parses and validates it (a point on its curve, coordinates of the right
// length, a usable exponent), and an RSA key must have at least 2048 bits.
func checkPublicKey(raw []byte) error {
	key, err := webauthncose.ParsePublicKey(raw)
	if err != nil {
		return fmt.Errorf("public key: %w", err)
	}
	switch k := key.(type) {
	case webauthncose.EC2PublicKeyData, webauthncose.OKPPublicKeyData:
		return nil
	case webauthncose.RSAPublicKeyData:
		if new(big.Int).SetBytes(k.Modulus).BitLen() < 2048 {
			return errors.New("public key: RSA modulus under 2048 bits")
		}
		return nil
	}
	return fmt.Errorf("public key: unsupported kind %T", key)
}

// libraryDetail is the WebAuthn library's explanation of a refusal, for the log.
func libraryDetail(err error) string {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return strings.TrimSpace(pe.Type + ": " + pe.Details + " " + pe.DevInfo)
	}
	return err.Error()
}
