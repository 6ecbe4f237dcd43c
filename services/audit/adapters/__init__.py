"""Audit adapters: tables, repository, unit of work, gRPC servicer, event mapping, consumer, CLI."""
