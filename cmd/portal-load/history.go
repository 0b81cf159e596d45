package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx"
	_ "modernc.org/sqlite"             // "sqlite"

	"github.com/providerportal/portal/internal/config"
)

// fillHistory writes the history years of use leave behind straight into a
// portal database (stopped, migrated): delivered messages (sent within the
// outbox retention, text erased) and audit events (within the audit
// retention), so that nothing of it is due for purging. Each batch is one
// INSERT … SELECT over a recursive counter, which both databases run.
func fillHistory(ctx context.Context, database string, outbox, audit int, out io.Writer) error {
	kind, dsn, err := config.SplitDatabase(database)
	if err != nil {
		return err
	}
	driver := "pgx"
	if kind == "sqlite" {
		driver, dsn = "sqlite", "file:"+dsn+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	now := time.Now().UnixMilli()
	const batch = 50000
	// Row i is i steps older than the newest; the steps spread the rows over
	// 6 days (outbox, retention 7) and 300 days (audit, retention 400).
	outboxStep, auditStep := 6*86_400_000/max(outbox, 1), 300*86_400_000/max(audit, 1)
	outboxSQL := `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?),
		t(i, at) AS (SELECT i, CAST(? AS BIGINT) - i * CAST(? AS BIGINT) FROM n)
		INSERT INTO outbox (channel, recipient, subject, body, body_html, user_id, status, attempts, next_attempt_at,
			lease_owner, lease_until, give_up_at, erase_at, created_at, sent_at, done_at, last_error)
		SELECT 'email', 'user' || (i % 40000) || '@history.example.org', 'Provider Portal: a new method was added', '', '',
			i % 40000, 'sent', 1, at, '', 0, at + 86400000, at + 86400000, at, at + 900, at + 900, ''
		FROM t`
	auditSQL := `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
		INSERT INTO audit_events (at, center_id, actor, action, target, ip, user_agent, detail)
		SELECT CAST(? AS BIGINT) - i * CAST(? AS BIGINT), 1 + i % 50, 'user' || (i % 40000), 'login_ok', 'user' || (i % 40000),
			'198.51.100.' || (i % 250),
			'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36', 'signed_in'
		FROM n`
	if kind == "postgres" {
		outboxSQL, auditSQL = numbered(outboxSQL), numbered(auditSQL)
	}
	for _, job := range []struct {
		name  string
		total int
		sql   string
		args  func(done, n int) []any
	}{
		{"outbox messages", outbox, outboxSQL, func(done, n int) []any {
			return []any{n, now - int64(done*outboxStep), outboxStep}
		}},
		{"audit events", audit, auditSQL, func(done, n int) []any {
			return []any{n, now - int64(done*auditStep), auditStep}
		}},
	} {
		start := time.Now()
		for done := 0; done < job.total; {
			n := min(batch, job.total-done)
			if _, err := db.ExecContext(ctx, job.sql, job.args(done, n)...); err != nil {
				return fmt.Errorf("%s: %w", job.name, err)
			}
			done += n
		}
		if job.total > 0 {
			fmt.Fprintf(out, "wrote %d %s in %s\n", job.total, job.name, time.Since(start).Round(time.Millisecond))
		}
	}
	if kind == "postgres" {
		_, err = db.ExecContext(ctx, "ANALYZE outbox; ANALYZE audit_events")
	}
	return err
}

// numbered turns ? placeholders into PostgreSQL's $1, $2…
func numbered(q string) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
