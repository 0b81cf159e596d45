package config

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
)

// SMTP is a parsed PORTAL_SMTP_URL.
type SMTP struct {
	Host     string
	Port     int
	Username string
	Password string
	TLS      string // "starttls", "tls" or "none"
}

// ParseSMTPURL reads smtp://user:pass@host:port?tls=starttls|tls|none.
func ParseSMTPURL(raw string) (SMTP, error) {
	var s SMTP
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "smtp" || u.Hostname() == "" {
		return s, errors.New("want smtp://user:pass@host:port?tls=starttls|tls|none")
	}
	s.Host = u.Hostname()
	s.TLS = u.Query().Get("tls")
	if s.TLS == "" {
		s.TLS = "starttls"
	}
	switch s.TLS {
	case "starttls":
		s.Port = 587
	case "tls":
		s.Port = 465
	case "none":
		s.Port = 25
	default:
		return s, fmt.Errorf("tls must be starttls, tls or none, got %q", s.TLS)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return s, fmt.Errorf("bad port %q", p)
		}
		s.Port = n
	}
	if u.User != nil {
		s.Username = u.User.Username()
		s.Password, _ = u.User.Password()
	}
	return s, nil
}

// SMS is a parsed PORTAL_SMS_URL.
type SMS struct {
	Kind string // "twilio" or "webhook"
	// Twilio
	AccountSID string
	AuthToken  string
	From       string
	// BaseURL is the Twilio API base (https://HOST, or http://HOST with insecure=1)
	// or the full webhook URL.
	BaseURL string
}

// ParseSMSURL reads twilio://SID:TOKEN@HOST?from=%2B1…[&insecure=1] or webhook+http(s)://HOST/PATH.
func ParseSMSURL(raw string) (SMS, error) {
	var s SMS
	u, err := url.Parse(raw)
	if err != nil {
		return s, errors.New("malformed URL")
	}
	switch u.Scheme {
	case "twilio":
		s.Kind = "twilio"
		if u.User == nil || u.User.Username() == "" || u.Host == "" {
			return s, errors.New("want twilio://ACCOUNT_SID:AUTH_TOKEN@HOST?from=%2B1…")
		}
		s.AccountSID = u.User.Username()
		s.AuthToken, _ = u.User.Password()
		s.From = u.Query().Get("from")
		if !strings.HasPrefix(s.From, "+") {
			return s, errors.New("from must be an E.164 number written %2B… in the URL")
		}
		scheme := "https"
		if u.Query().Get("insecure") == "1" {
			scheme = "http"
		}
		s.BaseURL = scheme + "://" + u.Host
	case "webhook+http", "webhook+https":
		s.Kind = "webhook"
		if u.Host == "" {
			return s, errors.New("want webhook+http(s)://HOST/PATH")
		}
		w := *u
		w.Scheme = strings.TrimPrefix(u.Scheme, "webhook+")
		s.BaseURL = w.String()
	default:
		return s, errors.New("want twilio://… or webhook+http(s)://…")
	}
	return s, nil
}

func parseMailFrom(v string) (*mail.Address, error) {
	a, err := mail.ParseAddress(v)
	if err != nil {
		return nil, fmt.Errorf("want an address such as Portal <no-reply@example.org>, got %q", v)
	}
	return a, nil
}
