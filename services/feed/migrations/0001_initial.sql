-- The feed's read model of images (the projection, rebuilt from the event streams) and its own
-- data: likes, pins, reports and moderation decisions (never rebuilt: no event carries them).

-- One row per image ever heard of. Columns up to `known` come from events through the merge rule
-- of services/feed/projection.py; hidden_by_reports and like_count are the feed's own.
CREATE TABLE images (
    image_id          UUID PRIMARY KEY,
    owner_id          TEXT NOT NULL DEFAULT '',
    prompt            TEXT NOT NULL DEFAULT '',
    width             INT NOT NULL DEFAULT 0,
    height            INT NOT NULL DEFAULT 0,
    created_at        TIMESTAMPTZ,
    visibility        TEXT NOT NULL DEFAULT 'private' CHECK (visibility IN ('public', 'private')),
    version           BIGINT NOT NULL DEFAULT 0,
    deleted           BOOLEAN NOT NULL DEFAULT false,
    known             BOOLEAN NOT NULL DEFAULT false,
    hidden_by_reports BOOLEAN NOT NULL DEFAULT false,
    like_count        BIGINT NOT NULL DEFAULT 0,
    -- Prompt search: Postgres full-text with English stemming ("circles" finds "circle").
    prompt_tsv        TSVECTOR GENERATED ALWAYS AS (to_tsvector('english', prompt)) STORED,
    listed            BOOLEAN GENERATED ALWAYS AS (
        known AND visibility = 'public' AND NOT deleted AND NOT hidden_by_reports
    ) STORED
);
-- Partial indexes over listed images only: private, deleted and hidden rows cost the feed nothing.
CREATE INDEX images_newest ON images (created_at DESC, image_id DESC) WHERE listed;
CREATE INDEX images_owner_newest ON images (owner_id, created_at DESC, image_id DESC) WHERE listed;
CREATE INDEX images_prompt_search ON images USING GIN (prompt_tsv) WHERE listed;

CREATE TABLE likes (
    image_id   UUID NOT NULL,
    user_id    TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (image_id, user_id)
);
-- Top over a window that is not precomputed, and the periodic recount.
CREATE INDEX likes_recent ON likes (created_at, image_id);
CREATE INDEX likes_by_user ON likes (user_id, image_id);

-- Top: likes per image over each precomputed window (ATELIER_TOP_WINDOWS_HOURS). Kept current
-- by Like/Unlike and recomputed from likes periodically (likes ageing out of a window), so a
-- page of top reads an index instead of aggregating every like in the window.
CREATE TABLE top_scores (
    window_hours INT NOT NULL,
    image_id     UUID NOT NULL,
    likes        BIGINT NOT NULL CHECK (likes > 0),
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (window_hours, image_id)
);
CREATE INDEX top_scores_rank ON top_scores (window_hours, likes DESC, created_at DESC, image_id DESC);

CREATE TABLE pins (
    owner_id  TEXT NOT NULL,
    image_id  UUID NOT NULL,
    pinned_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (owner_id, image_id)
);
CREATE INDEX pins_image ON pins (image_id);

CREATE TABLE reports (
    image_id    UUID NOT NULL,
    reporter_id TEXT NOT NULL,
    reason      TEXT NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 500),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Set when an operator resolves the image's reports; resolved reports no longer count.
    resolved_at TIMESTAMPTZ,
    PRIMARY KEY (image_id, reporter_id)
);
CREATE INDEX reports_open ON reports (image_id) WHERE resolved_at IS NULL;

-- The last operator decision per image.
CREATE TABLE moderation (
    image_id   UUID PRIMARY KEY,
    decision   TEXT NOT NULL CHECK (decision IN ('restored', 'kept_hidden')),
    actor      TEXT NOT NULL,
    decided_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
