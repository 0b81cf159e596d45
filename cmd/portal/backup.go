package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/providerportal/portal/internal/config"
	"github.com/providerportal/portal/internal/store"
)

// backup copies the SQLite database to a new file while the portal serves,
// then checks the copy. PostgreSQL has pg_dump for that.
func (e *env) backup(ctx context.Context, args []string) error {
	var full bool
	cfg, pos, err := e.loadConfig("backup", args, func(fs *flag.FlagSet) {
		fs.BoolVar(&full, "full-check", false, "check the copy with integrity_check instead of quick_check (slower)")
	})
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError("usage: portal backup FILE")
	}
	kind, path, err := config.SplitDatabase(cfg.Database)
	if err != nil {
		return err
	}
	if kind != "sqlite" {
		return store.ErrBackupPostgres
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("no database at %s", path)
	}
	yieldCPU()
	// No migration: a backup copies the database as it is.
	st, err := store.Open(ctx, kind, path)
	if err != nil {
		return fmt.Errorf("database %s: %w", path, err)
	}
	defer st.Close()
	start := time.Now()
	if err := st.Backup(ctx, pos[0]); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s exists; a backup never overwrites a file", pos[0])
		}
		return err
	}
	copied := time.Since(start)
	if err := store.CheckCopy(ctx, pos[0], !full); err != nil {
		os.Remove(pos[0])
		return fmt.Errorf("the copy failed its check and was removed (%w); try again", err)
	}
	fi, _ := os.Stat(pos[0])
	fmt.Fprintf(e.stdout, "backed up %s to %s: %.1f MB in %s, checked in %s\n", path, pos[0], float64(fi.Size())/(1<<20),
		copied.Round(time.Millisecond), (time.Since(start) - copied).Round(time.Millisecond))
	fmt.Fprintf(e.stdout, "Keep the key file %s with it: without that file the copy's authenticator-app secrets cannot be read.\n", cfg.KeyFile)
	return nil
}
