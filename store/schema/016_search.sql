-- `/hib2b buscar`: every ticket's number, supplier's user and address, description and the
-- texts of its timeline (replies, notes, calls, the supplier's emails) in one full-text index,
-- accents and case ignored. Kept by triggers; a suppression clears and purges it
-- (store/privacy.py). A desk migrated here is indexed now: about a minute at a million tickets.
CREATE VIRTUAL TABLE ticket_search USING fts5(
    code, usuario, correo, descripcion, respuestas,
    tokenize = "unicode61 remove_diacritics 2"
);

INSERT INTO ticket_search (rowid, code, usuario, correo, descripcion, respuestas)
    SELECT t.number, 'HD-' || t.number, t.usuario, t.correo, t.descripcion,
           coalesce((SELECT group_concat(json_extract(a.detail, '$.texto'), char(10))
                     FROM audit AS a
                     WHERE a.ticket = t.number AND json_extract(a.detail, '$.texto') IS NOT NULL),
                    '')
    FROM tickets AS t;

CREATE TRIGGER ticket_search_insert AFTER INSERT ON tickets
BEGIN
    INSERT INTO ticket_search (rowid, code, usuario, correo, descripcion, respuestas)
    VALUES (new.number, 'HD-' || new.number, new.usuario, new.correo, new.descripcion, '');
END;

CREATE TRIGGER ticket_search_update AFTER UPDATE OF usuario, correo, descripcion ON tickets
BEGIN
    UPDATE ticket_search
    SET usuario = new.usuario, correo = new.correo, descripcion = new.descripcion
    WHERE rowid = new.number;
END;

CREATE TRIGGER ticket_search_delete AFTER DELETE ON tickets
BEGIN
    DELETE FROM ticket_search WHERE rowid = old.number;
END;

CREATE TRIGGER ticket_search_text AFTER INSERT ON audit
WHEN new.ticket IS NOT NULL AND json_extract(new.detail, '$.texto') IS NOT NULL
BEGIN
    UPDATE ticket_search
    SET respuestas = respuestas || char(10) || json_extract(new.detail, '$.texto')
    WHERE rowid = new.ticket;
END;
