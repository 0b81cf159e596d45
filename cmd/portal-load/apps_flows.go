package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// forwardCheck is one forward-auth check, as nginx's auth_request makes it.
func forwardCheck(ctx context.Context, hc *http.Client, base, cookie string) error {
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/forward-auth", nil)
	req.Header.Set("Cookie", cookie)
	req.Header.Set("X-Forwarded-Method", "GET")
	req.Header.Set("X-Forwarded-Proto", "https")
	req.Header.Set("X-Forwarded-Host", loadHost)
	req.Header.Set("X-Forwarded-Uri", "/reports/today")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Remote-User") == "" {
		return fmt.Errorf("check: HTTP %d", resp.StatusCode)
	}
	return nil
}

// oidcFlow is one authorization code flow with a session that exists:
// /authorize → code → token (ID token signed) → userinfo.
func oidcFlow(ctx context.Context, hc *http.Client, base, cookie string, app map[string]any) error {
	clientID, _ := app["client_id"].(string)
	secret, _ := app["client_secret"].(string)
	redirect := app["redirect_uris"].([]any)[0].(string)
	q := url.Values{"client_id": {clientID}, "redirect_uri": {redirect}, "response_type": {"code"}, "scope": {"openid profile email"},
		"state": {randomPassword()[:12]}, "nonce": {randomPassword()[:12]}}
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/oauth/authorize?"+q.Encode(), nil)
	req.Header.Set("Cookie", cookie)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || loc.Query().Get("code") == "" {
		return fmt.Errorf("authorize: HTTP %d %s", resp.StatusCode, strings.SplitN(resp.Header.Get("Location"), "?", 2)[0])
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")}, "redirect_uri": {redirect}}
	req, _ = http.NewRequestWithContext(ctx, "POST", base+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	resp, err = hc.Do(req)
	if err != nil {
		return err
	}
	var tok struct {
		Access string `json:"access_token"`
		ID     string `json:"id_token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || err != nil || tok.ID == "" {
		return fmt.Errorf("token: HTTP %d", resp.StatusCode)
	}
	req, _ = http.NewRequestWithContext(ctx, "GET", base+"/oauth/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+tok.Access)
	resp, err = hc.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("userinfo: HTTP %d", resp.StatusCode)
	}
	return nil
}
