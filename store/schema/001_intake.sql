-- Intake: tickets from the web form, their attachments, the audit trail, the delivery queue.
-- Times are UTC ISO-8601 text with microseconds (store.db.to_db), so they sort as text.

CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO counters (name, value) VALUES ('ticket', 0);

CREATE TABLE tickets (
    number       INTEGER PRIMARY KEY,
    created_at   TEXT    NOT NULL,
    source       TEXT    NOT NULL,          -- formulario, ...
    form_id      TEXT    UNIQUE,            -- the form token's id: a resubmission finds its ticket
    tipo         TEXT    NOT NULL,
    severity     TEXT    NOT NULL,
    status       TEXT    NOT NULL,
    usuario      TEXT    NOT NULL,
    correo       TEXT    NOT NULL,
    liga_portal  TEXT    NOT NULL DEFAULT '',
    descripcion  TEXT    NOT NULL,
    client_ip    TEXT    NOT NULL DEFAULT '',
    email_thread TEXT,                      -- Message-ID of the first email: later ones reply to it
    slack_channel TEXT,
    slack_ts     TEXT                       -- the card, once Slack has it
);

CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY,
    ticket       INTEGER NOT NULL REFERENCES tickets(number),
    stored_name  TEXT    NOT NULL,          -- generated, relative to the data folder
    display_name TEXT    NOT NULL,          -- sanitised original name: display text only
    content_type TEXT    NOT NULL,          -- detected from the content
    size         INTEGER NOT NULL,
    sha256       TEXT    NOT NULL
);
CREATE INDEX attachments_ticket ON attachments(ticket);

-- Files of a form that was shown again: kept so the supplier does not upload them twice.
CREATE TABLE form_uploads (
    id           INTEGER PRIMARY KEY,
    form_id      TEXT    NOT NULL,
    stored_name  TEXT    NOT NULL,
    display_name TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT    NOT NULL,
    created_at   TEXT    NOT NULL
);
CREATE INDEX form_uploads_form ON form_uploads(form_id);

CREATE TABLE audit (
    id      INTEGER PRIMARY KEY,
    ticket  INTEGER REFERENCES tickets(number),
    at      TEXT    NOT NULL,
    actor   TEXT    NOT NULL,
    action  TEXT    NOT NULL,
    detail  TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_ticket ON audit(ticket);

-- The delivery queue ("outbox"). One row per Slack post, file upload or email.
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    key         TEXT    NOT NULL UNIQUE,    -- stable: what makes a retry the same delivery
    lane        TEXT    NOT NULL,           -- slack | email: one worker each, so one never blocks the other
    kind        TEXT    NOT NULL,
    ticket      INTEGER REFERENCES tickets(number),
    after       INTEGER REFERENCES outbox(id), -- sent only once this one is done
    payload     TEXT    NOT NULL,
    state       TEXT    NOT NULL DEFAULT '{}', -- progress of a multi-step delivery (file ids)
    status      TEXT    NOT NULL DEFAULT 'pending', -- pending | sending | done | failed
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     TEXT    NOT NULL,
    last_error  TEXT    NOT NULL DEFAULT '',
    result      TEXT    NOT NULL DEFAULT '',  -- Slack ts, Message-ID
    created_at  TEXT    NOT NULL,
    done_at     TEXT
);
CREATE INDEX outbox_due ON outbox(lane, status, next_at);
