"""Adapters of customers: PostgreSQL tables and repository, unit of work, gRPC servicer, event protos."""
