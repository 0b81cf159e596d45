package store

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/providerportal/portal/internal/twostep"
)

// The outbox's statements; the dispatcher runs claim, expire and erase every poll.
const (
	qEnqueue = `INSERT INTO outbox (channel, recipient, subject, body, body_html, user_id, next_attempt_at, give_up_at, erase_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`
	qClaimHead = `UPDATE outbox SET lease_owner = ?, lease_until = ?
		WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? AND lease_until <= ? AND give_up_at > ?
			ORDER BY id LIMIT ?`
	qClaimTail = `)
		RETURNING id, channel, recipient, subject, body, body_html, user_id, attempts, created_at, give_up_at, erase_at`
	// qClaimOutbox serves SQLite, whose single writer serialises claims;
	// on PostgreSQL rows another instance has locked are skipped.
	qClaimOutbox   = qClaimHead + qClaimTail
	qClaimOutboxPG = qClaimHead + " FOR UPDATE SKIP LOCKED" + qClaimTail
	qMarkSent      = `UPDATE outbox SET status = 'sent', sent_at = ?, done_at = ?, attempts = attempts + 1, body = '', body_html = '',
		lease_owner = '', lease_until = 0, last_error = '' WHERE id = ? AND lease_owner = ? AND status = 'pending'`
	qMarkRetry = `UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?,
		lease_owner = '', lease_until = 0 WHERE id = ? AND lease_owner = ? AND status = 'pending'`
	qMarkFailed = `UPDATE outbox SET status = 'failed', done_at = ?, attempts = attempts + 1, last_error = ?, body = '', body_html = '',
		lease_owner = '', lease_until = 0 WHERE id = ? AND lease_owner = ? AND status = 'pending'`
	qExpireOutbox = `UPDATE outbox SET status = 'failed', done_at = ?, body = '', body_html = '', last_error = 'gave up: too late to be useful',
		lease_owner = '', lease_until = 0 WHERE status = 'pending' AND give_up_at <= ? AND lease_until <= ?`
	// qEraseOutbox matches the partial index outbox_erase (body <> ''), so it
	// reads only messages whose text is still stored.
	qEraseOutbox   = `UPDATE outbox SET body = '', body_html = '' WHERE erase_at <= ? AND body <> '' AND lease_until <= ?`
	qReleaseLeases = `UPDATE outbox SET lease_owner = '', lease_until = 0 WHERE lease_owner = ? AND status = 'pending'`
	// qOutboxDue asks, through the same indexes, whether the claim, the
	// give-up or the erase above would touch a row, and whether any
	// message is pending or any text is left at all.
	qOutboxDue = `SELECT EXISTS (SELECT 1 FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? AND lease_until <= ?)
		OR EXISTS (SELECT 1 FROM outbox WHERE status = 'pending' AND give_up_at <= ? AND lease_until <= ?)
		OR EXISTS (SELECT 1 FROM outbox WHERE erase_at <= ? AND body <> '' AND lease_until <= ?),
		EXISTS (SELECT 1 FROM outbox WHERE status = 'pending')
		OR EXISTS (SELECT 1 FROM outbox WHERE erase_at < ? AND body <> '')`
	qKeepDevMessage = `INSERT INTO dev_messages (at, channel, recipient, subject, body) VALUES (?, ?, ?, ?, ?)`
)

// OnQueued has fn called whenever this store queues a message (Enqueue,
// IssueCode), so that a dispatcher at rest looks at once. Call it before the
// store is shared. In a transaction fn is called before the commit: the
// dispatcher keeps looking often for a while after a Wake.
func (s *Store) OnQueued(fn func()) { s.queued = fn }

func (s *Store) notifyQueued() {
	if s.queued != nil {
		s.queued()
	}
}

// claimOutboxSQL is the claim for kind.
func claimOutboxSQL(kind string) string {
	if kind == "postgres" {
		return qClaimOutboxPG
	}
	return qClaimOutbox
}

func insertOutbox(ctx context.Context, tx *sqlTx, m *twostep.OutboxMessage) (int64, error) {
	var id int64
	err := tx.queryRow(ctx, qEnqueue,
		m.Channel, m.To, m.Subject, m.Body, m.HTML, m.UserID, ms(m.CreatedAt), ms(m.GiveUpAt), ms(m.EraseAt), ms(m.CreatedAt)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("queue message: %w", err)
	}
	return id, nil
}

// Enqueue queues a message in the outbox. In a transaction m.ID is set by
// the time it commits.
func (s *Store) Enqueue(ctx context.Context, m *twostep.OutboxMessage) error {
	err := s.later(ctx, qEnqueue, []any{m.Channel, m.To, m.Subject, m.Body, m.HTML, m.UserID, ms(m.CreatedAt), ms(m.GiveUpAt), ms(m.EraseAt), ms(m.CreatedAt)}, &m.ID)
	if err != nil {
		return fmt.Errorf("queue message: %w", err)
	}
	s.notifyQueued()
	return nil
}

// ClaimOutbox leases up to limit due messages to owner until now+lease. On
// PostgreSQL rows locked by another instance are skipped; on SQLite the single
// writer serialises claims.
func (s *Store) ClaimOutbox(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]twostep.OutboxMessage, error) {
	q := claimOutboxSQL(s.kind)
	var out []twostep.OutboxMessage
	err := s.writeRows(ctx, s.w, q, []any{owner, ms(now.Add(lease)), ms(now), ms(now), ms(now), limit}, func(row scanner) error {
		var m twostep.OutboxMessage
		var created, giveUp, erase int64
		if err := row.Scan(&m.ID, &m.Channel, &m.To, &m.Subject, &m.Body, &m.HTML, &m.UserID, &m.Attempts, &created, &giveUp, &erase); err != nil {
			return err
		}
		m.CreatedAt, m.GiveUpAt, m.EraseAt = fromMS(created), fromMS(giveUp), fromMS(erase)
		out = append(out, m)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim outbox: %w", err)
	}
	slices.SortFunc(out, func(a, b twostep.OutboxMessage) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// MarkSent records that the provider accepted the message and erases its text.
// It reports false when owner no longer holds the lease.
func (s *Store) MarkSent(ctx context.Context, id int64, owner string, at time.Time) (bool, error) {
	res, err := s.exec(ctx, qMarkSent, ms(at), ms(at), id, owner)
	if err != nil {
		return false, fmt.Errorf("mark sent: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// MarkRetry records a failed attempt and when to try again.
func (s *Store) MarkRetry(ctx context.Context, id int64, owner string, next time.Time, reason string) error {
	_, err := s.exec(ctx, qMarkRetry, ms(next), reason, id, owner)
	if err != nil {
		return fmt.Errorf("mark retry: %w", err)
	}
	return nil
}

// MarkFailed gives up on a message at at and erases its text.
func (s *Store) MarkFailed(ctx context.Context, id int64, owner string, at time.Time, reason string) error {
	_, err := s.exec(ctx, qMarkFailed, ms(at), reason, id, owner)
	if err != nil {
		return fmt.Errorf("mark failed: %w", err)
	}
	return nil
}

// OutboxDue reports whether a message is due to be sent, given up or erased
// at now, and whether any message is pending (or any text kept) at all. It
// only reads, so the dispatcher's idle polls write nothing.
func (s *Store) OutboxDue(ctx context.Context, now time.Time) (due, pending bool, err error) {
	t := ms(now)
	if err := s.queryRow(ctx, qOutboxDue, t, t, t, t, t, t, int64(math.MaxInt64)).Scan(&due, &pending); err != nil {
		return false, false, fmt.Errorf("outbox due: %w", err)
	}
	return due, pending, nil
}

// ExpireOutbox gives up on pending messages past their give-up time and erases
// the text of every message past its erase time. It returns how many it gave up.
func (s *Store) ExpireOutbox(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.exec(ctx, qExpireOutbox, ms(now), ms(now), ms(now))
	if err != nil {
		return 0, fmt.Errorf("expire outbox: %w", err)
	}
	n, _ := res.RowsAffected()
	if _, err := s.exec(ctx, qEraseOutbox, ms(now), ms(now)); err != nil {
		return n, fmt.Errorf("erase outbox: %w", err)
	}
	return n, nil
}

// ReleaseLeases hands back the leases of owner (graceful shutdown).
func (s *Store) ReleaseLeases(ctx context.Context, owner string) error {
	_, err := s.exec(ctx, qReleaseLeases, owner)
	if err != nil {
		return fmt.Errorf("release leases: %w", err)
	}
	return nil
}

// OutboxCounts returns the number of messages per status (for metrics and tests).
func (s *Store) OutboxCounts(ctx context.Context) (map[string]int, error) {
	rows, err := s.query(ctx, "SELECT status, COUNT(*) FROM outbox GROUP BY status")
	if err != nil {
		return nil, fmt.Errorf("count outbox: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[st] = n
	}
	return out, rows.Err()
}

// DevMessage is a message kept by the dev outbox.
type DevMessage struct {
	At      time.Time
	Channel string
	To      string
	Subject string
	Body    string
}

// KeepDevMessage stores a message for /dev/outbox.
func (s *Store) KeepDevMessage(ctx context.Context, m DevMessage) error {
	_, err := s.exec(ctx, qKeepDevMessage,
		ms(m.At), m.Channel, m.To, m.Subject, m.Body)
	if err != nil {
		return fmt.Errorf("keep dev message: %w", err)
	}
	return nil
}

// DevMessages returns kept messages, newest first.
func (s *Store) DevMessages(ctx context.Context, limit int) ([]DevMessage, error) {
	rows, err := s.query(ctx, "SELECT at, channel, recipient, subject, body FROM dev_messages ORDER BY id DESC LIMIT ?", limit)
	if err != nil {
		return nil, fmt.Errorf("list dev messages: %w", err)
	}
	defer rows.Close()
	var out []DevMessage
	for rows.Next() {
		var m DevMessage
		var at int64
		if err := rows.Scan(&at, &m.Channel, &m.To, &m.Subject, &m.Body); err != nil {
			return nil, err
		}
		m.At = fromMS(at)
		out = append(out, m)
	}
	return out, rows.Err()
}

// OutboxText returns the stored text of a message (empty once it was delivered,
// given up or past its erase time), for operators and tests checking erasure.
func (s *Store) OutboxText(ctx context.Context, id int64) (body, html string, err error) {
	err = s.queryRow(ctx, "SELECT body, body_html FROM outbox WHERE id = ?", id).Scan(&body, &html)
	return body, html, notFound(err)
}
