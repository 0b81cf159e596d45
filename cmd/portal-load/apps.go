package main

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Apps (B20): the forward-auth check on every request to a protected app,
// and the OpenID Connect code flow for someone already signed in.

const loadHost = "load-app.test"

// appRun is what a forward-auth or OpenID run measured.
type appRun struct {
	mu        sync.Mutex
	lat       []time.Duration
	errors    map[string]int
	done      atomic.Int64
	elapsed   time.Duration
	cpuBefore float64
	cpuAfter  float64
	toolCPU   float64 // this tool's own CPU seconds during the run
}

func (r *appRun) fail(kind string) {
	r.mu.Lock()
	r.errors[kind]++
	r.mu.Unlock()
}

// noRedirects is c's transport without following redirects (the tool reads them).
func (c *client) noRedirects() *http.Client {
	return &http.Client{Transport: c.http.Transport, Timeout: c.http.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// signedIn signs n users in fully (password and authenticator app) and returns their cookies.
func signedIn(ctx context.Context, c *client, users []*loadUser, n int) ([]string, error) {
	var cookies []string
	for _, u := range users {
		if len(cookies) == n {
			break
		}
		code, ok := u.nextCode(time.Now())
		if !ok {
			continue
		}
		cookie, err := c.call(ctx, "POST", "/api/v1/login", "", map[string]string{"username": u.Username, "password": u.Password}, nil)
		if err != nil {
			return nil, fmt.Errorf("sign in %s: %w", u.Username, err)
		}
		fresh, err := c.call(ctx, "POST", "/api/v1/login/verify", cookie, map[string]string{"method": "totp", "code": code}, nil)
		if err != nil {
			return nil, fmt.Errorf("second step of %s: %w", u.Username, err)
		}
		cookies = append(cookies, fresh)
	}
	if len(cookies) == 0 {
		return nil, errors.New("no user could sign in (time steps used up: wait 30 s or add -users)")
	}
	return cookies, nil
}

// registerApp registers an app as the account manager (a new name each run).
func registerApp(ctx context.Context, c *client, o options, body map[string]any) (map[string]any, error) {
	staff, err := c.call(ctx, "POST", "/api/v1/login", "", map[string]string{"username": o.staffUser, "password": o.staffPassword}, nil)
	if err != nil {
		return nil, fmt.Errorf("staff sign-in: %w", err)
	}
	body["name"] = fmt.Sprintf("Load test %s %d", o.mode, time.Now().UnixNano())
	out := map[string]any{}
	if _, err := c.call(ctx, "POST", "/api/v1/staff/apps", staff, body, &out); err != nil {
		var ae *apiError
		if errors.As(err, &ae) && ae.code == "conflict" && o.mode == "forward-auth" {
			return out, nil // the host is protected since an earlier run
		}
		return nil, fmt.Errorf("register the app (PORTAL_STAFF_TWO_STEP=optional lets the tool's account manager in): %w", err)
	}
	return out, nil
}

// runApps measures -mode forward-auth or -mode oidc.
func runApps(ctx context.Context, c *client, users []*loadUser, o options, out io.Writer) error {
	n := min(len(users), 256)
	var raw, signCPU float64
	var err error
	if o.mode == "oidc" {
		if raw, signCPU, err = rawSignRate(3 * time.Second); err != nil {
			return err
		}
		fmt.Fprintf(out, "raw RS256 (RSA-2048) signing on %d cores: %.1f signatures/s, %.3f ms CPU each\n", cores(), raw, signCPU*1000)
	}
	cookies, err := signedIn(ctx, c, users, n)
	if err != nil {
		return err
	}
	var app map[string]any
	if o.mode == "oidc" {
		app, err = registerApp(ctx, c, o, map[string]any{"redirect_uris": []string{"http://127.0.0.1:9/callback"}})
	} else {
		app, err = registerApp(ctx, c, o, map[string]any{"forward_auth_hosts": []string{loadHost}})
	}
	if err != nil {
		return err
	}
	if o.mode == "forward-auth" {
		time.Sleep(6 * time.Second) // other instances' app caches (5 s)
	}
	fmt.Fprintf(out, "%d signed-in sessions; running %s at concurrency %d for %s\n", len(cookies), o.mode, o.concurrency, o.duration)
	res := &appRun{errors: map[string]int{}}
	runCtx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	res.cpuBefore = cpuSeconds(o.pid)
	toolBefore := cpuSeconds(os.Getpid())
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	hc := c.noRedirects()
	for range o.concurrency {
		wg.Go(func() {
			var lat []time.Duration
			for runCtx.Err() == nil {
				cookie := cookies[int(next.Add(1))%len(cookies)]
				t0 := time.Now()
				var err error
				if o.mode == "oidc" {
					err = oidcFlow(runCtx, hc, c.base, cookie, app)
				} else {
					err = forwardCheck(runCtx, hc, c.base, cookie)
				}
				if err != nil {
					if runCtx.Err() == nil {
						res.fail(err.Error())
					}
					continue
				}
				lat = append(lat, time.Since(t0))
				res.done.Add(1)
			}
			res.mu.Lock()
			res.lat = append(res.lat, lat...)
			res.mu.Unlock()
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.cpuAfter = cpuSeconds(o.pid)
	res.toolCPU = cpuSeconds(os.Getpid()) - toolBefore
	what, unit := "forward-auth checks", "check"
	if o.mode == "oidc" {
		what, unit = "code flows (authorize → code → token → userinfo)", "flow"
		after, cpuAfter, err := rawSignRate(3 * time.Second)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "raw RS256 signing after the run: %.1f signatures/s, %.3f ms CPU each (before: %.1f, %.3f ms)\n", after, cpuAfter*1000, raw, signCPU*1000)
		raw, signCPU = (raw+after)/2, (signCPU+cpuAfter)/2
	}
	res.print(out, what, unit, raw, o)
	if signCPU > 0 && o.pid != 0 && res.done.Load() > 0 {
		n := float64(res.done.Load())
		server, tool := (res.cpuAfter-res.cpuBefore)/n, res.toolCPU/n
		fmt.Fprintf(out, "  by CPU time: signing %.3f ms ÷ server %.3f ms per flow = %.2f of the server's work is the signature;\n", signCPU*1000, server*1000, signCPU/server)
		fmt.Fprintf(out, "  on cores of our own the ratio above would be signing ÷ (server + tool) = %.3f ÷ %.3f = %.2f\n", signCPU*1000, (server+tool)*1000, signCPU/(server+tool))
	}
	return nil
}

// rawSignRate measures RS256 (RSA-2048, PKCS #1 v1.5, SHA-256) signatures per
// second on every core for d: the irreducible cost of an ID token. It also
// gives this process's CPU time per signature, which other processes on a
// shared machine disturb less than the rate.
func rawSignRate(d time.Duration) (rate, cpuPerSign float64, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return 0, 0, err
	}
	key.Precompute()
	var n atomic.Int64
	deadline := time.Now().Add(d)
	start, cpu0 := time.Now(), cpuSeconds(os.Getpid())
	var wg sync.WaitGroup
	for range cores() {
		wg.Go(func() {
			msg := []byte(`{"iss":"https://portal.example.org","sub":"0123456789abcdef","aud":"client"}`)
			for time.Now().Before(deadline) {
				h := sha256.Sum256(msg)
				if _, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, h[:]); err != nil {
					return
				}
				n.Add(1)
			}
		})
	}
	wg.Wait()
	cpu := cpuSeconds(os.Getpid()) - cpu0
	return float64(n.Load()) / time.Since(start).Seconds(), cpu / float64(n.Load()), nil
}

func (r *appRun) print(out io.Writer, what, unit string, raw float64, o options) {
	n := r.done.Load()
	rate := float64(n) / r.elapsed.Seconds()
	fmt.Fprintf(out, "\n%s: %d in %s = %.1f/s\n", what, n, r.elapsed.Round(time.Millisecond), rate)
	if len(r.lat) > 0 {
		slices.Sort(r.lat)
		fmt.Fprintf(out, "  latency  p50 %7.2f ms  p95 %7.2f ms  p99 %7.2f ms  max %7.2f ms\n",
			ms(pct(r.lat, .5)), ms(pct(r.lat, .95)), ms(pct(r.lat, .99)), ms(r.lat[len(r.lat)-1]))
	}
	if len(r.errors) == 0 {
		fmt.Fprintln(out, "  errors: 0")
	} else {
		fmt.Fprintln(out, "  errors:")
		for k, v := range r.errors {
			fmt.Fprintf(out, "    %6d  %s\n", v, k)
		}
	}
	if o.pid != 0 && n > 0 {
		cpu := r.cpuAfter - r.cpuBefore
		per, tool := cpu*1000/float64(n), r.toolCPU*1000/float64(n)
		fmt.Fprintf(out, "  server CPU: %.2f s = %.3f ms per %s; this tool: %.3f ms per %s\n", cpu, per, unit, tool, unit)
		fmt.Fprintf(out, "  ceiling on %d cores of our own (server and tool): %.0f/s; reached %.2f of it (the rest went to other processes)\n",
			cores(), float64(cores())*1000/(per+tool), rate/(float64(cores())*1000/(per+tool)))
	}
	if raw > 0 {
		fmt.Fprintf(out, "  flows/s ÷ raw RS256 signatures/s (mean of before and after) = %.1f / %.1f = %.2f\n", rate, raw, rate/raw)
	}
}
