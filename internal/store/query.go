package store

import (
	"context"
	"database/sql"
)

// scanner is a row to scan.
type scanner interface{ Scan(dest ...any) error }

// rowsIter is the rows of a query: *sql.Rows, or pgx's rows in a PostgreSQL
// transaction.
type rowsIter interface {
	Next() bool
	Scan(dest ...any) error
	Close() error
	Err() error
}

// exec runs a statement on the writer (in the bound transaction, if any).
func (s *Store) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return s.execOn(ctx, s.w, q, args...)
}

// counterDB is where throttle counters are written outside a transaction.
func (s *Store) counterDB() *sql.DB {
	if s.counters != nil {
		return s.counters
	}
	return s.w
}

// execOn is exec on PostgreSQL's pool db (SQLite always writes on its writer).
func (s *Store) execOn(ctx context.Context, db *sql.DB, q string, args ...any) (sql.Result, error) {
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
	return db.ExecContext(ctx, s.rebind(q), args...)
}

// later runs a write whose outcome its caller does not look at before the
// transaction ends; dest, if any, receives its RETURNING row by then. In a
// PostgreSQL transaction the statement travels with the next one or with
// COMMIT, saving a round trip; anywhere else it runs at once.
func (s *Store) later(ctx context.Context, q string, args []any, dest ...any) error {
	if s.in != nil {
		return s.in.later(q, args, dest)
	}
	if len(dest) > 0 {
		return s.writeRow(ctx, q, args...).Scan(dest...)
	}
	_, err := s.exec(ctx, q, args...)
	return err
}

func (s *Store) queryRow(ctx context.Context, q string, args ...any) scanner {
	return s.rowOn(ctx, s.r, q, args...)
}

// writeRow runs a writing statement with RETURNING on the writer; the statement
// runs when the row is scanned (on SQLite, as one job of the group commit).
func (s *Store) writeRow(ctx context.Context, q string, args ...any) scanner {
	return s.writeRowOn(ctx, s.w, q, args...)
}

// writeRowOn is writeRow on PostgreSQL's pool db.
func (s *Store) writeRowOn(ctx context.Context, db *sql.DB, q string, args ...any) scanner {
	if s.in == nil && s.kind == "sqlite" {
		return lazyRow{s: s, ctx: ctx, q: q, args: args}
	}
	return s.rowOn(ctx, db, q, args...)
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

// writeRows runs one writing statement with RETURNING on PostgreSQL's pool
// db and hands each row to each: on SQLite as a job of the writer, on
// PostgreSQL as a single statement (its own transaction, one round trip).
func (s *Store) writeRows(ctx context.Context, db *sql.DB, q string, args []any, each func(scanner) error) error {
	run := func(rows rowsIter, err error) error {
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := each(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	if s.in == nil && s.kind == "sqlite" {
		return s.tx(ctx, func(t *sqlTx) error { return run(t.query(ctx, q, args...)) })
	}
	return run(s.queryOn(ctx, db, q, args...))
}

func (s *Store) rowOn(ctx context.Context, db *sql.DB, q string, args ...any) scanner {
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

func (s *Store) query(ctx context.Context, q string, args ...any) (rowsIter, error) {
	return s.queryOn(ctx, s.r, q, args...)
}

func (s *Store) queryOn(ctx context.Context, db *sql.DB, q string, args ...any) (rowsIter, error) {
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

// tx runs fn in a write transaction (SQLite: a job of the single writer;
// PostgreSQL: a pipelined transaction), or in the transaction this store is
// bound to.
func (s *Store) tx(ctx context.Context, fn func(tx *sqlTx) error) error {
	if s.in != nil {
		return fn(s.in)
	}
	if s.jobs != nil {
		return s.submit(fn)
	}
	return s.pipelined(ctx, fn)
}

// sqlTx is a transaction that rebinds its queries: SQLite's (a *sql.Tx) or
// PostgreSQL's (pg).
type sqlTx struct {
	*sql.Tx
	pg     *pgTx
	s      *Store
	ctx    context.Context // every statement's context (the group commit's, which nothing cancels)
	missed []string        // statements not yet in the cache
}

// stmt returns q as a statement of this transaction when the writer has it
// prepared already. It never prepares through the pool: the transaction holds
// SQLite's only writer connection, so that would wait for itself.
func (t *sqlTx) stmt(ctx context.Context, q string) *sql.Stmt {
	v, ok := t.s.stmts.Load(stmtKey{t.s.w, q})
	if !ok {
		t.missed = append(t.missed, q) // prepared on the pool once the transaction ends
		return nil
	}
	return t.StmtContext(ctx, v.(*sql.Stmt))
}

func (t *sqlTx) exec(_ context.Context, q string, args ...any) (sql.Result, error) {
	if t.pg != nil {
		return t.pg.exec(t.s.rebind(q), args)
	}
	ctx := t.ctx
	if st := t.stmt(ctx, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return t.ExecContext(ctx, q, args...)
}

func (t *sqlTx) queryRow(_ context.Context, q string, args ...any) scanner {
	if t.pg != nil {
		return t.pg.queryRow(t.s.rebind(q), args)
	}
	ctx := t.ctx
	if st := t.stmt(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.QueryRowContext(ctx, q, args...)
}

func (t *sqlTx) query(_ context.Context, q string, args ...any) (rowsIter, error) {
	if t.pg != nil {
		return t.pg.query(t.s.rebind(q), args)
	}
	ctx := t.ctx
	if st := t.stmt(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return t.QueryContext(ctx, q, args...)
}

// later queues a write whose outcome is not needed yet (see Store.later).
func (t *sqlTx) later(q string, args []any, dest []any) error {
	if t.pg != nil {
		t.pg.queue = append(t.pg.queue, queued{sql: t.s.rebind(q), args: args, dest: dest})
		return nil
	}
	if len(dest) > 0 {
		return t.queryRow(t.ctx, q, args...).Scan(dest...)
	}
	_, err := t.exec(t.ctx, q, args...)
	return err
}
