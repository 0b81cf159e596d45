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

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/providerportal/portal/internal/twostep"
)

// Store is the portal's database. It implements twostep.Store.
type Store struct {
	kind  string  // "sqlite" or "postgres"
	w     *sql.DB // writes (SQLite: a single connection, so one writer at a time)
	r     *sql.DB // reads (SQLite: many connections over WAL)
	stmts *sync.Map
	in    *sqlTx // set on the copy that Atomically hands out: everything runs in it
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
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		db.SetMaxOpenConns(32)
		db.SetMaxIdleConns(32)
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

func (s *Store) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if s.in != nil {
		return s.in.exec(ctx, q, args...)
	}
	if s.kind == "sqlite" {
		var res sql.Result
		err := s.tx(ctx, func(t *sqlTx) error {
			var err error
			res, err = t.exec(ctx, q, args...)
			return err
		})
		return res, err
	}
	return s.w.ExecContext(ctx, s.rebind(q), args...)
}

func (s *Store) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return s.rowOn(ctx, s.r, q, args...)
}

// scanner is a row to scan.
type scanner interface{ Scan(dest ...any) error }

// writeRow runs a writing statement with RETURNING on the writer; the statement
// runs when the row is scanned (on SQLite, as one job of the group commit).
func (s *Store) writeRow(ctx context.Context, q string, args ...any) scanner {
	if s.in == nil && s.kind == "sqlite" {
		return lazyRow{s: s, ctx: ctx, q: q, args: args}
	}
	return s.rowOn(ctx, s.w, q, args...)
}

type lazyRow struct {
	s    *Store
	ctx  context.Context
	q    string
	args []any
}

func (l lazyRow) Scan(dest ...any) error {
	return l.s.tx(l.ctx, func(t *sqlTx) error { return t.queryRow(l.ctx, l.q, l.args...).Scan(dest...) })
}

func (s *Store) rowOn(ctx context.Context, db *sql.DB, q string, args ...any) *sql.Row {
	if s.in != nil {
		return s.in.queryRow(ctx, q, args...)
	}
	if s.kind == "sqlite" {
		if st, err := s.prepared(ctx, db, q); err == nil {
			return st.QueryRowContext(ctx, args...)
		}
	}
	return db.QueryRowContext(ctx, s.rebind(q), args...)
}

func (s *Store) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return s.queryOn(ctx, s.r, q, args...)
}

func (s *Store) queryOn(ctx context.Context, db *sql.DB, q string, args ...any) (*sql.Rows, error) {
	if s.in != nil {
		return s.in.query(ctx, q, args...)
	}
	if s.kind == "sqlite" {
		st, err := s.prepared(ctx, db, q)
		if err != nil {
			return nil, err
		}
		return st.QueryContext(ctx, args...)
	}
	return db.QueryContext(ctx, s.rebind(q), args...)
}

// tx runs fn in a write transaction (SQLite: BEGIN IMMEDIATE), or in the
// transaction this store is bound to.
func (s *Store) tx(ctx context.Context, fn func(tx *sqlTx) error) error {
	if s.in != nil {
		return fn(s.in)
	}
	if s.jobs != nil {
		return s.submit(fn)
	}
	t, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	st := &sqlTx{Tx: t, s: s, ctx: ctx}
	defer func() {
		for _, q := range st.missed {
			s.prepared(context.WithoutCancel(ctx), s.w, q)
		}
	}()
	if err := fn(st); err != nil {
		t.Rollback()
		return err
	}
	if err := t.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// sqlTx is a transaction that rebinds its queries.
type sqlTx struct {
	*sql.Tx
	s      *Store
	ctx    context.Context // every statement's context (the group commit's, which nothing cancels)
	missed []string        // statements not yet in the cache
}

// stmt returns q as a statement of this transaction when the writer has it
// prepared already. It never prepares through the pool: the transaction holds
// SQLite's only writer connection, so that would wait for itself.
func (t *sqlTx) stmt(ctx context.Context, q string) *sql.Stmt {
	if t.s.kind != "sqlite" {
		return nil
	}
	v, ok := t.s.stmts.Load(stmtKey{t.s.w, q})
	if !ok {
		t.missed = append(t.missed, q) // prepared on the pool once the transaction ends
		return nil
	}
	return t.StmtContext(ctx, v.(*sql.Stmt))
}

func (t *sqlTx) exec(_ context.Context, q string, args ...any) (sql.Result, error) {
	ctx := t.ctx
	if st := t.stmt(ctx, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return t.ExecContext(ctx, t.s.rebind(q), args...)
}

func (t *sqlTx) queryRow(_ context.Context, q string, args ...any) *sql.Row {
	ctx := t.ctx
	if st := t.stmt(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.QueryRowContext(ctx, t.s.rebind(q), args...)
}

func (t *sqlTx) query(_ context.Context, q string, args ...any) (*sql.Rows, error) {
	ctx := t.ctx
	if st := t.stmt(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return t.QueryContext(ctx, t.s.rebind(q), args...)
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
