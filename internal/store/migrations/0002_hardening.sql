-- Round 2, hardening.

-- Facts about the database itself, such as the fingerprint of the key file it
-- was written with (B26).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- How the session's person signed in: RFC 8176 values separated by spaces
-- ("pwd", "pwd otp mfa", …), for apps (amr/acr claims).
ALTER TABLE sessions ADD COLUMN amr TEXT NOT NULL DEFAULT '';
