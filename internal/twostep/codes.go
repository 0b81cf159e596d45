package twostep

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// CodeSent tells the user where a code went and when they may ask again.
type CodeSent struct {
	To          string // masked destination
	ResendAfter time.Duration
	ExpiresIn   time.Duration
}

// issueCode creates a 6-digit code, stores its keyed hash and queues the message
// that carries it, in one transaction, unless the resend wait of this purpose and
// channel has not passed. Errors: resend_too_soon, send_limit_reached (with RetryAfter).
func (s *Service) issueCode(ctx context.Context, u *User, p CodePurpose, ch MethodType, dest string, wait time.Duration, c Client) (*CodeSent, error) {
	undo, err := s.checkSendCaps(ctx, u, dest, c)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	code := newCode(6)
	nc := &NewCode{
		UserID: u.ID, Purpose: p, Channel: ch, Destination: dest,
		Hash:      s.keys.codeHash(u.ID, string(p)+"|"+string(ch), code),
		CreatedAt: now, ExpiresAt: now.Add(s.set.CodeTTL), Attempts: s.set.CodeAttempts,
		ResendCutoff: now.Add(-wait),
		Message:      s.codeMessage(u, ch, dest, code, now),
	}
	ok, last, err := s.store.IssueCode(ctx, nc)
	if err != nil {
		undo()
		return nil, fmt.Errorf("issue code: %w", err)
	}
	if !ok {
		undo() // a refused resend sends nothing and costs nothing
		left := last.Add(wait).Sub(now)
		return nil, &Error{Code: EResendTooSoon, RetryAfter: left,
			Message: fmt.Sprintf("You can ask for a new code in %s.", humanDuration(left))}
	}
	return &CodeSent{To: maskLabel(Method{Type: ch, Label: dest}), ResendAfter: wait, ExpiresIn: s.set.CodeTTL}, nil
}

// codeMessage builds the SMS or email carrying code, in the person's language
// (B25). The code is the only 6-digit number in it (CONTRACT.md); a text
// message keeps to one segment where the language allows.
func (s *Service) codeMessage(u *User, ch MethodType, dest, code string, now time.Time) OutboxMessage {
	lang := langOf(u)
	ttl := Duration(lang, s.set.CodeTTL)
	var m OutboxMessage
	if ch == MethodPhone {
		site := s.set.SiteName
		m = OutboxMessage{Channel: "sms", To: dest, Body: smsText(text(lang, "msg.code.sms", site, code, ttl),
			text(lang, "msg.code.sms.medium", site, code, ttl), text(lang, "msg.code.sms.short", site, code, ttl))}
	} else {
		m = emailMessage(dest, text(lang, "msg.code.subject", s.set.SiteName), text(lang, "msg.code.body", s.set.SiteName, code, ttl), "", "")
	}
	m.UserID, m.CreatedAt, m.GiveUpAt, m.EraseAt = u.ID, now, now.Add(s.set.CodeTTL), now.Add(s.set.CodeTTL)
	return m
}

// consumeCode checks code against the user's current code for purpose and
// channel. Errors: invalid_code (AttemptsLeft set), code_expired.
func (s *Service) consumeCode(ctx context.Context, u *User, p CodePurpose, ch MethodType, input string) (string, error) {
	code, ok := NormalizeCode(input)
	if !ok {
		return "", FieldError(EInvalidCode, "code", "Enter the 6-digit code.")
	}
	r, err := s.store.ConsumeCode(ctx, u.ID, p, ch, s.keys.codeHash(u.ID, string(p)+"|"+string(ch), code), s.clock.Now())
	if err != nil {
		return "", fmt.Errorf("check code: %w", err)
	}
	switch r.Outcome {
	case CodeAccepted:
		return r.Destination, nil
	case CodeExpired:
		return "", FieldError(ECodeExpired, "code", "That code has expired. Ask for a new one.")
	case CodeWrong:
		left := r.AttemptsLeft
		msg := "That code is not right."
		if left == 0 {
			msg = "That code is not right, and it can no longer be used. Ask for a new one."
		}
		return "", &Error{Code: EInvalidCode, Message: msg, AttemptsLeft: &left, Field: "code"}
	}
	zero := 0
	return "", &Error{Code: EInvalidCode, Message: "That code can no longer be used. Ask for a new one.", AttemptsLeft: &zero, Field: "code"}
}

// CodeStatus is what the pages show about the current code.
type CodeStatus struct {
	To        string        // destination: whole during setup, masked at sign-in
	ResendIn  time.Duration // 0: a new code may be requested now
	ExpiresIn time.Duration // 0: expired
	Usable    bool
	Delivery  string // DeliveryQueued, DeliverySent or DeliveryFailed
}

// CodeStatus tells where the current code went (the whole number or address
// during setup, where the person checks what they typed; masked at sign-in),
// when a new one may be requested and how its delivery fares (B9: a failed
// delivery is shown to the user).
// It returns nil when no code was sent.
func (s *Service) CodeStatus(ctx context.Context, a *Auth, p CodePurpose, ch MethodType) (*CodeStatus, error) {
	ci, err := s.store.CodeInfo(ctx, a.User.ID, p, ch)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	wait := s.set.ResendSetup
	if p == PurposeLogin {
		wait = s.set.ResendLoginPhone
		if ch == MethodEmail {
			wait = s.set.ResendLoginEmail
		}
	}
	now := s.clock.Now()
	to := maskLabel(Method{Type: ch, Label: ci.Destination})
	if p == PurposeSetup {
		to = ci.Destination // the person typed it just now: show it whole, to check for typos
	}
	return &CodeStatus{To: to, ResendIn: max(0, ci.CreatedAt.Add(wait).Sub(now)),
		ExpiresIn: max(0, ci.ExpiresAt.Sub(now)), Usable: ci.Usable, Delivery: ci.Delivery}, nil
}

// humanDuration says a duration in English words: "10 minutes", "1 minute",
// "45 seconds" (the domain's error messages; pages translate them by code).
func humanDuration(d time.Duration) string { return Duration(Languages[0], d) }

// HumanDuration is humanDuration for the pages.
func HumanDuration(d time.Duration) string { return humanDuration(d) }
