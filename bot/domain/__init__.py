"""Pure vocabulary and rules: statuses, severities, the workflow, clocks and the business
calendar, form checks, attachments by content, typed requests and the card's controls. No I/O,
no Slack, no SQL."""
