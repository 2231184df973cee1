-- A describe job's answer: prompt suggestions for its source image, best first. Empty for every
-- other kind of job. Part of the job row, so only its owner ever sees it.
ALTER TABLE generations ADD COLUMN suggestions TEXT[] NOT NULL DEFAULT '{}';
