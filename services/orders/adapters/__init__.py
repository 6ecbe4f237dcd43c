"""Adapters of orders: PostgreSQL tables and repository, unit of work, gRPC servicer, event protos."""
