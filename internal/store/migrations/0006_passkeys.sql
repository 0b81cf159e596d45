-- Round 2, passkeys (B19): WebAuthn credentials, several per person, and the
-- single-use challenges of their ceremonies, shared by every instance.

-- A verified passkey. credential_id and public_key are the authenticator's own
-- bytes (base64url and base64); sign_count and the backup flags are checked at
-- every use. At most 10 per person (enforced when one is added).
CREATE TABLE passkeys (
    id              $ID$,
    user_id         BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    credential_id   TEXT    NOT NULL UNIQUE,
    public_key      TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    sign_count      BIGINT  NOT NULL DEFAULT 0,
    backup_eligible BOOLEAN NOT NULL,
    backup_state    BOOLEAN NOT NULL,
    aaguid          TEXT    NOT NULL DEFAULT '',
    transports      TEXT    NOT NULL DEFAULT '',
    attestation_fmt TEXT    NOT NULL DEFAULT '',
    created_at      BIGINT  NOT NULL,
    last_used_at    BIGINT
);
CREATE INDEX passkeys_user ON passkeys (user_id);

-- The open challenge of one ceremony: registration and the second step are bound
-- to the session (bound_to is its id hash), a sign-in with a passkey to a
-- short-lived browser cookie (its SHA-256). A new ceremony of the same session and
-- purpose replaces the old one; a challenge is used by one conditional DELETE and
-- expired ones are purged.
CREATE TABLE passkey_challenges (
    bound_to       TEXT   NOT NULL,
    purpose        TEXT   NOT NULL CHECK (purpose IN ('register', 'second_step', 'sign_in')),
    challenge_hash TEXT   NOT NULL,
    user_id        BIGINT NOT NULL DEFAULT 0,
    name           TEXT   NOT NULL DEFAULT '',
    expires_at     BIGINT NOT NULL,
    PRIMARY KEY (bound_to, purpose)
);
CREATE INDEX passkey_challenges_expiry ON passkey_challenges (expires_at);
