package twostep_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/providerportal/portal/internal/store/storetest"
	"github.com/providerportal/portal/internal/twostep"
	"github.com/providerportal/portal/internal/twostep/passkeytest"
)

// rawECDSA times raw ECDSA P-256 verifications, one between two timed
// operations of a benchmark, so that the raw rate is measured under the same
// (shared, noisy) load as the operation it is the limit of.
type rawECDSA struct {
	key    *ecdsa.PrivateKey
	digest [32]byte
	sig    []byte
	n      int
	took   time.Duration
}

func newRawECDSA() *rawECDSA {
	r := &rawECDSA{digest: sha256.Sum256([]byte("authenticator data || SHA-256(clientDataJSON)"))}
	r.key, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	r.sig, _ = ecdsa.SignASN1(rand.Reader, r.key, r.digest[:])
	return r
}

// sample times one raw verification; call it while the benchmark's timer is stopped.
func (r *rawECDSA) sample() {
	start := time.Now()
	if !ecdsa.VerifyASN1(&r.key.PublicKey, r.digest[:], r.sig) {
		panic("signature")
	}
	r.took += time.Since(start)
	r.n++
}

// report gives the operation's rate beside the raw rate sampled in the same run.
func (r *rawECDSA) report(b *testing.B) {
	perSec := float64(b.N) / b.Elapsed().Seconds()
	raw := float64(r.n) / r.took.Seconds()
	b.ReportMetric(perSec, "verifications/s")
	b.ReportMetric(raw, "raw-ecdsa-verify/s")
	b.ReportMetric(perSec/raw, "ratio")
}

// BenchmarkECDSAP256Verify is the raw limit: one P-256 signature check.
func BenchmarkECDSAP256Verify(b *testing.B) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	digest := sha256.Sum256([]byte("x"))
	sig, _ := ecdsa.SignASN1(rand.Reader, key, digest[:])
	for b.Loop() {
		ecdsa.VerifyASN1(&key.PublicKey, digest[:], sig)
	}
}

// BenchmarkPasskeyAssertionLibrary is the WebAuthn library's verification of
// one ES256 assertion alone (parse the JSON, clientDataJSON and authenticator
// data, check origin, RP id hash, flags, counter, signature): no database.
func BenchmarkPasskeyAssertionLibrary(b *testing.B) {
	wa, err := webauthn.New(&webauthn.Config{RPID: "localhost", RPDisplayName: "Provider Portal", RPOrigins: []string{origin},
		ExtensionsUnsolicitedOutputPolicy: protocol.UnsolicitedOutputPolicyIgnore})
	if err != nil {
		b.Fatal(err)
	}
	dev := passkeytest.New(origin)
	user := &benchUser{handle: []byte("user-handle-0001")}
	creation, session, _ := wa.BeginRegistration(user)
	opts, _ := jsonOf(creation)
	resp, _, _ := dev.Create(opts)
	parsed, err := protocol.ParseCredentialCreationResponseBytes(resp)
	if err != nil {
		b.Fatal(err)
	}
	cred, err := wa.CreateCredential(user, *session, parsed)
	if err != nil {
		b.Fatal(err)
	}
	user.creds = []webauthn.Credential{*cred}
	assertions := make([][]byte, 0, 4096)
	sessions := make([]webauthn.SessionData, 0, 4096)
	for range cap(assertions) {
		a, s, _ := wa.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
		o, _ := jsonOf(a)
		r, _ := dev.Get(o)
		assertions, sessions = append(assertions, r), append(sessions, *s)
	}
	raw := newRawECDSA()
	i := 0
	for b.Loop() {
		b.StopTimer()
		raw.sample()
		b.StartTimer()
		p, err := protocol.ParseCredentialRequestResponseBytes(assertions[i%len(assertions)])
		if err != nil {
			b.Fatal(err)
		}
		user.creds[0].Authenticator.SignCount = 0 // each answer counts up from 1
		if _, _, err := wa.ValidatePasskeyLogin(func([]byte, []byte) (webauthn.User, error) { return user, nil }, sessions[i%len(sessions)], p); err != nil {
			b.Fatal(err)
		}
		i++
	}
	raw.report(b)
}

// BenchmarkPasskeySignIn is the whole verification of a sign-in with a passkey
// in the domain, on each database: parse, take the challenge (one conditional
// DELETE), find the passkey's owner, reserve the lockout attempt, verify the
// ES256 assertion, record the counter, start the session, audit. Asking for
// the options and the authenticator's signing are outside the timing.
func BenchmarkPasskeySignIn(b *testing.B) {
	for _, kind := range storetest.Kinds() {
		b.Run(kind, func(b *testing.B) {
			e := newEnv(b, storetest.Open(b, kind), func(s *twostep.Settings) { s.LoginAddressLimit = 1 << 30 })
			e.setBeta(true)
			const users = 50
			devs := make([]*passkeytest.Authenticator, users)
			for i := range users {
				name := fmt.Sprintf("u%02d", i)
				e.svc.CreateUser(e.ctx, e.staff, twostep.NewUser{CenterID: e.center.ID, Username: name, Email: name + "@example.org", Password: pw, Role: twostep.RoleProvider}, client)
				r, _ := e.svc.Login(e.ctx, name, pw, "", client)
				a, _ := e.svc.Authenticate(e.ctx, r.Token)
				e.svc.TurnOn(e.ctx, a, client)
				devs[i] = passkeytest.New(origin)
				e.addPasskey(a, devs[i], "")
			}
			raw := newRawECDSA()
			i := 0
			for b.Loop() {
				b.StopTimer()
				raw.sample()
				opts, token, err := e.svc.BeginPasskeySignIn(e.ctx, client)
				if err != nil {
					b.Fatal(err)
				}
				resp, _ := devs[i%users].Get(opts)
				i++
				b.StartTimer()
				if _, err := e.svc.PasskeySignIn(e.ctx, token, resp, "", client); err != nil {
					b.Fatal(err)
				}
			}
			raw.report(b)
		})
	}
}

type benchUser struct {
	handle []byte
	creds  []webauthn.Credential
}

func (u *benchUser) WebAuthnID() []byte                         { return u.handle }
func (u *benchUser) WebAuthnName() string                       { return "bench" }
func (u *benchUser) WebAuthnDisplayName() string                { return "bench" }
func (u *benchUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

func jsonOf(v any) ([]byte, error) { return json.Marshal(v) }
