"""The audit context: an append-only, hash-chained record of every change in the suite."""
