"""Use cases: the only code that changes a ticket (the store and the delivery queue in one
transaction), the reads behind reports, and the one upload policy for every way in."""
