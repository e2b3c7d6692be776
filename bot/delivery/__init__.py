"""The outbound runtime: the delivery queue and its Slack and SMTP senders, the SLA watcher,
the janitor, and the supervisor of every worker."""
