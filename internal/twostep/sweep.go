package twostep

import (
	"context"
	"errors"
)

// SweepLinks deletes what self-service leaves behind once it is useless:
// expired password-reset links, invitations and trusted browsers. Run it now
// and then; it returns how many rows went.
func (s *Service) SweepLinks(ctx context.Context) (int64, error) {
	now := s.clock.Now()
	a, err1 := s.store.DeleteExpiredResets(ctx, now)
	b, err2 := s.store.DeleteExpiredInvitations(ctx, now)
	c, err3 := s.store.DeleteExpiredTrustedBrowsers(ctx, now)
	return a + b + c, errors.Join(err1, err2, err3)
}
