package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
