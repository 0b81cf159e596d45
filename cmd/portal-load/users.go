package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// loadUser is a user with an authenticator app.
type loadUser struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Secret   string `json:"secret"`
	// LastStep is the newest TOTP time step used; kept in -users-file so the
	// next run does not replay it.
	LastStep int64 `json:"last_step"`
	mu       sync.Mutex
}

// nextCode returns a code for a time step this user has not used yet (the
// portal refuses a used step), or false when the user's window is used up. It
// uses the current and the next step only: the previous one could fall out of
// the server's ±1 window while the request is on its way.
func (u *loadUser) nextCode(now time.Time) (string, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	cur := now.Unix() / 30
	step := max(u.LastStep+1, cur)
	if step > cur+1 {
		return "", false
	}
	u.LastStep = step
	code, err := totp.GenerateCodeCustom(u.Secret, time.Unix(step*30, 0), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	return code, err == nil
}

func randomPassword() string {
	const words = "abcdefghjkmnpqrstuvwxyz23456789"
	b := make([]byte, 24)
	rand.Read(b)
	for i := range b {
		b[i] = words[int(b[i])%len(words)]
	}
	return string(b)
}

// prepareUsers loads users from -users-file or creates them through the API:
// a center with 2SV available, then for each user: create, sign in, turn 2SV on,
// add the authenticator app.
func prepareUsers(ctx context.Context, c *client, o options, out io.Writer) ([]*loadUser, error) {
	var users []*loadUser
	if o.usersFile != "" {
		if raw, err := os.ReadFile(o.usersFile); err == nil {
			if err := json.Unmarshal(raw, &users); err != nil {
				return nil, fmt.Errorf("%s: %w", o.usersFile, err)
			}
			if len(users) >= o.users {
				return users[:o.users], nil
			}
		}
	}
	staff, err := c.call(ctx, "POST", "/api/v1/login", "", map[string]string{"username": o.staffUser, "password": o.staffPassword}, nil)
	if err != nil {
		return nil, fmt.Errorf("staff sign-in: %w", err)
	}
	var centers []struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	}
	if _, err := c.call(ctx, "GET", "/api/v1/staff/centers", staff, nil, &centers); err != nil {
		return nil, fmt.Errorf("list centers: %w", err)
	}
	var centerID int64
	for _, ct := range centers {
		if ct.Name == o.center {
			centerID = ct.ID
		}
	}
	if centerID == 0 {
		var ct struct {
			ID int64 `json:"id"`
		}
		if _, err := c.call(ctx, "POST", "/api/v1/staff/centers", staff, map[string]string{"name": o.center}, &ct); err != nil {
			return nil, fmt.Errorf("create center: %w", err)
		}
		centerID = ct.ID
	}
	if _, err := c.call(ctx, "PUT", fmt.Sprintf("/api/v1/staff/centers/%d", centerID), staff, map[string]any{"two_step_available": true, "two_step_required": false}, nil); err != nil {
		return nil, fmt.Errorf("turn the beta on: %w", err)
	}
	start := time.Now()
	prefix := fmt.Sprintf("load%d", time.Now().Unix()%100000)
	todo := o.users - len(users)
	made := make([]*loadUser, todo)
	var failed atomic.Int64
	var firstErr atomic.Value
	sem := make(chan struct{}, min(o.concurrency, 32))
	var wg sync.WaitGroup
	for i := range todo {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			u := &loadUser{Username: fmt.Sprintf("%s-%06d", prefix, i), Password: randomPassword()}
			if err := createUser(ctx, c, staff, centerID, u); err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, fmt.Errorf("user %s: %w", u.Username, err))
				return
			}
			made[i] = u
		})
	}
	wg.Wait()
	for _, u := range made {
		if u != nil {
			users = append(users, u)
		}
	}
	if n := failed.Load(); n > 0 {
		fmt.Fprintf(out, "%d users could not be created (first: %v)\n", n, firstErr.Load())
		if len(users) == 0 {
			return nil, errors.New("no user could be created")
		}
	}
	fmt.Fprintf(out, "created %d users in %s\n", todo-int(failed.Load()), time.Since(start).Round(time.Millisecond))
	if err := saveUsers(o.usersFile, users); err != nil {
		return nil, err
	}
	return users, nil
}

// saveUsers keeps the users (and the time steps they used) for the next run.
func saveUsers(path string, users []*loadUser) error {
	if path == "" {
		return nil
	}
	for _, u := range users {
		u.mu.Lock()
	}
	raw, err := json.Marshal(users)
	for _, u := range users {
		u.mu.Unlock()
	}
	if err != nil {
		return err
	}
	return os.WriteFile(path, raw, 0o600)
}

func createUser(ctx context.Context, c *client, staff string, centerID int64, u *loadUser) error {
	if _, err := c.call(ctx, "POST", fmt.Sprintf("/api/v1/staff/centers/%d/users", centerID), staff,
		map[string]string{"username": u.Username, "email": u.Username + "@load.example.org", "password": u.Password, "role": "provider"}, nil); err != nil {
		return err
	}
	cookie, err := c.call(ctx, "POST", "/api/v1/login", "", map[string]string{"username": u.Username, "password": u.Password}, nil)
	if err != nil {
		return err
	}
	if _, err := c.call(ctx, "POST", "/api/v1/account/two-step/on", cookie, nil, nil); err != nil {
		return err
	}
	var setup struct{ Secret string }
	if _, err := c.call(ctx, "POST", "/api/v1/account/methods/totp", cookie, nil, &setup); err != nil {
		return err
	}
	u.Secret = setup.Secret
	code, ok := u.nextCode(time.Now())
	if !ok {
		return errors.New("no time step available")
	}
	_, err = c.call(ctx, "POST", "/api/v1/account/methods/totp/verify", cookie, map[string]string{"code": code}, nil)
	return err
}
