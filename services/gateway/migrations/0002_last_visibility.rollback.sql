ALTER TABLE users DROP COLUMN last_visibility;
