"""Rate limits of the gateway: token buckets shared by every replica (in Postgres), login lockout
with back-off, and the HTTP dependency that applies them per route class."""
