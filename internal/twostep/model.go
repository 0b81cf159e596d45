package twostep

import (
	"strings"
	"time"
)

// Role is what a user may do.
type Role string

// Roles.
const (
	RoleProvider Role = "provider"
	RoleAdmin    Role = "admin"
	RoleStaff    Role = "staff" // account manager: vendor staff, not tied to a center
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleProvider || r == RoleAdmin || r == RoleStaff }

// MethodType is a kind of verified method.
type MethodType string

// Method types (R3, B19). Recovery is accepted at sign-in only (B1). A person
// has at most one method of each type, except passkeys (up to MaxPasskeys).
const (
	MethodTOTP     MethodType = "totp"
	MethodPhone    MethodType = "phone"
	MethodEmail    MethodType = "email"
	MethodPasskey  MethodType = "passkey"
	MethodRecovery MethodType = "recovery"
)

// AllMethodTypes lists the types a user can add, in display order.
var AllMethodTypes = []MethodType{MethodTOTP, MethodPhone, MethodEmail, MethodPasskey}

// Valid reports whether t is a type that can be added.
func (t MethodType) Valid() bool {
	return t == MethodTOTP || t == MethodPhone || t == MethodEmail || t == MethodPasskey
}

// Sends reports whether a code is sent for this type (phone and email).
func (t MethodType) Sends() bool { return t == MethodPhone || t == MethodEmail }

// Center is a tenant.
type Center struct {
	ID               int64
	Name             string
	TwoStepAvailable bool // R1: the beta, turned on by an account manager
	TwoStepRequired  bool // R13
	AllowedMethods   []MethodType
	GraceLogins      int // R14; -1 means the portal default
	// TrustedBrowserDays is how long a browser may skip the second step once
	// trusted (B23): 0 to 90, 0 hides the choice.
	TrustedBrowserDays int
	CreatedAt          time.Time
	// TimeZone is the IANA name times are shown in for the center's people;
	// "" means the portal's default.
	TimeZone string
}

// Allows reports whether users of the center may add or use a method type (B17).
func (c *Center) Allows(t MethodType) bool {
	if len(c.AllowedMethods) == 0 {
		return true
	}
	for _, a := range c.AllowedMethods {
		if a == t {
			return true
		}
	}
	return false
}

// AllowedTypes lists the method types the center allows, in display order.
func (c *Center) AllowedTypes() []MethodType {
	out := []MethodType{}
	for _, t := range AllMethodTypes {
		if c.Allows(t) {
			out = append(out, t)
		}
	}
	return out
}

// User is a person who signs in. CenterID is 0 for account managers.
type User struct {
	ID              int64
	CenterID        int64
	Username        string
	Email           string
	Role            Role
	PasswordHash    string
	TwoStepOn       bool
	GraceLoginsUsed int
	// Language is the page language the person last used ("en", "es"; empty
	// when not known yet): their emails and text messages are written in it (B25).
	Language  string
	CreatedAt time.Time
}

// Method is a verified (or, while being added, pending) method of a user.
type Method struct {
	UserID     int64
	Type       MethodType
	Label      string // TOTP: the username used in the app; phone: E.164; email: the address
	Secret     []byte // TOTP only, encrypted
	VerifiedAt time.Time
	LastStep   int64 // TOTP: last accepted time step (replay guard)
	CreatedAt  time.Time
}

// Verified reports whether the method finished its setup.
func (m *Method) Verified() bool { return !m.VerifiedAt.IsZero() }

// SessionState is where a session stands in sign-in.
type SessionState string

// Session states (CONTRACT.md).
const (
	StateSignedIn       SessionState = "signed_in"
	StateTwoStep        SessionState = "two_step"
	StateSetupSuggested SessionState = "setup_suggested"
	StateSetupRequired  SessionState = "setup_required"
	// StateChoosePassword is a password-reset session that may now set the
	// new password (B21); it never reaches anything else.
	StateChoosePassword SessionState = "choose_password"
)

// Session is a signed-in (or signing-in) browser or API client.
// Its id is never stored; IDHash is SHA-256 of it.
type Session struct {
	IDHash     []byte
	UserID     int64
	State      SessionState
	CreatedAt  time.Time
	LastSeenAt time.Time
	AuthAt     time.Time // last time the password was checked
	IP         string
	UserAgent  string
	Selected   MethodType // second-step method chosen at sign-in
	// AMR says how the person signed in, as RFC 8176 values separated by
	// spaces: "pwd" after the password, "pwd otp mfa" after a second step…
	AMR string
	// ResetHash is set on a password-reset session: the hash of the link it
	// was started from (B21). Such a session is never signed in.
	ResetHash []byte
}

// Resetting reports whether the session resets a forgotten password.
func (s *Session) Resetting() bool { return len(s.ResetHash) > 0 }

// AMR values (RFC 8176) for the ways of signing in.
const (
	AMRPassword    = "pwd"
	AMROTP         = "otp" // a code from an authenticator app, an emailed code or a recovery code
	AMRSMS         = "sms"
	AMRMFA         = "mfa"
	AMRHardwareKey = "hwk"  // proof of a hardware-bound key: a passkey
	AMRUser        = "user" // the user was verified (fingerprint, face, PIN) by the passkey's device
)

// amrOf is the RFC 8176 value of a second-step method.
func amrOf(t MethodType) string {
	switch t {
	case MethodPhone:
		return AMRSMS
	case MethodPasskey:
		return AMRHardwareKey
	}
	return AMROTP
}

// TwoStepUsed reports whether this sign-in passed a second step (the acr "2sv").
func (s *Session) TwoStepUsed() bool {
	for _, v := range strings.Fields(s.AMR) {
		if v == AMRMFA {
			return true
		}
	}
	return false
}

// Client describes who is calling: the client address (after trusted proxies) and browser.
type Client struct {
	IP        string
	UserAgent string
	// Trusted are the trusted-browser tokens this browser holds (B23), one per
	// person who chose "don't ask again" on it.
	Trusted []string
}

// AuditEvent is one row of the audit log (B6). It never holds a code, password or secret.
type AuditEvent struct {
	ID        int64
	At        time.Time
	CenterID  int64
	Actor     string
	Action    string
	Target    string
	IP        string
	UserAgent string
	Detail    string
}
