-- Private custom models (styles): the owner's only. Trained by a TRAIN_STYLE job (a generations
-- row of that kind, which carries its progress, credits and retries); the weights and uploaded
-- training images live under the model's own random storage prefix in the private bucket.
CREATE TABLE custom_models (
    id             UUID PRIMARY KEY,
    owner_id       TEXT NOT NULL,
    name           TEXT NOT NULL,
    job_id         UUID NOT NULL UNIQUE,
    storage_prefix TEXT NOT NULL,
    -- Set by the job that stored the weights; NULL while training (or when it failed).
    weights_key    TEXT,
    -- A deletion in progress: the model is gone for every reader the moment this is set.
    deleted_at     TIMESTAMPTZ,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX custom_models_owner_newest ON custom_models (owner_id, created_at DESC);

CREATE TABLE custom_model_images (
    model_id        UUID NOT NULL REFERENCES custom_models (id) ON DELETE CASCADE,
    idx             INT NOT NULL,
    -- An upload's own object (under the model's prefix), or a picked creation's (not ours to delete).
    object_key      TEXT NOT NULL,
    source_image_id UUID,
    content_type    TEXT NOT NULL,
    width           INT NOT NULL,
    height          INT NOT NULL,
    caption         TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (model_id, idx)
);
