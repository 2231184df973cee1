-- Generations whose seed the user chose (rather than a random one): a retry keeps that seed and
-- draws a new one otherwise. The generation service records the seed itself, not whether it was
-- chosen, and that is something only the request the gateway received knows.
CREATE TABLE fixed_seeds (
    generation_id UUID PRIMARY KEY,
    user_id       UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
