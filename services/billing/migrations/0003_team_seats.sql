-- Seats of the Team plan: each team's owners and member count, from the visibility service's
-- TeamMembershipChanged (versioned per team: an older or repeated event never overwrites a newer one).
CREATE TABLE team_seats (
    team_id   UUID PRIMARY KEY,
    version   BIGINT NOT NULL CHECK (version >= 1),
    owner_ids TEXT[] NOT NULL,
    seats     INTEGER NOT NULL CHECK (seats >= 0)
);
CREATE INDEX team_seats_owners ON team_seats USING GIN (owner_ids);
