"""Use cases of the inventory context: one handler per command or query, given a unit of work and ports."""
