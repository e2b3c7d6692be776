-- Reports and exports read tickets by the day they arrived; the weekly report remembers each
-- period it queued, so a restart (or a service down at the scheduled hour) posts it once.
CREATE INDEX tickets_created ON tickets(created_at);

CREATE TABLE report_runs (
    period    TEXT PRIMARY KEY,     -- e.g. semana:2026-11-23
    queued_at TEXT NOT NULL
);
