package config

import (
	"strings"
	"testing"
	"time"
)

// PORTAL_COOKIE_DOMAIN must be a parent domain of the public URL's host; the
// apps' token lifetimes have defaults and take durations.
func TestAppSettings(t *testing.T) {
	c, _, err := Load("serve", nil, env(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.CookieDomain != "" || c.AppTokenTTL != 15*time.Minute || c.AppRefreshTTL != 12*time.Hour {
		t.Fatalf("defaults: %q %v %v", c.CookieDomain, c.AppTokenTTL, c.AppRefreshTTL)
	}
	for _, tc := range []struct {
		public, domain, want string // want: the domain kept, or part of the error
	}{
		{"https://auth.example.org", "example.org", "example.org"},
		{"https://auth.example.org", ".Example.ORG", "example.org"},
		{"https://example.org", "example.org", "example.org"},
		{"https://auth.example.org", "other.org", "parent domain"},
		{"https://auth.example.org", "ample.org", "parent domain"},
		{"https://auth.example.org", "org", "parent domain"},
		{"http://127.0.0.1:8080", "0.0.1", "parent domain"},
		{"https://auth.example.org", "example.org:443", "parent domain"},
	} {
		c, _, err := Load("serve", nil, env(map[string]string{"PORTAL_PUBLIC_URL": tc.public, "PORTAL_COOKIE_DOMAIN": tc.domain}), nil)
		switch {
		case err == nil && c.CookieDomain != tc.want:
			t.Errorf("%s under %s: kept %q, want %q", tc.domain, tc.public, c.CookieDomain, tc.want)
		case err != nil && (!strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "PORTAL_COOKIE_DOMAIN")):
			t.Errorf("%s under %s: %v, want an error naming PORTAL_COOKIE_DOMAIN and %q", tc.domain, tc.public, err, tc.want)
		}
	}
	if _, _, err := Load("serve", []string{"--app-token-ttl", "soon"}, env(nil), nil); err == nil || !strings.Contains(err.Error(), "--app-token-ttl") {
		t.Fatalf("bad TTL: %v", err)
	}
}
