// Package passkeytest is a software passkey authenticator for tests: real ES256
// key pairs (crypto/ecdsa), "none" attestations and signed assertions, in the
// WebAuthn Level 3 JSON forms a browser's toJSON() gives. It plays the
// browser too (clientDataJSON with its origin), so tests can lie about the
// origin, the relying party id or the sign counter the way an attacker would.
package passkeytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
)

// Flags of authenticator data (WebAuthn §6.1).
const (
	flagUP = 0x01
	flagUV = 0x04
	flagBE = 0x08
	flagBS = 0x10
	flagAT = 0x40
)

// Authenticator is a phone or computer that keeps passkeys, with its browser.
type Authenticator struct {
	// Origin is what the browser writes into clientDataJSON.
	Origin string
	// RPID, when set, is signed for instead of the relying party id the
	// options name (a phishing site's answer).
	RPID string
	// NoUserVerification makes answers without the UV flag.
	NoUserVerification bool
	// Synced makes passkeys backup eligible and backed up (BE, BS).
	Synced bool

	mu    sync.Mutex
	creds []*Credential
}

// Credential is one passkey kept by an authenticator.
type Credential struct {
	ID         []byte
	Key        *ecdsa.PrivateKey
	UserHandle []byte
	RPID       string
	// Count is the signature counter, raised before each assertion; tests
	// lower it to act as a cloned authenticator.
	Count uint32
}

// New returns an authenticator whose browser is at origin.
func New(origin string) *Authenticator { return &Authenticator{Origin: origin} }

// Credentials returns the passkeys kept, oldest first.
func (a *Authenticator) Credentials() []*Credential {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]*Credential(nil), a.creds...)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

type descriptor struct {
	ID string `json:"id"`
}

// Create answers {"publicKey": PublicKeyCredentialCreationOptionsJSON} with a
// RegistrationResponseJSON for a new discoverable ES256 credential.
func (a *Authenticator) Create(options []byte) ([]byte, *Credential, error) {
	var o struct {
		PublicKey struct {
			RP        struct{ ID string } `json:"rp"`
			User      struct{ ID string } `json:"user"`
			Challenge string              `json:"challenge"`
			Exclude   []descriptor        `json:"excludeCredentials"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(options, &o); err != nil {
		return nil, nil, fmt.Errorf("creation options: %w", err)
	}
	pk := o.PublicKey
	handle, err := base64.RawURLEncoding.DecodeString(pk.User.ID)
	if err != nil || pk.Challenge == "" || pk.RP.ID == "" {
		return nil, nil, errors.New("creation options lack user.id, challenge or rp.id")
	}
	a.mu.Lock()
	for _, c := range a.creds {
		for _, ex := range pk.Exclude {
			if ex.ID == b64(c.ID) {
				a.mu.Unlock()
				return nil, nil, errors.New("InvalidStateError: this authenticator already holds an excluded credential")
			}
		}
	}
	a.mu.Unlock()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cred := &Credential{ID: make([]byte, 16), Key: key, UserHandle: handle, RPID: pk.RP.ID}
	rand.Read(cred.ID)
	ecdh, err := key.PublicKey.ECDH()
	if err != nil {
		return nil, nil, err
	}
	point := ecdh.Bytes() // 0x04 || X || Y
	cose, err := webauthncbor.Marshal(webauthncose.EC2PublicKeyData{
		PublicKeyData: webauthncose.PublicKeyData{KeyType: int64(webauthncose.EllipticKey), Algorithm: int64(webauthncose.AlgES256)},
		Curve:         int64(webauthncose.P256), XCoord: point[1:33], YCoord: point[33:],
	})
	if err != nil {
		return nil, nil, err
	}
	att := make([]byte, 0, 18+len(cred.ID)+len(cose))
	att = append(att, make([]byte, 16)...) // AAGUID: none
	att = binary.BigEndian.AppendUint16(att, uint16(len(cred.ID)))
	att = append(append(att, cred.ID...), cose...)
	authData := a.authData(a.rpID(pk.RP.ID), flagAT, 0, att)
	clientData := a.clientData("webauthn.create", pk.Challenge)
	obj, err := webauthncbor.Marshal(struct {
		Fmt      string         `cbor:"fmt"`
		AttStmt  map[string]any `cbor:"attStmt"`
		AuthData []byte         `cbor:"authData"`
	}{"none", map[string]any{}, authData})
	if err != nil {
		return nil, nil, err
	}
	resp := map[string]any{
		"id": b64(cred.ID), "rawId": b64(cred.ID), "type": "public-key", "authenticatorAttachment": "platform",
		"response":               map[string]any{"clientDataJSON": b64(clientData), "attestationObject": b64(obj), "transports": []string{"internal"}},
		"clientExtensionResults": map[string]any{"credProps": map[string]bool{"rk": true}},
	}
	raw, err := json.Marshal(resp)
	if err != nil {
		return nil, nil, err
	}
	a.mu.Lock()
	a.creds = append(a.creds, cred)
	a.mu.Unlock()
	return raw, cred, nil
}

// Get answers {"publicKey": PublicKeyCredentialRequestOptionsJSON} with an
// AuthenticationResponseJSON from the newest passkey the options allow (any of
// this relying party's, when they list none).
func (a *Authenticator) Get(options []byte) ([]byte, error) {
	var o struct {
		PublicKey struct {
			Challenge string       `json:"challenge"`
			RPID      string       `json:"rpId"`
			Allow     []descriptor `json:"allowCredentials"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(options, &o); err != nil {
		return nil, fmt.Errorf("request options: %w", err)
	}
	a.mu.Lock()
	var cred *Credential
	for i := len(a.creds) - 1; i >= 0 && cred == nil; i-- {
		c := a.creds[i]
		if c.RPID != o.PublicKey.RPID {
			continue
		}
		if len(o.PublicKey.Allow) == 0 {
			cred = c
		}
		for _, d := range o.PublicKey.Allow {
			if d.ID == b64(c.ID) {
				cred = c
			}
		}
	}
	a.mu.Unlock()
	if cred == nil {
		return nil, errors.New("NotAllowedError: no passkey for this site")
	}
	return a.Assert(cred, o.PublicKey.Challenge)
}

// Assert signs challenge with cred, as Get does, raising its counter first.
func (a *Authenticator) Assert(cred *Credential, challenge string) ([]byte, error) {
	a.mu.Lock()
	cred.Count++
	count := cred.Count
	a.mu.Unlock()
	authData := a.authData(a.rpID(cred.RPID), 0, count, nil)
	clientData := a.clientData("webauthn.get", challenge)
	sum := sha256.Sum256(clientData)
	digest := sha256.Sum256(append(append([]byte(nil), authData...), sum[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, cred.Key, digest[:])
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{
		"id": b64(cred.ID), "rawId": b64(cred.ID), "type": "public-key", "authenticatorAttachment": "platform",
		"response": map[string]any{"clientDataJSON": b64(clientData), "authenticatorData": b64(authData), "signature": b64(sig),
			"userHandle": b64(cred.UserHandle)},
		"clientExtensionResults": map[string]any{},
	})
}

// Stranger returns a passkey this authenticator signs with but no portal ever
// registered (an unknown credential).
func (a *Authenticator) Stranger(rpID string) *Credential {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	c := &Credential{ID: make([]byte, 16), Key: key, UserHandle: []byte("nobody-at-all"), RPID: rpID}
	rand.Read(c.ID)
	return c
}

func (a *Authenticator) rpID(asked string) string {
	if a.RPID != "" {
		return a.RPID
	}
	return asked
}

func (a *Authenticator) authData(rpID string, extra byte, count uint32, attested []byte) []byte {
	h := sha256.Sum256([]byte(rpID))
	flags := byte(flagUP|flagUV) | extra
	if a.NoUserVerification {
		flags &^= flagUV
	}
	if a.Synced {
		flags |= flagBE | flagBS
	}
	out := append(h[:], flags)
	out = binary.BigEndian.AppendUint32(out, count)
	return append(out, attested...)
}

func (a *Authenticator) clientData(typ, challenge string) []byte {
	raw, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": a.Origin, "crossOrigin": false})
	return raw
}

// Adopt makes this authenticator hold cred too: the same passkey on another
// device (a synced copy, or a clone when cred is a copy with its own counter).
func (a *Authenticator) Adopt(cred *Credential) {
	a.mu.Lock()
	a.creds = append(a.creds, cred)
	a.mu.Unlock()
}

// Challenge reads the challenge of creation or request options.
func Challenge(options []byte) (string, error) {
	var o struct {
		PublicKey struct {
			Challenge string `json:"challenge"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(options, &o); err != nil || o.PublicKey.Challenge == "" {
		return "", errors.New("options without a challenge")
	}
	return o.PublicKey.Challenge, nil
}
