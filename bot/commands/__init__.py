"""The `/hib2b` grammar (a pure parse to typed requests) and the table that answers each
request, shared by Slack's buttons, modals and commands and by the command line."""
