package twostep_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store/storetest"
	"github.com/providerportal/portal/internal/twostep"
)

// BenchmarkTOTPSignIn is the whole second step with an authenticator app:
// authenticate the pending session, reserve the attempt, check the code, record
// the time step (replay guard), rotate the session, audit.
func BenchmarkTOTPSignIn(b *testing.B) {
	for _, kind := range storetest.Kinds() {
		b.Run(kind, func(b *testing.B) {
			e := newEnv(b, storetest.Open(b, kind), nil)
			e.setBeta(true)
			const users = 50
			secrets := make([]string, users)
			for i := range users {
				name := fmt.Sprintf("u%02d", i)
				e.svc.CreateUser(e.ctx, e.staff, twostep.NewUser{CenterID: e.center.ID, Username: name, Email: name + "@example.org", Password: pw, Role: twostep.RoleProvider}, client)
				r, _ := e.svc.Login(e.ctx, name, pw, "", client)
				a, _ := e.svc.Authenticate(e.ctx, r.Token)
				e.svc.TurnOn(e.ctx, a, client)
				setup, _ := e.svc.StartTOTP(e.ctx, a, "", client)
				e.svc.VerifySetup(e.ctx, a, twostep.MethodTOTP, twostep.TOTPCode(setup.Secret, e.clock.Now()), client)
				secrets[i] = setup.Secret
			}
			i := 0
			for b.Loop() {
				b.StopTimer()
				if i%users == 0 {
					e.clock.Add(30 * time.Second) // a fresh time step for everyone
				}
				name := fmt.Sprintf("u%02d", i%users)
				r, err := e.svc.Login(e.ctx, name, pw, "", client)
				if err != nil {
					b.Fatal(err)
				}
				code := twostep.TOTPCode(secrets[i%users], e.clock.Now())
				i++
				b.StartTimer()
				a, err := e.svc.Authenticate(e.ctx, r.Token)
				if err != nil {
					b.Fatal(err)
				}
				if err := e.svc.VerifyLogin(e.ctx, a, twostep.MethodTOTP, code, client); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
