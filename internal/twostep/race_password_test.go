package twostep_test

import (
	"context"
	"testing"

	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/twostep"
)

// changeAfterRead is a store where the user's password changes right after a
// sign-in has read the old hash: the window a concurrent password change hits.
type changeAfterRead struct {
	*store.Store
	newHash string
	done    bool
}

func (c *changeAfterRead) UserAndCenter(ctx context.Context, username string) (*twostep.User, *twostep.Center, error) {
	u, ctr, err := c.Store.UserAndCenter(ctx, username)
	if err == nil && !c.done {
		c.done = true
		if err := c.Store.SetPasswordHash(ctx, u.ID, c.newHash); err != nil {
			return nil, nil, err
		}
		if err := c.Store.DeleteUserSessions(ctx, u.ID, nil); err != nil {
			return nil, nil, err
		}
	}
	return u, ctr, err
}

// Security review, finding 2: a sign-in that checked the old password while
// the password changed creates no session.
func TestSignInRacingAPasswordChangeGetsNoSession(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		u := e.user("jdoe")
		h := twostep.NewHasher(twostep.Argon2Params{MemoryKiB: 64, Passes: 1, Lanes: 1})
		newHash, _ := h.Hash(e.ctx, "a brand new passphrase here")
		racy := &changeAfterRead{Store: e.store, newHash: newHash}
		var keys twostep.Keys
		keys.Encryption[0], keys.Code[0] = 1, 2
		svc := twostep.New(racy, h, keys, twostep.DefaultSettings(), e.clock, nil)
		_, err := svc.Login(e.ctx, "jdoe", pw, "", client)
		expectCode(t, err, twostep.EInvalidCredentials)
		if list, _ := e.store.ListSessions(e.ctx, u.ID); len(list) != 0 {
			t.Fatalf("%d sessions survive the password change", len(list))
		}
		if _, err := svc.Login(e.ctx, "jdoe", "a brand new passphrase here", "", client); err != nil {
			t.Fatalf("the new password: %v", err)
		}
	})
}
