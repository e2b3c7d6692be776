-- Privacy (LFPDPPP): a person's tickets found by their address whatever its case; a ticket
-- whose personal data was suppressed says when (it stays, anonymous, in the statistics); each
-- request is recorded without the address (an HMAC of it, with the desk's key).
CREATE INDEX tickets_correo ON tickets(correo COLLATE NOCASE);
ALTER TABLE tickets ADD COLUMN suppressed_at TEXT;

CREATE TABLE privacy_requests (
    id       INTEGER PRIMARY KEY,
    at       TEXT    NOT NULL,
    actor    TEXT    NOT NULL,
    action   TEXT    NOT NULL,           -- buscar | exportar | suprimir | retencion
    subject  TEXT    NOT NULL,           -- HMAC-SHA256 of the address ('' for retention)
    tickets  INTEGER NOT NULL
);
