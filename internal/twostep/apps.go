package twostep

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// App is another application that signs people in through the portal (B20):
// an OpenID Connect client (ClientID set), or hosts behind a reverse proxy that
// asks the portal's forward-auth check. Account managers register apps and say
// who may use each one and whether it needs 2-Step Verification.
type App struct {
	ID             int64
	Name           string
	ClientID       string   // OpenID Connect clients only
	SecretHash     string   // confidential clients: SHA-256 (hex) of the client secret
	Public         bool     // a public client (no secret, PKCE required)
	RedirectURIs   []string // exact redirect URIs
	PostLogoutURIs []string // exact URIs an app may return to after signing out
	Hosts          []string // forward auth: protected hosts ("app.example.org" or "host:port")
	Centers        []int64  // centers whose people may use the app; empty: every center
	Roles          []Role   // roles that may use the app
	RequireTwoStep bool     // the person must have passed a second step this sign-in
	CreatedAt      time.Time
}

// IsOIDC reports whether the app is an OpenID Connect client.
func (a *App) IsOIDC() bool { return a.ClientID != "" }

// Admits reports whether a person may use the app: their role is one of the
// app's, and the person belongs to one of its centers (or it takes every
// center). Account managers belong to no center: for them the role decides.
func (a *App) Admits(u *User) bool {
	if u == nil || !slices.Contains(a.Roles, u.Role) {
		return false
	}
	if u.Role == RoleStaff || len(a.Centers) == 0 {
		return true
	}
	return slices.Contains(a.Centers, u.CenterID)
}

// CheckSecret reports, in constant time, whether secret is the client's.
func (a *App) CheckSecret(secret string) bool {
	if a.Public || a.SecretHash == "" || secret == "" || len(secret) > 512 {
		return false
	}
	got := hashSecret(secret)
	return subtle.ConstantTimeCompare([]byte(got), []byte(a.SecretHash)) == 1
}

// hashSecret is how client secrets are stored: they are 256-bit random, so a
// plain SHA-256 is as good as a slow hash and costs nothing per token request.
func hashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// AllRoles lists every role, in display order.
var AllRoles = []Role{RoleProvider, RoleAdmin, RoleStaff}

// Limits of an app's registration.
const (
	maxAppURIs   = 10
	maxAppURILen = 2000
	maxAppHosts  = 10
)

// checkRedirectURI accepts an absolute URI an app can receive a code (or come
// back after signing out) at: https, http on a loopback host only, or for a
// public (native) client a private-use scheme such as com.example.app:/cb
// (RFC 8252). No fragment; no user information.
func checkRedirectURI(raw string, public bool, field string) (string, error) {
	bad := func(why string) error {
		return FieldError(EInvalid, field, fmt.Sprintf("%q is not a usable redirect URI: %s.", cleanText(raw, 80), why))
	}
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > maxAppURILen {
		return "", bad(fmt.Sprintf("it must have 1 to %d characters", maxAppURILen))
	}
	for _, r := range raw {
		if r <= ' ' || r == 0x7f {
			return "", bad("it contains spaces or control characters")
		}
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() {
		return "", bad("it must be an absolute URI")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return "", bad("it must not have a #fragment")
	}
	if u.User != nil {
		return "", bad("it must not carry a user name or password")
	}
	switch u.Scheme {
	case "https":
		if u.Host == "" {
			return "", bad("it needs a host")
		}
	case "http":
		if !isLoopback(u.Hostname()) {
			return "", bad("plain http is accepted only on this machine (localhost, 127.0.0.1, [::1]); use https")
		}
	default:
		if !public || !strings.Contains(u.Scheme, ".") {
			return "", bad("use https (or, for a public app on a device, a private-use scheme such as com.example.app:/callback)")
		}
	}
	return raw, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// NormalizeHost checks a forward-auth host ("app.example.org" or
// "app.example.org:8443", no scheme or path) and lower-cases it.
func NormalizeHost(raw string) (string, error) {
	h := strings.ToLower(strings.TrimSpace(raw))
	bad := FieldError(EInvalid, "hosts", fmt.Sprintf("%q is not a host name (such as app.example.org or app.example.org:8443).", cleanText(raw, 80)))
	if h == "" || len(h) > 253 {
		return "", bad
	}
	name, port := h, ""
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.HasSuffix(h, "]") {
		name, port = h[:i], h[i+1:]
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
			return "", bad
		}
	}
	if strings.HasPrefix(name, "[") && strings.HasSuffix(name, "]") {
		if ip := net.ParseIP(name[1 : len(name)-1]); ip == nil || ip.To4() != nil {
			return "", bad
		}
		return h, nil
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return "", bad
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return "", bad
			}
		}
	}
	return h, nil
}

// hostCandidates are the registered hosts a request's host may match: itself
// and, when it names a port, the host without it.
func hostCandidates(host string) []string {
	h, err := NormalizeHost(host)
	if err != nil {
		return nil
	}
	out := []string{h}
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.HasSuffix(h, "]") {
		out = append(out, h[:i])
	}
	return out
}
