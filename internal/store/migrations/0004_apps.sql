-- Round 2, B20: apps that sign people in through the portal (OpenID Connect
-- clients and forward-auth hosts), their sign-ins and tokens, and the keys
-- that sign ID tokens.

-- An app registered by an account manager. An OpenID Connect client has a
-- client_id (and, unless public, the SHA-256 of its secret); a forward-auth app
-- has rows in app_hosts. centers: center ids separated by commas, '' for all;
-- roles: roles separated by commas.
CREATE TABLE apps (
    id                 $ID$,
    name               TEXT    NOT NULL,
    name_key           TEXT    NOT NULL UNIQUE,
    client_id          TEXT    UNIQUE,
    secret_hash        TEXT    NOT NULL DEFAULT '',
    public             BOOLEAN NOT NULL DEFAULT FALSE,
    redirect_uris      TEXT    NOT NULL DEFAULT '',
    post_logout_uris   TEXT    NOT NULL DEFAULT '',
    centers            TEXT    NOT NULL DEFAULT '',
    roles              TEXT    NOT NULL,
    require_two_step   BOOLEAN NOT NULL DEFAULT TRUE,
    created_at         BIGINT  NOT NULL
);

-- Hosts protected by forward auth: each belongs to one app.
CREATE TABLE app_hosts (
    host   TEXT   PRIMARY KEY,
    app_id BIGINT NOT NULL REFERENCES apps(id) ON DELETE CASCADE
);
CREATE INDEX app_hosts_app ON app_hosts (app_id);

-- An authorization request between an app's /authorize and its code: the
-- request's parameters (JSON, the adapter's), then who signed in, then the code
-- (its SHA-256 only), redeemed at most once.
CREATE TABLE app_auth_requests (
    id              TEXT   PRIMARY KEY,
    app_id          BIGINT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    params          TEXT   NOT NULL,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    user_id         BIGINT REFERENCES users(id) ON DELETE CASCADE,
    auth_time       BIGINT NOT NULL DEFAULT 0,
    amr             TEXT   NOT NULL DEFAULT '',
    code_hash       TEXT   UNIQUE,
    code_expires_at BIGINT NOT NULL DEFAULT 0,
    redeemed_at     BIGINT NOT NULL DEFAULT 0,
    grant_id        TEXT   NOT NULL DEFAULT ''
);
CREATE INDEX app_auth_requests_expires ON app_auth_requests (expires_at);

-- A grant: what one code gave an app (the family of its tokens). Revoking it
-- ends every token of the family at once.
CREATE TABLE app_grants (
    id         TEXT    PRIMARY KEY,
    app_id     BIGINT  NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    user_id    BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    scopes     TEXT    NOT NULL,
    auth_time  BIGINT  NOT NULL,
    amr        TEXT    NOT NULL,
    created_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL,
    revoked_at BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX app_grants_user ON app_grants (user_id, app_id);
CREATE INDEX app_grants_app ON app_grants (app_id);
CREATE INDEX app_grants_expires ON app_grants (expires_at);

-- Access and refresh tokens by the SHA-256 of their secret part. A refresh
-- token is used once (used_at); using it again revokes its grant.
CREATE TABLE app_tokens (
    hash       TEXT   PRIMARY KEY,
    grant_id   TEXT   NOT NULL REFERENCES app_grants(id) ON DELETE CASCADE,
    kind       TEXT   NOT NULL CHECK (kind IN ('access', 'refresh')),
    expires_at BIGINT NOT NULL,
    used_at    BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX app_tokens_grant ON app_tokens (grant_id);
CREATE INDEX app_tokens_expires ON app_tokens (expires_at);

-- Keys that sign ID tokens: the private key sealed with the key file's
-- encryption key, the public key in the clear for the JWKS. One key is active
-- (retired_at 0); a retired key stays published until its tokens expired.
CREATE TABLE signing_keys (
    id          TEXT   PRIMARY KEY,
    algorithm   TEXT   NOT NULL,
    private_key TEXT   NOT NULL,
    public_key  TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    retired_at  BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (retired_at) WHERE retired_at = 0;
