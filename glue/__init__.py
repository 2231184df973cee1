"""Cross-cutting glue shared by the services. Holds no domain logic."""
