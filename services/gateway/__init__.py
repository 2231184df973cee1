"""The web gateway: the public HTTP API and the web UI, the only thing users reach."""
