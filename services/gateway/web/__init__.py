"""The web UI: the page routes and `static/` (no build step)."""
