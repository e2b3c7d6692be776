-- Who is on shift (`/hib2b turno entrar|salir`), and the round-robin's turn
-- (HIB2B_AUTO_ASSIGN=round-robin assigns each new ticket to the next one on shift).
CREATE TABLE shifts (
    user_id TEXT PRIMARY KEY,
    since   TEXT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('round_robin', 0);
