DROP INDEX IF EXISTS generations_source_image;
ALTER TABLE generations DROP COLUMN IF EXISTS source_image_id;
