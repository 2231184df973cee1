-- The generation service decides a generation and records what it decided: whether the seed was
-- chosen (a retry keeps it) and the visibility chosen (the default of the next submission). The
-- gateway's copies go. Its last choices carry over there: a user's newest generation counts as
-- their choice (generation migration 0004_decided_at_submit).
DROP TABLE fixed_seeds;
ALTER TABLE users DROP COLUMN last_visibility;
