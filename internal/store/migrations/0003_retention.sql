-- Round 2, issue 15: every hot and periodic statement uses an index, and rows
-- that are no longer needed are purged in small batches (retention.go).

-- When a message was sent or given up: the outbox retention counts from it.
ALTER TABLE outbox ADD COLUMN done_at BIGINT;
UPDATE outbox SET done_at = COALESCE(sent_at, give_up_at) WHERE status <> 'pending';
CREATE INDEX outbox_done ON outbox (done_at);
-- The dispatcher's periodic erase looks only at messages whose text is still there.
CREATE INDEX outbox_erase ON outbox (erase_at) WHERE body <> '';

-- Retention: each purge finds its rows by the time it filters on.
CREATE INDEX audit_at ON audit_events (at);
CREATE INDEX sessions_created ON sessions (created_at);
CREATE INDEX codes_expires ON codes (expires_at);
CREATE INDEX throttle_window ON throttle (window_start);
CREATE INDEX dev_messages_at ON dev_messages (at);
