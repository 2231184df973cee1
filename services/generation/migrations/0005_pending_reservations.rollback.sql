DROP TABLE IF EXISTS pending_reservations;
