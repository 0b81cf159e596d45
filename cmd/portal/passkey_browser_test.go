package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

// virtualAuthenticator gives the browser a platform authenticator that keeps
// passkeys and verifies its user (a phone's fingerprint reader), through the
// DevTools WebAuthn domain.
func (b *browser) virtualAuthenticator() webauthn.AuthenticatorID {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		b.t.Fatalf("WebAuthn.enable: %v", err)
	}
	res, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
		Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21, Transport: webauthn.AuthenticatorTransportInternal,
		HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
	}})
	if err != nil {
		b.t.Fatalf("WebAuthn.addVirtualAuthenticator: %v", err)
	}
	return res.AuthenticatorID
}

// credentials counts the passkeys the virtual authenticator keeps.
func (b *browser) credentials(id webauthn.AuthenticatorID) int {
	b.t.Helper()
	res, err := chromedp.Call(b.ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: id})
	if err != nil {
		b.t.Fatalf("WebAuthn.getCredentials: %v", err)
	}
	for _, c := range res.Credentials {
		if !c.IsResidentCredential || c.RpID != "localhost" {
			b.t.Fatalf("credential %+v is not a discoverable passkey for localhost", c)
		}
	}
	return len(res.Credentials)
}

// TestBrowserPasskeys registers a passkey at phone width, signs in with it
// alone, uses it as the second step after the password, and deletes it — in
// Chromium with a virtual authenticator, axe-core on every page state.
func TestBrowserPasskeys(t *testing.T) {
	chromiumPath(t)
	srv := startServer(t)
	if !strings.HasPrefix(srv.public, "http://localhost:") {
		t.Fatalf("public URL %q: a loopback address should be called localhost", srv.public)
	}
	b := newBrowser(t, srv.public, 375, true)
	auth := b.virtualAuthenticator()
	pw := srv.passwords["demo-provider"]

	b.signIn("demo-provider", pw)
	b.see("My Account")
	b.click(`form[action="/account/two-step/on"] button`)
	b.see("Now add a verified method with +") // not "is on" before a method (R4)
	b.shot("passkey-account-before")

	// Add: name → Next → Create passkey (the dialog) → ready.
	b.click(`a[href="/account/methods/passkey/add"]`)
	b.see("Name of this passkey")
	b.shot("passkey-name")
	b.fill("name", "This phone")
	b.click(`form[action="/account/methods/passkey/add"] button[type=submit]`)
	b.see("Select Create passkey")
	b.shot("passkey-create")
	b.click(`form[action="/account/methods/passkey/verify"] button[type=submit]`)
	b.see("Your passkey This phone is ready")
	b.shot("passkey-ready")
	if n := b.credentials(auth); n != 1 {
		t.Fatalf("the authenticator keeps %d passkeys", n)
	}
	// The first method: the first recovery codes come with it.
	b.see("Save your recovery codes")
	b.saveCodes()
	b.see("not used yet")
	b.shot("passkey-account")
	b.signOut()

	// Sign in with the passkey alone: no username, no password.
	b.see("Sign in with a passkey")
	b.shot("passkey-signin-page")
	b.click(`form[action="/login/passkey"] button[type=submit]`)
	b.see("My Account")
	b.see("last used")
	b.shot("passkey-signed-in")
	b.signOut()

	// As the second step after the password: the only method, chosen at once.
	b.signIn("demo-provider", pw)
	b.see("Use your passkey")
	b.shot("passkey-second-step")
	b.click(`form[action="/login/verify"] button[type=submit]`)
	b.see("My Account")

	// Delete it with the trashcan; the device's copy then signs nobody in.
	b.click(`a[href^="/account/methods/passkey/"][href$="/delete"]`)
	b.see("You will no longer be able to sign in with the passkey")
	b.fill("password", pw)
	b.click(`form[action$="/delete"] button[type=submit]`)
	b.see("The verified method was deleted")
	b.shot("passkey-deleted")
	b.signOut()
	b.click(`form[action="/login/passkey"] button[type=submit]`)
	b.see("The passkey could not be verified") // an unknown passkey reads like a forged one (nothing told about anyone)
	b.shot("passkey-unknown")

	// A device without passkeys for this portal: a clear message, no page change.
	if _, err := chromedp.Call(b.ctx, webauthn.ClearCredentials, webauthn.ClearCredentialsParams{AuthenticatorID: auth}); err != nil {
		t.Fatal(err)
	}
	b.eval(`document.querySelector('form[action="/login/passkey"] button').click(), "ok"`)
	b.see("this device has no passkey for this portal")
	b.shot("passkey-none-on-device")
	if b.axeJS != "" && b.axeRuns < 10 {
		t.Fatalf("axe ran on only %d page states", b.axeRuns)
	}

	// Without JavaScript nothing of passkeys shows, and signing in works.
	nojs := newBrowser(t, srv.public, 375, false)
	nojs.open("/login")
	if visible := nojs.eval(`String(!document.querySelector('[data-passkey-only]').hidden)`); visible != "false" {
		t.Fatal("the passkey button shows without JavaScript")
	}
	nojs.signIn("demo-nurse", srv.passwords["demo-nurse"])
	nojs.see("My Account")
}
