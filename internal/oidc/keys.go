package oidc

import (
	"context"
	"crypto"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/providerportal/portal/internal/twostep"
)

// signingKey is the active key as the library signs with it.
type signingKey struct {
	id   string
	priv crypto.Signer
}

func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k *signingKey) Key() any                                    { return k.priv }
func (k *signingKey) ID() string                                  { return k.id }

// publicKey is a published key (JWKS).
type publicKey struct{ k twostep.PublishedKey }

func (p publicKey) ID() string                         { return p.k.ID }
func (p publicKey) Algorithm() jose.SignatureAlgorithm { return jose.SignatureAlgorithm(p.k.Algorithm) }
func (p publicKey) Use() string                        { return "sig" }
func (p publicKey) Key() any                           { return p.k.Key }

// keyCache keeps the opened active key for a short while (opening it is an
// AES-GCM decryption and a PKCS #8 parse; signing happens on every token).
// Published keys are read from the database every time, so a key rotated on
// one instance is verifiable through every instance at once; signing moves to
// it within keyCacheTTL.
type keyCache struct {
	svc    *twostep.Service
	mu     sync.Mutex
	key    *signingKey
	loaded time.Time
}

const keyCacheTTL = 30 * time.Second

func (c *keyCache) active(ctx context.Context) (op.SigningKey, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.key != nil && time.Since(c.loaded) < keyCacheTTL {
		return c.key, nil
	}
	pub, priv, err := c.svc.ActiveSigningKey(ctx)
	if err != nil {
		return nil, err
	}
	c.key, c.loaded = &signingKey{id: pub.ID, priv: priv}, time.Now()
	return c.key, nil
}

// forget makes the next signature read the active key again.
func (c *keyCache) forget() {
	c.mu.Lock()
	c.key = nil
	c.mu.Unlock()
}

func (c *keyCache) published(ctx context.Context) ([]op.Key, error) {
	keys, err := c.svc.PublishedKeys(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]op.Key, len(keys))
	for i, k := range keys {
		out[i] = publicKey{k}
	}
	return out, nil
}
