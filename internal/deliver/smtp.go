package deliver

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wneessen/go-mail"

	"github.com/providerportal/portal/internal/config"
	"github.com/providerportal/portal/internal/twostep"
)

// SMTP sends email through an SMTP server with go-mail.
type SMTP struct {
	cfg  config.SMTP
	from string
}

// NewSMTP returns an email sender for the parsed PORTAL_SMTP_URL.
func NewSMTP(cfg config.SMTP, from string) *SMTP { return &SMTP{cfg: cfg, from: from} }

// Send delivers one email with a plain-text and an HTML part.
func (s *SMTP) Send(ctx context.Context, m twostep.OutboxMessage) error {
	opts := []mail.Option{mail.WithPort(s.cfg.Port), mail.WithTimeout(10 * time.Second)}
	switch s.cfg.TLS {
	case "tls":
		opts = append(opts, mail.WithSSL())
	case "none":
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if s.cfg.Username != "" {
		auth := mail.SMTPAuthPlain
		if s.cfg.TLS == "none" {
			auth = mail.SMTPAuthPlainNoEnc
		}
		opts = append(opts, mail.WithSMTPAuth(auth), mail.WithUsername(s.cfg.Username), mail.WithPassword(s.cfg.Password))
	}
	client, err := mail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return Permanent(fmt.Errorf("smtp client: %w", err))
	}
	msg := mail.NewMsg()
	if err := msg.From(s.from); err != nil {
		return Permanent(fmt.Errorf("smtp from: %w", err))
	}
	if err := msg.To(m.To); err != nil {
		return Permanent(fmt.Errorf("smtp recipient: %w", err))
	}
	msg.Subject(m.Subject)
	msg.SetMessageID()
	msg.SetDate()
	msg.SetBodyString(mail.TypeTextPlain, m.Body)
	if m.HTML != "" {
		msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		var se *mail.SendError
		if errors.As(err, &se) && !se.IsTemp() && se.Reason == mail.ErrSMTPRcptTo {
			return Permanent(fmt.Errorf("smtp: recipient refused: %w", err))
		}
		return fmt.Errorf("smtp: %w", err)
	}
	return nil
}
