-- Round 2, issue 12: people look after themselves (B21, B22, B23, B25).

-- The page language a person last used: their emails and text messages are
-- written in it ('' while unknown: English).
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT '';

-- "Forgot password?" accepts a username or an email address.
CREATE INDEX users_email ON users (lower(email));

-- How many days a browser may skip the second step once trusted (0 to 90).
ALTER TABLE centers ADD COLUMN trusted_browser_days INTEGER NOT NULL DEFAULT 30;

-- A password-reset session remembers the hash of the link it came from
-- ('' for sign-in sessions).
ALTER TABLE sessions ADD COLUMN reset_hash TEXT NOT NULL DEFAULT '';

-- Requests for a reset link, handled in the background so that the answer
-- takes the same time whether or not the account exists. Handling deletes them.
CREATE TABLE reset_requests (
    id         $ID$,
    login      TEXT   NOT NULL,
    language   TEXT   NOT NULL,
    ip         TEXT   NOT NULL,
    user_agent TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);

-- The live reset link of a user: one per user, a newer one replaces it.
-- Only the SHA-256 hash of the token is kept; used_at makes it single use.
CREATE TABLE password_resets (
    user_id    BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT   NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX password_resets_expires ON password_resets (expires_at);

-- Pending invitations. A username belongs to a user or to a pending
-- invitation, never both: writes to either take the 'usernames' lock below.
CREATE TABLE invitations (
    id           $ID$,
    center_id    BIGINT NOT NULL REFERENCES centers(id) ON DELETE CASCADE,
    username     TEXT   NOT NULL,
    username_key TEXT   NOT NULL UNIQUE,
    email        TEXT   NOT NULL,
    role         TEXT   NOT NULL CHECK (role IN ('provider', 'admin')),
    language     TEXT   NOT NULL DEFAULT '',
    token_hash   TEXT   NOT NULL UNIQUE,
    invited_by   TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX invitations_center ON invitations (center_id, username_key);
CREATE INDEX invitations_expires ON invitations (expires_at);

-- Browsers where a person chose "don't ask again" at the second step.
CREATE TABLE trusted_browsers (
    id           $ID$,
    user_id      BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash   TEXT   NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    ip           TEXT   NOT NULL,
    user_agent   TEXT   NOT NULL
);
CREATE INDEX trusted_browsers_user ON trusted_browsers (user_id, expires_at);
CREATE INDEX trusted_browsers_expires ON trusted_browsers (expires_at);

-- The row that user creation and invitations lock, so that checking the
-- other table and inserting is one serialised step on every database.
INSERT INTO meta (key, value) VALUES ('usernames', '');
