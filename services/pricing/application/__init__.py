"""Pricing use cases: one handler per command or query, over a unit of work and the promotion catalogue."""
