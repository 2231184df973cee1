-- Rate limits shared by every gateway replica: one row per token bucket (tokens left as of
-- updated_at; refill is computed from the elapsed time at each check) and one row per login
-- throttle key (a username or a client address: consecutive failures, locked until when).
CREATE TABLE rate_buckets (
    key text PRIMARY KEY,
    tokens double precision NOT NULL,
    updated_at timestamptz NOT NULL,
    last_allowed boolean NOT NULL
);

CREATE TABLE login_failures (
    key text PRIMARY KEY,
    failures integer NOT NULL,
    locked_until timestamptz,
    updated_at timestamptz NOT NULL
);
