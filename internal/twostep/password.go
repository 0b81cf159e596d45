package twostep

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn"
	"golang.org/x/crypto/argon2"
)

// Password length limits (B14), counted in characters.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 128
)

// Argon2Params are argon2id cost parameters.
type Argon2Params struct {
	MemoryKiB uint32
	Passes    uint32
	Lanes     uint8
}

// Hasher hashes and verifies passwords with argon2id in PHC string format
// ($argon2id$v=19$m=…,t=…,p=…$salt$hash). At most GOMAXPROCS hashes run at once;
// the rest wait, so memory stays bounded however many sign-ins arrive.
type Hasher struct {
	params Argon2Params
	sem    chan struct{}
	dummy  string
}

// NewHasher returns a Hasher with the given parameters.
func NewHasher(p Argon2Params) *Hasher {
	h := &Hasher{params: p, sem: make(chan struct{}, runtime.GOMAXPROCS(0))}
	h.dummy = h.encode(make([]byte, 16), make([]byte, 32))
	return h
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting to hash a password: %w", ctx.Err())
	}
}

func (h *Hasher) release() { <-h.sem }

// Hash returns the PHC string of password with a fresh salt.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, 16)
	rand.Read(salt)
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	key := argon2.IDKey([]byte(password), salt, h.params.Passes, h.params.MemoryKiB, h.params.Lanes, 32)
	return h.encode(salt, key), nil
}

func (h *Hasher) encode(salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		h.params.MemoryKiB, h.params.Passes, h.params.Lanes, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// Verify reports whether password matches encoded. An empty encoded (unknown
// user) is checked against a dummy hash so it costs as much as a real one.
func (h *Hasher) Verify(ctx context.Context, password, encoded string) (bool, error) {
	dummy := encoded == ""
	if dummy {
		encoded = h.dummy
	}
	p, salt, key, err := decodePHC(encoded)
	if err != nil {
		return false, err
	}
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	got := argon2.IDKey([]byte(password), salt, p.Passes, p.MemoryKiB, p.Lanes, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1 && !dummy, nil
}

func decodePHC(s string) (p Argon2Params, salt, key []byte, err error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return p, nil, nil, errors.New("password hash: not an argon2id PHC string")
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, errors.New("password hash: unsupported argon2 version")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Passes, &p.Lanes); err != nil {
		return p, nil, nil, fmt.Errorf("password hash: parameters: %w", err)
	}
	b64 := base64.RawStdEncoding
	if salt, err = b64.DecodeString(parts[4]); err != nil {
		return p, nil, nil, fmt.Errorf("password hash: salt: %w", err)
	}
	if key, err = b64.DecodeString(parts[5]); err != nil {
		return p, nil, nil, fmt.Errorf("password hash: key: %w", err)
	}
	return p, salt, key, nil
}

// CheckPasswordRules applies B14: 12–128 characters of any Unicode, no composition
// rules, and no common or easily guessed password (zxcvbn's frequency lists, and
// nothing built from the username or email). It returns a weak_password *Error.
func CheckPasswordRules(password string, userInputs ...string) error {
	if !utf8.ValidString(password) {
		return FieldError(EWeakPassword, "password", "The password is not valid text.")
	}
	n := utf8.RuneCountInString(password)
	if n < MinPasswordLen {
		return FieldError(EWeakPassword, "password", fmt.Sprintf("Use at least %d characters.", MinPasswordLen))
	}
	if n > MaxPasswordLen {
		return FieldError(EWeakPassword, "password", fmt.Sprintf("Use at most %d characters.", MaxPasswordLen))
	}
	// zxcvbn's matching grows quickly with length; a long password is judged by
	// its first 64 characters, which is plenty to spot a common one.
	probe := password
	if n > 64 {
		probe = string([]rune(password)[:64])
	}
	if zxcvbn.PasswordStrength(probe, userInputs).Score < 3 {
		return FieldError(EWeakPassword, "password", "This password is too common or easy to guess. Try a few unrelated words together.")
	}
	return nil
}
