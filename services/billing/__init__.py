"""The billing service: plans, subscriptions, entitlements and the credit ledger."""
