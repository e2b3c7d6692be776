"""Pure rendering: Block Kit cards and modals, the supplier's emails, SLA reports, text answers.
Records in, JSON-ready dicts and strings out."""
