"""A small learned 2x super-resolution model for the procedural world (issue 11's upscale action)."""
