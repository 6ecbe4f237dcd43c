"""Use cases of customers: one handler per command or query, given a unit of work and the time."""
