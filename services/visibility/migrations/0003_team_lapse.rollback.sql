DROP TABLE team_plan_holders;
ALTER TABLE teams DROP COLUMN lapsed_at;
