"""Audit use cases: append, record consumed events, query, verify, prune by retention."""
