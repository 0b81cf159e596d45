package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"

	"modernc.org/sqlite"
)

// ErrBackupPostgres says that a PostgreSQL database is backed up with its own tools.
var ErrBackupPostgres = errors.New("on PostgreSQL, back up with pg_dump and restore with pg_restore (see README)")

// Backup writes a consistent copy of the SQLite database to path while the
// portal keeps serving. SQLite's online backup copies every page in one step
// under one read transaction: writers carry on (WAL), and the copy is the
// database as of the moment the step began. path must not exist; the copy is
// created readable by its owner only (it holds password hashes and encrypted
// secrets). On failure nothing is left at path.
func (s *Store) Backup(ctx context.Context, path string) (err error) {
	if s.kind != "sqlite" {
		return ErrBackupPostgres
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	f.Close()
	defer func() {
		if err != nil {
			for _, suffix := range []string{"", "-journal", "-wal", "-shm"} {
				os.Remove(path + suffix)
			}
		}
	}()
	conn, err := s.r.Conn(ctx)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		src, ok := dc.(interface {
			NewBackup(dstURI string) (*sqlite.Backup, error)
		})
		if !ok {
			return errors.New("the SQLite driver offers no online backup")
		}
		// The copy needs no journal and no sync while it is written: on
		// failure it is removed, on success synced once at the end.
		b, err := src.NewBackup("file:" + escapeSQLitePath(path) + "?_pragma=journal_mode(OFF)&_pragma=synchronous(OFF)")
		if err != nil {
			return err
		}
		_, stepErr := b.Step(-1)
		return errors.Join(stepErr, b.Finish())
	})
	if err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	// The copy took the source's WAL mode; make it one self-contained file
	// (the portal turns WAL on again when it opens a restored copy).
	db, err := sql.Open("sqlite", "file:"+escapeSQLitePath(path))
	if err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "PRAGMA journal_mode=DELETE"); err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	db.Close()
	return syncFile(path)
}

// syncFile writes the file's data to disk.
func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	return flushGently(f)
}

// CheckCopy opens the SQLite database at path read-only and runs
// PRAGMA integrity_check (quick_check when quick: it skips comparing indexes
// with their tables, several times faster).
func CheckCopy(ctx context.Context, path string, quick bool) error {
	if _, err := os.Stat(path); err != nil {
		return err
	}
	db, err := sql.Open("sqlite", "file:"+escapeSQLitePath(path)+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	pragma := "PRAGMA integrity_check"
	if quick {
		pragma = "PRAGMA quick_check"
	}
	rows, err := db.QueryContext(ctx, pragma)
	if err != nil {
		return fmt.Errorf("check %s: %w", path, err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return err
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(problems) > 0 {
		return fmt.Errorf("check %s: %d problems, first: %s", path, len(problems), problems[0])
	}
	return nil
}
