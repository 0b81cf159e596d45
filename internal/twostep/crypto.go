package twostep

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// Keys are the secret keys from the key file: one to encrypt TOTP secrets at rest,
// one to hash codes (emailed/SMS and recovery).
type Keys struct {
	Encryption [32]byte
	Code       [32]byte
}

func (k *Keys) gcm() (cipher.AEAD, error) {
	block, err := aes.NewCipher(k.Encryption[:])
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// seal encrypts plaintext with AES-256-GCM, binding it to aad; the result is base64.
func (k *Keys) seal(plaintext []byte, aad string) ([]byte, error) {
	gcm, err := k.gcm()
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, gcm.NonceSize())
	rand.Read(nonce)
	out := gcm.Seal(nonce, nonce, plaintext, []byte(aad))
	return []byte(base64.StdEncoding.EncodeToString(out)), nil
}

// open decrypts what seal produced.
func (k *Keys) open(sealed []byte, aad string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(string(sealed))
	if err != nil {
		return nil, fmt.Errorf("sealed secret: %w", err)
	}
	gcm, err := k.gcm()
	if err != nil {
		return nil, err
	}
	if len(raw) < gcm.NonceSize() {
		return nil, errors.New("sealed secret too short")
	}
	return gcm.Open(nil, raw[:gcm.NonceSize()], raw[gcm.NonceSize():], []byte(aad))
}

// codeHash is the keyed hash under which a code is stored; the code itself never is.
func (k *Keys) codeHash(userID int64, purpose string, code string) string {
	m := hmac.New(sha256.New, k.Code[:])
	m.Write([]byte(strconv.FormatInt(userID, 10) + "|" + purpose + "|" + code))
	return hex.EncodeToString(m.Sum(nil))
}

// newCode returns n random decimal digits from crypto/rand.
func newCode(n int) string {
	max := big.NewInt(1)
	for range n {
		max.Mul(max, big.NewInt(10))
	}
	v, err := rand.Int(rand.Reader, max)
	if err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return fmt.Sprintf("%0*d", n, v)
}

// NormalizeCode strips spaces and dashes from a typed code and checks that what is
// left is exactly six digits.
func NormalizeCode(in string) (string, bool) {
	var b strings.Builder
	for _, r := range in {
		switch {
		case r == ' ' || r == '-' || r == '\t':
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			return "", false
		}
		if b.Len() > 6 {
			return "", false
		}
	}
	return b.String(), b.Len() == 6
}

// derive returns a 256-bit key for one purpose, derived from the encryption key
// with HMAC-SHA256, so the key file serves every use without one key doing two jobs.
func (k *Keys) derive(purpose string) [32]byte {
	m := hmac.New(sha256.New, k.Encryption[:])
	m.Write([]byte("provider-portal/" + purpose))
	var out [32]byte
	copy(out[:], m.Sum(nil))
	return out
}

// DerivedKey is a 256-bit key for purpose (such as the OpenID provider's
// encryption of codes and access tokens), the same on every instance that
// shares the key file.
func (s *Service) DerivedKey(purpose string) [32]byte { return s.keys.derive(purpose) }
