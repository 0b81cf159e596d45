package deliver

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/providerportal/portal/internal/config"
	"github.com/providerportal/portal/internal/twostep"
)

// NewSMS returns the SMS sender for the parsed PORTAL_SMS_URL.
func NewSMS(cfg config.SMS, webhookSecret string) Sender {
	client := &http.Client{Timeout: 10 * time.Second}
	if cfg.Kind == "twilio" {
		return &Twilio{cfg: cfg, client: client}
	}
	return &Webhook{url: cfg.BaseURL, secret: []byte(webhookSecret), client: client}
}

// Twilio sends SMS through Twilio's Messages API.
type Twilio struct {
	cfg    config.SMS
	client *http.Client
}

// Send posts one message: POST /2010-04-01/Accounts/{SID}/Messages.json.
func (t *Twilio) Send(ctx context.Context, m twostep.OutboxMessage) error {
	form := url.Values{"To": {m.To}, "From": {t.cfg.From}, "Body": {m.Body}}
	endpoint := t.cfg.BaseURL + "/2010-04-01/Accounts/" + url.PathEscape(t.cfg.AccountSID) + "/Messages.json"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return Permanent(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(t.cfg.AccountSID, t.cfg.AuthToken)
	return doHTTP(t.client, req, "twilio")
}

// Webhook posts SMS as signed JSON to an operator's endpoint.
type Webhook struct {
	url    string
	secret []byte
	client *http.Client
}

// Send posts {"to","body"} with X-Portal-Signature: sha256=HEX(HMAC(secret, body)).
func (w *Webhook) Send(ctx context.Context, m twostep.OutboxMessage) error {
	body, _ := json.Marshal(struct {
		To   string `json:"to"`
		Body string `json:"body"`
	}{m.To, m.Body})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return Permanent(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if len(w.secret) > 0 {
		mac := hmac.New(sha256.New, w.secret)
		mac.Write(body)
		req.Header.Set("X-Portal-Signature", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	}
	return doHTTP(w.client, req, "sms webhook")
}

// doHTTP sends req: 2xx is accepted; 4xx other than 408/429 is permanent.
func doHTTP(client *http.Client, req *http.Request, name string) error {
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != 408 && resp.StatusCode != 429:
		return Permanent(fmt.Errorf("%s: refused with HTTP %d", name, resp.StatusCode))
	}
	return fmt.Errorf("%s: HTTP %d", name, resp.StatusCode)
}
