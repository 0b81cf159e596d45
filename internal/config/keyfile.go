package config

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Keys are the portal's secret keys: Encryption (AES-256-GCM for TOTP secrets at
// rest) and Code (HMAC-SHA256 for codes). They are separate so neither use can
// weaken the other.
type Keys struct {
	Encryption [32]byte
	Code       [32]byte
}

type keyFile struct {
	Version    int    `json:"version"`
	Encryption string `json:"encryption_key"`
	Code       string `json:"code_key"`
}

// LoadKeys reads the key file at path, creating it (mode 0600) with fresh random
// keys if it does not exist. It refuses a file that others can read or write, or
// that is malformed. created reports whether the file was made now.
func LoadKeys(path string) (k Keys, created bool, err error) {
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		if li, lerr := os.Lstat(path); lerr == nil && li.Mode()&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(path)
			return k, false, fmt.Errorf("key file %s is a symbolic link to %s, which does not exist (is the volume that holds it mounted?)", path, target)
		}
		return createKeys(path)
	}
	if err != nil {
		return k, false, fmt.Errorf("key file %s: %w", path, err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return k, false, fmt.Errorf("key file %s is readable or writable by others (mode %04o); run: chmod 600 %s", path, info.Mode().Perm(), path)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return k, false, fmt.Errorf("key file %s: %w", path, err)
	}
	var f keyFile
	if err := json.Unmarshal(raw, &f); err != nil || f.Version != 1 {
		return k, false, fmt.Errorf("key file %s is malformed (want JSON with version 1)", path)
	}
	if err := decodeKey(f.Encryption, &k.Encryption); err != nil {
		return k, false, fmt.Errorf("key file %s: encryption_key: %w", path, err)
	}
	if err := decodeKey(f.Code, &k.Code); err != nil {
		return k, false, fmt.Errorf("key file %s: code_key: %w", path, err)
	}
	if k.Encryption == k.Code {
		return k, false, fmt.Errorf("key file %s: the two keys must differ", path)
	}
	return k, false, nil
}

func decodeKey(s string, dst *[32]byte) error {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != 32 {
		return errors.New("want 32 bytes in base64")
	}
	copy(dst[:], b)
	return nil
}

func createKeys(path string) (Keys, bool, error) {
	var k Keys
	rand.Read(k.Encryption[:])
	rand.Read(k.Code[:])
	raw, _ := json.MarshalIndent(keyFile{Version: 1,
		Encryption: base64.StdEncoding.EncodeToString(k.Encryption[:]),
		Code:       base64.StdEncoding.EncodeToString(k.Code[:])}, "", "  ")
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return k, false, fmt.Errorf("key file %s: %w", path, err)
		}
	}
	// O_EXCL: two instances starting at once cannot both write a different key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return LoadKeys(path)
	}
	if err != nil {
		return k, false, fmt.Errorf("create key file %s: %w", path, err)
	}
	if _, err := f.Write(append(raw, '\n')); err != nil {
		f.Close()
		return k, false, fmt.Errorf("write key file %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return k, false, fmt.Errorf("write key file %s: %w", path, err)
	}
	return k, true, nil
}

// KeyFileExists reports whether something is at path (a key file to load, or
// a symbolic link to one, even a broken one: loading it then says what is wrong).
func KeyFileExists(path string) bool {
	_, err := os.Lstat(path)
	return !errors.Is(err, fs.ErrNotExist)
}

// Fingerprint identifies the keys without revealing them: a database stores it
// so that a portal started with another key file refuses to run (B26).
func (k Keys) Fingerprint() string {
	const label = "provider-portal key fingerprint v1"
	h := sha256.New()
	for _, key := range [][32]byte{k.Encryption, k.Code} {
		m := hmac.New(sha256.New, key[:])
		m.Write([]byte(label))
		h.Write(m.Sum(nil))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
