DROP INDEX custom_models_team_newest;
ALTER TABLE custom_models DROP COLUMN team_id;
