-- Delivered messages are pruned after HIB2B_KEEP_SENT (the janitor): every kind but the card,
-- which later deliveries wait for and which the thread hangs from. Message-IDs stay in
-- sent_messages, so replies still find their ticket.
CREATE INDEX outbox_prunable ON outbox(done_at) WHERE status = 'done' AND kind != 'card';
