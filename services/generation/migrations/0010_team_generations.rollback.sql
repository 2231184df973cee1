UPDATE generations SET visibility = 'private' WHERE visibility = 'team';
ALTER TABLE generations DROP CONSTRAINT generations_visibility_check;
ALTER TABLE generations ADD CONSTRAINT generations_visibility_check CHECK (visibility IN ('public', 'private'));
