-- A report counts with the weight of its reporter's standing when it was made (social.report_weight):
-- reports of accounts without an established history count less or nothing. Reports made before
-- weights existed keep counting fully, as they did.
ALTER TABLE reports ADD COLUMN weight REAL NOT NULL DEFAULT 1 CHECK (weight >= 0 AND weight <= 1);
-- A reporter's standing: the first image the feed knows of them.
CREATE INDEX images_owner_first ON images (owner_id, created_at) WHERE known;
