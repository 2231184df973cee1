"""A small learned image-to-caption model for the procedural world (issue 11's describe action)."""
