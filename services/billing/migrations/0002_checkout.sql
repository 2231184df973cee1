-- Buying plans: the payment provider's customer of each account (for its Customer Portal), whether
-- a subscription was cancelled to end with its period, and the stand-in provider's sessions.
ALTER TABLE accounts ADD COLUMN provider_customer_id TEXT;
ALTER TABLE accounts ADD COLUMN cancel_at_period_end BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE subscriptions ADD COLUMN cancel_at_period_end BOOLEAN NOT NULL DEFAULT false;

-- ATELIER_BILLING_PROVIDER=standin only (development and tests): the checkout and portal pages it
-- plays Stripe's part on. A session completes once (status moves from open to completed under
-- UPDATE ... WHERE status = 'open').
CREATE TABLE standin_sessions (
    session_id   TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES accounts (user_id),
    kind         TEXT NOT NULL CHECK (kind IN ('checkout', 'portal')),
    -- checkout: the plan bought; portal: the plan subscribed to when it opened.
    plan         TEXT NOT NULL,
    return_url   TEXT NOT NULL,
    cancel_url   TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'completed')),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    completed_at TIMESTAMPTZ
);
CREATE INDEX standin_sessions_of_user ON standin_sessions (user_id, created_at);
CREATE INDEX ledger_grants_of_user ON ledger (user_id, created_at) WHERE kind = 'grant';
