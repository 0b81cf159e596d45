// Package store keeps the portal's data in SQLite (embedded, the default) or
// PostgreSQL (several instances) through database/sql. Every query is written
// once with ? placeholders and rebound for PostgreSQL; single use and counters are
// enforced by conditional writes in the database.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib" // also registers "pgx" for database/sql
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/providerportal/portal/internal/twostep"
)

// Store is the portal's database. It implements twostep.Store.
type Store struct {
	kind string  // "sqlite" or "postgres"
	w    *sql.DB // writes (SQLite: a single connection, so one writer at a time)
	r    *sql.DB // reads (SQLite: many connections over WAL)
	// counters writes attempt counters (throttle, second-step attempts) on
	// PostgreSQL: its commits do not wait for the disk (synchronous_commit
	// off), so a counter that every sign-in from one address shares is not
	// locked for an fsync per sign-in, and an attempt costs no fsync of its
	// own. A crash of the database server may forget the attempts of its
	// last fraction of a second. nil on SQLite.
	counters *sql.DB
	stmts    *sync.Map
	in       *sqlTx // set on the copy that Atomically hands out: everything runs in it
	// queued, if set, is told whenever a message is queued (the dispatcher's Wake).
	queued func()
	// jobs feeds SQLite's single writer goroutine (group commit); nil on PostgreSQL.
	jobs    chan *writeJob
	writing *sync.WaitGroup
	gate    *sync.RWMutex // guards closed against sends on a closed jobs channel
	closed  bool
}

// Atomically runs fn with a store whose every read and write happens in one
// transaction, committed when fn returns nil and rolled back otherwise.
func (s *Store) Atomically(ctx context.Context, fn func(twostep.Store) error) error {
	if s.in != nil {
		return fn(s)
	}
	return s.tx(ctx, func(t *sqlTx) error {
		bound := *s
		bound.in = t
		return fn(&bound)
	})
}

// stmtKey names a prepared statement of one pool.
type stmtKey struct {
	db *sql.DB
	q  string
}

// prepared returns q prepared on db, preparing it once. SQLite parses a
// statement on every call otherwise (a fifth of the CPU of a sign-in); pgx
// already caches statements per connection, so PostgreSQL skips this.
func (s *Store) prepared(ctx context.Context, db *sql.DB, q string) (*sql.Stmt, error) {
	key := stmtKey{db, q}
	if v, ok := s.stmts.Load(key); ok {
		return v.(*sql.Stmt), nil
	}
	st, err := db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if v, loaded := s.stmts.LoadOrStore(key, st); loaded {
		st.Close()
		return v.(*sql.Stmt), nil
	}
	return st, nil
}

// Open connects to kind ("sqlite" or "postgres") at dsn (a path or a URL) and
// checks that the database answers.
func Open(ctx context.Context, kind, dsn string) (*Store, error) {
	return open(ctx, kind, dsn, nil)
}

// open is Open with a pgx tracer on PostgreSQL's connections (tests count
// statements and round trips with it).
func open(ctx context.Context, kind, dsn string, tracer pgx.QueryTracer) (*Store, error) {
	s := &Store{kind: kind, stmts: &sync.Map{}, writing: &sync.WaitGroup{}, gate: &sync.RWMutex{}}
	switch kind {
	case "sqlite":
		if err := createPrivate(dsn); err != nil {
			return nil, err
		}
		base := "file:" + escapeSQLitePath(dsn) + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
		w, err := sql.Open("sqlite", base+"&_txlock=immediate")
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		w.SetMaxOpenConns(1)
		w.SetMaxIdleConns(1)
		w.SetConnMaxLifetime(0)
		r, err := sql.Open("sqlite", base+"&_pragma=query_only(1)")
		if err != nil {
			w.Close()
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		r.SetMaxOpenConns(8)
		r.SetMaxIdleConns(8)
		s.w, s.r = w, r
		s.jobs = make(chan *writeJob, 1024)
		s.writing.Go(s.writer)
		// The writer creates the file and switches it to WAL before readers connect.
		if err := w.PingContext(ctx); err != nil {
			s.Close()
			return nil, fmt.Errorf("open sqlite database %s: %w", dsn, err)
		}
	case "postgres":
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		cfg.Tracer = tracer
		db := stdlib.OpenDB(*cfg)
		ccfg := cfg.Copy()
		ccfg.RuntimeParams["synchronous_commit"] = "off"
		s.counters = stdlib.OpenDB(*ccfg)
		s.counters.SetMaxOpenConns(8)
		s.counters.SetMaxIdleConns(8)
		s.counters.SetConnMaxIdleTime(5 * time.Minute)
		db.SetMaxOpenConns(24) // with the counters, 32 connections per instance, as before
		db.SetMaxIdleConns(24)
		db.SetConnMaxIdleTime(5 * time.Minute)
		s.w, s.r = db, db
	default:
		return nil, fmt.Errorf("unknown database kind %q", kind)
	}
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// createPrivate creates the SQLite file, readable by its owner only (it holds
// password hashes), unless it exists. SQLite gives its -wal and -shm files the
// same permissions as the database file.
func createPrivate(path string) error {
	if path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create sqlite database %s: %w", path, err)
	}
	return f.Close()
}

// escapeSQLitePath percent-encodes the characters that SQLite's URI filenames
// treat specially, so a path with ?, # or % opens the file it names.
func escapeSQLitePath(p string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(p)
}

// Kind is "sqlite" or "postgres".
func (s *Store) Kind() string { return s.kind }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := s.r.PingContext(ctx); err != nil {
		return fmt.Errorf("database unreachable: %w", err)
	}
	return nil
}

// Close stops the writer, then releases the prepared statements and the connections.
func (s *Store) Close() error {
	if s.jobs != nil && s.in == nil {
		s.stopWriter()
	}
	s.stmts.Range(func(k, v any) bool {
		v.(*sql.Stmt).Close()
		return true
	})
	err := s.w.Close()
	if s.r != s.w {
		err = errors.Join(err, s.r.Close())
	}
	if s.counters != nil {
		err = errors.Join(err, s.counters.Close())
	}
	return err
}

// rebind turns ? placeholders into $1, $2… for PostgreSQL.
func (s *Store) rebind(q string) string {
	if s.kind != "postgres" || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// isUnique reports whether err is a unique-constraint violation.
func isUnique(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// notFound maps sql.ErrNoRows to twostep.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return twostep.ErrNotFound
	}
	return err
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

func nullMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMS(v.Int64)
}
