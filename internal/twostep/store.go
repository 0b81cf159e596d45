package twostep

import (
	"context"
	"time"
)

// Store is what the domain needs of the database. Implementations must make each
// method atomic; the methods that consume or count (ConsumeCode, AcceptTOTPStep,
// UseGraceLogin, HitThrottle, RecordSecondStepFailure, UseRecoveryCode) must do so
// with a single conditional write so that concurrent callers, on any number of
// server instances, cannot both succeed.
type Store interface {
	// Atomically runs fn with a store whose reads and writes form one
	// transaction: all of them happen, or none.
	Atomically(ctx context.Context, fn func(Store) error) error
	CenterStore
	UserStore
	SessionStore
	MethodStore
	CodeStore
	GuardStore
	AuditStore
	ResetStore
	InvitationStore
	TrustedBrowserStore
	AppStore
	AppGrantStore
	PasskeyStore
}

// CenterStore keeps centers.
type CenterStore interface {
	CreateCenter(ctx context.Context, c *Center) error // ErrDuplicate for a taken name
	CenterByID(ctx context.Context, id int64) (*Center, error)
	CenterByName(ctx context.Context, name string) (*Center, error)
	ListCenters(ctx context.Context) ([]Center, error)
	UpdateCenter(ctx context.Context, c *Center) error
}

// UserStore keeps users.
type UserStore interface {
	CreateUser(ctx context.Context, u *User) error // ErrDuplicate for a taken username
	UserByID(ctx context.Context, id int64) (*User, error)
	UserByUsername(ctx context.Context, username string) (*User, error)
	// UserAndCenter returns a user and their center (nil for account managers) in one read.
	UserAndCenter(ctx context.Context, username string) (*User, *Center, error)
	ListUsers(ctx context.Context, centerID int64) ([]User, error)
	CountUsers(ctx context.Context) (int, error)
	SetPasswordHash(ctx context.Context, userID int64, hash string) error
	// PasswordStill reports whether the user's password hash is still hash;
	// inside Atomically it also keeps a concurrent password change waiting
	// until the transaction ends.
	PasswordStill(ctx context.Context, userID int64, hash string) (bool, error)
	SetTwoStepOn(ctx context.Context, userID int64, on bool) error
	// TurnTwoStepOff sets two_step_on false and deletes every method and recovery code.
	TurnTwoStepOff(ctx context.Context, userID int64) error
	// UseGraceLogin spends one grace login if fewer than limit are used and returns
	// how many are used now; ok is false when none was left.
	UseGraceLogin(ctx context.Context, userID int64, limit int) (used int, ok bool, err error)
	SetGraceLoginsUsed(ctx context.Context, userID int64, used int) error
	// MethodTypesByCenter returns the verified method types of each user of a center.
	MethodTypesByCenter(ctx context.Context, centerID int64) (map[int64][]MethodType, error)
	// SetLanguage records the page language the user last used (B25).
	SetLanguage(ctx context.Context, userID int64, lang string) error
}

// SessionStore keeps sessions by the hash of their id.
type SessionStore interface {
	CreateSession(ctx context.Context, s *Session) error
	SessionByHash(ctx context.Context, idHash []byte) (*Session, error)
	// SessionWithUser returns a session, its user and the user's center (nil for
	// account managers) in one read.
	SessionWithUser(ctx context.Context, idHash []byte) (*Session, *User, *Center, error)
	// RotateSession gives a session a new id hash and state in one update.
	RotateSession(ctx context.Context, oldHash []byte, s *Session) error
	TouchSession(ctx context.Context, idHash []byte, at time.Time) error
	UpdateSession(ctx context.Context, s *Session) error
	DeleteSession(ctx context.Context, idHash []byte) error
	// DeleteUserSessions ends every session of the user except keep (which may be nil).
	DeleteUserSessions(ctx context.Context, userID int64, keep []byte) error
	ListSessions(ctx context.Context, userID int64) ([]Session, error)
}

// MethodStore keeps verified methods and methods being added.
type MethodStore interface {
	// Methods lists the user's methods, verified and pending, in display
	// order; each passkey is one verified method of type passkey (label: its
	// name), last, oldest first. Passkeys gives their details.
	Methods(ctx context.Context, userID int64) ([]Method, error)
	Method(ctx context.Context, userID int64, t MethodType) (*Method, error)
	// StartMethod stores m as pending, replacing an earlier pending one of its type;
	// ErrDuplicate when a verified method of that type exists.
	StartMethod(ctx context.Context, m *Method) error
	// CompleteMethod marks the pending method m verified and, in the same
	// transaction, turns 2SV on. It fails with ErrNotFound unless the pending
	// method still has m's label and secret (a restarted setup between the code
	// check and this call verifies nothing). For TOTP, step is recorded as the
	// last accepted time step and must be newer than any earlier one.
	CompleteMethod(ctx context.Context, m *Method, at time.Time, step int64) error
	// DeleteMethod deletes a method. With mustKeep (non-nil), a verified method
	// of one of those types goes only while another verified one of those types
	// (a passkey, when passkey is one of them) remains, decided atomically with
	// the delete. Errors: ErrNotFound, ErrLastMethod.
	DeleteMethod(ctx context.Context, userID int64, t MethodType, mustKeep []MethodType) error
	// AcceptTOTPStep records step as used if it is newer than the last accepted
	// step of the user's verified TOTP method; false means replay.
	AcceptTOTPStep(ctx context.Context, userID int64, step int64) (bool, error)
}

// CodePurpose says what an emailed/SMS code is for.
type CodePurpose string

// Code purposes.
const (
	PurposeSetup CodePurpose = "setup"
	PurposeLogin CodePurpose = "login"
)

// NewCode is a code to store together with the message that carries it.
type NewCode struct {
	UserID       int64
	Purpose      CodePurpose
	Channel      MethodType // phone or email
	Destination  string
	Hash         string
	CreatedAt    time.Time
	ExpiresAt    time.Time
	Attempts     int
	ResendCutoff time.Time // an earlier code created after this blocks the new one
	Message      OutboxMessage
}

// CodeOutcome is the result of trying a code.
type CodeOutcome int

// Code outcomes.
const (
	CodeAccepted CodeOutcome = iota
	CodeWrong                // wrong; AttemptsLeft tries remain (0: the code is now dead)
	CodeExpired
	CodeDead // used up, out of tries, or never sent
)

// CodeResult is what ConsumeCode found.
type CodeResult struct {
	Outcome      CodeOutcome
	AttemptsLeft int
	Destination  string
}

// OutboxMessage is an email or SMS waiting in the durable outbox (B9).
type OutboxMessage struct {
	ID        int64
	Channel   string // "email" or "sms"
	To        string
	Subject   string
	Body      string
	HTML      string
	UserID    int64
	Attempts  int
	CreatedAt time.Time
	GiveUpAt  time.Time
	EraseAt   time.Time
}

// Delivery states of a message, as the user sees them.
const (
	DeliveryQueued = "pending"
	DeliverySent   = "sent"
	DeliveryFailed = "failed"
)

// CodeInfo is what the pages may know of a code (never the code).
type CodeInfo struct {
	Destination string
	CreatedAt   time.Time
	ExpiresAt   time.Time
	Usable      bool
	Delivery    string // DeliveryQueued, DeliverySent or DeliveryFailed
}

// CodeStore keeps codes and writes their messages to the outbox.
type CodeStore interface {
	// IssueCode replaces the user's code for purpose and channel and queues its
	// message, in one transaction. When the current code was created after
	// c.ResendCutoff nothing is written and ok is false; last is that code's
	// creation time.
	IssueCode(ctx context.Context, c *NewCode) (ok bool, last time.Time, err error)
	// ConsumeCode uses the code if hash matches, exactly once, or spends a try.
	ConsumeCode(ctx context.Context, userID int64, p CodePurpose, ch MethodType, hash string, now time.Time) (CodeResult, error)
	// CodeInfo describes the current code: when it was made, when it expires,
	// whether it is still usable and how its message fares. ErrNotFound if none.
	CodeInfo(ctx context.Context, userID int64, p CodePurpose, ch MethodType) (*CodeInfo, error)
	// Enqueue queues a message that carries no code (security notices).
	Enqueue(ctx context.Context, m *OutboxMessage) error
}

// GuardStore keeps counters that slow attackers down.
type GuardStore interface {
	// HitThrottle counts one attempt under key in a fixed window starting at
	// now when the previous window is over, and returns the count and window start.
	HitThrottle(ctx context.Context, key string, now time.Time, window time.Duration) (hits int, start time.Time, err error)
	UndoThrottleHit(ctx context.Context, key string) error
	ResetThrottle(ctx context.Context, key string) error
	// HitThrottles counts one attempt under each key at once (as HitThrottle) and
	// returns the counts and window starts in the order of keys.
	HitThrottles(ctx context.Context, keys []string, now time.Time, window time.Duration) ([]int, []time.Time, error)
	// SettleThrottles forgets reset's attempts and takes one back from undo, at once.
	SettleThrottles(ctx context.Context, reset, undo string) error
	// ReserveSecondStepAttempt counts one second-step attempt before it is judged,
	// with one conditional update: it fails (ok false) while the user is locked or
	// when threshold attempts are already counted, so concurrent guesses can never
	// exceed the limit. It returns the count including this attempt.
	ReserveSecondStepAttempt(ctx context.Context, userID int64, now time.Time, threshold int) (count int, ok bool, err error)
	// ReleaseSecondStepAttempt takes back a reserved attempt that was not a wrong code.
	ReleaseSecondStepAttempt(ctx context.Context, userID int64) error
	// LockSecondStep locks the second step until the given time and clears the count.
	LockSecondStep(ctx context.Context, userID int64, until time.Time) error
	ResetSecondStepFailures(ctx context.Context, userID int64) error
	LockedUntil(ctx context.Context, userID int64) (time.Time, error)
	ReplaceRecoveryCodes(ctx context.Context, userID int64, hashes []string) error
	// AddFirstRecoveryCodes stores hashes as the user's recovery codes only while
	// they have none at all, used or not, decided with the write; added says
	// whether it did.
	AddFirstRecoveryCodes(ctx context.Context, userID int64, hashes []string) (added bool, err error)
	UseRecoveryCode(ctx context.Context, userID int64, hash string, at time.Time) (bool, error)
	CountRecoveryCodes(ctx context.Context, userID int64) (int, error)
}

// AuditStore keeps the audit log.
type AuditStore interface {
	AddAudit(ctx context.Context, e *AuditEvent) error
	// ListAudit returns the events f selects, newest first.
	ListAudit(ctx context.Context, f AuditFilter) ([]AuditEvent, error)
}

// AppStore keeps the registered apps (B20).
type AppStore interface {
	// CreateApp inserts an app with its hosts and sets its ID; ErrDuplicate for
	// a taken name, client id or host.
	CreateApp(ctx context.Context, a *App) error
	AppByID(ctx context.Context, id int64) (*App, error)
	AppByName(ctx context.Context, name string) (*App, error)
	AppByClientID(ctx context.Context, clientID string) (*App, error)
	ListApps(ctx context.Context) ([]App, error)
	// DeleteApp removes an app with its hosts, requests, grants and tokens.
	DeleteApp(ctx context.Context, id int64) error
}

// AppGrantStore keeps what apps' sign-ins leave: authorization requests, codes
// (hashed), grants, tokens (hashed) and signing keys. Codes and refresh tokens
// are used once by single conditional writes.
type AppGrantStore interface {
	CreateAuthRequest(ctx context.Context, r *AppAuthRequest) error
	AuthRequestByID(ctx context.Context, id string) (*AppAuthRequest, error)
	// CompleteAuthRequest records r's person while no code was issued and r is
	// live; ErrNotFound otherwise.
	CompleteAuthRequest(ctx context.Context, r *AppAuthRequest, now time.Time) error
	// SetAuthCode records the code of a completed, live request that has none yet; ErrNotFound otherwise.
	SetAuthCode(ctx context.Context, id, codeHash string, expires, now time.Time) error
	AuthRequestByCode(ctx context.Context, codeHash string) (*AppAuthRequest, error)
	// RedeemAuthCode marks the request's code redeemed for grantID unless it
	// was already or has expired, in one conditional write; ok false if not.
	RedeemAuthCode(ctx context.Context, id, grantID string, now time.Time) (ok bool, err error)
	CreateGrant(ctx context.Context, g *AppGrant) error
	CreateTokens(ctx context.Context, toks []AppToken) error
	// TokenGrant returns a token with its grant, the grant's person and their
	// center (nil for account managers) in one read.
	TokenGrant(ctx context.Context, hash string) (*AppToken, *AppGrant, *User, *Center, error)
	// UseRefreshToken marks an unused, unexpired refresh token of grantID used,
	// in one conditional write; ok false if it was used already.
	UseRefreshToken(ctx context.Context, hash, grantID string, now time.Time) (ok bool, err error)
	RevokeGrant(ctx context.Context, grantID string, now time.Time) error
	// RevokeUserGrants revokes a person's grants for an app (appID 0: every app).
	RevokeUserGrants(ctx context.Context, userID, appID int64, now time.Time) error
	SigningKeys(ctx context.Context) ([]SigningKey, error)
	// AddSigningKey stores k as the active key; with retire, the key active
	// until now is retired in the same transaction. ErrDuplicate when, without
	// retire, another key is active.
	AddSigningKey(ctx context.Context, k *SigningKey, retire bool) error
	// DeleteExpiredAppData deletes requests, tokens and grants expired by now
	// and keys retired before keysBefore.
	DeleteExpiredAppData(ctx context.Context, now, keysBefore time.Time) (int64, error)
}

// PasskeyStore keeps passkeys (B19) and the single-use challenges of their
// ceremonies, which every instance can answer.
type PasskeyStore interface {
	// Passkeys lists the user's passkeys, oldest first.
	Passkeys(ctx context.Context, userID int64) ([]Passkey, error)
	// PasskeyOwner finds a passkey by its credential id, with its user and the
	// user's center (nil for account managers), in one read. ErrNotFound if none.
	PasskeyOwner(ctx context.Context, credentialID []byte) (*Passkey, *User, *Center, error)
	// AddPasskey stores a verified passkey and turns the user's 2SV on, in one
	// transaction that writes the user's row first, so that additions for one
	// person take turns: ErrLimit when the user has limit passkeys already,
	// ErrDuplicate when the credential is registered already (to anyone).
	AddPasskey(ctx context.Context, p *Passkey, limit int) error
	// UsePasskey records a use: the sign counter, the backup state and the time,
	// with one conditional update that succeeds only when the counter moved
	// forward (or the authenticator keeps no counter: both are 0). false means it
	// did not: a cloned authenticator, or the same assertion raced.
	UsePasskey(ctx context.Context, id int64, signCount uint32, backupState bool, at time.Time) (bool, error)
	// DeletePasskey removes one of the user's passkeys. When mustKeep holds
	// passkey, only while another verified method of the mustKeep types
	// remains (passkeys included), decided atomically with the delete (B7).
	// Errors: ErrNotFound, ErrLastMethod.
	DeletePasskey(ctx context.Context, userID, id int64, mustKeep []MethodType) error
	// PutPasskeyChallenge stores a ceremony's challenge, replacing an earlier
	// one with the same binding and purpose.
	PutPasskeyChallenge(ctx context.Context, c *PasskeyChallenge) error
	// TakePasskeyChallenge deletes and returns the unexpired challenge with this
	// binding, purpose and hash, with one conditional DELETE … RETURNING: of
	// concurrent callers at most one gets it. ErrNotFound otherwise.
	TakePasskeyChallenge(ctx context.Context, boundTo string, p PasskeyPurpose, challengeHash string, now time.Time) (*PasskeyChallenge, error)
	// DeleteExpiredPasskeyChallenges purges challenges that expired by now.
	DeleteExpiredPasskeyChallenges(ctx context.Context, now time.Time) (int64, error)
}
