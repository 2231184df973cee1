-- The studio's advanced options a user left last time (negative prompt, seed lock, magic prompt,
-- palette, aspect ratio, number of images), one JSON document per account, validated by the API
-- before it is written. Kept here rather than in the browser: it may hold a private image's
-- negative prompt, seed or palette, which must not outlive the session on a shared device.
CREATE TABLE studio_options (
    user_id     UUID PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    options     JSONB NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
