-- A generation may be born in a team's scope (its team in params.team_id); the visibility
-- authority registers its images there only while the owner is a member of a team that has not lapsed.
ALTER TABLE generations DROP CONSTRAINT generations_visibility_check;
ALTER TABLE generations ADD CONSTRAINT generations_visibility_check
    CHECK (visibility IN ('public', 'private', 'team'));
