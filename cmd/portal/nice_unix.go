//go:build linux || darwin || freebsd || netbsd || openbsd

package main

import "syscall"

// yieldCPU lowers this process's CPU priority (nice 10): work such as a
// backup gives way to the portal serving beside it, and runs at full speed
// when nothing else wants the CPU.
func yieldCPU() { syscall.Setpriority(syscall.PRIO_PROCESS, 0, 10) }
