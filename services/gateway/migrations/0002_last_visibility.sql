-- The visibility a user last chose for a generation; a generation submitted without one gets it
-- (plans with private generation). NULL: never chose.
ALTER TABLE users ADD COLUMN last_visibility TEXT CHECK (last_visibility IN ('public', 'private'));
