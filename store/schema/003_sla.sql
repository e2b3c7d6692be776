-- SLA clocks: absolute due instants stored when they change, so the watcher's "what is due" is
-- an indexed query; reminders recorded once per clock generation and stage.

ALTER TABLE tickets ADD COLUMN fc_target_at TEXT;        -- first contact: target, 75 %, deadline
ALTER TABLE tickets ADD COLUMN fc_warn_at TEXT;
ALTER TABLE tickets ADD COLUMN fc_due_at TEXT;
ALTER TABLE tickets ADD COLUMN fc_business_s REAL;       -- business time to first contact
ALTER TABLE tickets ADD COLUMN res_started_at TEXT;      -- running segment's start; NULL: stopped
ALTER TABLE tickets ADD COLUMN res_used_s REAL NOT NULL DEFAULT 0;  -- business s before it
ALTER TABLE tickets ADD COLUMN res_target_at TEXT;
ALTER TABLE tickets ADD COLUMN res_warn_at TEXT;
ALTER TABLE tickets ADD COLUMN res_due_at TEXT;
ALTER TABLE tickets ADD COLUMN res_gen INTEGER NOT NULL DEFAULT 0;  -- 0: never started
ALTER TABLE tickets ADD COLUMN sla_next_at TEXT;         -- next reminder instant, or NULL

CREATE INDEX tickets_sla_next ON tickets(sla_next_at) WHERE sla_next_at IS NOT NULL;
CREATE INDEX tickets_first_contact ON tickets(first_contact_at);
CREATE INDEX tickets_closed ON tickets(closed_at);

CREATE TABLE reminders (
    ticket  INTEGER NOT NULL REFERENCES tickets(number),
    clock   TEXT    NOT NULL,        -- primer_contacto | resolucion
    gen     INTEGER NOT NULL,
    stage   TEXT    NOT NULL,        -- objetivo | por_vencer | vencido
    at      TEXT    NOT NULL,
    sent    INTEGER NOT NULL,        -- 0: passed over for a later stage (after downtime)
    PRIMARY KEY (ticket, clock, gen, stage)
);
