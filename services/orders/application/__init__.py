"""Use cases of orders: one handler per command or query, given a unit of work and a clock."""
