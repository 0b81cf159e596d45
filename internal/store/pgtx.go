package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// pgTx is a PostgreSQL transaction that spends as few round trips as it can.
// Statements travel in pgx batches (one round trip each): BEGIN goes with
// the first statement whose answer is needed, writes queued with later go
// with the next such statement, and COMMIT goes with the writes still queued.
// A transaction that only queues writes is one batch without BEGIN: PostgreSQL
// runs a batch as one implicit transaction, all or nothing.
type pgTx struct {
	conn  *pgx.Conn
	ctx   context.Context
	begun bool
	queue []queued
}

// queued is a write whose outcome nobody waits for; dest receives its
// RETURNING row when it has run.
type queued struct {
	sql  string
	args []any
	dest []any
}

// pipelined runs fn in a pgTx on a connection of the pool.
func (s *Store) pipelined(ctx context.Context, fn func(*sqlTx) error) error {
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		pc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("begin: unexpected driver connection %T", dc)
		}
		t := &pgTx{conn: pc.Conn(), ctx: ctx}
		if err := fn(&sqlTx{pg: t, s: s, ctx: ctx}); err != nil {
			if rerr := t.rollback(); rerr != nil {
				return errors.Join(err, rerr) // the connection is dropped
			}
			return err // as fn returned it: callers look at its type
		}
		if err := t.commit(); err != nil {
			return errors.Join(fmt.Errorf("commit: %w", err), t.rollback())
		}
		return nil
	})
}

// send sends the queued writes and then q (if not empty) in one batch, with
// BEGIN first unless the transaction has begun (or this is its commit: begin
// false). It reads the queued writes' results and returns the batch
// positioned at q's.
func (t *pgTx) send(q string, args []any, begin bool) (pgx.BatchResults, error) {
	b := &pgx.Batch{}
	opened := begin && !t.begun
	if opened {
		b.Queue("BEGIN")
		t.begun = true
	}
	for _, w := range t.queue {
		b.Queue(w.sql, w.args...)
	}
	if q != "" {
		b.Queue(q, args...)
	}
	queue := t.queue
	t.queue = t.queue[:0]
	br := t.conn.SendBatch(t.ctx, b)
	if opened {
		if _, err := br.Exec(); err != nil {
			return nil, errors.Join(err, br.Close())
		}
	}
	for _, w := range queue {
		var err error
		if len(w.dest) > 0 {
			err = br.QueryRow().Scan(w.dest...)
		} else {
			_, err = br.Exec()
		}
		if err != nil {
			return nil, errors.Join(err, br.Close())
		}
	}
	return br, nil
}

func (t *pgTx) exec(q string, args []any) (sql.Result, error) {
	br, err := t.send(q, args, true)
	if err != nil {
		return nil, err
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return pgResult(tag), err
}

func (t *pgTx) queryRow(q string, args []any) scanner {
	br, err := t.send(q, args, true)
	if err != nil {
		return errRow{err}
	}
	return &pgRow{br: br}
}

func (t *pgTx) query(q string, args []any) (rowsIter, error) {
	br, err := t.send(q, args, true)
	if err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		return nil, errors.Join(err, br.Close())
	}
	return &pgRows{Rows: rows, br: br}, nil
}

// commit sends what is still queued with COMMIT; without BEGIN sent, the
// queued writes alone form an implicit transaction.
func (t *pgTx) commit() error {
	if !t.begun && len(t.queue) == 0 {
		return nil
	}
	end := ""
	if t.begun {
		end = "COMMIT"
	}
	br, err := t.send(end, nil, false)
	if err != nil {
		return err
	}
	if end != "" {
		_, err = br.Exec()
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		t.begun = false
	}
	return err
}

// rollback ends a begun transaction; queued writes are simply dropped. A
// connection that cannot roll back is handed back as bad, never reused.
func (t *pgTx) rollback() error {
	t.queue = nil
	if !t.begun {
		return nil
	}
	t.begun = false
	ctx, cancel := context.WithTimeout(context.WithoutCancel(t.ctx), 5*time.Second)
	defer cancel()
	if _, err := t.conn.Exec(ctx, "ROLLBACK"); err != nil {
		return driver.ErrBadConn
	}
	return nil
}

// pgResult is a statement's outcome as database/sql reports it.
type pgResult pgconn.CommandTag

func (r pgResult) LastInsertId() (int64, error) {
	return 0, errors.New("use RETURNING")
}

func (r pgResult) RowsAffected() (int64, error) { return pgconn.CommandTag(r).RowsAffected(), nil }

// pgRow is a batch's last result, read as one row.
type pgRow struct{ br pgx.BatchResults }

func (r *pgRow) Scan(dest ...any) error {
	err := r.br.QueryRow().Scan(dest...)
	if cerr := r.br.Close(); err == nil {
		err = cerr
	}
	return err
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// pgRows are a batch's last result, read row by row.
type pgRows struct {
	pgx.Rows
	br pgx.BatchResults
}

func (r *pgRows) Close() error {
	r.Rows.Close()
	return r.br.Close()
}
