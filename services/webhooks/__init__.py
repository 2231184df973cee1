"""Completion webhooks: endpoints API users register, and delivery of their own events to them."""
