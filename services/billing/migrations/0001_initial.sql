-- accounts, their subscription history, the append-only credit ledger, provider webhook
-- deliveries, and the outbox of PlanChanged events

-- One row per user: what they subscribed to. What is in force now (a lapse) is computed from
-- this row and the clock (services/billing/subscriptions.py). Every credit operation of a user
-- locks this row (SELECT ... FOR UPDATE), so concurrent reservations never overdraw.
CREATE TABLE accounts (
    user_id                  TEXT PRIMARY KEY,
    plan                     TEXT NOT NULL,
    period_start             TIMESTAMPTZ NOT NULL,
    -- NULL: runs until changed.
    current_period_end       TIMESTAMPTZ,
    -- The last paid plan the account was on (LAPSED when on free and this is set).
    last_paid_plan           TEXT,
    provider_subscription_id TEXT,
    -- `created` of the last provider event applied: older deliveries are not applied again.
    provider_event_created   BIGINT,
    -- The plan and status of the last PlanChanged published for this account.
    announced_plan           TEXT NOT NULL,
    announced_status         TEXT NOT NULL,
    created_at               TIMESTAMPTZ NOT NULL,
    updated_at               TIMESTAMPTZ NOT NULL
);
-- Paid periods that end: the sweeper finds lapses nobody has announced yet.
CREATE INDEX accounts_paid_period_end ON accounts (current_period_end)
    WHERE plan <> 'free' AND current_period_end IS NOT NULL;
CREATE INDEX accounts_provider_subscription ON accounts (provider_subscription_id)
    WHERE provider_subscription_id IS NOT NULL;

-- Every subscription the account had, with who put it there (audit trail). Append-only.
CREATE TABLE subscriptions (
    id                       BIGSERIAL PRIMARY KEY,
    user_id                  TEXT NOT NULL REFERENCES accounts (user_id),
    plan                     TEXT NOT NULL,
    period_start             TIMESTAMPTZ NOT NULL,
    current_period_end       TIMESTAMPTZ,
    actor                    TEXT NOT NULL,
    provider_subscription_id TEXT,
    created_at               TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX subscriptions_of_user ON subscriptions (user_id, id);

-- The credit ledger: rows are only ever inserted; the balance is the sum of amounts.
CREATE TABLE ledger (
    id            BIGSERIAL PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES accounts (user_id),
    kind          TEXT NOT NULL CHECK (kind IN ('grant', 'reserve', 'commit', 'refund', 'release', 'expire')),
    amount        BIGINT NOT NULL,
    generation_id TEXT,
    -- Grants only: the period granted ('month:free:2026-11', 'period:plus:1767225600').
    grant_key     TEXT,
    note          TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((kind = 'grant') = (grant_key IS NOT NULL)),
    CHECK ((kind = 'grant') = (generation_id IS NULL)),
    CHECK (kind NOT IN ('reserve') OR amount < 0),
    CHECK (kind NOT IN ('grant', 'refund', 'release', 'expire') OR amount >= 0),
    CHECK (kind <> 'commit' OR amount <= 0)
);
CREATE INDEX ledger_of_user ON ledger (user_id);
CREATE INDEX ledger_of_generation ON ledger (generation_id) WHERE generation_id IS NOT NULL;
-- The idempotency of the ledger, enforced by the database as well as by the code:
CREATE UNIQUE INDEX ledger_one_reservation ON ledger (generation_id) WHERE kind = 'reserve';
CREATE UNIQUE INDEX ledger_one_outcome ON ledger (generation_id) WHERE kind IN ('commit', 'refund', 'release');
CREATE UNIQUE INDEX ledger_one_expiry ON ledger (generation_id) WHERE kind = 'expire';
CREATE UNIQUE INDEX ledger_one_grant_per_period ON ledger (user_id, grant_key) WHERE kind = 'grant';

CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON ledger
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER subscriptions_append_only BEFORE UPDATE OR DELETE ON subscriptions
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- Reservations that still hold credits: an index of the ledger kept in the same transactions
-- (row added with the reserve, removed with its outcome or expiry), so the expiry sweep reads
-- only what is open instead of the whole history. The ledger stays the truth.
CREATE TABLE open_reservations (
    generation_id TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES accounts (user_id),
    reserved_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX open_reservations_oldest ON open_reservations (reserved_at);

-- Provider webhook deliveries already processed (replays are answered processed=false).
CREATE TABLE provider_events (
    event_id    TEXT PRIMARY KEY,
    event_type  TEXT NOT NULL,
    created     BIGINT NOT NULL,
    outcome     TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE outbox (
    id           BIGSERIAL PRIMARY KEY,
    event_id     UUID NOT NULL UNIQUE,
    subject      TEXT NOT NULL,
    envelope     BYTEA NOT NULL,
    headers      JSONB NOT NULL DEFAULT '{}',
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    published_at TIMESTAMPTZ
);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
