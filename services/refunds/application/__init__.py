"""Use cases of the refunds context: one handler per command or query, over a unit of work."""
