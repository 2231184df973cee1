-- API keys carry scopes (what a key may do) and sessions an id of their own, so that a user can list
-- their sessions and end one without the token hash ever leaving the database.
-- Keys made before scopes existed could do everything; they keep that.
ALTER TABLE api_keys ADD COLUMN scopes TEXT[] NOT NULL DEFAULT ARRAY['read', 'generate', 'manage']
    CHECK (cardinality(scopes) > 0 AND scopes <@ ARRAY['read', 'generate', 'manage']);

ALTER TABLE sessions ADD COLUMN id UUID NOT NULL DEFAULT gen_random_uuid() UNIQUE;
-- Refreshed at most once a minute (as api_keys.last_used_at), so that browsing does not write on every call.
ALTER TABLE sessions ADD COLUMN last_used_at TIMESTAMPTZ;
-- The browser that started the session, as it named itself, so that a user can tell sessions apart.
ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
