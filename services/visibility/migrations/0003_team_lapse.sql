-- A team lapses when none of its owners holds a Team plan any more (billing's PlanChanged): its
-- images turn private to their owners in the transaction that sets lapsed_at, and no image can
-- join its scope until an owner holds the plan again.
ALTER TABLE teams ADD COLUMN lapsed_at TIMESTAMPTZ;

-- Whether each user holds a Team plan, as the newest PlanChanged (versioned per account) said;
-- a team creator is recorded at creation from billing's answer (version 0: any event overrides).
CREATE TABLE team_plan_holders (
    user_id TEXT PRIMARY KEY,
    version BIGINT NOT NULL CHECK (version >= 0),
    holds   BOOLEAN NOT NULL
);
