"""The visibility service: the single authority on who may see an image."""
