-- Teams and the `team` scope. Membership lives beside the images it opens, so Authorize reads an
-- image and the viewer's membership of its team in one statement: a removal committed before a
-- read starts is always seen (P2), with no event to wait for.
CREATE TABLE teams (
    team_id    UUID PRIMARY KEY,
    name       TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    -- Monotonic, +1 per membership change; TeamMembershipChanged carries it.
    version    BIGINT NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE team_members (
    team_id   UUID NOT NULL REFERENCES teams (team_id),
    user_id   TEXT NOT NULL,
    role      TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    joined_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_of_user ON team_members (user_id);

CREATE TABLE team_invites (
    team_id    UUID NOT NULL REFERENCES teams (team_id),
    user_id    TEXT NOT NULL,
    invited_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_invites_of_user ON team_invites (user_id);

ALTER TABLE images ADD COLUMN team_id UUID REFERENCES teams (team_id);
ALTER TABLE images DROP CONSTRAINT images_visibility_check;
ALTER TABLE images ADD CONSTRAINT images_visibility_check CHECK (visibility IN ('public', 'private', 'team'));
-- A team image names its team; no other image names one.
ALTER TABLE images ADD CONSTRAINT images_team_scope CHECK ((visibility = 'team') = (team_id IS NOT NULL));
-- Leaving a team turns the member's images in it private: found through this index.
CREATE INDEX images_in_team ON images (team_id, owner_id) WHERE team_id IS NOT NULL;
