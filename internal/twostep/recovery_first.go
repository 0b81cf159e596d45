package twostep

import (
	"context"
	"fmt"
)

// FirstRecoveryCodes gives a person their first recovery codes right after
// they verified a method (B1), so losing the phone never means calling
// support. No password is asked: nothing is replaced, and the person passed a
// recent sign-in (B16) to add the method. It returns nil, nil when there is
// nothing to offer: 2SV not in effect (no verified method yet, R4) or the
// person has had a set, even one used up (a new set replaces it and asks for
// the password, B7). Like any new set, the first one is notified (B5).
// Errors: two_step_not_available, reauthentication_required.
func (s *Service) FirstRecoveryCodes(ctx context.Context, a *Auth, c Client) ([]string, error) {
	if err := s.requireAvailable(a); err != nil {
		return nil, err
	}
	if !a.User.TwoStepOn {
		return nil, nil
	}
	if s.NeedsReauth(a) {
		return nil, Errorf(EReauthRequired, "For your security, enter your password again.")
	}
	n, err := s.usableCount(ctx, a)
	if err != nil {
		return nil, fmt.Errorf("first recovery codes: %w", err)
	}
	if n == 0 {
		return nil, nil
	}
	// Whether codes are left is decided with the write (two requests at once
	// never hand out two sets, the second replacing the first).
	codes, hashes := s.newRecoveryCodes(a.User.ID)
	added, err := s.store.AddFirstRecoveryCodes(ctx, a.User.ID, hashes)
	if err != nil || !added {
		return nil, err
	}
	s.audit(ctx, a.centerID(), a.User.Username, "recovery_codes_generated", a.User.Username, c, "")
	s.notify(ctx, a.User, c, "recovery_codes") // as for any new set (B5)
	return codes, nil
}
