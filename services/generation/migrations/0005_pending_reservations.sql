-- Credits reserved with billing for a generation that is not written yet. A row is committed
-- before ReserveCredits and removed in the transaction that writes the generation (or once the
-- credits are released): a row that stays means the process died in between, and the sweep in
-- services/generation/reservations.py gives the credits back.
CREATE TABLE pending_reservations (
    generation_id UUID PRIMARY KEY,
    owner_id      TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX pending_reservations_oldest ON pending_reservations (created_at);
