-- What this service decides at submit, recorded with the generation.
-- The owner sent the seed: a retry keeps it (earlier generations: unknown, a retry draws anew).
ALTER TABLE generations ADD COLUMN seed_chosen BOOLEAN NOT NULL DEFAULT false;
-- The owner asked for the visibility (not a retry's copy): the latest such generation is the
-- choice a submission that asks nothing follows. Earlier generations count as chosen, so the
-- newest one's visibility stands in for the choice the gateway used to remember: a user whose
-- latest generation was private keeps private as the default (nothing is published by the move).
ALTER TABLE generations ADD COLUMN visibility_chosen BOOLEAN NOT NULL DEFAULT true;
ALTER TABLE generations ALTER COLUMN visibility_chosen SET DEFAULT false;
CREATE INDEX generations_owner_last_choice ON generations (owner_id, created_at DESC, id DESC)
    WHERE visibility_chosen;
