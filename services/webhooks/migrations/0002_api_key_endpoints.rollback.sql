DROP TABLE image_origins;
DROP INDEX endpoints_owner_key;
ALTER TABLE endpoints DROP COLUMN api_key_id;
