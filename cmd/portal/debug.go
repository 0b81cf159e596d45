package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
)

// startDebug serves Go's pprof profiles on addr, which must be a loopback
// address: profiles show memory and must never be public.
func startDebug(addr string, log *slog.Logger) error {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("PORTAL_DEBUG_ADDR must be a loopback address such as 127.0.0.1:6060, got %q", addr)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s (PORTAL_DEBUG_ADDR): %w", addr, err)
	}
	log.Info("pprof profiles served", "addr", ln.Addr().String())
	go http.Serve(ln, mux)
	return nil
}
