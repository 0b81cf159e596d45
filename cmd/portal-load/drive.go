package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// results collects what the run measured.
type results struct {
	mu        sync.Mutex
	password  []time.Duration
	second    []time.Duration
	full      []time.Duration
	errors    map[string]int
	signIns   atomic.Int64
	starved   atomic.Int64 // waits for a user with a free time step (a limit of the tool, not the server)
	elapsed   time.Duration
	cpuBefore float64
	cpuAfter  float64
	peakRSS   int64 // KiB, sampled during the run
	hwm       int64 // KiB, VmHWM at the end
}

func (r *results) fail(kind string) {
	r.mu.Lock()
	r.errors[kind]++
	r.mu.Unlock()
}

func errKind(err error) string {
	var ae *apiError
	if errors.As(err, &ae) {
		return fmt.Sprintf("%d %s", ae.status, ae.code)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return "cancelled"
	}
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		s = s[i+2:]
	}
	return s
}

// userPool hands out users whose next TOTP time step is free.
type userPool struct {
	users []*loadUser
	next  atomic.Int64
}

func (p *userPool) take(now time.Time) (*loadUser, string, bool) {
	for range len(p.users) {
		u := p.users[int(p.next.Add(1))%len(p.users)]
		if code, ok := u.nextCode(now); ok {
			return u, code, true
		}
	}
	return nil, "", false
}

type pending struct {
	cookie string
	user   *loadUser
}

// drive runs the load and measures it.
func drive(ctx context.Context, c *client, users []*loadUser, o options) (*results, error) {
	res := &results{errors: map[string]int{}}
	pool := &userPool{users: users}
	var prepared chan pending
	if o.mode == "second" {
		prepared = make(chan pending, len(users))
		if err := preparePending(ctx, c, users, o, prepared); err != nil {
			return nil, err
		}
	}
	// Other tools (scripts/) sample the database's processes from this line on.
	fmt.Fprintln(os.Stderr, "portal-load: measuring")
	runCtx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	stopSampling := res.sample(o.pid)
	res.cpuBefore = cpuSeconds(o.pid)
	start := time.Now()
	var wg sync.WaitGroup
	for range o.concurrency {
		wg.Go(func() {
			for runCtx.Err() == nil {
				if o.mode == "second" {
					var p pending
					select {
					case p = <-prepared:
					default:
						res.fail("no prepared session left")
						return
					}
					code, ok := p.user.nextCode(time.Now())
					if !ok {
						res.fail("user time steps used up (add -users)")
						continue
					}
					t0 := time.Now()
					if _, err := c.call(runCtx, "POST", "/api/v1/login/verify", p.cookie, map[string]string{"method": "totp", "code": code}, nil); err != nil {
						if runCtx.Err() == nil {
							res.fail("verify: " + errKind(err))
						}
						continue
					}
					res.record(nil, []time.Duration{time.Since(t0)}, nil)
					res.signIns.Add(1)
					continue
				}
				u, code, ok := pool.take(time.Now())
				if !ok {
					res.starved.Add(1)
					time.Sleep(20 * time.Millisecond)
					continue
				}
				t0 := time.Now()
				cookie, err := c.call(runCtx, "POST", "/api/v1/login", "", map[string]string{"username": u.Username, "password": u.Password}, nil)
				if err != nil {
					if runCtx.Err() == nil {
						res.fail("login: " + errKind(err))
					}
					continue
				}
				t1 := time.Now()
				if _, err := c.call(runCtx, "POST", "/api/v1/login/verify", cookie, map[string]string{"method": "totp", "code": code}, nil); err != nil {
					if runCtx.Err() == nil {
						res.fail("verify: " + errKind(err))
					}
					continue
				}
				t2 := time.Now()
				res.record([]time.Duration{t1.Sub(t0)}, []time.Duration{t2.Sub(t1)}, []time.Duration{t2.Sub(t0)})
				res.signIns.Add(1)
			}
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.cpuAfter = cpuSeconds(o.pid)
	stopSampling()
	res.hwm = procStatusKiB(o.pid, "VmHWM")
	return res, nil
}

// preparePending signs users in with their password so only the second step is timed.
func preparePending(ctx context.Context, c *client, users []*loadUser, o options, out chan<- pending) error {
	sem := make(chan struct{}, o.concurrency)
	var wg sync.WaitGroup
	var failed atomic.Value
	// One pending session per user: two verified at once could reach the
	// server out of time-step order, and the older step is refused (replay).
	for _, u := range users {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			cookie, err := c.call(ctx, "POST", "/api/v1/login", "", map[string]string{"username": u.Username, "password": u.Password}, nil)
			if err != nil {
				failed.Store(err)
				return
			}
			out <- pending{cookie: cookie, user: u}
		})
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		return fmt.Errorf("prepare pending sessions: %w", err)
	}
	return nil
}

func (r *results) record(pw, second, full []time.Duration) {
	r.mu.Lock()
	r.password = append(r.password, pw...)
	r.second = append(r.second, second...)
	r.full = append(r.full, full...)
	r.mu.Unlock()
}

// sample polls the server's resident memory every 100 ms.
func (r *results) sample(pid int) (stop func()) {
	if pid == 0 {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			if rss := procStatusKiB(pid, "VmRSS"); rss > r.peakRSS {
				r.peakRSS = rss
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// cpuSeconds reads utime+stime of pid from /proc (clock ticks of 1/100 s).
func cpuSeconds(pid int) float64 {
	if pid == 0 {
		return 0
	}
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(raw)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(fields) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(fields[11], 64)
	st, _ := strconv.ParseFloat(fields[12], 64)
	return (ut + st) / 100
}

func procStatusKiB(pid int, key string) int64 {
	if pid == 0 {
		return 0
	}
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

func pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	i := int(float64(len(ds)-1) * p)
	return ds[i]
}

func (r *results) print(out io.Writer, raw float64, o options) {
	n := r.signIns.Load()
	rate := float64(n) / r.elapsed.Seconds()
	fmt.Fprintf(out, "\n%s sign-ins: %d in %s = %.1f/s\n", o.mode, n, r.elapsed.Round(time.Millisecond), rate)
	for _, s := range []struct {
		name string
		ds   []time.Duration
	}{{"password step", r.password}, {"second step", r.second}, {"full sign-in", r.full}} {
		if len(s.ds) == 0 {
			continue
		}
		slices.Sort(s.ds)
		fmt.Fprintf(out, "  %-14s p50 %7.2f ms  p95 %7.2f ms  p99 %7.2f ms  max %7.2f ms\n", s.name,
			ms(pct(s.ds, .5)), ms(pct(s.ds, .95)), ms(pct(s.ds, .99)), ms(s.ds[len(s.ds)-1]))
	}
	if len(r.errors) == 0 {
		fmt.Fprintln(out, "  errors: 0")
	} else {
		fmt.Fprintln(out, "  errors:")
		for k, v := range r.errors {
			fmt.Fprintf(out, "    %6d  %s\n", v, k)
		}
	}
	if st := r.starved.Load(); st > 0 {
		fmt.Fprintf(out, "  note: clients waited %d times for a user with a free TOTP time step; add -users\n", st)
	}
	if o.pid != 0 && n > 0 {
		cpu := r.cpuAfter - r.cpuBefore
		fmt.Fprintf(out, "  server CPU: %.2f s = %.3f ms per sign-in\n", cpu, cpu*1000/float64(n))
		fmt.Fprintf(out, "  server memory: peak RSS during run %.1f MB (VmHWM since start %.1f MB)\n", float64(r.peakRSS)/1024, float64(r.hwm)/1024)
	}
	if o.mode == "full" {
		fmt.Fprintf(out, "  sign-ins/s ÷ raw argon2id hashes/s (mean of before and after) = %.1f / %.1f = %.2f\n", rate, raw, rate/raw)
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
