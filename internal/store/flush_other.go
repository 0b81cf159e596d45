//go:build !(linux && (amd64 || arm64))

package store

import "os"

// flushGently syncs f.
func flushGently(f *os.File) error { return f.Sync() }
