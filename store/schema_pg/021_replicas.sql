-- Several services on one database. A claimed delivery names its claimer (a number each
-- process holds an advisory lock on while it lives), so a claim whose process died goes back to
-- the queue; and a delivery becoming due wakes the lanes of every process (LISTEN hib2b_outbox).
ALTER TABLE outbox ADD COLUMN owner BIGINT;

CREATE FUNCTION outbox_wake() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('hib2b_outbox', NEW.lane);
    RETURN NULL;
END $$;
CREATE TRIGGER outbox_wake AFTER INSERT OR UPDATE OF status ON outbox
    FOR EACH ROW WHEN (NEW.status = 'pending') EXECUTE FUNCTION outbox_wake();
