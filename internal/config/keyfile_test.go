package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "portal.key")
	k1, created, err := LoadKeys(path)
	if err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	info, _ := os.Stat(path)
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("mode %o", info.Mode().Perm())
	}
	k2, created, err := LoadKeys(path)
	if err != nil || created || k1 != k2 || k1.Encryption == k1.Code {
		t.Fatalf("reload: %v %v", created, err)
	}
	os.Chmod(path, 0o644)
	if _, _, err := LoadKeys(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable accepted: %v", err)
	}
	os.Chmod(path, 0o600)
	for _, body := range []string{"nonsense", `{"version":1,"encryption_key":"c2hvcnQ=","code_key":"c2hvcnQ="}`, `{"version":2}`} {
		os.WriteFile(path, []byte(body), 0o600)
		if _, _, err := LoadKeys(path); err == nil {
			t.Errorf("malformed %q accepted", body)
		}
	}
}

// Security review, finding 8: a key file that is a broken symbolic link (a
// secrets volume not mounted yet) is one clear error, not an endless loop.
func TestBrokenSymlinkKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "portal.key")
	if err := os.Symlink(filepath.Join(dir, "not-mounted", "portal.key"), path); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, _, err := LoadKeys(path); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "symbolic link") || !strings.Contains(err.Error(), "not-mounted") {
			t.Fatalf("error %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("LoadKeys did not return")
	}
	if !KeyFileExists(path) {
		t.Fatal("a broken link counts as something there")
	}
}
