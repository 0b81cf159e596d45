package twostep

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// passwordKeys are the throttle keys a password attempt counts against (B3):
// the account and the client address.
func passwordKeys(username string, c Client) (acct, addr string) {
	return "acct:" + strings.ToLower(username), "addr:" + addressKey(c.IP)
}

// addressKey is what per-address limits count by: an IPv4 address, or the /64
// an IPv6 address belongs to (one subscriber usually holds a whole /64 and could
// otherwise rotate through it to dodge every limit).
func addressKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, err := a.Prefix(64)
	if err != nil {
		return a.String()
	}
	return p.String()
}

// countPasswordAttempt counts one attempt against the account's and the client
// address's limits before the password is judged, in one write, so parallel
// guesses cannot slip past the limits. Errors: too_many_attempts (RetryAfter).
func (s *Service) countPasswordAttempt(ctx context.Context, username string, c Client) error {
	now := s.clock.Now()
	acctKey, addrKey := passwordKeys(username, c)
	hits, starts, err := s.store.HitThrottles(ctx, []string{acctKey, addrKey}, now, s.set.LoginWindow)
	if err != nil {
		return fmt.Errorf("count password attempt: %w", err)
	}
	for i, limit := range []int{s.set.LoginAccountLimit, s.set.LoginAddressLimit} {
		if hits[i] > limit {
			if i == 1 && hits[0] <= s.set.LoginAccountLimit {
				s.store.UndoThrottleHit(ctx, acctKey) // the address is blocked: the account's count stays as it was
			}
			wait := max(time.Second, starts[i].Add(s.set.LoginWindow).Sub(now))
			return &Error{Code: ETooManyAttempts, RetryAfter: wait,
				Message: fmt.Sprintf("Too many password attempts. Try again in %s.", humanDuration(wait))}
		}
	}
	return nil
}

// passwordAccepted clears the account's count and gives back the address's try.
func (s *Service) passwordAccepted(ctx context.Context, username string, c Client) error {
	acctKey, addrKey := passwordKeys(username, c)
	return s.store.SettleThrottles(ctx, acctKey, addrKey)
}

// checkPassword re-authenticates the signed-in user before a sensitive change
// (B7). Each try counts against the same per-account and per-address limits as
// signing in, so a stolen session cannot guess the password quietly; a wrong one
// is audited as reauth_failed with what was being attempted.
// Errors: invalid_credentials, too_many_attempts.
func (s *Service) checkPassword(ctx context.Context, a *Auth, password string, c Client, purpose string) error {
	if password == "" {
		return FieldError(EInvalidCredentials, "password", "Enter your password to confirm.")
	}
	if err := s.countPasswordAttempt(ctx, a.User.Username, c); err != nil {
		s.audit(ctx, a.centerID(), a.User.Username, "reauth_failed", a.User.Username, c, purpose+": too many attempts")
		return withField(err, "password")
	}
	ok, err := s.hasher.Verify(ctx, password, a.User.PasswordHash)
	if err != nil {
		return err
	}
	if !ok {
		s.audit(ctx, a.centerID(), a.User.Username, "reauth_failed", a.User.Username, c, purpose)
		return FieldError(EInvalidCredentials, "password", "That password is not right.")
	}
	return s.passwordAccepted(ctx, a.User.Username, c)
}
