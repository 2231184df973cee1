-- PlanChanged is versioned per account (+1 per announcement), so a consumer that keeps state from
-- it (the visibility authority: team lapses) can tell a stale or repeated event from a new one.
ALTER TABLE accounts ADD COLUMN announced_version BIGINT NOT NULL DEFAULT 0 CHECK (announced_version >= 0);
