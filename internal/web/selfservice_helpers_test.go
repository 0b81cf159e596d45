package web_test

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/twostep"
)

var tokenIn = regexp.MustCompile(`\?token=([A-Za-z0-9_-]{43})\b`)

// messagesTo returns the queued messages to addr, oldest first, leaving the outbox as it was.
func (p *portal) messagesTo(addr string) []twostep.OutboxMessage {
	p.t.Helper()
	msgs, err := p.store.ClaimOutbox(context.Background(), "web-test", p.clock.Now(), time.Millisecond, 1000)
	if err != nil {
		p.t.Fatal(err)
	}
	p.store.ReleaseLeases(context.Background(), "web-test")
	var out []twostep.OutboxMessage
	for _, m := range msgs {
		if m.To == addr {
			out = append(out, m)
		}
	}
	return out
}

// linkToken lets the background worker handle reset requests, then reads the
// token of the newest link emailed to addr.
func (p *portal) linkToken(addr string) string {
	p.t.Helper()
	if _, err := p.svc.HandleResetRequests(context.Background()); err != nil {
		p.t.Fatal(err)
	}
	msgs := p.messagesTo(addr)
	for i := len(msgs) - 1; i >= 0; i-- {
		if m := tokenIn.FindStringSubmatch(msgs[i].Body); m != nil {
			return m[1]
		}
	}
	p.t.Fatalf("no link was emailed to %s", addr)
	return ""
}

// withTOTP gives name 2SV with an authenticator app through the API and
// returns its key.
func (p *portal) withTOTP(name string) string {
	p.t.Helper()
	p.beta(true)
	p.user(name, twostep.RoleProvider)
	c := p.client()
	c.login(name)
	c.do("POST", "/api/v1/account/two-step/on", nil)
	setup := c.do("POST", "/api/v1/account/methods/totp", nil)
	secret, _ := setup.body["secret"].(string)
	if a := c.do("POST", "/api/v1/account/methods/totp/verify", map[string]string{"code": twostep.TOTPCode(secret, p.clock.Now())}); a.status != 201 {
		p.t.Fatalf("totp: %s", a.raw)
	}
	return secret
}

// totpNow is a code for a fresh time step.
func (p *portal) totpNow(secret string) string {
	p.clock.Add(30 * time.Second)
	return twostep.TOTPCode(secret, p.clock.Now())
}

func expectStatus(t *testing.T, a answer, status int) {
	t.Helper()
	if a.status != status {
		t.Fatalf("got %d (%s), want %d", a.status, a.raw, status)
	}
}

const newPW = "harbor lantern cobalt fig"
