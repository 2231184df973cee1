"""The event contracts between services: each domain declares here, once, the JetStream stream it
owns and the subjects on it, and every other service imports them from here. Declarations only:
no domain logic, no I/O, and no import of a service or of glue (.importlinter)."""
