package store

import (
	"context"
	"errors"
	"fmt"
)

// A writeJob is one transaction's worth of work for SQLite's single writer.
type writeJob struct {
	fn   func(t *sqlTx) error
	done chan error
}

// maxBatch bounds how many jobs share one commit.
const maxBatch = 64

// submit hands fn to the writer and waits for its outcome. The writer runs
// whatever jobs are waiting in one transaction with one commit (group commit):
// SQLite writes each page once per commit, and commits are most of the cost of
// a write. The caller waits even if its context ends, so an answer never claims
// that a committed write failed.
func (s *Store) submit(fn func(t *sqlTx) error) error {
	j := &writeJob{fn: fn, done: make(chan error, 1)}
	s.gate.RLock()
	if s.closed {
		s.gate.RUnlock()
		return errClosed
	}
	s.jobs <- j
	s.gate.RUnlock()
	return <-j.done
}

var errClosed = errors.New("the database is closed")

// stopWriter lets the writer finish the jobs it has and stops it.
func (s *Store) stopWriter() {
	s.gate.Lock()
	if !s.closed {
		s.closed = true
		close(s.jobs)
	}
	s.gate.Unlock()
	s.writing.Wait()
}

// writer runs jobs in batches until the jobs channel closes.
func (s *Store) writer() {
	batch := make([]*writeJob, 0, maxBatch)
	for j := range s.jobs {
		batch = append(batch[:0], j)
	gather:
		for len(batch) < maxBatch {
			select {
			case more, ok := <-s.jobs:
				if !ok {
					break gather
				}
				batch = append(batch, more)
			default:
				break gather
			}
		}
		s.runBatch(batch)
	}
}

// runBatch runs jobs in one transaction, each inside a savepoint so that one
// job's failure undoes only its own writes, and commits once.
func (s *Store) runBatch(batch []*writeJob) {
	ctx := context.Background()
	results := make([]error, len(batch))
	finish := func(err error) {
		for i, j := range batch {
			if results[i] == nil {
				results[i] = err
			}
			j.done <- results[i]
		}
	}
	t, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		finish(fmt.Errorf("begin: %w", err))
		return
	}
	st := &sqlTx{Tx: t, s: s, ctx: ctx}
	single := len(batch) == 1
	for i, j := range batch {
		if !single {
			if _, err := t.ExecContext(ctx, "SAVEPOINT job"); err != nil {
				t.Rollback()
				finish(fmt.Errorf("savepoint: %w", err))
				return
			}
		}
		results[i] = j.fn(st)
		if single {
			break
		}
		if results[i] != nil {
			if _, err := t.ExecContext(ctx, "ROLLBACK TO job"); err != nil {
				t.Rollback()
				finish(fmt.Errorf("rollback to savepoint: %w", err))
				return
			}
		}
		if _, err := t.ExecContext(ctx, "RELEASE job"); err != nil {
			t.Rollback()
			finish(fmt.Errorf("release savepoint: %w", err))
			return
		}
	}
	if single && results[0] != nil {
		t.Rollback()
		finish(nil)
	} else if err := t.Commit(); err != nil {
		// Nothing of the batch was written: every job fails, even those that ran well.
		for i := range results {
			results[i] = fmt.Errorf("commit: %w", err)
		}
		finish(nil)
	} else {
		finish(nil)
	}
	for _, q := range st.missed {
		s.prepared(ctx, s.w, q)
	}
}
