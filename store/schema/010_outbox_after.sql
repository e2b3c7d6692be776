-- Deleting a delivered row makes SQLite look for rows that wait on it (the `after` foreign
-- key): without this index each delete read the whole queue, and pruning held the write lock
-- for minutes.
CREATE INDEX outbox_after ON outbox(after) WHERE after IS NOT NULL;
