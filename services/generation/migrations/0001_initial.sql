-- generations, their images, and the outbox of events they cause
CREATE TABLE generations (
    id               UUID PRIMARY KEY,
    owner_id         TEXT NOT NULL,
    idempotency_key  TEXT,
    status           TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    params           JSONB NOT NULL,
    request_hash     TEXT NOT NULL,
    prompt           TEXT NOT NULL,
    effective_prompt TEXT NOT NULL,
    magic_prompt     TEXT NOT NULL DEFAULT '',
    seed             BIGINT NOT NULL,
    num_images       INT NOT NULL,
    width            INT NOT NULL,
    height           INT NOT NULL,
    visibility       TEXT NOT NULL CHECK (visibility IN ('public', 'private')),
    -- Random per generation: object keys live under it, so they cannot be guessed, and a
    -- redelivered generation overwrites its own objects instead of leaving orphans.
    storage_prefix   TEXT NOT NULL,
    progress_step    INT NOT NULL DEFAULT 0,
    progress_total   INT NOT NULL DEFAULT 0,
    attempts         INT NOT NULL DEFAULT 0,
    error            TEXT NOT NULL DEFAULT '',
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    started_at       TIMESTAMPTZ,
    completed_at     TIMESTAMPTZ,
    UNIQUE (owner_id, idempotency_key)
);
CREATE INDEX generations_owner_newest ON generations (owner_id, created_at DESC, id DESC);

CREATE TABLE images (
    id            UUID PRIMARY KEY,
    generation_id UUID NOT NULL REFERENCES generations (id) ON DELETE CASCADE,
    owner_id      TEXT NOT NULL,
    idx           INT NOT NULL,
    seed          BIGINT NOT NULL,
    width         INT NOT NULL,
    height        INT NOT NULL,
    native_width  INT NOT NULL,
    native_height INT NOT NULL,
    object_key    TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (generation_id, idx)
);

CREATE TABLE outbox (
    id           BIGSERIAL PRIMARY KEY,
    event_id     UUID NOT NULL UNIQUE,
    subject      TEXT NOT NULL,
    envelope     BYTEA NOT NULL,
    headers      JSONB NOT NULL DEFAULT '{}',
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    published_at TIMESTAMPTZ
);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
