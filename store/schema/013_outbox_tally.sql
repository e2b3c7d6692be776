-- What `/healthz` reports of the delivery queue, kept instead of counted: deliveries waiting,
-- in flight and failed by lane (a backlog of tens of thousands after an outage made each
-- health check read them all), and the oldest waiting one through an index of only those.
CREATE TABLE outbox_tally (
    lane   TEXT    NOT NULL,
    status TEXT    NOT NULL,
    n      INTEGER NOT NULL,
    PRIMARY KEY (lane, status)
) WITHOUT ROWID;

INSERT INTO outbox_tally (lane, status, n)
SELECT lane, status, count(*) FROM outbox
WHERE status IN ('pending', 'sending', 'failed') GROUP BY lane, status;

CREATE TRIGGER outbox_tally_insert AFTER INSERT ON outbox
WHEN NEW.status IN ('pending', 'sending', 'failed')
BEGIN
    INSERT INTO outbox_tally (lane, status, n) VALUES (NEW.lane, NEW.status, 1)
    ON CONFLICT DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER outbox_tally_update AFTER UPDATE OF lane, status ON outbox
BEGIN
    UPDATE outbox_tally SET n = n - 1
    WHERE OLD.status IN ('pending', 'sending', 'failed')
      AND lane = OLD.lane AND status = OLD.status;
    INSERT INTO outbox_tally (lane, status, n)
    SELECT NEW.lane, NEW.status, 1 WHERE NEW.status IN ('pending', 'sending', 'failed')
    ON CONFLICT DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER outbox_tally_delete AFTER DELETE ON outbox
WHEN OLD.status IN ('pending', 'sending', 'failed')
BEGIN
    UPDATE outbox_tally SET n = n - 1 WHERE lane = OLD.lane AND status = OLD.status;
END;

CREATE INDEX outbox_waiting ON outbox(created_at) WHERE status IN ('pending', 'sending');
