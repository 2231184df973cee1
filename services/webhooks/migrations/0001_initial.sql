-- Endpoints API users registered, and the deliveries to them: the deliveries table is the outbox
-- (a row is written in the transaction that handles the platform's event, and the sender sends
-- it), and with the attempts it is the log its owner reads.
CREATE TABLE endpoints (
    endpoint_id    UUID PRIMARY KEY,
    owner_id       TEXT NOT NULL,
    url            TEXT NOT NULL,
    events         TEXT[] NOT NULL,
    -- The HMAC key of every delivery's signature; shown to the owner once, at registration.
    signing_secret TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX endpoints_owner ON endpoints (owner_id, created_at DESC);

CREATE TABLE deliveries (
    delivery_id     UUID PRIMARY KEY,
    endpoint_id     UUID NOT NULL REFERENCES endpoints ON DELETE CASCADE,
    -- The platform event's id, the same in the body: one delivery per event and endpoint, so a
    -- redelivered event adds nothing.
    event_id        UUID NOT NULL,
    event_type      TEXT NOT NULL,
    body            BYTEA NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- When a pending delivery is due; while an attempt is in flight, when its lease ends (a sender
    -- that died mid-attempt leaves it to be taken again then).
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at     TIMESTAMPTZ,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_log ON deliveries (endpoint_id, created_at DESC);
CREATE INDEX deliveries_finished ON deliveries (finished_at) WHERE finished_at IS NOT NULL;

CREATE TABLE delivery_attempts (
    delivery_id     UUID NOT NULL REFERENCES deliveries ON DELETE CASCADE,
    attempt         INTEGER NOT NULL CHECK (attempt >= 1),
    attempted_at    TIMESTAMPTZ NOT NULL,
    -- NULL when no response came.
    response_status INTEGER,
    error           TEXT NOT NULL DEFAULT '',
    duration_ms     INTEGER NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);
