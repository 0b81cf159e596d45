package twostep

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
)

// Review of issue 14, finding L3: a passkey whose public key could never verify
// a sign-in is refused when it is added.
func TestCheckPublicKey(t *testing.T) {
	good, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	ec2 := func(alg webauthncose.COSEAlgorithmIdentifier, crv int64, x, y []byte) []byte {
		raw, err := webauthncbor.Marshal(webauthncose.EC2PublicKeyData{
			PublicKeyData: webauthncose.PublicKeyData{KeyType: int64(webauthncose.EllipticKey), Algorithm: int64(alg)},
			Curve:         crv, XCoord: x, YCoord: y})
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	rsa := func(modulus []byte) []byte {
		raw, _ := webauthncbor.Marshal(webauthncose.RSAPublicKeyData{
			PublicKeyData: webauthncose.PublicKeyData{KeyType: int64(webauthncose.RSAKey), Algorithm: int64(webauthncose.AlgRS256)},
			Modulus:       modulus, Exponent: []byte{1, 0, 1}})
		return raw
	}
	big := make([]byte, 256)
	big[0] = 0xc1
	for name, tc := range map[string]struct {
		key []byte
		ok  bool
	}{
		"P-256 ES256":           {ec2(webauthncose.AlgES256, 1, good.X.FillBytes(make([]byte, 32)), good.Y.FillBytes(make([]byte, 32))), true},
		"P-384 labelled ES256":  {ec2(webauthncose.AlgES256, 1, p384.X.FillBytes(make([]byte, 48)), p384.Y.FillBytes(make([]byte, 48))), false},
		"point (0,0)":           {ec2(webauthncose.AlgES256, 1, make([]byte, 32), make([]byte, 32)), false},
		"truncated coordinates": {ec2(webauthncose.AlgES256, 1, good.X.Bytes()[:20], good.Y.Bytes()[:20]), false},
		"RSA with modulus 0":    {rsa([]byte{0}), false},
		"RSA of 1024 bits":      {rsa(big[:128]), false},
		"RSA of 2048 bits":      {rsa(big), true},
		"not a COSE key at all": {[]byte{1, 2, 3}, false},
	} {
		if err := checkPublicKey(tc.key); (err == nil) != tc.ok {
			t.Errorf("%s: %v, want accepted=%v", name, err, tc.ok)
		}
	}
}
