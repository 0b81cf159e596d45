package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// client speaks the portal's JSON API; each call carries one session cookie.
type client struct {
	base string
	http *http.Client
}

func newClient(base string, concurrency int) *client {
	tr := &http.Transport{MaxIdleConns: concurrency * 2, MaxIdleConnsPerHost: concurrency * 2, IdleConnTimeout: time.Minute}
	return &client{base: strings.TrimSuffix(base, "/"), http: &http.Client{Transport: tr, Timeout: 60 * time.Second}}
}

// apiError is an error answer: its code names the kind for the error table.
type apiError struct {
	status int
	code   string
}

func (e *apiError) Error() string { return fmt.Sprintf("HTTP %d %s", e.status, e.code) }

// call sends body as JSON with cookie and decodes the answer into out; it returns
// the session cookie the server set, if any.
func (c *client) call(ctx context.Context, method, path, cookie string, body, out any) (string, error) {
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return "", err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		json.Unmarshal(raw, &e)
		return "", &apiError{status: resp.StatusCode, code: e.Error.Code}
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return "", fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	for _, ck := range resp.Cookies() {
		if strings.HasSuffix(ck.Name, "portal_session") {
			return ck.Name + "=" + ck.Value, nil
		}
	}
	return "", nil
}
