package twostep_test

import (
	"regexp"
	"strings"
	"time"

	"github.com/providerportal/portal/internal/twostep"
)

// messages returns every message queued for to, oldest first, leaving the outbox as it was.
func (e *env) messages(to string) []twostep.OutboxMessage {
	e.t.Helper()
	msgs, err := e.store.ClaimOutbox(e.ctx, "selfservice-test", e.clock.Now(), time.Millisecond, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	e.store.ReleaseLeases(e.ctx, "selfservice-test")
	var out []twostep.OutboxMessage
	for _, m := range msgs {
		if m.To == to {
			out = append(out, m)
		}
	}
	return out
}

var linkRE = regexp.MustCompile(`https?://[^\s"<>]+\?token=[A-Za-z0-9_-]+`)

// linkOf checks that an email carries exactly one PUBLIC_URL/path?token=… link,
// in its text and as the one button of its HTML part, and returns the token.
func (e *env) linkOf(m twostep.OutboxMessage, path string) string {
	e.t.Helper()
	links := linkRE.FindAllString(m.Body, -1)
	if len(links) != 1 {
		e.t.Fatalf("%d links in %q", len(links), m.Body)
	}
	prefix := e.svc.Settings().PublicURL + path + "?token="
	if !strings.HasPrefix(links[0], prefix) {
		e.t.Fatalf("link %s does not start with %s", links[0], prefix)
	}
	if html := linkRE.FindAllString(m.HTML, -1); len(html) != 1 || html[0] != links[0] || strings.Count(m.HTML, "<a ") != 1 {
		e.t.Fatalf("HTML part: %q", m.HTML)
	}
	if regexp.MustCompile(`\b\d{6}\b`).MatchString(m.Body) {
		e.t.Fatalf("a link email carries a 6-digit number: %q", m.Body)
	}
	tok := strings.TrimPrefix(links[0], prefix)
	if len(tok) != 43 {
		e.t.Fatalf("token of %d characters, want 43 (256 bits)", len(tok))
	}
	return tok
}

// resetLink asks for a reset link for login, lets the background worker run
// and returns the token of the newest email to addr.
func (e *env) resetLink(login, addr string) string {
	e.t.Helper()
	if err := e.svc.RequestPasswordReset(e.ctx, login, "en", client); err != nil {
		e.t.Fatalf("request reset: %v", err)
	}
	if _, err := e.svc.HandleResetRequests(e.ctx); err != nil {
		e.t.Fatal(err)
	}
	msgs := e.messages(addr)
	if len(msgs) == 0 {
		e.t.Fatalf("no reset email to %s", addr)
	}
	return e.linkOf(msgs[len(msgs)-1], "/password-reset")
}

const newPW = "harbor lantern cobalt fig"
