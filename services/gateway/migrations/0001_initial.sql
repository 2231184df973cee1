-- accounts, web sessions and API keys
CREATE TABLE users (
    id              UUID PRIMARY KEY,
    -- Lower case, 3-32 characters of [a-z0-9_]; unique.
    username        TEXT NOT NULL UNIQUE,
    -- argon2id, in the PHC string format (parameters and salt inside).
    password_hash   TEXT NOT NULL,
    avatar_image_id UUID,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE sessions (
    -- SHA-256 of the random cookie value: a database leak does not hand out live sessions.
    token_hash  BYTEA PRIMARY KEY,
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

CREATE TABLE api_keys (
    id           UUID PRIMARY KEY,
    user_id      UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- SHA-256 of the key; the key itself is shown once, at creation, and never stored.
    key_hash     BYTEA NOT NULL UNIQUE,
    -- The first characters of the key, so that a user can tell their keys apart.
    key_prefix   TEXT NOT NULL,
    name         TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);
CREATE INDEX api_keys_by_user ON api_keys (user_id, created_at DESC);
