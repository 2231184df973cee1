-- The authority on who may see an image, and the outbox of the VisibilityChanged events it causes.
CREATE TABLE images (
    -- The primary key is the only index Authorize needs: one `image_id = ANY(...)` lookup per batch.
    image_id                      UUID PRIMARY KEY,
    owner_id                      TEXT NOT NULL,
    -- NULL only for a tombstone written by an ImageDeleted that overtook its registration.
    generation_id                 UUID,
    visibility                    TEXT NOT NULL CHECK (visibility IN ('public', 'private')),
    -- Monotonic per image, 1 at registration, +1 per real change; VisibilityChanged carries it.
    version                       BIGINT NOT NULL DEFAULT 1 CHECK (version >= 1),
    deleted                       BOOLEAN NOT NULL DEFAULT false,
    made_with_privacy_entitlement BOOLEAN NOT NULL DEFAULT false,
    updated_at                    TIMESTAMPTZ NOT NULL DEFAULT now()
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
