-- Who claimed a delivery being sent: used by PostgreSQL's replicas (store/schema_pg/021); one
-- SQLite process needs no name, and leaves it empty.
ALTER TABLE outbox ADD COLUMN owner INTEGER;
