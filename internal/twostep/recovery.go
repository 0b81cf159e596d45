package twostep

import (
	"context"
	"crypto/rand"
	"strings"
	"time"
)

// Recovery codes (B1): 10 codes of 10 characters from an alphabet without
// look-alike characters (no 0/o, 1/l/i), shown as xxxxx-xxxxx.
const (
	recoveryCount    = 10
	recoveryLen      = 10
	recoveryAlphabet = "23456789abcdefghjkmnpqrstuvwxyz"
)

func newRecoveryCode() string {
	b := make([]byte, recoveryLen)
	out := make([]byte, 0, recoveryLen+1)
	for len(out) < recoveryLen {
		rand.Read(b)
		for _, x := range b {
			if int(x) < 256-256%len(recoveryAlphabet) && len(out) < recoveryLen { // no modulo bias
				out = append(out, recoveryAlphabet[int(x)%len(recoveryAlphabet)])
			}
		}
	}
	return string(out[:5]) + "-" + string(out[5:])
}

// normalizeRecoveryCode lower-cases and strips spaces and dashes.
func normalizeRecoveryCode(in string) (string, bool) {
	var b strings.Builder
	for _, r := range strings.ToLower(in) {
		switch {
		case r == ' ' || r == '-':
		case strings.ContainsRune(recoveryAlphabet, r):
			b.WriteRune(r)
		default:
			return "", false
		}
	}
	return b.String(), b.Len() == recoveryLen
}

// GenerateRecoveryCodes replaces the user's recovery codes after the password
// (B1, B7) and returns the new ones, shown once. Errors: two_step_not_available,
// two_step_not_on, invalid_credentials.
func (s *Service) GenerateRecoveryCodes(ctx context.Context, a *Auth, password string, c Client) ([]string, error) {
	if err := s.requireAvailable(a); err != nil {
		return nil, err
	}
	if !a.User.TwoStepOn {
		return nil, Errorf(ETwoStepNotOn, "Turn on 2-Step Verification first.")
	}
	if err := s.checkPassword(ctx, a, password, c, "recovery_codes"); err != nil {
		return nil, err
	}
	codes, err := s.replaceRecoveryCodes(ctx, a, c)
	if err != nil {
		return nil, err
	}
	s.notify(ctx, a.User, c, "recovery_codes")
	return codes, nil
}

// replaceRecoveryCodes stores a new set of codes (only their keyed hashes) in
// place of any earlier one, audits it, and returns the codes to show once.
func (s *Service) replaceRecoveryCodes(ctx context.Context, a *Auth, c Client) ([]string, error) {
	codes, hashes := s.newRecoveryCodes(a.User.ID)
	if err := s.store.ReplaceRecoveryCodes(ctx, a.User.ID, hashes); err != nil {
		return nil, err
	}
	s.audit(ctx, a.centerID(), a.User.Username, "recovery_codes_generated", a.User.Username, c, "")
	return codes, nil
}

// newRecoveryCodes makes a set of recovery codes and the hashes to store.
func (s *Service) newRecoveryCodes(userID int64) (codes, hashes []string) {
	codes = make([]string, recoveryCount)
	hashes = make([]string, recoveryCount)
	for i := range codes {
		codes[i] = newRecoveryCode()
		norm, _ := normalizeRecoveryCode(codes[i])
		hashes[i] = s.keys.codeHash(userID, "recovery", norm)
	}
	return codes, hashes
}

func (s *Service) useRecoveryCode(ctx context.Context, u *User, input string, now time.Time) error {
	wrong := FieldError(EInvalidCode, "code", "That recovery code is not right or was already used.")
	norm, ok := normalizeRecoveryCode(input)
	if !ok {
		return wrong
	}
	used, err := s.store.UseRecoveryCode(ctx, u.ID, s.keys.codeHash(u.ID, "recovery", norm), now)
	if err != nil {
		return err
	}
	if !used {
		return wrong
	}
	return nil
}
