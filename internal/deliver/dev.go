package deliver

import (
	"context"
	"log/slog"

	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/twostep"
)

// DevKeeper is where the dev outbox keeps messages.
type DevKeeper interface {
	KeepDevMessage(ctx context.Context, m store.DevMessage) error
}

// Dev keeps messages for /dev/outbox instead of sending them, for a portal with no
// SMTP or SMS provider. It logs that a message was kept, never its text.
type Dev struct {
	keeper DevKeeper
	clock  twostep.Clock
	log    *slog.Logger
}

// NewDev returns the dev outbox sender.
func NewDev(k DevKeeper, clock twostep.Clock, log *slog.Logger) *Dev {
	return &Dev{keeper: k, clock: clock, log: log}
}

// Send keeps the message.
func (d *Dev) Send(ctx context.Context, m twostep.OutboxMessage) error {
	if err := d.keeper.KeepDevMessage(ctx, store.DevMessage{At: d.clock.Now(), Channel: m.Channel, To: m.To, Subject: m.Subject, Body: m.Body}); err != nil {
		return err
	}
	d.log.Info("message kept in the dev outbox (read it at /dev/outbox)", "channel", m.Channel, "to", m.To)
	return nil
}
