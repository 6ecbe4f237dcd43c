"""Adapters of the payments context: PostgreSQL persistence, gRPC servicer, events and payment providers."""
