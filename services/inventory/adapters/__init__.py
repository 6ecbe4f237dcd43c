"""Adapters of the inventory context: PostgreSQL tables and repositories, Redis gate, gRPC servicer, events."""
