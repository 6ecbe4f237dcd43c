"""Pricing adapters: tables, repositories, unit of work, promotion cache, gRPC servicer, event mapping."""
