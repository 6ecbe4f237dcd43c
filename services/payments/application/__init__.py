"""Use cases of the payments context: one handler per command or query, over a unit of work and ports."""
