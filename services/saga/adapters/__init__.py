"""Adapters of the saga coordinator: PostgreSQL store, participant clients, gRPC servicer, events."""
