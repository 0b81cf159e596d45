package twostep

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// DefaultTrustedBrowserDays is how long a browser may skip the second step in
// a new center and for account managers (B23).
const DefaultTrustedBrowserDays = 30

// MaxTrustedBrowserDays is the longest a center may allow.
const MaxTrustedBrowserDays = 90

// TrustedBrowser is a browser where a person chose "don't ask again": a
// password sign-in there skips the second step (never the password) until
// ExpiresAt. Its token lives in a cookie; only its SHA-256 hash is stored.
type TrustedBrowser struct {
	ID         int64
	UserID     int64
	Hash       []byte
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastUsedAt time.Time
	IP         string
	UserAgent  string
}

// TrustedBrowserStore keeps trusted browsers.
type TrustedBrowserStore interface {
	AddTrustedBrowser(ctx context.Context, b *TrustedBrowser) error
	// UseTrustedBrowser finds the user's trusted browser among hashes that is
	// unexpired at now, records its use and returns it; ErrNotFound if none.
	UseTrustedBrowser(ctx context.Context, userID int64, hashes [][]byte, now time.Time) (*TrustedBrowser, error)
	// TrustedBrowsers lists the user's unexpired trusted browsers, newest first.
	TrustedBrowsers(ctx context.Context, userID int64, now time.Time) ([]TrustedBrowser, error)
	// DeleteTrustedBrowser removes one of the user's trusted browsers; ErrNotFound if it is not theirs.
	DeleteTrustedBrowser(ctx context.Context, userID, id int64) error
	// DeleteTrustedBrowsersOf removes the user's trusted browsers among hashes
	// and returns the hashes it removed.
	DeleteTrustedBrowsersOf(ctx context.Context, userID int64, hashes [][]byte) ([][]byte, error)
	// DeleteTrustedBrowsers removes every trusted browser of the user.
	DeleteTrustedBrowsers(ctx context.Context, userID int64) error
	DeleteExpiredTrustedBrowsers(ctx context.Context, before time.Time) (int64, error)
}

// TrustedBrowserDays is how many days the person may trust this browser for
// at their second step: 0 when the choice is not offered (a center that
// turned it off, or a password reset).
func (s *Service) TrustedBrowserDays(a *Auth) int {
	if a == nil || a.Center == nil || a.Session.Resetting() {
		return 0
	}
	return a.Center.TrustedBrowserDays
}

// TrustBrowser remembers the browser of a session that has just passed its
// second step, for the days its center allows (B23). It returns the new token
// for the browser's cookie, when it expires, and which of the tokens the
// browser already held to keep (another person's; the person's own earlier
// one is replaced). Errors: forbidden (no second step passed, or not allowed).
func (s *Service) TrustBrowser(ctx context.Context, a *Auth, c Client) (token string, until time.Time, keep []string, err error) {
	days := s.TrustedBrowserDays(a)
	if days <= 0 || a.Session.State != StateSignedIn || !a.Session.TwoStepUsed() {
		return "", time.Time{}, nil, Errorf(EForbidden, "This browser cannot be trusted here.")
	}
	now := s.clock.Now()
	token, hash := newToken()
	b := &TrustedBrowser{UserID: a.User.ID, Hash: hash, CreatedAt: now, ExpiresAt: now.Add(time.Duration(days) * 24 * time.Hour),
		LastUsedAt: now, IP: cleanText(c.IP, 64), UserAgent: cleanText(c.UserAgent, 256)}
	hashes := tokenHashes(c.Trusted)
	err = s.atomically(ctx, func(tx *Service) error {
		gone, err := tx.store.DeleteTrustedBrowsersOf(ctx, a.User.ID, hashes)
		if err != nil {
			return err
		}
		for i, h := range hashes {
			if !slices.ContainsFunc(gone, func(g []byte) bool { return string(g) == string(h) }) {
				keep = append(keep, c.Trusted[i])
			}
		}
		return tx.store.AddTrustedBrowser(ctx, b)
	})
	if err != nil {
		return "", time.Time{}, nil, fmt.Errorf("trust browser: %w", err)
	}
	s.audit(ctx, a.centerID(), a.User.Username, "trusted_browser_added", a.User.Username, c, strconv.Itoa(days))
	return token, b.ExpiresAt, keep, nil
}

// tokenHashes hashes the well-formed tokens among toks, keeping their order
// (a malformed one hashes to something no row has).
func tokenHashes(toks []string) [][]byte {
	out := make([][]byte, len(toks))
	for i, t := range toks {
		if h, ok := tokenHash(t); ok {
			out[i] = h
		} else {
			out[i] = hashToken("malformed:" + t)
		}
	}
	return out
}

// trustedBrowser reports whether the browser of c was trusted by u after a
// second step, within the days the center allows now (B23).
func (s *Service) trustedBrowser(ctx context.Context, u *User, center *Center, c Client) (bool, error) {
	if len(c.Trusted) == 0 || center == nil || center.TrustedBrowserDays <= 0 {
		return false, nil
	}
	now := s.clock.Now()
	b, err := s.store.UseTrustedBrowser(ctx, u.ID, tokenHashes(c.Trusted), now)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("trusted browser: %w", err)
	}
	// A center that shortened its days shortens existing trust too.
	return b.CreatedAt.Add(time.Duration(center.TrustedBrowserDays) * 24 * time.Hour).After(now), nil
}

// TrustedBrowserView is a trusted browser as My Account lists it.
type TrustedBrowserView struct {
	ID         string
	CreatedAt  time.Time
	LastUsedAt time.Time
	ExpiresAt  time.Time
	IP         string
	UserAgent  string
	Current    bool // this browser
}

// TrustedBrowsers lists the person's trusted browsers (B23), marking the one
// the request comes from.
func (s *Service) TrustedBrowsers(ctx context.Context, a *Auth, c Client) ([]TrustedBrowserView, error) {
	list, err := s.store.TrustedBrowsers(ctx, a.User.ID, s.clock.Now())
	if err != nil {
		return nil, err
	}
	mine := tokenHashes(c.Trusted)
	out := []TrustedBrowserView{}
	for _, b := range list {
		out = append(out, TrustedBrowserView{ID: strconv.FormatInt(b.ID, 10), CreatedAt: b.CreatedAt, LastUsedAt: b.LastUsedAt, ExpiresAt: b.ExpiresAt,
			IP: b.IP, UserAgent: b.UserAgent, Current: slices.ContainsFunc(mine, func(h []byte) bool { return string(h) == string(b.Hash) })})
	}
	return out, nil
}

// ForgetTrustedBrowser removes one of the person's trusted browsers: it asks
// for the second step again. Errors: not_found.
func (s *Service) ForgetTrustedBrowser(ctx context.Context, a *Auth, id string, c Client) error {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return Errorf(ENotFound, "No such trusted browser.")
	}
	if err := s.store.DeleteTrustedBrowser(ctx, a.User.ID, n); errors.Is(err, ErrNotFound) {
		return Errorf(ENotFound, "No such trusted browser.")
	} else if err != nil {
		return err
	}
	s.audit(ctx, a.centerID(), a.User.Username, "trusted_browser_removed", a.User.Username, c, "")
	return nil
}

// forgetBrowsers removes every trusted browser of a user: a password change
// or reset, an admin's 2SV reset, turning 2SV off and deleting a method all
// ask for the second step again everywhere (B23).
func (s *Service) forgetBrowsers(ctx context.Context, userID int64) error {
	if err := s.store.DeleteTrustedBrowsers(ctx, userID); err != nil {
		return fmt.Errorf("forget trusted browsers: %w", err)
	}
	return nil
}
