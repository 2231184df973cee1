DROP INDEX generations_delete_due;
ALTER TABLE generations DROP COLUMN delete_after;
