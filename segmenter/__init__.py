"""A small learned foreground segmenter for the procedural world (issue 11's background actions)."""
