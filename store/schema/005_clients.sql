-- Client companies, their support status and plan; how each ticket arrived; the portal's API.

CREATE TABLE clients (
    key         TEXT PRIMARY KEY,              -- the portal subdomain: acme for acme.portalhib2b.com
    name        TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'vigente', -- vigente | suspendido
    status_at   TEXT NOT NULL,
    status_by   TEXT NOT NULL,
    plan        TEXT,                          -- JSON overrides of the default plan; NULL: default
    created_at  TEXT NOT NULL
);

CREATE TABLE client_hosts (
    host    TEXT PRIMARY KEY,                  -- lower case, no port
    client  TEXT NOT NULL REFERENCES clients(key) ON DELETE CASCADE
);

ALTER TABLE tickets ADD COLUMN client TEXT REFERENCES clients(key);
ALTER TABLE tickets ADD COLUMN triage INTEGER NOT NULL DEFAULT 0;   -- client unknown
ALTER TABLE tickets ADD COLUMN sla_runs INTEGER NOT NULL DEFAULT 1; -- 0: support not current
CREATE INDEX tickets_client ON tickets(client, status);

CREATE TABLE api_keys (
    id          INTEGER PRIMARY KEY,
    client      TEXT NOT NULL REFERENCES clients(key),
    prefix      TEXT NOT NULL,                 -- shown in listings; the key itself is never stored
    hash        TEXT NOT NULL UNIQUE,          -- sha256 of the key
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    revoked_at  TEXT
);

CREATE TABLE idempotency (
    client      TEXT NOT NULL,
    key         TEXT NOT NULL,
    request     TEXT NOT NULL,                 -- sha256 of the request body
    ticket      INTEGER NOT NULL REFERENCES tickets(number),
    created_at  TEXT NOT NULL,
    PRIMARY KEY (client, key)
);
