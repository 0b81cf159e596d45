package store

import (
	"context"
	"fmt"
	"time"
)

// Retention says how long rows are kept once they are no longer needed. A
// zero duration keeps those rows forever.
type Retention struct {
	Outbox          time.Duration // messages, after they were sent or given up (PORTAL_OUTBOX_RETENTION)
	Audit           time.Duration // audit events, after they happened (PORTAL_AUDIT_RETENTION)
	SessionIdle     time.Duration // sessions not seen for this long are over (PORTAL_SESSION_IDLE)
	SessionAbsolute time.Duration // sessions started this long ago are over (PORTAL_SESSION_ABSOLUTE)
	Counters        time.Duration // throttle counters whose window started this long ago (the longest window)
	Expired         time.Duration // codes, tokens and challenges, this long after they expired
}

// A purgeJob deletes the rows of one table that are past their retention:
// SQL takes a cutoff (unix ms; rows older go) and a batch size, and deletes
// at most that many rows, found through an index on the time it filters.
type purgeJob struct {
	Name string
	SQL  string
	Keep time.Duration // rows are deleted this long after their time; 0 keeps them
}

// The purge statements; each deletes at most a batch, so SQLite's single
// writer is never held long.
const (
	qPurgeOutbox       = "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE done_at < ? LIMIT ?)"
	qPurgeAudit        = "DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE at < ? LIMIT ?)"
	qPurgeIdleSessions = "DELETE FROM sessions WHERE id_hash IN (SELECT id_hash FROM sessions WHERE last_seen_at < ? LIMIT ?)"
	qPurgeOldSessions  = "DELETE FROM sessions WHERE id_hash IN (SELECT id_hash FROM sessions WHERE created_at < ? LIMIT ?)"
	qPurgeCodes        = `DELETE FROM codes WHERE (user_id, purpose, channel) IN
		(SELECT user_id, purpose, channel FROM codes WHERE expires_at < ? LIMIT ?)`
	qPurgeThrottle    = "DELETE FROM throttle WHERE key IN (SELECT key FROM throttle WHERE window_start < ? LIMIT ?)"
	qPurgeDevMessages = "DELETE FROM dev_messages WHERE id IN (SELECT id FROM dev_messages WHERE at < ? LIMIT ?)"
)

// purgeJobs lists what the sweeper deletes. A table whose rows expire gets one
// line here (and its statement above); TestStatementsUseIndexes checks each
// statement's plan on both databases.
func purgeJobs(r Retention) []purgeJob {
	return []purgeJob{
		{"outbox messages", qPurgeOutbox, r.Outbox},
		{"dev outbox messages", qPurgeDevMessages, r.Outbox},
		{"audit events", qPurgeAudit, r.Audit},
		{"idle sessions", qPurgeIdleSessions, r.SessionIdle},
		{"expired sessions", qPurgeOldSessions, r.SessionAbsolute},
		{"codes", qPurgeCodes, r.Expired},
		{"throttle counters", qPurgeThrottle, r.Counters},
	}
}

// PurgeOptions bound one sweep's work.
type PurgeOptions struct {
	Batch int           // rows per statement (default 500)
	Pause time.Duration // least rest between two full batches (default 20 ms)
}

// Purge runs every purge job once at now and returns how many rows each
// deleted (by job name, only those that deleted some). A job deletes batch
// after batch until fewer than a batch are left, resting between batches at
// least three times as long as the batch took: a backlog is cleared with at
// most a quarter of the writer, and sign-ins keep flowing meanwhile.
func (s *Store) Purge(ctx context.Context, now time.Time, r Retention, o PurgeOptions) (map[string]int64, error) {
	done := map[string]int64{}
	for _, j := range purgeJobs(r) {
		if j.Keep <= 0 {
			continue
		}
		n, err := s.deleteBatches(ctx, j.SQL, o, ms(now.Add(-j.Keep)))
		if n > 0 {
			done[j.Name] += n
		}
		if err != nil {
			return done, fmt.Errorf("purge %s: %w", j.Name, err)
		}
	}
	return done, nil
}

// deleteBatches runs q, a DELETE of at most a batch of rows (its last
// placeholder), with args, until fewer than a batch are left, resting between
// batches at least three times as long as each took; it returns how many
// rows went.
func (s *Store) deleteBatches(ctx context.Context, q string, o PurgeOptions, args ...any) (int64, error) {
	if o.Batch <= 0 {
		o.Batch = 500
	}
	if o.Pause <= 0 {
		o.Pause = 20 * time.Millisecond
	}
	args = append(args, o.Batch)
	var total int64
	for {
		start := time.Now()
		res, err := s.exec(ctx, q, args...)
		if err != nil {
			return total, err
		}
		n, _ := res.RowsAffected()
		total += n
		if n < int64(o.Batch) {
			return total, nil
		}
		select {
		case <-ctx.Done():
			return total, ctx.Err()
		case <-time.After(max(o.Pause, 3*time.Since(start))):
		}
	}
}
