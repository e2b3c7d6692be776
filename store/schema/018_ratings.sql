-- The supplier's rating of the help they got, from the closing email's links (1 to 5, with an
-- optional comment); changeable for 14 days after the first.
ALTER TABLE tickets ADD COLUMN rating INTEGER;
ALTER TABLE tickets ADD COLUMN rating_comment TEXT;
ALTER TABLE tickets ADD COLUMN rated_at TEXT;
CREATE INDEX tickets_rated ON tickets(rated_at) WHERE rated_at IS NOT NULL;
