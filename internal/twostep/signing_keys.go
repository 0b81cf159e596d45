package twostep

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"time"
)

// SigningKey is a key that signs the ID tokens given to apps. Its private half
// is stored sealed with the key file's encryption key; its public half is
// published (JWKS). One key is active at a time; a retired key stays published
// until every token it signed has expired.
type SigningKey struct {
	ID        string // the JWK "kid"
	Algorithm string // "RS256"
	Private   []byte // PKCS #8, sealed
	Public    []byte // PKIX (DER)
	CreatedAt time.Time
	RetiredAt time.Time // zero while active
}

// AlgRS256 is RSASSA-PKCS1-v1_5 with SHA-256, the ID tokens' default (OpenID Connect).
const AlgRS256 = "RS256"

const rsaBits = 2048

func signingAAD(kid string) string { return "signing-key:" + kid }

// newSigningKey makes an RSA key and seals its private half.
func (s *Service) newSigningKey() (*SigningKey, error) {
	priv, err := rsa.GenerateKey(rand.Reader, rsaBits)
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	pub, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return nil, err
	}
	k := &SigningKey{ID: randomID(12), Algorithm: AlgRS256, Public: pub, CreatedAt: s.clock.Now()}
	if k.Private, err = s.keys.seal(der, signingAAD(k.ID)); err != nil {
		return nil, fmt.Errorf("seal signing key: %w", err)
	}
	return k, nil
}

// EnsureSigningKey makes the first signing key when there is none (at start).
// Instances starting together cannot both make one: the database keeps one
// active key at most.
func (s *Service) EnsureSigningKey(ctx context.Context) error {
	keys, err := s.store.SigningKeys(ctx)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if k.RetiredAt.IsZero() {
			return nil
		}
	}
	k, err := s.newSigningKey()
	if err != nil {
		return err
	}
	if err := s.store.AddSigningKey(ctx, k, false); err != nil && !errors.Is(err, ErrDuplicate) {
		return fmt.Errorf("store signing key: %w", err)
	}
	return nil
}

// RotateSigningKey makes a new active signing key and retires the current one,
// which stays published until the tokens it signed have expired (account
// managers; `portal keys rotate`).
func (s *Service) RotateSigningKey(ctx context.Context, actor *User, c Client) (*SigningKey, error) {
	if actor.Role != RoleStaff {
		return nil, Errorf(EForbidden, "Only account managers rotate signing keys.")
	}
	k, err := s.newSigningKey()
	if err != nil {
		return nil, err
	}
	if err := s.store.AddSigningKey(ctx, k, true); err != nil {
		return nil, fmt.Errorf("rotate signing key: %w", err)
	}
	s.audit(ctx, 0, actor.Username, "signing_key_rotated", k.ID, c, "")
	return k, nil
}

// PublishedKey is a public key apps may verify ID tokens with.
type PublishedKey struct {
	ID        string
	Algorithm string
	Key       crypto.PublicKey
	Active    bool
}

// publishFor is how long a retired key stays published: the longest a token
// it signed lives, and a margin for clocks.
func (s *Service) publishFor() time.Duration { return s.set.AppTokenTTL + 5*time.Minute }

// ActiveSigningKey returns the active key, opened for signing.
func (s *Service) ActiveSigningKey(ctx context.Context) (*PublishedKey, crypto.Signer, error) {
	keys, err := s.store.SigningKeys(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, k := range keys {
		if !k.RetiredAt.IsZero() {
			continue
		}
		pub, err := x509.ParsePKIXPublicKey(k.Public)
		if err != nil {
			return nil, nil, fmt.Errorf("signing key %s: %w", k.ID, err)
		}
		der, err := s.keys.open(k.Private, signingAAD(k.ID))
		if err != nil {
			return nil, nil, fmt.Errorf("open signing key %s (another key file?): %w", k.ID, err)
		}
		parsed, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return nil, nil, fmt.Errorf("signing key %s: %w", k.ID, err)
		}
		signer, ok := parsed.(crypto.Signer)
		if !ok {
			return nil, nil, fmt.Errorf("signing key %s cannot sign", k.ID)
		}
		return &PublishedKey{ID: k.ID, Algorithm: k.Algorithm, Key: pub, Active: true}, signer, nil
	}
	return nil, nil, errors.New("no active signing key (the portal makes one when it starts)")
}

// PublishedKeys returns the public keys to publish: the active one and those
// retired too recently for their tokens to have expired.
func (s *Service) PublishedKeys(ctx context.Context) ([]PublishedKey, error) {
	keys, err := s.store.SigningKeys(ctx)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	var out []PublishedKey
	for _, k := range keys {
		if !k.RetiredAt.IsZero() && now.Sub(k.RetiredAt) > s.publishFor() {
			continue
		}
		pub, err := x509.ParsePKIXPublicKey(k.Public)
		if err != nil {
			return nil, fmt.Errorf("signing key %s: %w", k.ID, err)
		}
		out = append(out, PublishedKey{ID: k.ID, Algorithm: k.Algorithm, Key: pub, Active: k.RetiredAt.IsZero()})
	}
	return out, nil
}

// SweepApps deletes what apps no longer need: expired authorization requests,
// tokens and grants, and retired keys no token can need. Run it now and then.
func (s *Service) SweepApps(ctx context.Context) (int64, error) {
	now := s.clock.Now()
	return s.store.DeleteExpiredAppData(ctx, now, now.Add(-s.publishFor()))
}
