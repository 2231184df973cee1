-- An endpoint may be tied to one of its owner's API keys (NULL: the whole account). It then gets
-- the events of the generations submitted with that key only, and of their images.
ALTER TABLE endpoints ADD COLUMN api_key_id UUID;
CREATE INDEX endpoints_owner_key ON endpoints (owner_id, api_key_id) WHERE api_key_id IS NOT NULL;

-- Which key submitted each image's generation, learnt from ImagesReady, so that a later
-- VisibilityChanged (which names the image and its owner only) reaches that key's endpoints.
CREATE TABLE image_origins (
    image_id   UUID PRIMARY KEY,
    owner_id   TEXT NOT NULL,
    -- NULL: submitted from a web session (or before keys were recorded).
    api_key_id UUID,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
