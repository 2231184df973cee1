DROP INDEX ledger_grants_of_user;
DROP TABLE standin_sessions;
ALTER TABLE subscriptions DROP COLUMN cancel_at_period_end;
ALTER TABLE accounts DROP COLUMN cancel_at_period_end;
ALTER TABLE accounts DROP COLUMN provider_customer_id;
