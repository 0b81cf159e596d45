package deliver_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/config"
	"github.com/providerportal/portal/internal/deliver"
	"github.com/providerportal/portal/internal/deliver/delivertest"
	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/storetest"
	"github.com/providerportal/portal/internal/twostep"
)

// BenchmarkDispatch measures messages per second from the outbox to an SMS
// webhook on loopback: claim, send, mark sent (b.N messages).
func BenchmarkDispatch(b *testing.B) {
	for _, kind := range storetest.Kinds() {
		b.Run(kind, func(b *testing.B) {
			s := storetest.Open(b, kind)
			hook := delivertest.StartWebhook(b)
			cfg, _ := config.ParseSMSURL("webhook+" + hook.URL)
			c := &clock{t: time.Now()}
			d := deliver.NewDispatcher(s, map[string]deliver.Sender{"sms": deliver.NewSMS(cfg, "")}, c, deliver.Options{}, quiet, nil)
			for i := range b.N {
				enqueueB(b, s, c.Now(), fmt.Sprintf("+1201555%04d", i%10000))
			}
			b.ResetTimer()
			for d.RunOnce(context.Background()) > 0 {
			}
			b.StopTimer()
			if got := len(hook.Messages()); got != b.N {
				b.Fatalf("%d of %d delivered", got, b.N)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

func enqueueB(b *testing.B, s *store.Store, now time.Time, to string) {
	if err := s.Enqueue(context.Background(), &twostep.OutboxMessage{Channel: "sms", To: to, Body: "code 123456", CreatedAt: now, GiveUpAt: now.Add(time.Hour), EraseAt: now.Add(time.Hour)}); err != nil {
		b.Fatal(err)
	}
}
