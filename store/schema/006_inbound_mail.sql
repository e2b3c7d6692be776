-- Two-way email: the Message-IDs we sent (replies find their ticket by them) and the messages
-- read from the support mailbox (each processed once).

CREATE TABLE sent_messages (
    message_id TEXT PRIMARY KEY,
    ticket     INTEGER NOT NULL REFERENCES tickets(number)
);
INSERT INTO sent_messages (message_id, ticket)
    SELECT email_thread, number FROM tickets WHERE email_thread IS NOT NULL;
INSERT OR IGNORE INTO sent_messages (message_id, ticket)
    SELECT json_extract(payload, '$.message_id'), ticket FROM outbox
    WHERE kind = 'email' AND ticket IS NOT NULL;

CREATE TABLE inbound (
    message_id TEXT PRIMARY KEY,
    mailbox_uid TEXT NOT NULL DEFAULT '',
    ticket     INTEGER,
    outcome    TEXT NOT NULL,   -- respuesta | reabierto | nuevo | automatico | rebote | …
    at         TEXT NOT NULL
);

ALTER TABLE tickets ADD COLUMN mail_bounced INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN related_to INTEGER;
