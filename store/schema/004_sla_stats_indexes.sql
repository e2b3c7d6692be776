-- Covering indexes for `/hib2b sla` compliance: the window scans never touch the table rows.
CREATE INDEX tickets_fc_stats ON tickets(first_contact_at, fc_due_at, fc_target_at, fc_business_s);
CREATE INDEX tickets_res_stats ON tickets(closed_at, close_kind, status, res_gen, severity, res_used_s);
-- Their first columns serve what these served.
DROP INDEX tickets_first_contact;
DROP INDEX tickets_closed;
