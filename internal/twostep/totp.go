package twostep

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/skip2/go-qrcode"
)

// TOTP parameters (R7): RFC 6238, SHA1, 6 digits, 30 s, ±1 step.
const (
	totpPeriod     = 30
	totpSkew       = 1
	totpSecretSize = 20
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// TOTPSetup is what the user needs to add an authenticator app: shown once.
type TOTPSetup struct {
	Secret     string // base32, for manual entry
	URI        string // otpauth://totp/Issuer:username?secret=…&issuer=Issuer
	QRPNG      []byte
	AccountTag string // the username the app shows
}

// GroupedSecret is the secret in groups of four for typing.
func (t *TOTPSetup) GroupedSecret() string {
	var parts []string
	for i := 0; i < len(t.Secret); i += 4 {
		parts = append(parts, t.Secret[i:min(i+4, len(t.Secret))])
	}
	return strings.Join(parts, " ")
}

func newTOTPSetup(issuer, account string) (*TOTPSetup, []byte, error) {
	raw := make([]byte, totpSecretSize)
	rand.Read(raw)
	setup, err := totpSetupFor(issuer, account, raw)
	return setup, raw, err
}

func totpSetupFor(issuer, account string, raw []byte) (*TOTPSetup, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account, Period: totpPeriod,
		SecretSize: totpSecretSize, Secret: raw, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return nil, fmt.Errorf("totp key: %w", err)
	}
	png, err := qrcode.Encode(key.URL(), qrcode.Medium, 256)
	if err != nil {
		return nil, fmt.Errorf("qr code: %w", err)
	}
	return &TOTPSetup{Secret: key.Secret(), URI: key.URL(), QRPNG: png, AccountTag: account}, nil
}

// matchTOTP returns the time step whose code equals code, within ±1 step of now.
func matchTOTP(secret []byte, code string, now time.Time) (int64, bool) {
	enc := b32.EncodeToString(secret)
	step := now.Unix() / totpPeriod
	found, match := int64(0), false
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		want, err := totp.GenerateCodeCustom(enc, time.Unix((step+d)*totpPeriod, 0), totpOpts)
		if err != nil {
			continue
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			found, match = step+d, true // keep looping: constant work whatever matches
		}
	}
	return found, match
}

// TOTPCode computes the code of secret (base32) at t — for tests and the load tool.
func TOTPCode(secretB32 string, t time.Time) string {
	c, err := totp.GenerateCodeCustom(strings.ReplaceAll(secretB32, " ", ""), t, totpOpts)
	if err != nil {
		return ""
	}
	return c
}
