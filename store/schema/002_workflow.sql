-- Technicians' workflow: assignment, first contact, waits, close and reopen; the team.

ALTER TABLE tickets ADD COLUMN assignee TEXT;            -- Slack user id
ALTER TABLE tickets ADD COLUMN ever_assigned INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN first_contact_at TEXT;
ALTER TABLE tickets ADD COLUMN waiting_since TEXT;
ALTER TABLE tickets ADD COLUMN closed_at TEXT;
ALTER TABLE tickets ADD COLUMN close_kind TEXT;          -- resuelto | spam | duplicado
ALTER TABLE tickets ADD COLUMN close_cause TEXT;
ALTER TABLE tickets ADD COLUMN close_summary TEXT;
ALTER TABLE tickets ADD COLUMN duplicate_of INTEGER;
ALTER TABLE tickets ADD COLUMN opened_by TEXT;           -- a technician, for tickets not from the form
ALTER TABLE tickets ADD COLUMN updated_at TEXT;

CREATE INDEX tickets_status ON tickets(status, assignee);

-- Members added from Slack or the CLI. Those named in HIB2B_LEADS / HIB2B_TECHNICIANS are
-- members whatever this table says.
CREATE TABLE team (
    user_id    TEXT PRIMARY KEY,
    role       TEXT NOT NULL,                             -- tecnico | lider
    name       TEXT NOT NULL DEFAULT '',
    added_by   TEXT NOT NULL,
    added_at   TEXT NOT NULL
);

-- Display names seen in Slack requests, so emails can name the technician.
CREATE TABLE people (
    user_id TEXT PRIMARY KEY,
    name    TEXT NOT NULL
);

-- Slack requests already applied (view submissions retried, the same click twice).
CREATE TABLE applied_requests (
    key TEXT PRIMARY KEY,
    at  TEXT NOT NULL
);
