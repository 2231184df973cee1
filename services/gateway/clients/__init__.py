"""The gateway's clients of the other services (gRPC, each failure turned into an HTTP problem)
and of the live progress on NATS."""
