-- A custom model shared with a team. Who may use it is decided at every read by the visibility
-- authority (the team's current members, while the owner is one and the team has not lapsed):
-- this column records only the owner's choice.
ALTER TABLE custom_models ADD COLUMN team_id UUID;
CREATE INDEX custom_models_team_newest ON custom_models (team_id, created_at DESC) WHERE team_id IS NOT NULL;
