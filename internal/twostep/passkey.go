package twostep

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
)

// MaxPasskeys is how many passkeys one person may have (B19).
const MaxPasskeys = 10

// Passkey is one of a person's WebAuthn credentials (B19): a key pair kept by
// their phone, computer or security key, unlocked with a fingerprint, face or PIN.
type Passkey struct {
	ID                int64
	UserID            int64
	CredentialID      []byte
	PublicKey         []byte // the COSE_Key the authenticator gave at registration
	Name              string
	SignCount         uint32
	BackupEligible    bool // may be synced to other devices; fixed at registration
	BackupState       bool // is synced now; may change
	AAGUID            []byte
	Transports        []string
	AttestationFormat string
	CreatedAt         time.Time
	LastUsedAt        time.Time // zero: never used to sign in
}

// PasskeyPurpose says which ceremony a challenge belongs to.
type PasskeyPurpose string

// Passkey ceremonies.
const (
	PasskeyRegister   PasskeyPurpose = "register"
	PasskeySecondStep PasskeyPurpose = "second_step"
	PasskeySignIn     PasskeyPurpose = "sign_in"
)

// PasskeyChallenge is the open challenge of one ceremony. Only its hash is kept.
type PasskeyChallenge struct {
	BoundTo       string // hex: the session's id hash, or the sign-in cookie's SHA-256
	Purpose       PasskeyPurpose
	ChallengeHash string
	UserID        int64  // 0 for a sign-in with a passkey alone (the person is not known yet)
	Name          string // registration: the name the person gave the passkey
	ExpiresAt     time.Time
}

// relyingParty is the portal as a WebAuthn relying party: its id is the host of
// the public URL, its origin the public URL's scheme, host and port.
type relyingParty struct {
	wa     *webauthn.WebAuthn
	id     string
	origin string
}

// newRelyingParty sets the portal up as a relying party, or says why passkeys
// cannot be offered at its public URL.
func newRelyingParty(set Settings) (*relyingParty, string) {
	u, err := url.Parse(set.PublicURL)
	if err != nil || u.Hostname() == "" {
		return nil, fmt.Sprintf("Passkeys are not offered: the portal's public URL %q is not a valid URL.", set.PublicURL)
	}
	host := strings.ToLower(u.Hostname())
	if net.ParseIP(host) != nil {
		return nil, fmt.Sprintf("Passkeys are not offered: the portal's public URL (%s) names the server by an IP address, and passkeys need a domain name. Serve the portal under a name (such as localhost or portal.example.org) and set PORTAL_PUBLIC_URL to it.", set.PublicURL)
	}
	local := host == "localhost" || strings.HasSuffix(host, ".localhost")
	if u.Scheme != "https" && !local {
		return nil, fmt.Sprintf("Passkeys are not offered: browsers allow passkeys only over https (or at http://localhost), and the portal's public URL is %s.", set.PublicURL)
	}
	origin := u.Scheme + "://" + host
	if p := u.Port(); p != "" && !(u.Scheme == "https" && p == "443") && !(u.Scheme == "http" && p == "80") {
		origin += ":" + p
	}
	timeout := set.PasskeyTimeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	wa, err := webauthn.New(&webauthn.Config{
		RPID: host, RPDisplayName: set.SiteName, RPOrigins: []string{origin},
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementRequired, RequireResidentKey: protocol.ResidentKeyRequired(),
			UserVerification: protocol.VerificationRequired,
		},
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Timeout: timeout, TimeoutUVD: timeout},
			Registration: webauthn.TimeoutConfig{Timeout: timeout, TimeoutUVD: timeout},
		},
		// Password managers add extension outputs nobody asked for; they are
		// ignored rather than refused.
		ExtensionsUnsolicitedOutputPolicy: protocol.UnsolicitedOutputPolicyIgnore,
	})
	if err != nil {
		return nil, fmt.Sprintf("Passkeys are not offered: %s cannot be a passkey relying party (%v).", host, err)
	}
	return &relyingParty{wa: wa, id: host, origin: origin}, ""
}

// PasskeysOffered reports whether passkeys can be used at this portal's public
// URL and, when not, why (for pages and My Account).
func (s *Service) PasskeysOffered() (bool, string) { return s.rp != nil, s.rpWhy }

// passkeysOffered is PasskeysOffered as an error. Errors: passkeys_not_offered.
func (s *Service) passkeysOffered() error {
	if s.rp == nil {
		return Errorf(EPasskeysNotOffered, "%s", s.rpWhy)
	}
	return nil
}

// signInTypes are the method types that count for people of c: those the
// center allows (B17). A passkey counts even where this public URL cannot
// serve passkeys: 2SV fails closed rather than silently dropping to the
// password (R4), so the rules that keep a method (B7) count it too.
func (s *Service) signInTypes(c *Center) []MethodType {
	return c.AllowedTypes()
}

// addableTypes are the method types people of c may add now: those the
// center allows, passkeys only where this public URL can serve them (B19).
func (s *Service) addableTypes(c *Center) []MethodType {
	out := []MethodType{}
	for _, t := range c.AllowedTypes() {
		if t != MethodPasskey || s.rp != nil {
			out = append(out, t)
		}
	}
	return out
}

// signsIn reports whether m counts as a method of its person at c: verified
// and of a type the center allows.
func (s *Service) signsIn(c *Center, m Method) bool {
	return m.Verified() && c.Allows(m.Type)
}

// passkeyUser is a person as the WebAuthn library sees them.
type passkeyUser struct {
	handle []byte
	name   string
	creds  []webauthn.Credential
}

func (u *passkeyUser) WebAuthnID() []byte                         { return u.handle }
func (u *passkeyUser) WebAuthnName() string                       { return u.name }
func (u *passkeyUser) WebAuthnDisplayName() string                { return u.name }
func (u *passkeyUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// passkeyUserOf is u with their passkeys. The user handle kept by
// authenticators is a keyed hash of the user's id: stable, so a person's
// passkeys share it, and opaque, so it names nobody.
func (s *Service) passkeyUserOf(u *User, list []Passkey) *passkeyUser {
	m := hmac.New(sha256.New, s.keys.Code[:])
	fmt.Fprintf(m, "passkey-user-handle|%d", u.ID)
	pu := &passkeyUser{handle: m.Sum(nil), name: u.Username}
	for _, p := range list {
		pu.creds = append(pu.creds, p.credential())
	}
	return pu
}

// credential is p as the WebAuthn library verifies it.
func (p *Passkey) credential() webauthn.Credential {
	flags := protocol.FlagUserPresent | protocol.FlagUserVerified
	if p.BackupEligible {
		flags |= protocol.FlagBackupEligible
	}
	if p.BackupState {
		flags |= protocol.FlagBackupState
	}
	c := webauthn.Credential{ID: p.CredentialID, PublicKey: p.PublicKey, AttestationFormat: p.AttestationFormat,
		Flags: webauthn.NewCredentialFlags(flags), Authenticator: webauthn.Authenticator{AAGUID: p.AAGUID, SignCount: p.SignCount}}
	for _, t := range p.Transports {
		c.Transport = append(c.Transport, protocol.AuthenticatorTransport(t))
	}
	return c
}

// challengeHash is the stored form of a challenge (base64url, as in clientDataJSON).
func challengeHash(challenge string) string {
	h := sha256.Sum256([]byte(challenge))
	return hex.EncodeToString(h[:])
}

// invalidPasskey is the answer to every refused passkey; the detail goes to the log.
func invalidPasskey(message string) *Error {
	return FieldError(EInvalidPasskey, "code", message)
}

// PasskeyView is a passkey as My Account shows it.
type PasskeyView struct {
	ID         int64
	Name       string
	CreatedAt  time.Time
	LastUsedAt time.Time
}

// SweepPasskeyChallenges deletes the challenges of passkey ceremonies that
// expired unanswered; run it now and then.
func (s *Service) SweepPasskeyChallenges(ctx context.Context) (int64, error) {
	return s.store.DeleteExpiredPasskeyChallenges(ctx, s.clock.Now())
}

// takeOwnChallenge spends the challenge this session was given for p (once:
// the store deletes it as it reads it) and reads the person's passkeys, with
// the person as the library sees them. A challenge that is gone, expired or
// was given to someone else is invalid_passkey with expired as its message.
func (s *Service) takeOwnChallenge(ctx context.Context, a *Auth, p PasskeyPurpose, challenge, expired string) (*PasskeyChallenge, []Passkey, *passkeyUser, error) {
	ch, err := s.store.TakePasskeyChallenge(ctx, hex.EncodeToString(a.Session.IDHash), p, challengeHash(challenge), s.clock.Now())
	if errors.Is(err, ErrNotFound) || (err == nil && ch.UserID != a.User.ID) {
		return nil, nil, nil, invalidPasskey(expired)
	} else if err != nil {
		return nil, nil, nil, err
	}
	list, err := s.store.Passkeys(ctx, a.User.ID)
	if err != nil {
		return nil, nil, nil, err
	}
	return ch, list, s.passkeyUserOf(a.User, list), nil
}
