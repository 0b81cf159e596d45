//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package main

// yieldCPU does nothing where processes have no nice value.
func yieldCPU() {}
