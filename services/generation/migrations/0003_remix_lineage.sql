-- Remix lineage: the image a generation started from (an id in this service's images table when
-- accepted). No foreign key: deleting the source must not delete or rewrite the remix; whether a
-- viewer may see the lineage is decided at read time against the visibility authority.
ALTER TABLE generations ADD COLUMN source_image_id UUID;
CREATE INDEX generations_source_image ON generations (source_image_id) WHERE source_image_id IS NOT NULL;
-- Generations accepted before this column kept the id in params only.
UPDATE generations SET source_image_id = (params->>'source_image_id')::uuid
 WHERE params->>'source_image_id' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
