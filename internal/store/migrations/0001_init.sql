-- Provider Portal schema. Written once for SQLite and PostgreSQL:
-- times are unix milliseconds (BIGINT), flags are BOOLEAN, $ID$ is the
-- dialect's auto-increment primary key.

CREATE TABLE centers (
    id                 $ID$,
    name               TEXT    NOT NULL,
    name_key           TEXT    NOT NULL UNIQUE,
    two_step_available BOOLEAN NOT NULL DEFAULT FALSE,
    two_step_required  BOOLEAN NOT NULL DEFAULT FALSE,
    allowed_methods    TEXT    NOT NULL DEFAULT '',
    grace_logins       INTEGER NOT NULL DEFAULT -1,
    created_at         BIGINT  NOT NULL
);

CREATE TABLE users (
    id                   $ID$,
    center_id            BIGINT REFERENCES centers(id),
    username             TEXT    NOT NULL,
    username_key         TEXT    NOT NULL UNIQUE,
    email                TEXT    NOT NULL,
    role                 TEXT    NOT NULL CHECK (role IN ('provider', 'admin', 'staff')),
    password_hash        TEXT    NOT NULL,
    two_step_on          BOOLEAN NOT NULL DEFAULT FALSE,
    grace_logins_used    INTEGER NOT NULL DEFAULT 0,
    second_step_failures INTEGER NOT NULL DEFAULT 0,
    locked_until         BIGINT  NOT NULL DEFAULT 0,
    created_at           BIGINT  NOT NULL
);
CREATE INDEX users_center ON users (center_id, username_key);

CREATE TABLE sessions (
    id_hash      TEXT    PRIMARY KEY,
    user_id      BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    state        TEXT    NOT NULL,
    selected     TEXT    NOT NULL DEFAULT '',
    created_at   BIGINT  NOT NULL,
    last_seen_at BIGINT  NOT NULL,
    auth_at      BIGINT  NOT NULL,
    ip           TEXT    NOT NULL,
    user_agent   TEXT    NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_last_seen ON sessions (last_seen_at);

-- A verified method, or one being added (verified_at NULL). At most one per type (R3).
CREATE TABLE methods (
    user_id     BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    type        TEXT   NOT NULL CHECK (type IN ('totp', 'phone', 'email')),
    label       TEXT   NOT NULL,
    secret      TEXT   NOT NULL DEFAULT '',
    verified_at BIGINT,
    last_step   BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (user_id, type)
);

-- The current emailed/SMS code of a user for a purpose and channel. A resend
-- replaces the row; created_at doubles as the resend cooldown's start.
CREATE TABLE codes (
    user_id       BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose       TEXT    NOT NULL CHECK (purpose IN ('setup', 'login')),
    channel       TEXT    NOT NULL CHECK (channel IN ('phone', 'email')),
    destination   TEXT    NOT NULL,
    code_hash     TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    expires_at    BIGINT  NOT NULL,
    attempts_left INTEGER NOT NULL,
    consumed_at   BIGINT,
    outbox_id     BIGINT,
    PRIMARY KEY (user_id, purpose, channel)
);

CREATE TABLE recovery_codes (
    user_id   BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT   NOT NULL,
    used_at   BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

-- Fixed-window counters for password attempts (per account, per client address).
CREATE TABLE throttle (
    key          TEXT    PRIMARY KEY,
    window_start BIGINT  NOT NULL,
    hits         INTEGER NOT NULL
);

CREATE TABLE audit_events (
    id         $ID$,
    at         BIGINT NOT NULL,
    center_id  BIGINT NOT NULL DEFAULT 0,
    actor      TEXT   NOT NULL,
    action     TEXT   NOT NULL,
    target     TEXT   NOT NULL,
    ip         TEXT   NOT NULL,
    user_agent TEXT   NOT NULL,
    detail     TEXT   NOT NULL DEFAULT ''
);
CREATE INDEX audit_center ON audit_events (center_id, id);

-- Durable outbox (B9): written in the same transaction as the code it carries.
CREATE TABLE outbox (
    id              $ID$,
    channel         TEXT    NOT NULL CHECK (channel IN ('email', 'sms')),
    recipient       TEXT    NOT NULL,
    subject         TEXT    NOT NULL DEFAULT '',
    body            TEXT    NOT NULL,
    body_html       TEXT    NOT NULL DEFAULT '',
    user_id         BIGINT  NOT NULL DEFAULT 0,
    status          TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT  NOT NULL,
    lease_owner     TEXT    NOT NULL DEFAULT '',
    lease_until     BIGINT  NOT NULL DEFAULT 0,
    give_up_at      BIGINT  NOT NULL,
    erase_at        BIGINT  NOT NULL,
    created_at      BIGINT  NOT NULL,
    sent_at         BIGINT,
    last_error      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);

-- Messages kept by the dev outbox (no SMTP/SMS configured).
CREATE TABLE dev_messages (
    id        $ID$,
    at        BIGINT NOT NULL,
    channel   TEXT   NOT NULL,
    recipient TEXT   NOT NULL,
    subject   TEXT   NOT NULL DEFAULT '',
    body      TEXT   NOT NULL
);
