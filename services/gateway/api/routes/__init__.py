"""HTTP routers, one per area of the public API."""
