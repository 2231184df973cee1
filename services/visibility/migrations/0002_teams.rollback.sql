UPDATE images SET visibility = 'private', team_id = NULL, version = version + 1 WHERE team_id IS NOT NULL;
DROP INDEX images_in_team;
ALTER TABLE images DROP CONSTRAINT images_team_scope;
ALTER TABLE images DROP CONSTRAINT images_visibility_check;
ALTER TABLE images ADD CONSTRAINT images_visibility_check CHECK (visibility IN ('public', 'private'));
ALTER TABLE images DROP COLUMN team_id;
DROP TABLE team_invites;
DROP TABLE team_members;
DROP TABLE teams;
