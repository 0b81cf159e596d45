package main

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"
)

func cores() int { return runtime.GOMAXPROCS(0) }

// rawHashRate measures argon2id hashes per second with params ("m=,t=,p=") on
// every core for d.
func rawHashRate(params string, d time.Duration) (float64, error) {
	var m, t, p uint64
	for _, kv := range strings.Split(params, ",") {
		k, v, _ := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return 0, fmt.Errorf("-argon2 %q: %w", params, err)
		}
		switch k {
		case "m":
			m = n
		case "t":
			t = n
		case "p":
			p = n
		}
	}
	if m == 0 || t == 0 || p == 0 {
		return 0, fmt.Errorf("-argon2 wants m=,t=,p=, got %q", params)
	}
	var n atomic.Int64
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for range cores() {
		wg.Go(func() {
			salt := make([]byte, 16)
			for time.Now().Before(deadline) {
				argon2.IDKey([]byte("a password of ordinary length"), salt, uint32(t), uint32(m), uint8(p), 32)
				n.Add(1)
			}
		})
	}
	wg.Wait()
	return float64(n.Load()) / time.Since(start).Seconds(), nil
}
