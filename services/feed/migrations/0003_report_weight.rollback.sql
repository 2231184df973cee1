DROP INDEX images_owner_first;
ALTER TABLE reports DROP COLUMN weight;
