ALTER TABLE accounts DROP COLUMN announced_version;
