// Package delivertest runs real message endpoints for tests: an SMTP server
// (emersion/go-smtp) and HTTP endpoints that speak Twilio's Messages API and the
// portal's signed SMS webhook. Each can be told to refuse for a while (an outage).
package delivertest

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one message an endpoint accepted.
type Message struct {
	To      string
	Subject string
	Body    string // the raw message for email, the text for SMS
	Header  http.Header
}

var code = regexp.MustCompile(`\b\d{6}\b`)

// Code returns the 6-digit code in the message body.
func (m Message) Code() string { return code.FindString(m.Body) }

// inbox is a thread-safe list of accepted messages.
type inbox struct {
	mu   sync.Mutex
	msgs []Message
	down atomic.Bool
}

func (b *inbox) add(m Message) {
	b.mu.Lock()
	b.msgs = append(b.msgs, m)
	b.mu.Unlock()
}

// Messages returns a copy of what was accepted, oldest first.
func (b *inbox) Messages() []Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Message(nil), b.msgs...)
}

// SetDown makes the endpoint refuse (true) or accept (false).
func (b *inbox) SetDown(down bool) { b.down.Store(down) }

// WaitFor waits up to d for n messages, then a little longer so that any extra
// (duplicate) delivery shows too.
func (b *inbox) WaitFor(n int, d time.Duration) {
	deadline := time.Now().Add(d)
	for len(b.Messages()) < n && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(150 * time.Millisecond)
}

// Recipients counts the accepted messages per recipient.
func (b *inbox) Recipients() map[string]int {
	seen := map[string]int{}
	for _, m := range b.Messages() {
		seen[m.To]++
	}
	return seen
}

// Last returns the newest message to addr, waiting up to 5 s for one.
func (b *inbox) Last(t testing.TB, to string) Message {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		msgs := b.Messages()
		for i := len(msgs) - 1; i >= 0; i-- {
			if msgs[i].To == to {
				return msgs[i]
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no message to %s arrived", to)
	return Message{}
}

// SMTPServer is a real SMTP server on loopback.
type SMTPServer struct {
	inbox
	Addr     string
	Username string
	Password string
	srv      *smtp.Server
}

// StartSMTP starts an SMTP server requiring AUTH PLAIN with user/pass (when user
// is not empty); it stops when the test ends.
func StartSMTP(t testing.TB, user, pass string) *SMTPServer {
	s := &SMTPServer{Username: user, Password: pass}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &smtpSession{srv: s}, nil }))
	s.srv.AllowInsecureAuth = true
	s.srv.Domain = "localhost"
	s.srv.ReadTimeout, s.srv.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = l.Addr().String()
	go s.srv.Serve(l)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

// URL is the PORTAL_SMTP_URL for this server.
func (s *SMTPServer) URL() string {
	if s.Username == "" {
		return "smtp://" + s.Addr + "?tls=none"
	}
	return "smtp://" + s.Username + ":" + s.Password + "@" + s.Addr + "?tls=none"
}

type smtpSession struct {
	srv    *SMTPServer
	authed bool
	to     []string
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *smtpSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user != s.srv.Username || pass != s.srv.Password {
			return errors.New("bad credentials")
		}
		s.authed = true
		return nil
	}), nil
}
func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.srv.Username != "" && !s.authed {
		return &smtp.SMTPError{Code: 530, Message: "authentication required"}
	}
	if s.srv.down.Load() {
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "service not available"}
	}
	return nil
}
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *smtpSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(raw)))
	subject := ""
	if err == nil {
		subject = msg.Header.Get("Subject")
	}
	for _, to := range s.to {
		s.srv.add(Message{To: to, Subject: subject, Body: string(raw)})
	}
	return nil
}
func (s *smtpSession) Reset()        { s.to = nil }
func (s *smtpSession) Logout() error { return nil }

// SMSEndpoint is an HTTP server that accepts SMS like Twilio or the webhook.
type SMSEndpoint struct {
	inbox
	*httptest.Server
	Requests atomic.Int64
}

// StartTwilio starts a fake of Twilio's Messages API for account sid/token.
func StartTwilio(t testing.TB, sid, token string) *SMSEndpoint {
	e := &SMSEndpoint{}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.Requests.Add(1)
		u, p, ok := r.BasicAuth()
		if r.Method != http.MethodPost || r.URL.Path != "/2010-04-01/Accounts/"+sid+"/Messages.json" {
			http.Error(w, `{"message":"not found"}`, http.StatusNotFound)
			return
		}
		if !ok || u != sid || p != token {
			http.Error(w, `{"message":"unauthorized"}`, http.StatusUnauthorized)
			return
		}
		if e.down.Load() {
			http.Error(w, `{"message":"unavailable"}`, http.StatusServiceUnavailable)
			return
		}
		r.ParseForm()
		e.add(Message{To: r.PostForm.Get("To"), Body: r.PostForm.Get("Body"), Header: http.Header{"From": {r.PostForm.Get("From")}}})
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"sid":"SM1","status":"queued"}`)
	}))
	t.Cleanup(e.Close)
	return e
}

// TwilioURL is the PORTAL_SMS_URL for this endpoint.
func (e *SMSEndpoint) TwilioURL(sid, token, from string) string {
	return "twilio://" + sid + ":" + token + "@" + strings.TrimPrefix(e.URL, "http://") + "?from=" + strings.ReplaceAll(from, "+", "%2B") + "&insecure=1"
}

// StartWebhook starts an SMS webhook endpoint; it records the raw body and headers.
func StartWebhook(t testing.TB) *SMSEndpoint {
	e := &SMSEndpoint{}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.Requests.Add(1)
		if e.down.Load() {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		raw, _ := io.ReadAll(r.Body)
		var to string
		if m := regexp.MustCompile(`"to":"([^"]*)"`).FindSubmatch(raw); m != nil {
			to = string(m[1])
		}
		e.add(Message{To: to, Body: string(raw), Header: r.Header.Clone()})
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(e.Close)
	return e
}
