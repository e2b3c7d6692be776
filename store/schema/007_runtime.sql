-- A row rewritten by the storage heartbeat: proves the database can still be written.
CREATE TABLE heartbeat (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at TEXT NOT NULL
);

-- Who left files for a form not yet sent: the pending-uploads quota is counted per address.
ALTER TABLE form_uploads ADD COLUMN client_ip TEXT NOT NULL DEFAULT '';
CREATE INDEX form_uploads_by_ip ON form_uploads (client_ip);
