package web_test

import (
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"

	"github.com/providerportal/portal/internal/twostep"
	"github.com/providerportal/portal/internal/twostep/passkeytest"
)

// B20 with B19: an app learns that a person signed in with a passkey alone —
// amr "hwk user mfa", acr "2sv" — and an app that needs 2SV asks nothing more.
func TestOIDCAfterPasskeySignIn(t *testing.T) {
	byName := func(s *twostep.Settings) { s.PublicURL = strings.Replace(s.PublicURL, "127.0.0.1", "localhost", 1) }
	each(t, opts{apps: true, set: byName}, func(t *testing.T, p *portal) {
		p.beta(true)
		p.user("jdoe", twostep.RoleProvider)
		c := p.client()
		c.login("jdoe")
		c.do("POST", "/api/v1/account/two-step/on", nil)
		dev := passkeytest.New(p.svc.Settings().PublicURL)
		c.addPasskey(dev, "Laptop")
		app := newRP(t, p, twostep.NewApp{}) // needs 2SV (the default)

		b := p.client()
		if a := b.passkeySignIn(dev); a.body["state"] != "signed_in" {
			t.Fatalf("passkey sign-in: %s", a.raw)
		}
		state, nonce := randomString(), randomString()
		// The app's links name the portal by its public URL (localhost), the test client by 127.0.0.1.
		auth := b.do("GET", strings.TrimPrefix(app.cfg.AuthCodeURL(state, gooidc.Nonce(nonce)), p.svc.Settings().PublicURL), nil, "Accept", "text/html")
		_, id := app.exchange(app.code(auth, state), nonce)
		var got claims
		if err := id.Claims(&got); err != nil {
			t.Fatal(err)
		}
		if strings.Join(got.AMR, " ") != "hwk user mfa" || got.ACR != "2sv" || got.PreferredUsername != "jdoe" || got.AuthTime == 0 {
			t.Fatalf("claims after a passkey: %+v", got)
		}
	})
}
