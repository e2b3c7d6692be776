-- Invoices (CFDI) in attachments: what was read from each XML when it was stored (JSON, see
-- bot.domain.cfdi.Reading) and its UUID for finding the same invoice on another ticket; the
-- client's RFCs the receiver is checked against; the ticket this one may repeat.
ALTER TABLE attachments ADD COLUMN cfdi TEXT;
ALTER TABLE attachments ADD COLUMN cfdi_uuid TEXT;
CREATE INDEX attachments_cfdi_uuid ON attachments(cfdi_uuid) WHERE cfdi_uuid IS NOT NULL;
ALTER TABLE form_uploads ADD COLUMN cfdi TEXT;
ALTER TABLE form_uploads ADD COLUMN cfdi_uuid TEXT;
ALTER TABLE clients ADD COLUMN rfcs TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN duplicate_hint INTEGER;
