"""The HiB2B help desk. Rooms, each a package with one-way doors (architecture.md):
`domain` (pure rules), `render` (pure Block Kit, emails, reports), `cases` (use cases: the only
code that changes a ticket), `delivery` (the outbound runtime), `commands` (the `/hib2b` grammar
and its dispatch table), `desk` (the facade the edges receive) and the composition root
(`wiring`, `app`, `cli`, `__main__`)."""
