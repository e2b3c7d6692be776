-- Open tickets are a few percent of all: this index holds only them, with every column the
-- SLA report, the lists and the watcher's counts read, so those never touch the closed
-- million. Queries name the open statuses with IN, as the index's WHERE does.
CREATE INDEX tickets_open ON tickets(
    status, severity, assignee, client, sla_runs, first_contact_at, res_started_at,
    fc_due_at, fc_warn_at, res_due_at, res_warn_at
) WHERE status IN ('nuevo', 'asignado', 'esperando');
