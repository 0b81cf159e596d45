//go:build linux && (amd64 || arm64)

package store

import (
	"os"
	"syscall"
	"time"
)

// flushGently writes f's dirty pages to disk a slice at a time with a rest in
// between, then syncs it: a backup's gigabyte written back in one burst would
// keep the serving database's own syncs waiting behind it.
func flushGently(f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	const (
		slice = 16 << 20
		// SYNC_FILE_RANGE_WAIT_BEFORE | WRITE | WAIT_AFTER
		flags = 1 | 2 | 4
	)
	for off := int64(0); off < fi.Size(); off += slice {
		start := time.Now()
		if _, _, errno := syscall.Syscall6(syscall.SYS_SYNC_FILE_RANGE, f.Fd(), uintptr(off), slice, flags, 0, 0); errno != 0 {
			break // not supported here: the Sync below does it all
		}
		time.Sleep(time.Since(start))
	}
	return f.Sync()
}
