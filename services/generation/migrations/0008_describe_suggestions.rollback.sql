ALTER TABLE generations DROP COLUMN suggestions;
